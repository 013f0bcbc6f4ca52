"""One run on a real local chain: `/share` in a channel → someone presses Buy → checks out with ETH → the QR
decodes to the EIP-681 URI → the payment is sent on anvil → the watcher sees it → the outbox sender DMs
"paid" and the key. Discord by simcord, the chain by anvil (tests/support/chains.py), everything else real."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bots.config import Settings, parse_settings
from bots.discord.app import ShopBot
from bots.discord.notifier import DiscordNotifier
from bots.i18n import Translator
from bots.payments_setup import Payments, open_payments
from commerce.shop import Shop
from commerce.status import OrderStatus
from payments.requests import PaymentService
from payments.uri import checksum_address
from payments.watcher import ChainWatcher
from tests.conftest import FakeClock
from tests.discord.conftest import SHOP_NAME, button_labels, decode_qr
from tests.support.anvil import Anvil, mine, send_eth, wait_for_receipt
from tests.support.factories import make_owner, make_product

SHOP_ADDRESS = "0x00000000000000000000000000000000c0ffee02"


@pytest.fixture
def settings(tmp_path: Path, anvil: Anvil) -> Settings:
    toml = f"""
[shop]
name = "{SHOP_NAME}"
default_locale = "ja"
[media]
dir = "media"
[discord]
enabled = true
[rates]
source = "fixed"
[rates.fixed]
ETH = "450000"
[[payments.methods]]
id = "eth"
chain = "evm"
chain_id = {anvil.chain_id}
rpc_url = "{anvil.url}"
asset = "ETH"
decimals = 18
receive_address = "{SHOP_ADDRESS}"
confirmations = 1
"""
    return parse_settings(toml, tmp_path, {"DISCORD_BOT_TOKEN": "test-token"})


@pytest.fixture
async def chain_payments(settings: Settings, shop: Shop, clock: FakeClock) -> AsyncIterator[Payments]:
    async with open_payments(settings, shop, clock=clock) as payments:
        yield payments


@pytest.fixture
def payments(chain_payments: Payments) -> PaymentService:
    return chain_payments.service


async def test_from_share_to_paid_on_a_real_chain(
        simcord_env: Any, channel: Any, buyer: Any, other_buyer: Any, shop: Shop, simcord_bot: ShopBot,
        translator: Translator, chain_payments: Payments, anvil: Anvil, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title="Gift card", price="4500", kind="digital")
    await shop.catalog.add_digital_items(owner, product.variants[0].id, ["GIFT-0001"])
    sender = DiscordNotifier(simcord_bot, shop, translator, default_locale="ja", owner_ids=[], clock=clock)
    [backend] = chain_payments.backends.values()
    watcher = ChainWatcher(backend, chain_payments.records, shop.payments, clock=clock)

    await other_buyer.slash(channel, "share", name=str(product.id))
    post = channel.last_message
    checkout = await buyer.click(post, label=next(label for label in button_labels(post) if "Buy" in label))
    summary = await buyer.select(checkout.response, ["eth"])
    [payment] = (await buyer.click(summary.response, label="✅ Confirm and pay")).followups
    uri = decode_qr(await payment.attachments[0].read())
    wei = int(uri.split("value=")[1])
    assert uri == f"ethereum:{checksum_address(SHOP_ADDRESS)}@{anvil.chain_id}?value={wei}"
    assert 10**16 <= wei < 10**16 + 10**6  # ¥4,500 at ¥450,000/ETH, plus the order's offset

    wait_for_receipt(anvil, send_eth(anvil, anvil.accounts[0], SHOP_ADDRESS, wei))  # anvil may answer before mining
    mine(anvil, 1)
    await watcher.step()
    await sender.send_due()

    customer = await shop.customers.identify("discord", buyer.id)
    [order] = await shop.orders.history(customer.id)
    assert order.status in (OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.DELIVERED)
    texts = [m.content for m in buyer.user.dm_channel.history() if m.author.bot]
    assert any(f"#{order.id}" in text and "Payment confirmed" in text for text in texts), texts
    assert any("`GIFT-0001`" in text for text in texts), texts
