"""Discord notifications by DM (the outbox sender's Discord channel) on a real shop, driven by simcord: what a
buyer reads in their DMs, in their language; closed DMs; staff hearing about a buyer nobody can reach."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from bots.common.rich_text import escape, parse
from bots.discord.app import ShopBot
from bots.discord.notifier import DiscordNotifier, to_markdown
from bots.i18n import Translator
from commerce.payment_records import PaymentRecords, RequestDraft
from commerce.shop import Shop
from tests.conftest import FakeClock
from tests.support.factories import make_owner, make_product


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
    text = f"<b>Order #1</b>\n<code>{escape('KEY_*1*`<x>&')}</code>\n{escape('**bold** @everyone <b>')}"
    assert to_markdown(parse(text)) == "**Order #1**\n`` KEY_*1*`<x>& ``\n\\*\\*bold\\*\\* @everyone <b>"
    assert to_markdown(parse("<blockquote>a\nb</blockquote>")) == "> a\n> b"


async def test_paid_arrives_by_dm_in_the_buyers_language(simcord_env: Any, buyer: Any, shop: Shop,
                                                         notifier: DiscordNotifier) -> None:
    customer = await a_customer(shop, buyer, "ja")
    order_id = await an_order(shop, customer)
    await shop.payments.payment_confirmed(order_id)

    await notifier.send_due()

    [paid] = dms(buyer)
    assert paid.startswith(f"**ご注文 #{order_id}**") and "お支払い" in paid


async def test_an_underpayment_shows_the_exact_remainder_in_english(
        simcord_env: Any, buyer: Any, shop: Shop, notifier: DiscordNotifier, clock: FakeClock) -> None:
    customer = await a_customer(shop, buyer, "en")
    order_id = await an_order(shop, customer)
    await PaymentRecords(shop.db, clock).open_request(customer, order_id, RequestDraft(
        method_id="btc", chain="bitcoin", asset="BTC", token=None, decimals=8, address="bc1qexample",
        amount_units=100_000, price=Decimal("15000000"), uri="bitcoin:bc1qexample?amount=0.001", confirmations=2,
        expires_at=clock() + timedelta(minutes=30), late_until=clock() + timedelta(hours=24), due_minor=1200))
    await shop.payments.underpaid(order_id, remaining_units=12_345, remaining="0.00012345 BTC",
                                  address="bc1qexample")

    await notifier.send_due()

    text = dms(buyer)[-1]
    assert "`0.00012345 BTC`" in text and "less than the full amount" in text and "<code>" not in text


async def test_shipping_news_carries_the_tracking_number_in_japanese(
        simcord_env: Any, buyer: Any, shop: Shop, notifier: DiscordNotifier) -> None:
    customer = await a_customer(shop, buyer, "ja")
    order_id = await an_order(shop, customer)
    await shop.payments.payment_confirmed(order_id)
    owner = (await shop.sellers.staff())[0].customer_id
    await shop.fulfilment.ship(owner, order_id, "JP_123*<x>")

    await notifier.send_due()

    assert "追跡番号：`JP_123*<x>`" in dms(buyer)[-1]  # copyable as typed: no escapes inside the code span


async def test_digital_keys_arrive_by_dm_each_copyable(simcord_env: Any, buyer: Any, shop: Shop,
                                                       notifier: DiscordNotifier) -> None:
    customer = await a_customer(shop, buyer, "en")
    order_id = await an_order(shop, customer, keys=["KEY_A*1", "KEY-B2"])
    await shop.payments.payment_confirmed(order_id)

    await notifier.send_due()

    paid, keys = dms(buyer)
    assert f"**Order #{order_id}**" in paid and "Payment confirmed" in paid
    assert "`KEY_A*1`" in keys and "`KEY-B2`" in keys
    assert "E-book \\*PDF\\*" in keys  # the seller's title can't turn into formatting


async def test_status_news_edits_the_dm_payment_message_in_place(
        simcord_env: Any, buyer: Any, shop: Shop, notifier: DiscordNotifier) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title="Tea", price="1500", kind="digital")
    await shop.catalog.add_digital_items(owner, product.variants[0].id, ["TEA-1"])
    dm = buyer.user
    card = (await dm.slash("product", name="Tea")).response
    checkout = await dm.click(card, label="⚡ Buy now")
    summary = await dm.select(checkout.response, ["usdt-eth"])
    [payment] = (await dm.click(summary.response, label="✅ Confirm and pay")).followups
    assert payment.attachments  # the QR
    customer = await shop.customers.identify("discord", buyer.id)
    [order] = await shop.orders.history(customer.id)
    await shop.customers.set_locale(customer.id, "en")

    await shop.payments.payment_seen(order.id)
    await notifier.send_due()

    edited = dm.dm_channel.history()[-1]
    assert edited.id == payment.id and "seen" in edited.content.lower() and not edited.attachments


async def test_closed_dms_tell_the_seller_and_the_buyer_at_their_next_interaction(
        simcord_env: Any, channel: Any, buyer: Any, other_buyer: Any, shop: Shop, simcord_bot: ShopBot,
        translator: Translator, clock: FakeClock) -> None:
    seller = other_buyer  # an owner on Discord: bot.toml says so
    await shop.sellers.bootstrap_owners([f"discord:{seller.id}"])
    notifier = DiscordNotifier(simcord_bot, shop, translator, default_locale="en", owner_ids=[seller.id],
                               clock=clock)
    customer = await a_customer(shop, buyer, "en")
    order_id = await an_order(shop, customer)
    await notifier.send_due()
    assert dms(seller) == [f"🛒 New order #{order_id} is waiting for payment."]  # staff news by DM
    simcord_env.inject_error("POST", f"/channels/{buyer.user.dm_channel.id}/messages", status=403, code=50007,
                             message="Cannot send messages to this user", times=None)
    await shop.payments.payment_confirmed(order_id)

    await notifier.send_due()

    assert dms(buyer) == []
    assert f"📵 The buyer of order #{order_id} could not be reached." in "\n".join(dms(seller))  # the seller
    assert await shop.message_refs.unreachable_since("discord", buyer.id) is not None

    answered = await buyer.slash(channel, "cart")

    [told] = answered.followups
    assert told.ephemeral
    assert told.content.startswith("📭 I couldn't DM you") and "Here is what you missed:" in told.content
    assert f"**Order #{order_id}**" in told.content and "Payment confirmed" in told.content
    assert await shop.message_refs.unreachable_since("discord", buyer.id) is None  # DMs are tried again
    again = await buyer.slash(channel, "cart")
    assert again.followups == []  # told once


async def test_discord_trouble_is_retried_later_and_the_message_kept(
        simcord_env: Any, buyer: Any, shop: Shop, notifier: DiscordNotifier, clock: FakeClock) -> None:
    customer = await a_customer(shop, buyer, "en")
    order_id = await an_order(shop, customer)
    await shop.payments.payment_confirmed(order_id)
    simcord_env.inject_error("POST", f"/channels/{buyer.user.dm_channel.id}/messages", status=503, times=1)

    await notifier.send_due()
    assert dms(buyer) == []
    assert await shop.message_refs.unreachable_since("discord", buyer.id) is None  # not the buyer's doing

    clock.advance(minutes=1)
    await notifier.send_due()
    [paid] = dms(buyer)
    assert "Payment confirmed" in paid


async def test_the_ephemeral_payment_message_in_a_server_follows_the_payment_live(
        simcord_env: Any, channel: Any, buyer: Any, shop: Shop, notifier: DiscordNotifier) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title="Tea", price="1500", kind="digital")
    await shop.catalog.add_digital_items(owner, product.variants[0].id, ["TEA-1"])
    card = (await buyer.slash(channel, "product", name="Tea")).response
    checkout = await buyer.click(card, label="⚡ Buy now")
    summary = await buyer.select(checkout.response, ["usdt-eth"])
    paying = await buyer.click(summary.response, label="✅ Confirm and pay")
    [payment] = paying.followups
    assert payment.ephemeral and payment.attachments  # only the buyer sees it, with the QR
    customer = await shop.customers.identify("discord", buyer.id)
    await shop.customers.set_locale(customer.id, "en")
    [order] = await shop.orders.history(customer.id)

    await shop.payments.payment_seen(order.id)
    await shop.payments.confirmation_progress(order.id, confirmations=3, required=12)
    await notifier.send_due()
    [live] = paying.followups
    assert "3/12" in live.content and not live.attachments  # edited in place; the QR is of no use now
    assert not any("3/12" in text for text in dms(buyer))  # a counter is not worth a DM of its own
    assert any("seen" in text.lower() for text in dms(buyer))  # it may have been dismissed: news still comes

    await shop.payments.payment_confirmed(order.id)
    await notifier.send_due()
    [done] = paying.followups
    assert "confirmed" in done.content.lower()
    assert any("confirmed" in text.lower() for text in dms(buyer))
