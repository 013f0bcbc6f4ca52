"""End to end through the real aiogram HTTP client: `chatshop run` as a process, pointed by
telegram.api_url at a fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import zxingcpp
from PIL import Image

from bots.app import open_shop
from bots.config import load_settings
from bots.i18n import Translator
from bots.telegram.render import quote
from commerce.bill import CouponKind
from commerce.catalog import NewProduct
from commerce.coupons import NewCoupon
from commerce.money import Money, format_units
from commerce.status import OrderStatus
from payments.quotes import quote_units
from payments.uri import checksum_address
from tests.support.anvil import Anvil, mine, send_eth
from tests.support.fake_bot_api import Call, FakeBotApi

TOKEN = "123456789:AAE-test-token-for-the-fake-bot-api-server"


def config(folder: Path, api_url: str) -> Path:
    path = folder / "bot.toml"
    path.write_text(f"""
[shop]
name = "Sakura Goods"
currency = "JPY"
default_locale = "ja"
[database]
url = "sqlite+aiosqlite:///data/shop.db"
[telegram]
enabled = true
api_url = "{api_url}"
[rates]
source = "fixed"
""", encoding="utf-8")
    return path


async def test_chatshop_run_answers_start_through_the_real_http_client(tmp_path: Path) -> None:
    api = FakeBotApi(TOKEN)
    url = await api.start()
    api.send_text(555, "/start", language="en")
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN}
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli.main", "run", "--config", str(config(tmp_path, url)), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        for _ in range(300):
            if api.sent("sendMessage") or process.returncode is not None:
                break
            await asyncio.sleep(0.1)
        assert process.returncode is None, (await process.stdout.read()).decode() if process.stdout else ""
        [greeting] = api.sent("sendMessage")
        answered_after = greeting.at - started
        print(f"first answer {answered_after:.2f} s after the process started")
        assert greeting.fields["chat_id"] == "555"
        assert "Sakura Goods" in greeting.fields["text"]
        assert {c.fields.get("language_code") for c in api.sent("setMyCommands")} >= {"ja", "en"}
        assert TOKEN not in (greeting.fields.get("text") or "")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert await asyncio.wait_for(process.wait(), 15) == 0     # Ctrl-C / SIGTERM: a clean stop
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            await api.stop()


async def wait_for(condition: Callable[[], object], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@asynccontextmanager
async def running_bot(path: Path, env: dict[str, str], api: FakeBotApi) -> AsyncIterator[None]:
    """`chatshop run` as a process for the test's body; then SIGTERM, a clean exit, and the fake API stopped."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli.main", "run", "--config", str(path), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert await asyncio.wait_for(process.wait(), 20) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            await api.stop()


def eth_method(anvil: Anvil, shop_address: str, eth_price: str) -> str:
    """bot.toml's fixed ETH rate and one ETH method on the anvil node, paid to a shared address."""
    return f"""
[rates.fixed]
ETH = "{eth_price}"
[sellers]
owners = ["telegram:1"]
[payments]
watch_interval_seconds = 1
[[payments.methods]]
id = "eth"
chain = "evm"
chain_id = 31337
rpc_url = "{anvil.url}"
asset = "ETH"
decimals = 18
receive_address = "{shop_address}"
confirmations = 1
"""


def newest_buttons(api: FakeBotApi) -> dict[str, str]:
    """Label → callback data of the newest message that has buttons."""
    newest = api.last_with_buttons()
    return newest.buttons() if newest is not None else {}


def qr_uri(card: Call) -> str:
    return str(zxingcpp.read_barcodes(Image.open(io.BytesIO(next(iter(card.files.values())))))[0].text)


