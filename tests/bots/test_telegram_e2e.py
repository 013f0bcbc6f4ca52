"""End to end through the real aiogram HTTP client: `chatshop run` as a process, pointed by
telegram.api_url at a fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import zxingcpp
from PIL import Image

from bots.app import open_shop
from bots.config import load_settings
from bots.i18n import Translator
from commerce.catalog import NewProduct
from commerce.money import format_units
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


async def test_a_buyer_opens_a_link_pays_on_chain_and_is_told_it_is_paid(tmp_path: Path, anvil: Anvil) -> None:
    """Deep link → Buy now → method → confirm → QR photo decodes to the URI → ETH sent on anvil → "paid"."""
    shop_address = "0x00000000000000000000000000000000c0ffee01"
    path = config(tmp_path, "")
    api = FakeBotApi(TOKEN)
    url = await api.start()
    path.write_text(path.read_text(encoding="utf-8").replace('api_url = ""', f'api_url = "{url}"') + f"""
[rates.fixed]
ETH = "450000"
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
""", encoding="utf-8")
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN}
    settings = load_settings(path, environ=env)
    async with open_shop(settings) as shop:
        [owner] = await shop.sellers.bootstrap_owners(["telegram:1"])
        product = await shop.catalog.create_product(owner, NewProduct(title="Gift card", price="4500",
                                                                      kind="digital"))
        await shop.catalog.add_digital_items(owner, product.variants[0].id, ["GIFT-0001"])
    translator = Translator.load()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli.main", "run", "--config", str(path), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        api.send_text(555, f"/start p_{product.id}", language="en")
        await wait_for(lambda: api.last_with_buttons(), "the product card")
        api.press(555, api.last_with_buttons(), translator.text("en", "button.buy_now"))
        await wait_for(lambda: any("ETH" in t for t in (api.last_with_buttons() or Call("", {}, {}, 0)).buttons()),
                       "the payment methods")
        methods = api.last_with_buttons()
        api.press(555, methods, next(t for t in methods.buttons() if "ETH" in t))
        confirm = translator.text("en", "button.confirm_order")
        await wait_for(lambda: confirm in (api.last_with_buttons() or Call("", {}, {}, 0)).buttons(), "the summary")
        api.press(555, api.last_with_buttons(), confirm)
        await wait_for(lambda: api.sent("sendPhoto"), "the payment card")

        [card] = api.sent("sendPhoto")
        uri = zxingcpp.read_barcodes(Image.open(io.BytesIO(next(iter(card.files.values())))))[0].text
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
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert await asyncio.wait_for(process.wait(), 20) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            await api.stop()
