"""QR payment card render time: CARDS cards, each with its own URI, amount, order number and expiry.

Usage: python -m bench.card_render [--cards 200]
Mixes BIP21 (BTC), EIP-681 native (ETH) and EIP-681 ERC-20 (USDT) URIs, English and Japanese cards of
two shops, and prints the median and p95 milliseconds per card (target: ≤ 10 ms median,
docs/architecture.md#performance), after a few untimed cards: the first loads the fonts, and each QR version
is set up once per process.
"""

from __future__ import annotations

import argparse
import statistics
import time

from media.payment_card import PaymentCard, render_payment_card

BTC_ADDRESS = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
EVM_ADDRESS = "0x000000000000000000000000000000000000dEaD"
USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
LABELS = {
    "en": {"amount": "Amount", "network": "Network", "address": "Address", "expires": "Expires"},
    "ja": {"amount": "金額", "network": "ネットワーク", "address": "送金先アドレス", "expires": "有効期限"},
}
SHOPS = ("Sakura Goods", "さくら雑貨店 Arita Ceramics")


def make_card(index: int) -> PaymentCard:
    order = 1000 + index
    locale = "ja" if index % 2 else "en"
    minute = f"{14 + index % 8}:{index % 60:02d}"
    kind = index % 3
    if kind == 0:
        sats = 123_456 + index * 7919
        uri = f"bitcoin:{BTC_ADDRESS}?amount={sats // 10**8}.{sats % 10**8:08d}&label=Shop&message=Order%20{order}"
        amount, asset, chain, address = f"{sats // 10**8}.{sats % 10**8:08d} BTC", "BTC", "Bitcoin", BTC_ADDRESS
    elif kind == 1:
        wei = 12_345_000_000_000_000 + index * 10**12
        uri = f"ethereum:{EVM_ADDRESS}@1?value={wei}"
        amount, asset, chain, address = f"0.{wei // 10**12:06d} ETH", "ETH", "Ethereum", EVM_ADDRESS
    else:
        units = 12_500_000 + index
        uri = f"ethereum:{USDT}@1/transfer?address={EVM_ADDRESS}&uint256={units}"
        amount, asset, chain, address = f"{units // 10**6}.{units % 10**6:06d} USDT", "USDT", "Ethereum", EVM_ADDRESS
    if locale == "ja":
        network, expires = f"{chain} ネットワークの {asset} のみ", f"{minute} までにお支払いください"
        title = f"ご注文 #{order}"
    else:
        network, expires, title = f"{asset} on {chain} only", f"Pay by {minute} (JST)", f"Order #{order}"
    return PaymentCard(uri=uri, amount=amount, network=network, address=address, expires=expires,
                       shop_name=SHOPS[index % 4 // 2], title=title, labels=LABELS[locale])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", type=int, default=200)
    args = parser.parse_args()

    cards = [make_card(index) for index in range(args.cards)]
    start = time.perf_counter()
    render_payment_card(make_card(args.cards))
    cold = (time.perf_counter() - start) * 1000
    for index in range(args.cards + 1, args.cards + 6):  # per-process set-up for each QR version in the mix
        render_payment_card(make_card(index))
    timings = []
    sizes = []
    for card in cards:
        start = time.perf_counter()
        png = render_payment_card(card)
        timings.append((time.perf_counter() - start) * 1000)
        sizes.append(len(png))
    p95 = statistics.quantiles(timings, n=20)[-1]
    print(f"payment card: {len(cards)} cards, median {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms "
          f"(first card, loading fonts: {cold:.1f} ms), median PNG {statistics.median(sizes) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
