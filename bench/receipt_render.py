"""Receipt render time: ROUNDS rounds of RECEIPTS receipts of LINES lines, each with its own number, lines and total.

Usage: python -m bench.receipt_render [--receipts 100] [--rounds 5] [--lines 10]
Japanese qualified invoices (registration number, addressee, 10 % and 8 % rows) alternate with English
receipts, in two shops. Each round reports its median milliseconds per receipt for the PNG, the PDF and a
receipt at the 60-line cap; the script prints the best, median and worst round (target: ≤ 50 ms for a
10-line receipt, docs/architecture.md#performance), after a few untimed receipts: the first loads the fonts.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import replace

from bench._common import spread
from media.receipt import MAX_LINES, Receipt, ReceiptLine, render_receipt_pdf, render_receipt_png

TX = "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060"
PRODUCTS = {
    "ja": ("有田焼 マグカップ（藍）", "抹茶 100g", "手ぬぐい 桜柄", "伊万里焼 小皿 五枚組 桐箱入り",
           "ほうじ茶 ティーバッグ 20包", "波佐見焼 飯碗 白磁 大", "栞 真鍮 さくら"),
    "en": ("Arita mug, blue glaze", "Matcha 100 g", "Tenugui towel, cherry blossom", "Imari plates, set of five",
           "Hojicha tea bags (20)", "Hasami rice bowl, white, large", "Brass bookmark, sakura"),
}
SHOPS = ("Sakura Goods", "さくら雑貨店 Arita Ceramics")


def usd(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def make_receipt(index: int, lines: int) -> Receipt:
    locale = "ja" if index % 2 else "en"
    products = PRODUCTS[locale]
    prices = [800 + (index * 37 + line * 211) % 4000 for line in range(lines)]
    quantities = [1 + (index + line) % 3 for line in range(lines)]
    reduced = [products[(index + line) % len(products)] in (products[1], products[4]) for line in range(lines)]
    subtotal = sum(price * quantity for price, quantity in zip(prices, quantities, strict=True))
    food = sum(price * quantity for price, quantity, low in zip(prices, quantities, reduced, strict=True) if low)
    shipping, total = 800, subtotal + 800
    tx = TX[:-4] + f"{index:04x}"
    if locale == "ja":
        return Receipt(
            title="適格請求書", shop_name=SHOPS[1], registration="登録番号 T1234567890123",
            number=f"No. {1000 + index}", issued=f"2025年4月{1 + index % 28}日", customer="山田太郎 様",
            lines=tuple(ReceiptLine(products[(index + line) % len(products)],
                                    f"¥{price:,} × {quantity}" + ("  ※" if low else ""), f"¥{price * quantity:,}")
                        for line, (price, quantity, low) in enumerate(zip(prices, quantities, reduced, strict=True))),
            summary=(("小計", f"¥{subtotal:,}"), ("送料 (本州)", f"¥{shipping:,}"), ("合計", f"¥{total:,}")),
            taxes=((f"10%対象 ¥{total - food:,}", f"内消費税 ¥{(total - food) // 11:,}"),
                   (f"8%対象 ¥{food:,}", f"内消費税 ¥{food * 2 // 27:,}")),
            total_label="ご請求金額", total=f"¥{total:,}",
            footer=("お支払い方法: USDT (Ethereum)", f"Tx: {tx}", "※は軽減税率(8%)対象"),
            more_lines="… ほか {count} 件",
        )
    return Receipt(
        title="Receipt", shop_name=SHOPS[0], registration="", number=f"No. {1000 + index}",
        issued=f"{1 + index % 28} April 2025", customer="",
        lines=tuple(ReceiptLine(products[(index + line) % len(products)], f"{usd(price)} × {quantity}",
                                usd(price * quantity))
                    for line, (price, quantity) in enumerate(zip(prices, quantities, strict=True))),
        summary=(("Subtotal", usd(subtotal)), ("Shipping", usd(shipping)), ("Total", usd(total))),
        taxes=(),
        total_label="Total paid", total=usd(total),
        footer=("Paid with BTC", f"Tx: {tx[2:]}"),
        more_lines="… and {count} more",
    )


def median_ms(render: Callable[[Receipt], bytes], receipts: list[Receipt]) -> tuple[float, int]:
    """The median milliseconds per receipt, and the median size in bytes."""
    timings, sizes = [], []
    for receipt in receipts:
        start = time.perf_counter()
        out = render(receipt)
        timings.append((time.perf_counter() - start) * 1000)
        sizes.append(len(out))
    return statistics.median(timings), int(statistics.median(sizes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--receipts", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--lines", type=int, default=10)
    args = parser.parse_args()

    start = time.perf_counter()
    render_receipt_png(make_receipt(-1, args.lines))
    cold = (time.perf_counter() - start) * 1000
    for index in range(-6, -1):
        render_receipt_png(make_receipt(index, args.lines))
        render_receipt_pdf(make_receipt(index, args.lines))

    png_ms: list[float] = []
    pdf_ms: list[float] = []
    full_ms: list[float] = []
    for round_ in range(args.rounds):
        receipts = [make_receipt(round_ * args.receipts + index, args.lines) for index in range(args.receipts)]
        full = [replace(receipt, lines=receipt.lines * (MAX_LINES // len(receipt.lines) + 1))
                for receipt in receipts[: max(2, args.receipts // 10)]]
        took, png_size = median_ms(render_receipt_png, receipts)
        png_ms.append(took)
        took, pdf_size = median_ms(render_receipt_pdf, receipts)
        pdf_ms.append(took)
        took, _ = median_ms(render_receipt_png, full)
        full_ms.append(took)
    print(f"receipt, {args.lines} lines, {args.rounds} rounds of {args.receipts} (ja and en), median per receipt "
          f"by round: PNG {spread(png_ms, 'ms', 2)} (median PNG {png_size / 1024:.0f} KiB); "
          f"PDF {spread(pdf_ms, 'ms', 2)} (median PDF {pdf_size / 1024:.0f} KiB); "
          f"at the {MAX_LINES}-line cap, PNG {spread(full_ms, 'ms', 1)}; first receipt, loading fonts: {cold:.1f} ms")


if __name__ == "__main__":
    main()