async def test_a_buyer_opens_a_link_pays_on_chain_and_is_told_it_is_paid(tmp_path: Path, anvil: Anvil) -> None:
    """Deep link → Buy now → method → confirm → QR photo decodes to the URI → ETH sent on anvil → "paid"."""
    shop_address = "0x00000000000000000000000000000000c0ffee01"
    path = config(tmp_path, "")
    api = FakeBotApi(TOKEN)
    url = await api.start()
    path.write_text(path.read_text(encoding="utf-8").replace('api_url = ""', f'api_url = "{url}"')
                    + eth_method(anvil, shop_address, "450000"), encoding="utf-8")
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN}
    settings = load_settings(path, environ=env)
    async with open_shop(settings) as shop:
        [owner] = await shop.sellers.bootstrap_owners(["telegram:1"])
        product = await shop.catalog.create_product(owner, NewProduct(title="Gift card", price="4500",
                                                                      kind="digital"))
        await shop.catalog.add_digital_items(owner, product.variants[0].id, ["GIFT-0001"])
    translator = Translator.load()
    async with running_bot(path, env, api):
        api.send_text(555, f"/start p_{product.id}", language="en")
        await wait_for(lambda: api.last_with_buttons(), "the product card")
        api.press(555, api.last_with_buttons(), translator.text("en", "button.buy_now"))
        await wait_for(lambda: any("ETH" in t for t in newest_buttons(api)), "the payment methods")
        methods = api.last_with_buttons()
        api.press(555, methods, next(t for t in methods.buttons() if "ETH" in t))
        confirm = translator.text("en", "button.confirm_order")
        await wait_for(lambda: confirm in newest_buttons(api), "the summary")
        api.press(555, api.last_with_buttons(), confirm)
        await wait_for(lambda: api.sent("sendPhoto"), "the payment card")

        [card] = api.sent("sendPhoto")
        uri = qr_uri(card)
        wei = int(uri.split("value=")[1])
        assert uri == f"ethereum:{checksum_address(shop_address)}@31337?value={wei}"
        assert 10**16 < wei < 10**16 + 1000                     # ¥4,500 at ¥450,000/ETH, plus the offset
        assert format_units(wei, 18) in card.fields["caption"]

        send_eth(anvil, anvil.accounts[0], shop_address, wei)
        mine(anvil, 1)
        await wait_for(lambda: any("GIFT-0001" in str(c.fields.get("text", "")) for c in api.calls),
                       "the digital key after payment", seconds=40)
        # the payment message itself was edited in place to say so
        card_id = str(card.result["message_id"])
        edits = [c for c in api.sent("editMessageCaption") if c.fields.get("message_id") == card_id]
        assert edits, [c.method for c in api.calls]


