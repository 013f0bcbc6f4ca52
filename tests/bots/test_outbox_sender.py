"""One outbox sender, several platforms: where a buyer's notification goes, and what happens when it can't.

Telegram is the real channel on teremok's recording bot; a second platform is a small recording channel
that behaves as the Discord one must (refuses with Unreachable when DMs are closed, asks to slow down).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiogram.methods import SendMessage
from sqlalchemy import select
from teremok import MockBot

from bots.common.outbox_sender import OutboxSender, RetryLater, Unreachable, platform_unreachable
from bots.common.platforms import DISCORD
from bots.i18n import Translator
from bots.telegram.handlers.buyer.reviews_views import ReviewCallback
from bots.telegram.notifier import TelegramChannel
from commerce.message_refs import Contact
from commerce.outbox import MAX_ATTEMPTS, OutboxItem
from commerce.shop import Shop
from commerce.storage.tables import Identity
from tests.bots.test_telegram_notifier import OWNER_CHAT, a_buyer, an_order, outbox_rows, to_chat
from tests.conftest import FakeClock
from tests.support.factories import make_owner

DISCORD_USER = "555000111"


class RecordingChannel:
    """A second platform: records what it was asked to deliver; can refuse or pause like a real one."""

    platform = DISCORD

    def __init__(self) -> None:
        self.delivered: list[tuple[str, str]] = []  # (topic, external id)
        self.staff: list[str] = []
        self.refuse: type[Exception] | None = None
        self.retry: RetryLater | None = None

    async def to_buyer(self, item: OutboxItem, contact: Contact) -> None:
        if self.retry is not None:
            raise self.retry
        if self.refuse is not None:
            raise self.refuse("Cannot send messages to this user")
        self.delivered.append((item.topic, contact.external_id))

    async def to_staff(self, item: OutboxItem) -> None:
        self.staff.append(item.topic)

    async def to_staff_about_unreachable(self, item: OutboxItem) -> None:
        self.staff.append(f"unreachable:{item.topic}")


@pytest.fixture
def bot() -> MockBot:
    return MockBot()


@pytest.fixture
def other() -> RecordingChannel:
    return RecordingChannel()


@pytest.fixture
def sender(bot: MockBot, other: RecordingChannel, shop: Shop, translator: Translator,
           clock: FakeClock) -> OutboxSender:
    sender = OutboxSender(shop, clock=clock)
    sender.attach(TelegramChannel(bot, shop, translator, default_locale="en", owners_chat_ids=[OWNER_CHAT]))
    sender.attach(other)
    return sender


async def link_discord(shop: Shop, customer_id: int, external_id: str = DISCORD_USER) -> None:
    async with shop.db.uow() as uow:
        uow.session.add(Identity(customer_id=customer_id, platform=DISCORD, external_id=external_id))
        await uow.commit()


async def test_the_platform_showing_the_payment_card_hears_first(
        shop: Shop, bot: MockBot, other: RecordingChannel, sender: OutboxSender) -> None:
    buyer, chat = await a_buyer(shop, "en")
    await link_discord(shop, buyer)
    order_id = await an_order(shop, buyer)
    await shop.message_refs.remember(order_id=order_id, platform=DISCORD, chat_id=int(DISCORD_USER), message_id=9)
    await shop.payments.payment_seen(order_id)

    await sender.send_due()
    assert other.delivered == [("order.payment_seen", DISCORD_USER)]
    assert to_chat(bot, chat) == []
    assert "order.created" in other.staff and any(f"#{order_id}" in text for text in to_chat(bot, OWNER_CHAT))


async def test_closed_dms_fall_back_to_the_other_linked_platform(
        shop: Shop, bot: MockBot, other: RecordingChannel, sender: OutboxSender) -> None:
    buyer, chat = await a_buyer(shop, "en")
    await link_discord(shop, buyer)
    order_id = await an_order(shop, buyer)
    await shop.message_refs.remember(order_id=order_id, platform=DISCORD, chat_id=int(DISCORD_USER), message_id=9)
    other.refuse = Unreachable
    await shop.payments.payment_confirmed(order_id)

    await sender.send_due()
    assert "Payment confirmed" in to_chat(bot, chat)[-1]
    [row] = [r for r in await outbox_rows(shop, "order.payment_confirmed") if r.customer_id == buyer]
    assert row.sent_at is not None
    async with shop.db.uow(write=False) as uow:
        identity = (await uow.session.execute(select(Identity).where(Identity.platform == DISCORD))).scalar_one()
        assert identity.unreachable_since is not None  # not tried again until they write to the shop


async def test_a_buyer_reachable_nowhere_is_reported_to_the_staff(
        shop: Shop, bot: MockBot, other: RecordingChannel, sender: OutboxSender, clock: FakeClock) -> None:
    buyer, _ = await a_buyer(shop, "en")
    order_id = await an_order(shop, buyer)
    await sender.send_due()
    async with shop.db.uow() as uow:  # they blocked the bot on Telegram, their only platform
        identity = (await uow.session.execute(select(Identity).where(Identity.customer_id == buyer))).scalar_one()
        identity.unreachable_since = clock()
        await uow.commit()
    await shop.payments.payment_confirmed(order_id)

    await sender.send_due()
    [row] = [r for r in await outbox_rows(shop, "order.payment_confirmed") if r.customer_id == buyer]
    assert row.failed_at is not None and row.last_error == "buyer unreachable"
    assert f"The buyer of order #{order_id} could not be reached" in to_chat(bot, OWNER_CHAT)[-2]
    assert "unreachable:order.payment_confirmed" in other.staff


async def test_flood_control_on_one_platform_does_not_hold_up_the_other(
        shop: Shop, bot: MockBot, other: RecordingChannel, sender: OutboxSender, clock: FakeClock) -> None:
    on_discord = await shop.customers.identify(DISCORD, DISCORD_USER)
    discord_order = await an_order(shop, on_discord.id)
    telegram_buyer, chat = await a_buyer(shop, "en")
    telegram_order = await an_order(shop, telegram_buyer)
    other.retry = RetryLater("rate limited", delay=timedelta(seconds=20), pause=True)
    await shop.payments.payment_seen(discord_order)
    await shop.payments.payment_seen(telegram_order)

    await sender.send_due()
    assert "Payment seen" in to_chat(bot, chat)[-1]
    [waiting] = [r for r in await outbox_rows(shop, "order.payment_seen") if r.customer_id == on_discord.id]
    assert waiting.sent_at is None and waiting.next_attempt_at == clock() + timedelta(seconds=20)

    other.retry = None
    clock.advance(seconds=20)
    await sender.send_due()
    assert other.delivered == [("order.payment_seen", DISCORD_USER)]


async def test_a_platform_away_for_longer_than_every_retry_delays_the_notice_but_never_loses_it(
        shop: Shop, other: RecordingChannel, sender: OutboxSender, clock: FakeClock) -> None:
    on_discord = await shop.customers.identify(DISCORD, DISCORD_USER)
    order_id = await an_order(shop, on_discord.id)
    other.retry = platform_unreachable("ClientConnectorError: Cannot connect to host discord.com:443")
    await shop.payments.payment_confirmed(order_id)

    for _ in range(MAX_ATTEMPTS * 2):  # Discord away for eight hours: the notice waits
        await sender.send_due()
        clock.advance(minutes=30)  # past the longest retry delay, and past OUTAGE_PAUSE
    [waiting] = [r for r in await outbox_rows(shop, "order.payment_confirmed") if r.customer_id == on_discord.id]
    assert waiting.sent_at is None and waiting.failed_at is None and waiting.attempts == 0

    other.retry = None  # Discord answers again
    await sender.send_due()
    assert ("order.payment_confirmed", DISCORD_USER) in other.delivered


async def test_the_shops_reply_to_a_ticket_reaches_the_buyer_word_for_word(
        shop: Shop, bot: MockBot, sender: OutboxSender) -> None:
    buyer, chat = await a_buyer(shop, "en")
    owner = await make_owner(shop)
    ticket = await shop.support.open(buyer, "Where is my <parcel>?")
    await shop.support.reply(owner, ticket.id, "It left today & arrives <b>tomorrow</b>.")

    await sender.send_due()
    relayed = to_chat(bot, chat)[-1]
    assert f"support request #{ticket.id}" in relayed
    assert "It left today &amp; arrives &lt;b&gt;tomorrow&lt;/b&gt;." in relayed
    assert "Where is my &lt;parcel&gt;?" in to_chat(bot, OWNER_CHAT)[-1]  # and the buyer's words reach the staff


async def test_a_delivered_order_invites_a_review(shop: Shop, bot: MockBot, sender: OutboxSender) -> None:
    buyer, chat = await a_buyer(shop, "en")
    order_id = await an_order(shop, buyer)
    await shop.payments.payment_confirmed(order_id)
    owner = (await shop.sellers.staff())[0].customer_id
    await shop.fulfilment.ship(owner, order_id, "JP123")
    await shop.fulfilment.deliver(owner, order_id)

    await sender.send_due()
    [delivered] = [r for r in bot.requests.send_message
                   if isinstance(r, SendMessage) and r.chat_id == chat and "delivered" in r.text]
    assert "leave a review" in delivered.text
    assert delivered.reply_markup is not None
    [[button]] = delivered.reply_markup.inline_keyboard
    assert ReviewCallback.unpack(button.callback_data or "").order_id == order_id


async def test_nothing_goes_out_until_every_expected_platform_is_attached(
        shop: Shop, bot: MockBot, other: RecordingChannel, translator: Translator, clock: FakeClock) -> None:
    """`chatshop run` with both bots: Discord logs in after Telegram starts. A Discord-only buyer must not be
    found "unreachable" in between."""
    sender = OutboxSender(shop, clock=clock, expect=["telegram", DISCORD])
    sender.attach(TelegramChannel(bot, shop, translator, default_locale="en", owners_chat_ids=[OWNER_CHAT]))
    buyer, _chat = await a_buyer(shop, "en")
    await link_discord(shop, buyer)
    order_id = await an_order(shop, buyer)
    await shop.payments.payment_confirmed(order_id)

    assert await sender.send_due() == 0
    [row] = [r for r in await outbox_rows(shop, "order.payment_confirmed") if r.customer_id == buyer]
    assert row.sent_at is None and row.failed_at is None and row.attempts == 0  # waiting, not given up on

    sender.attach(other)
    await sender.send_due()
    [row] = [r for r in await outbox_rows(shop, "order.payment_confirmed") if r.customer_id == buyer]
    assert row.sent_at is not None
