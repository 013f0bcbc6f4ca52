"""The Telegram notification sender on a real shop: what buyers and staff see, and what Telegram's refusals do.

Orders and payments go through the core; teremok's bot records every Bot API call, checks its HTML the
way Telegram would, and answers with queued errors (flood control, a blocked bot) when told to.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from aiogram.methods import EditMessageCaption, SendMessage
from aiogram.methods.base import Response
from aiogram.types import Message, ResponseParameters
from sqlalchemy import select
from teremok import MockBot

from bots.i18n import Translator
from bots.telegram.notifier import TelegramNotifier
from commerce.events import notify
from commerce.payment_records import PaymentRecords, RequestDraft
from commerce.shop import Shop
from commerce.storage.tables import Identity, OutboxMessage
from commerce.topics import Topic
from tests.conftest import FakeClock
from tests.support.factories import make_buyer, make_owner, make_product

OWNER_CHAT = 777_001
SECOND_OWNER_CHAT = 777_002


@pytest.fixture
def bot() -> MockBot:
    return MockBot()


@pytest.fixture
def notifier(bot: MockBot, shop: Shop, translator: Translator, clock: FakeClock) -> TelegramNotifier:
    return TelegramNotifier(bot, shop, translator, default_locale="ja", owners_chat_ids=[OWNER_CHAT, SECOND_OWNER_CHAT],
                            clock=clock)


async def a_buyer(shop: Shop, locale: str = "en") -> tuple[int, int]:
    """(customer id, Telegram chat id) of a buyer who chose `locale`."""
    customer_id = await make_buyer(shop)
    await shop.customers.set_locale(customer_id, locale)
    [identity] = (await shop.customers.get(customer_id)).identities
    return customer_id, int(identity.split(":")[1])


async def an_order(shop: Shop, buyer: int, *, keys: list[str] | None = None) -> int:
    """A physical order (or, with `keys`, a digital one) awaiting payment."""
    owner = await make_owner(shop)
    if keys:
        variant_id = (await make_product(shop, owner, title="E-book <PDF>", kind="digital")).variants[0].id
        await shop.catalog.add_digital_items(owner, variant_id, keys)
        return (await shop.orders.checkout(buyer, items=[(variant_id, len(keys))])).id
    from tests.integration.test_order_lifecycle import HOME

    variant_id = (await make_product(shop, owner, stock=5)).variants[0].id
    return (await shop.orders.checkout(buyer, items=[(variant_id, 1)], address=HOME)).id


def to_chat(bot: MockBot, chat_id: int) -> list[str]:
    return [r.text for r in bot.requests.send_message if isinstance(r, SendMessage) and r.chat_id == chat_id]


def caption_edits(bot: MockBot) -> list[EditMessageCaption]:
    return [r for r in bot.requests.edit_message_caption if isinstance(r, EditMessageCaption)]


async def outbox_rows(shop: Shop, topic: str | None = None) -> list[OutboxMessage]:
    """The outbox as it stands (copies, readable after the unit of work ends)."""
    async with shop.db.uow(write=False) as uow:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if topic:
            query = query.where(OutboxMessage.topic == topic)
        return [OutboxMessage.model_validate(row.model_dump()) for row in (await uow.session.execute(query)).scalars()]


def fail_next(bot: MockBot, method: type[Any], code: int, description: str, **parameters: Any) -> None:
    bot.mock_session.add_result(method, Response[Message](
        ok=False, error_code=code, description=description,
        parameters=ResponseParameters(**parameters) if parameters else None))


@pytest.mark.parametrize(("locale", "seen", "paid"), [
    ("ja", "お支払いを確認しました。承認をお待ちください", "お支払いが完了しました"),
    ("en", "Payment seen — waiting for confirmations", "Payment confirmed"),
])
async def test_a_paid_order_is_announced_to_the_buyer_in_their_language(
        shop: Shop, bot: MockBot, notifier: TelegramNotifier, locale: str, seen: str, paid: str) -> None:
    buyer, chat = await a_buyer(shop, locale)
    order_id = await an_order(shop, buyer)
    await shop.payments.payment_seen(order_id)
    await shop.payments.payment_confirmed(order_id)

    assert await notifier.send_due() == 4  # created (staff), seen, paid (buyer), paid (staff)
    texts = to_chat(bot, chat)
    assert len(texts) == 2 and seen in texts[0] and paid in texts[1]
    assert f"#{order_id}" in texts[1]
    assert all(row.sent_at is not None for row in await outbox_rows(shop))
    assert await notifier.send_due() == 0


async def test_the_payment_card_is_edited_in_place_through_confirmations(
        shop: Shop, bot: MockBot, notifier: TelegramNotifier) -> None:
    buyer, chat = await a_buyer(shop, "en")
    order_id = await an_order(shop, buyer)
    await shop.message_refs.remember(order_id=order_id, platform="telegram", chat_id=chat, message_id=77,
                                     kind="payment")
    await shop.payments.payment_seen(order_id)
    await shop.payments.confirmation_progress(order_id, confirmations=1, required=2)
    await shop.payments.payment_confirmed(order_id)

    await notifier.send_due()
    edits = caption_edits(bot)
    assert [(e.chat_id, e.message_id) for e in edits] == [(chat, 77)] * 3
    assert "waiting for confirmations" in (edits[0].caption or "")
    assert "1/2 confirmations" in (edits[1].caption or "")
    assert "Payment confirmed" in (edits[2].caption or "")
    assert to_chat(bot, chat) == []  # status news edits the card, it does not pile up messages


async def test_a_card_that_can_no_longer_be_edited_gets_a_new_message(
        shop: Shop, bot: MockBot, notifier: TelegramNotifier) -> None:
    buyer, chat = await a_buyer(shop, "en")
    order_id = await an_order(shop, buyer)
    await shop.message_refs.remember(order_id=order_id, platform="telegram", chat_id=chat, message_id=5)
    fail_next(bot, EditMessageCaption, 400, "Bad Request: message to edit not found")
    await shop.payments.payment_seen(order_id)

    await notifier.send_due()
    assert len(caption_edits(bot)) == 1
    [text] = to_chat(bot, chat)
    assert "Payment seen" in text


async def test_confirmations_without_a_card_are_a_message_with_n_of_n(
        shop: Shop, bot: MockBot, notifier: TelegramNotifier) -> None:
    buyer, chat = await a_buyer(shop, "ja")
    order_id = await an_order(shop, buyer)
    await shop.payments.payment_seen(order_id)
    await shop.payments.confirmation_progress(order_id, confirmations=2, required=3)

    await notifier.send_due()
    assert "承認 2/3" in to_chat(bot, chat)[-1]


async def test_an_underpayment_shows_the_exact_remainder_in_the_asset(
        shop: Shop, bot: MockBot, notifier: TelegramNotifier, clock: FakeClock) -> None:
    buyer, chat = await a_buyer(shop, "en")
    order_id = await an_order(shop, buyer)
    await PaymentRecords(shop.db, clock).open_request(buyer, order_id, RequestDraft(
        method_id="btc", chain="bitcoin", asset="BTC", token=None, decimals=8, address="bc1qexample",
        amount_units=100_000, price=Decimal("15000000"), uri="bitcoin:bc1qexample?amount=0.001", confirmations=2,
        expires_at=clock() + timedelta(minutes=30), late_until=clock() + timedelta(hours=24), due_minor=1200))
    await shop.payments.payment_seen(order_id)
    await shop.payments.underpaid(order_id, remaining_units=12_345, remaining="0.00012345 BTC",
                                  address="bc1qexample")

    await notifier.send_due()
    text = to_chat(bot, chat)[-1]
    assert "<code>0.00012345 BTC</code>" in text and "less than the full amount" in text


async def test_digital_keys_are_delivered_each_in_code(shop: Shop, bot: MockBot, notifier: TelegramNotifier) -> None:
    buyer, chat = await a_buyer(shop, "en")
    order_id = await an_order(shop, buyer, keys=["KEY-<A>&1", "KEY-B2"])
    await shop.payments.payment_confirmed(order_id)

    await notifier.send_due()
    delivery = to_chat(bot, chat)[-1]
    assert "<code>KEY-&lt;A&gt;&amp;1</code>" in delivery and "<code>KEY-B2</code>" in delivery
    assert "E-book &lt;PDF&gt;" in delivery


async def test_shipping_news_carries_the_tracking_number_escaped(
        shop: Shop, bot: MockBot, notifier: TelegramNotifier) -> None:
    buyer, chat = await a_buyer(shop, "ja")
    order_id = await an_order(shop, buyer)
    await shop.payments.payment_confirmed(order_id)
    owner = (await shop.sellers.staff())[0].customer_id
    await shop.fulfilment.ship(owner, order_id, "JP<123>&")

    await notifier.send_due()
    assert "追跡番号：<code>JP&lt;123&gt;&amp;</code>" in to_chat(bot, chat)[-1]


async def test_flood_control_retries_after_the_delay_telegram_asks_for(
        shop: Shop, bot: MockBot, notifier: TelegramNotifier, clock: FakeClock) -> None:
    buyer, chat = await a_buyer(shop, "en")
    order_id = await an_order(shop, buyer)
    await notifier.send_due()  # the staff's "new order" goes out first
    await shop.payments.payment_seen(order_id)
    fail_next(bot, SendMessage, 429, "Too Many Requests: retry after 30", retry_after=30)

    await notifier.send_due()
    [row] = await outbox_rows(shop, "order.payment_seen")
    assert row.sent_at is None and row.failed_at is None and row.attempts == 1
    assert row.next_attempt_at == clock() + timedelta(seconds=30)

    clock.advance(seconds=29)
    assert await notifier.send_due() == 0
    clock.advance(seconds=1)
    await notifier.send_due()
    [row] = await outbox_rows(shop, "order.payment_seen")
    assert row.sent_at is not None
    assert len(to_chat(bot, chat)) == 2 and "Payment seen" in to_chat(bot, chat)[-1]  # the refused try, then this


async def test_a_buyer_who_blocked_the_bot_is_not_retried_and_others_still_hear(
        shop: Shop, bot: MockBot, notifier: TelegramNotifier) -> None:
    blocked, blocked_chat = await a_buyer(shop, "en")
    other, other_chat = await a_buyer(shop, "ja")
    blocked_order = await an_order(shop, blocked)
    other_order = await an_order(shop, other)
    await notifier.send_due()
    await shop.payments.payment_seen(blocked_order)
    await shop.payments.confirmation_progress(blocked_order, confirmations=1, required=2)
    await shop.payments.payment_seen(other_order)
    fail_next(bot, SendMessage, 403, "Forbidden: bot was blocked by the user")

    await notifier.send_due()
    assert len(to_chat(bot, blocked_chat)) == 1  # one refused try, the next message is not attempted
    assert "お支払いを確認しました" in to_chat(bot, other_chat)[-1]
    for row in await outbox_rows(shop):
        if row.customer_id == blocked:
            assert row.failed_at is not None and row.sent_at is None
    async with shop.db.uow(write=False) as uow:
        identity = (await uow.session.execute(select(Identity).where(Identity.customer_id == blocked))).scalar_one()
        assert identity.unreachable_since is not None

    await shop.payments.payment_confirmed(blocked_order)
    await notifier.send_due()
    assert len(to_chat(bot, blocked_chat)) == 1
    assert all(row.failed_at is not None for row in await outbox_rows(shop) if row.customer_id == blocked)


async def test_sellers_hear_that_an_order_was_paid(shop: Shop, bot: MockBot, notifier: TelegramNotifier) -> None:
    buyer, _ = await a_buyer(shop, "en")
    order_id = await an_order(shop, buyer)
    await shop.payments.payment_confirmed(order_id)

    await notifier.send_due()
    for chat in (OWNER_CHAT, SECOND_OWNER_CHAT):
        assert f"ご注文 #{order_id} のお支払いが完了しました" in to_chat(bot, chat)[-1]
        assert f"新しいご注文 #{order_id}" in to_chat(bot, chat)[0]


async def test_server_errors_back_off_and_unknown_topics_are_not_looped_on(
        shop: Shop, bot: MockBot, notifier: TelegramNotifier, clock: FakeClock) -> None:
    buyer, chat = await a_buyer(shop, "en")
    async with shop.db.uow() as uow:
        notify(uow.session, topic="mystery.topic", at=clock(), customer_id=buyer, secret="s3cr3t")  # type: ignore[arg-type]  # a topic from a newer version
        notify(uow.session, topic=Topic.ORDER_PAYMENT_SEEN, at=clock(), customer_id=buyer, order_id=1)
        await uow.commit()
    fail_next(bot, SendMessage, 502, "Bad Gateway")

    assert await notifier.send_due() == 2
    mystery, seen = await outbox_rows(shop)
    assert mystery.sent_at is not None and seen.sent_at is None
    # Telegram itself is in trouble: it is left alone for a few seconds, and the notice waits without using up
    # one of its attempts (bots/common/outbox_sender.py, `platform_unreachable`)
    assert seen.attempts == 0
    sent = len(bot.requests.send_message)
    assert await notifier.send_due() == 0 and len(bot.requests.send_message) == sent
    assert all("s3cr3t" not in r.text for r in bot.requests.send_message if isinstance(r, SendMessage))

    clock.advance(seconds=5)
    await notifier.send_due()
    assert "Payment seen" in to_chat(bot, chat)[-1]


async def test_the_loop_survives_a_broken_message_and_stops_when_told(
        shop: Shop, bot: MockBot, translator: Translator, clock: FakeClock) -> None:
    buyer, chat = await a_buyer(shop, "en")
    async with shop.db.uow() as uow:
        # a refund notice without its amount: a bug elsewhere must not stop the sender
        notify(uow.session, topic=Topic.PAYMENT_REFUND_DUE, at=clock(), customer_id=buyer, order_id=1)
        notify(uow.session, topic=Topic.ORDER_DELIVER, at=clock(), customer_id=buyer, order_id=1)
        await uow.commit()
    notifier = TelegramNotifier(bot, shop, translator, default_locale="en", owners_chat_ids=[], clock=clock)
    stop = asyncio.Event()
    task = asyncio.create_task(notifier.run(stop, interval=timedelta(milliseconds=10)))
    for _ in range(200):
        if to_chat(bot, chat):
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert "delivered" in to_chat(bot, chat)[0]
    broken, delivered = await outbox_rows(shop)
    assert broken.sent_at is None and broken.attempts == 1 and "KeyError" in (broken.last_error or "")
    assert delivered.sent_at is not None


async def test_a_blocked_buyers_failed_news_stays_failed_and_they_hear_again_once_they_come_back(
        shop: Shop, bot: MockBot, notifier: TelegramNotifier, clock: FakeClock) -> None:
    buyer, chat = await a_buyer(shop, "en")
    order_id = await an_order(shop, buyer)
    await notifier.send_due()
    await shop.payments.payment_seen(order_id)
    fail_next(bot, SendMessage, 403, "Forbidden: bot was blocked by the user")
    await notifier.send_due()
    assert len(to_chat(bot, chat)) == 1  # the refused try

    clock.advance(hours=6)  # long past any retry backoff: a block is not a hiccup, nothing is tried again
    await notifier.send_due()
    assert len(to_chat(bot, chat)) == 1
    [seen] = await outbox_rows(shop, "order.payment_seen")
    assert seen.failed_at is not None and seen.sent_at is None

    # The buyer unblocks the bot and writes to it (every update identifies them): reachable again.
    await shop.customers.identify("telegram", chat)
    await shop.payments.payment_confirmed(order_id)
    await notifier.send_due()
    assert len(to_chat(bot, chat)) == 2 and "Payment confirmed" in to_chat(bot, chat)[-1]
    assert "Payment seen" not in to_chat(bot, chat)[-1]  # the old news is not replayed
    [seen] = await outbox_rows(shop, "order.payment_seen")
    assert seen.sent_at is None