async def test_a_buyer_with_a_coupon_pays_the_bill_with_shipping_and_tax_read_from_the_qr(
        tmp_path: Path, anvil: Anvil) -> None:
    """Tax included at 10 %, a shipping zone with a fee, a code the owner made: Buy now → address → ETH →
    Coupon code → the code typed → the itemised summary → confirm → the QR's amount is the frozen bill's total
    at the fixed rate → paid on anvil → the order is paid."""
    shop_address = "0x00000000000000000000000000000000c0ffee02"
    path = config(tmp_path, "")
    api = FakeBotApi(TOKEN)
    url = await api.start()
    path.write_text(path.read_text(encoding="utf-8").replace('api_url = ""', f'api_url = "{url}"')
                    + eth_method(anvil, shop_address, "456000") + """
[tax]
mode = "inclusive"
rate = "10"
registration_number = "T1234567890123"
[tax.categories]
"食品" = "8"
[shipping]
[[shipping.zones]]
id = "kanto"
name = "Kanto"
countries = ["JP"]
regions = ["東京都", "神奈川県"]
fee = "600"
free_over = "10000"
""", encoding="utf-8")
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN}
    settings = load_settings(path, environ=env)
    async with open_shop(settings) as shop:
        [owner] = await shop.sellers.bootstrap_owners(["telegram:1"])
        product = await shop.catalog.create_product(owner, NewProduct(title="Tea bowl", price="4400", stock=3))
        await shop.coupons.create(owner, NewCoupon("SAKURA10", CouponKind.PERCENT, percent=Decimal(10), max_uses=5))
    translator = Translator.load()

    def yen(minor: int) -> str:
        return translator.money("en", Money.from_minor(minor, "JPY"))

    async with running_bot(path, env, api):
        api.send_text(555, f"/start p_{product.id}", language="en")
        await wait_for(lambda: translator.text("en", "button.buy_now") in newest_buttons(api), "the product card")
        api.press(555, api.last_with_buttons(), translator.text("en", "button.buy_now"))
        prompt = quote(translator.text("en", "checkout.address_prompt"))
        await wait_for(lambda: any(c.fields.get("text") == prompt for c in api.sent("sendMessage")),
                       "the address prompt")
        api.send_text(555, "Hana Sato\n〒150-0001\n東京都渋谷区\n神宮前1-2-3\n03-1234-5678", language="en")
        use_address = translator.text("en", "button.use_address")
        await wait_for(lambda: use_address in newest_buttons(api), "the typed address")
        api.press(555, api.last_with_buttons(), use_address)
        await wait_for(lambda: any("ETH" in t for t in newest_buttons(api)), "the payment methods")
        methods = api.last_with_buttons()
        assert methods is not None
        api.press(555, methods, next(t for t in methods.buttons() if "ETH" in t))
        coupon = translator.text("en", "button.coupon")
        await wait_for(lambda: coupon in newest_buttons(api), "the summary without a code")
        api.press(555, api.last_with_buttons(), coupon)
        coupon_prompt = quote(translator.text("en", "checkout.coupon_prompt"))
        await wait_for(lambda: any(c.fields.get("text") == coupon_prompt for c in api.sent("sendMessage")),
                       "the coupon prompt")
        api.send_text(555, "sakura10", language="en")
        drop = translator.text("en", "button.drop_coupon", code="SAKURA10")
        await wait_for(lambda: drop in newest_buttons(api), "the summary with the code")

        summary = api.last_with_buttons()
        assert summary is not None
        text = summary.fields["text"]
        # ¥4,400 − 10 % (¥440) + ¥600 shipping (under the ¥10,000 free-over) = ¥4,560, tax included: ⌊4560·10/110⌋
        for line in (translator.text("en", "bill.subtotal", amount=yen(4400)),
                     translator.text("en", "bill.discount", code="SAKURA10", amount=yen(440)),
                     translator.text("en", "bill.shipping", zone="Kanto", amount=yen(600)),
                     translator.text("en", "cart.total", total=yen(4560)),
                     translator.text("en", "bill.tax_included", rate="10", base=yen(4560), tax=yen(414))):
            assert quote(line) in text, (line, text)
        api.press(555, summary, translator.text("en", "button.confirm_order"))
        await wait_for(lambda: api.sent("sendPhoto"), "the payment card")

        [card] = api.sent("sendPhoto")
        uri = qr_uri(card)
        wei = int(uri.split("value=")[1])
        assert uri == f"ethereum:{checksum_address(shop_address)}@31337?value={wei}"
        exact = quote_units(Money.from_minor(4560, "JPY"), Decimal("456000"), 18)
        assert exact == 10**16                                   # ¥4,560 at ¥456,000/ETH
        assert 1 <= wei - exact <= 999                           # plus the request's own offset, nothing else
        assert format_units(wei, 18) in card.fields["caption"]

        send_eth(anvil, anvil.accounts[0], shop_address, wei)    # exactly what the QR asks for
        mine(anvil, 1)
        card_id = str(card.result["message_id"])
        await wait_for(lambda: any(c.fields.get("message_id") == card_id for c in api.sent("editMessageCaption")),
                       "the payment card edited to say it is paid", seconds=40)

    async with open_shop(settings) as shop:
        buyer = (await shop.customers.identify("telegram", 555)).id
        [order] = await shop.orders.history(buyer)
        assert order.status is OrderStatus.PAID and order.needs_shipping
        bill = order.bill
        assert (bill.subtotal_minor, bill.discount_minor, bill.shipping_minor, bill.total_minor) == (4400, 440, 600,
                                                                                                    4560)
        assert bill.coupon == "SAKURA10" and bill.zone_id == "kanto"
        assert [(t.rate, t.base_minor, t.tax_minor) for t in bill.taxes] == [(Decimal(10), 4560, 414)]
        assert order.total == Money.from_minor(bill.total_minor, "JPY")
        [used] = await shop.coupons.list(owner)
        assert used.uses == 1
