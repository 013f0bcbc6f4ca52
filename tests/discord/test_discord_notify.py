"""Discord notifications by DM (the outbox sender's Discord channel) on a real shop, driven by simcord: what a
buyer reads in their DMs, in their language; closed DMs; staff hearing about a buyer nobody can reach."""

from __future__ import annotations

from typing import Any

import pytest

from bots.discord.app import ShopBot
from bots.discord.notifier import DiscordNotifier, quote, to_markdown
from bots.i18n import Translator
from commerce.shop import Shop
from tests.conftest import FakeClock
from tests.support.factories import make_owner, make_product

OWNER_ID = 990_001


@pytest.fixture
def notifier(simcord_bot: ShopBot, shop: Shop, translator: Translator, clock: FakeClock) -> DiscordNotifier:
    return DiscordNotifier(simcord_bot, shop, translator, default_locale="ja", owner_ids=[], clock=clock)


def dms(user: Any) -> list[str]:
    """Every DM the bot sent this user, oldest first."""
    return [m.content for m in user.user.dm_channel.history() if m.author.bot]


async def a_customer(shop: Shop, member: Any, locale: str) -> int:
    customer = await shop.customers.identify("discord", member.id, display_name=member.name)
    await shop.customers.set_locale(customer.id, locale)
    return customer.id


async def an_order(shop: Shop, buyer: int, *, keys: list[str] | None = None) -> int:
    owner = await make_owner(shop)
    if keys:
        variant_id = (await make_product(shop, owner, title="E-book *PDF*", kind="digital")).variants[0].id
        await shop.catalog.add_digital_items(owner, variant_id, keys)
        return (await shop.orders.checkout(buyer, items=[(variant_id, len(keys))])).id
    from tests.integration.test_order_lifecycle import HOME

    variant_id = (await make_product(shop, owner, stock=5)).variants[0].id
    return (await shop.orders.checkout(buyer, items=[(variant_id, 1)], address=HOME)).id


def test_markdown_from_the_notice_subset_keeps_values_inert() -> None:
    text = f"<b>Order #1</b>\n<code>{quote('KEY_*1*`<x>&')}</code>\n{quote('**bold** @everyone <b>')}"
    assert to_markdown(text) == "**Order #1**\n`` KEY_*1*`<x>& ``\n\\*\\*bold\\*\\* @everyone <b>"
    assert to_markdown("<blockquote>a\nb</blockquote>") == "> a\n> b"


async def test_paid_arrives_by_dm_in_the_buyers_language(simcord_env: Any, buyer: Any, shop: Shop,
                                                         notifier: DiscordNotifier) -> None:
    customer = await a_customer(shop, buyer, "ja")
    order_id = await an_order(shop, customer)
    await shop.payments.payment_confirmed(order_id)

    await notifier.send_due()

    [paid] = dms(buyer)
    assert paid.startswith(f"**ご注文 #{order_id}**") and "お支払い" in paid
