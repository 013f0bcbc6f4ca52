"""A new shop's first run, as `scripts/run-shop.sh` does it (`chatshop init`, then `chatshop run`), with no
CHATSHOP_DATA_KEY anywhere: the run makes the data key, and a buyer of a physical product checks out with a
typed address through the real HTTP client (a fake Bot API server on 127.0.0.1, ETH on a local anvil).
While it runs, `chatshop restore` is refused; started later with another key, `run` refuses to start."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from bots.app import open_shop
from bots.cli.main import main
from bots.config import load_settings
from bots.i18n import Translator
from commerce.catalog import NewProduct
from commerce.privacy import PersonalDataCipher
from tests.bots.test_telegram_checkout import ADDRESS, ADDRESS_TEXT
from tests.bots.test_telegram_e2e import TOKEN, wait_for
from tests.support.anvil import Anvil
from tests.support.fake_bot_api import Call, FakeBotApi

BUYER = 555


def buttons(api: FakeBotApi) -> dict[str, str]:
    return (api.last_with_buttons() or Call("", {}, {}, 0)).buttons()


async def test_a_first_run_without_a_data_key_lets_a_buyer_of_physical_goods_check_out(
        tmp_path: Path, anvil: Anvil) -> None:
    folder = tmp_path / "shop"
    assert await asyncio.to_thread(main, ["init", str(folder)]) == 0
    api = FakeBotApi(TOKEN)
    url = await api.start()
    config = folder / "bot.toml"
    text = config.read_text(encoding="utf-8").replace('api_url = ""', f'api_url = "{url}"', 1)
    config.write_text(text.replace("owners = []", 'owners = ["telegram:1"]') + f"""
[[payments.methods]]
id = "eth"
chain = "evm"
chain_id = 31337
rpc_url = "{anvil.url}"
asset = "ETH"
receive_address = "0x00000000000000000000000000000000c0ffee01"
confirmations = 1
""", encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if name != "CHATSHOP_DATA_KEY"}
    env["TELEGRAM_BOT_TOKEN"] = TOKEN
    async with open_shop(load_settings(config, environ=env)) as shop:
        [owner] = await shop.sellers.bootstrap_owners(["telegram:1"])
        product = await shop.catalog.create_product(owner, NewProduct(title="Tea cup", price="4500", stock=3))
    translator = Translator.load()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli.main", "run", "--config", str(config), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        api.send_text(BUYER, f"/start p_{product.id}", language="en")
        await wait_for(lambda: translator.text("en", "button.buy_now") in buttons(api), "the product card")
        api.press(BUYER, api.last_with_buttons(), translator.text("en", "button.buy_now"))
        prompt = translator.text("en", "checkout.address_prompt")
        await wait_for(lambda: any(prompt in str(c.fields.get("text")) for c in api.sent("sendMessage")),
                       "the address prompt")
        api.send_text(BUYER, ADDRESS_TEXT, language="en")
        await wait_for(lambda: translator.text("en", "button.use_address") in buttons(api), "the typed address")
        api.press(BUYER, api.last_with_buttons(), translator.text("en", "button.use_address"))
        await wait_for(lambda: any("ETH" in label for label in buttons(api)), "the payment methods")
        api.press(BUYER, api.last_with_buttons(), next(label for label in buttons(api) if "ETH" in label))
        confirm = translator.text("en", "button.confirm_order")
        await wait_for(lambda: confirm in buttons(api), "the summary")
        api.press(BUYER, api.last_with_buttons(), confirm)
        await wait_for(lambda: api.sent("sendPhoto"), "the payment card")

        # A shop is running on this database: a restore is refused, even with --force.
        refused = await asyncio.to_thread(main, ["restore", str(tmp_path / "any.db"), "--force", "--config",
                                                 str(config)])
        assert refused == 1
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert await asyncio.wait_for(process.wait(), 20) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            await api.stop()
    output = (await process.stdout.read()).decode() if process.stdout else ""
    key_file = folder / "chatshop-data.key"
    assert f"made a new data key in {key_file}" in " ".join(output.split())
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text(encoding="ascii").strip()
    async with open_shop(load_settings(config, environ=env)) as shop:
        buyer = await shop.customers.identify("telegram", BUYER)
        [order] = await shop.orders.history(buyer.id)
        assert await shop.orders.shipping_address(buyer.id, order.id) == ADDRESS
    assert PersonalDataCipher(key).enabled and key not in output

    # Started again with a different key, the shop would not read what it stored: it refuses, in one line.
    other = {**env, "CHATSHOP_DATA_KEY": Fernet.generate_key().decode()}
    again = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli.main", "run", "--config", str(config), env=other,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(again.communicate(), 60)
    assert again.returncode == 1, out.decode()
    assert [line for line in err.decode().splitlines() if line.strip()] == [
        "the data key in $CHATSHOP_DATA_KEY can't decrypt the order addresses already in the database (was the "
        "key changed?): start with the key they were encrypted with"]
