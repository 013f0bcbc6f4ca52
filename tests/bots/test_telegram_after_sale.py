"""After the sale on Telegram: reviews of delivered orders, support tickets both ways, the buyer's own data
(export and erase), and /paysupport — through the real dispatcher, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable

import pytest
from aiogram import Dispatcher
from aiogram.methods import SendDocument
from sqlalchemy import select
from sqlmodel import col
from teremok import MockBot, MockMessageText

from bots.i18n import Translator
from bots.telegram import build_dispatcher
from bots.telegram.handlers.buyer.reviews_views import ReviewAction, ReviewCallback
from bots.telegram.handlers.buyer.support_views import SupportAction, SupportCallback
from bots.telegram.render import quote
from commerce.errors import (
    AlreadyReviewed,
    CustomerErased,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ReviewNotAllowed,
    TicketClosed,
)
from commerce.orders import OrderDTO
from commerce.shop import Shop
from commerce.storage.tables import Identity, OutboxMessage
from tests.bots.conftest import SHOP_NAME, TERMS
from tests.bots.telegram_chat import TelegramChat, alert, sent
from tests.integration.test_order_lifecycle import HOME
from tests.support.factories import make_owner, make_product

_staff_ids = itertools.count(800_000)
NewChat = Callable[..., TelegramChat]  # the `new_chat` fixture


@pytest.fixture
def dispatcher(shop: Shop, translator: Translator) -> Dispatcher:
    """The storefront; support must come before the catalog's catch-all search (a reply to a ticket message)."""
    dispatcher = build_dispatcher(shop, translator, shop_name=SHOP_NAME, terms=TERMS, default_locale="ja")
    names = [router.name for router in dispatcher.sub_routers]
    assert names.index("support") < names.index("catalog") and names[-2:] == ["errors", "stale_buttons"]
    return dispatcher


def said(tr: Translator, locale: str, key: str, **fields: object) -> str:
    """A message as the chat shows it (escaped once, like the handlers do)."""
    return quote(tr.text(locale, key, **fields))


def text_of(chat: TelegramChat) -> str:
    assert chat.last is not None and chat.last.text is not None
    return chat.last.text


async def customer_of(shop: Shop, chat: TelegramChat) -> int:
    return (await shop.customers.identify("telegram", chat.user.id)).id


async def paid_order(shop: Shop, buyer: TelegramChat, *, title: str = "Tea <cup> & saucer") -> tuple[int, OrderDTO]:
    """(owner, order): the buyer paid for one physical item; nothing shipped yet."""
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title=title, stock=5)
    order = await shop.orders.checkout(await customer_of(shop, buyer), items=[(product.variants[0].id, 1)],
                                       address=HOME)
    await shop.payments.payment_confirmed(order.id)
    return owner, order


async def delivered_order(shop: Shop, buyer: TelegramChat) -> OrderDTO:
    owner, order = await paid_order(shop, buyer)
    await shop.fulfilment.ship(owner, order.id, "JP123")
    await shop.fulfilment.deliver(owner, order.id)
    return order


async def outbox(shop: Shop, topic: str) -> list[OutboxMessage]:
    async with shop.db.uow(write=False) as uow:
        rows = (await uow.session.execute(select(OutboxMessage).where(col(OutboxMessage.topic) == topic)
                                          .order_by(col(OutboxMessage.id)))).scalars()
        return [OutboxMessage.model_validate(row.model_dump()) for row in rows]


async def staff_chat(bot: MockBot, shop: Shop, language_code: str = "en") -> TelegramChat:
    chat = TelegramChat(bot, next(_staff_ids), language_code=language_code)
    await shop.sellers.bootstrap_owners([f"telegram:{chat.user.id}"])
    return chat


async def reply_to(chat: TelegramChat, message_from_bot: object, text: str) -> None:
    """The user long-presses one of the bot's messages and answers it."""
    update = MockMessageText(text, user=chat.user, reply_to_message=message_from_bot)
    chat._track(await chat.bot.dispatch(update))


# ---- reviews ----


async def test_a_buyer_rates_a_delivered_order_and_the_review_is_shown_escaped(
        shop: Shop, buyer: TelegramChat, translator: Translator) -> None:
    order = await delivered_order(shop, buyer)
    line = order.lines[0]

    await buyer.send(f"/review {order.id}")
    stars_message = buyer.last
    assert text_of(buyer) == said(translator, "en", "review.rate_line", title=line.title, order=order.id)
    assert [label for label in buyer.labels()] == ["1★", "2★", "3★", "4★", "5★"]
    await buyer.press("4★")
    assert "★★★★☆" in text_of(buyer) and buyer.labels() == ["Skip"]
    result = await buyer.send("Lovely <b>cup</b> & fast")
    assert sent(result)[0].text == said(translator, "en", "review.thanks", stars="★★★★☆")

    [review] = await shop.reviews.for_product(line.product_id)
    assert (review.stars, review.text) == (4, "Lovely <b>cup</b> & fast")

    result = await buyer.send(f"/reviews {line.product_id}")
    shown = sent(result)[0].text
    assert "★★★★☆" in shown and "Lovely &lt;b&gt;cup&lt;/b&gt; &amp; fast" in shown
    assert "Tea &lt;cup&gt; &amp; saucer" in shown

    # The same line again, from the old star row: politely refused by the core, nothing added.
    assert stars_message is not None
    await buyer.press("5★", on=stars_message)
    result = await buyer.press("Skip", on=buyer.message(stars_message.message_id))
    assert alert(result).text == translator.error("en", AlreadyReviewed(order_line_id=line.id))
    assert len(await shop.reviews.for_product(line.product_id)) == 1
    assert await buyer.bot.get_state(user_id=buyer.user.id) is None  # not left stuck mid-review


async def test_skip_saves_stars_without_words(shop: Shop, buyer: TelegramChat, translator: Translator) -> None:
    order = await delivered_order(shop, buyer)
    await buyer.send(f"/review {order.id}")
    await buyer.press("5★")
    await buyer.press("Skip")
    assert text_of(buyer) == said(translator, "en", "review.thanks", stars="★★★★★")
    [review] = await shop.reviews.for_product(order.lines[0].product_id)
    assert (review.stars, review.text) == (5, "")


async def test_bare_review_offers_only_delivered_orders(shop: Shop, buyer: TelegramChat) -> None:
    delivered = await delivered_order(shop, buyer)
    _, paid = await paid_order(shop, buyer, title="Teapot")
    await buyer.send("/review")
    assert buyer.labels() == [f"Order #{delivered.id}: Tea <cup> & saucer"]
    await buyer.press(f"#{delivered.id}")
    assert buyer.labels() == ["1★", "2★", "3★", "4★", "5★"]
    assert paid.id != delivered.id


async def test_a_paid_but_undelivered_order_cannot_be_reviewed(
        shop: Shop, buyer: TelegramChat, translator: Translator) -> None:
    _, order = await paid_order(shop, buyer)
    result = await buyer.send(f"/review {order.id}")
    assert sent(result)[0].text == said(translator, "en", "review.not_delivered", order=order.id)

    forged = ReviewCallback(action=ReviewAction.STARS, order_id=order.id, line_id=order.lines[0].id, stars=5)
    result = await buyer.press_data(forged.pack())
    assert alert(result).text == translator.error("en", ReviewNotAllowed(status="paid"))
    assert await shop.reviews.for_product(order.lines[0].product_id) == []


@pytest.mark.parametrize("stars", [0, 6, 9])
async def test_stars_out_of_range_from_a_forged_button_are_refused(
        shop: Shop, buyer: TelegramChat, translator: Translator, stars: int) -> None:
    order = await delivered_order(shop, buyer)
    forged = ReviewCallback(action=ReviewAction.STARS, order_id=order.id, line_id=order.lines[0].id, stars=stars)
    result = await buyer.press_data(forged.pack())
    refusal = InvalidInput(field="stars", reason="range", minimum=1, maximum=5)
    assert alert(result).text == translator.error("en", refusal)
    assert await buyer.bot.get_state(user_id=buyer.user.id) is None


async def test_someone_elses_order_line_is_not_found(shop: Shop, buyer: TelegramChat, new_chat: NewChat,
                                                     translator: Translator) -> None:
    order = await delivered_order(shop, buyer)
    stranger: TelegramChat = new_chat()
    forged = ReviewCallback(action=ReviewAction.STARS, order_id=order.id, line_id=order.lines[0].id, stars=5)
    result = await stranger.press_data(forged.pack())
    assert alert(result).text == translator.error("en", NotFound(entity="order", id=order.id))
    assert await shop.reviews.for_product(order.lines[0].product_id) == []


async def test_a_product_without_reviews_says_so_in_japanese(
        shop: Shop, new_chat: NewChat, translator: Translator) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title="湯呑み")
    chat: TelegramChat = new_chat("ja")
    result = await chat.send(f"/reviews {product.id}")
    assert translator.text("ja", "reviews.none") in sent(result)[0].text
    result = await chat.send("/reviews")
    assert sent(result)[0].text == said(translator, "ja", "reviews.usage")


# ---- support ----


async def test_support_ticket_goes_to_the_sellers_and_the_staff_reply_comes_back(
        shop: Shop, buyer: TelegramChat, telegram: MockBot, translator: Translator) -> None:
    await buyer.send("/support")
    assert text_of(buyer) == said(translator, "en", "support.prompt")
    await buyer.send("My parcel <hasn't> arrived & I'm worried")
    buyer_id = await customer_of(shop, buyer)
    [message] = await outbox(shop, "support.message")
    ticket_id = message.payload["ticket_id"]
    assert message.audience == "sellers"
    confirmation = buyer.last
    assert text_of(buyer) == said(translator, "en", "support.opened", ticket=ticket_id)

    staff = await staff_chat(telegram, shop)
    await staff.send("/tickets")
    await staff.press(f"#{ticket_id}")
    assert "My parcel &lt;hasn't&gt; arrived &amp; I'm worried" in text_of(staff)
    await staff.press("Reply")
    await staff.send("We're on it.")
    assert text_of(staff) == said(translator, "en", "support.staff.sent", ticket=ticket_id)
    [reply] = await outbox(shop, "support.reply")
    assert (reply.customer_id, reply.payload["ticket_id"]) == (buyer_id, ticket_id)

    # The buyer answers by replying to the confirmation: it joins the same ticket, and the sellers hear.
    await reply_to(buyer, confirmation, "Thank you!")
    assert text_of(buyer) == said(translator, "en", "support.added", ticket=ticket_id)
    ticket = await shop.support.get(buyer_id, ticket_id)
    assert [(m.from_shop, m.text) for m in ticket.messages] == [
        (False, "My parcel <hasn't> arrived & I'm worried"), (True, "We're on it."), (False, "Thank you!")]
    assert len(await outbox(shop, "support.message")) == 2


async def test_staff_close_a_ticket_and_the_buyer_can_no_longer_add_to_it(
        shop: Shop, buyer: TelegramChat, telegram: MockBot, translator: Translator) -> None:
    await buyer.send("/support")
    await buyer.send("Where is my order?")
    confirmation = buyer.last
    ticket_id = (await outbox(shop, "support.message"))[0].payload["ticket_id"]
    staff = await staff_chat(telegram, shop)
    await staff.press_data(SupportCallback(action=SupportAction.VIEW, ticket_id=ticket_id).pack())
    result = await staff.press("Close")
    assert alert(result).text == translator.text("en", "support.closed", ticket=ticket_id)
    await staff.send("/tickets")
    assert text_of(staff) == said(translator, "en", "support.no_open_tickets")

    await reply_to(buyer, confirmation, "Hello?")
    assert text_of(buyer) == quote(translator.error("en", TicketClosed(ticket_id=ticket_id)))


async def test_a_stranger_cannot_add_to_or_read_someone_elses_ticket(
        shop: Shop, buyer: TelegramChat, new_chat: NewChat, translator: Translator) -> None:
    await buyer.send("/support")
    await buyer.send("Private question")
    confirmation = buyer.last
    ticket_id = (await outbox(shop, "support.message"))[0].payload["ticket_id"]

    stranger: TelegramChat = new_chat()
    await reply_to(stranger, confirmation, "Let me in")  # e.g. a forwarded or forged reply
    assert text_of(stranger) == quote(translator.error("en", PermissionDenied()))
    result = await stranger.press_data(SupportCallback(action=SupportAction.VIEW, ticket_id=ticket_id).pack())
    assert alert(result).text == translator.error("en", PermissionDenied())
    result = await stranger.send("/tickets")
    assert sent(result)[0].text == quote(translator.error("en", PermissionDenied()))
    ticket = await shop.support.get(await customer_of(shop, buyer), ticket_id)
    assert [m.text for m in ticket.messages] == ["Private question"]


async def test_support_can_be_cancelled_and_is_in_japanese(
        shop: Shop, new_chat: NewChat, translator: Translator) -> None:
    chat: TelegramChat = new_chat("ja")
    await chat.send("/support")
    assert text_of(chat) == said(translator, "ja", "support.prompt")
    await chat.press(translator.text("ja", "button.cancel"))
    assert text_of(chat) == said(translator, "ja", "support.cancelled")
    await chat.send("ただのメッセージ")  # now a search, not a ticket
    assert await outbox(shop, "support.message") == []


@pytest.mark.parametrize("locale", ["en", "ja"])
async def test_paysupport_explains_how_to_get_help(new_chat: NewChat, translator: Translator, locale: str) -> None:
    chat: TelegramChat = new_chat(locale)
    result = await chat.send("/paysupport")
    text = sent(result)[0].text
    assert text == said(translator, locale, "paysupport.text") and "/support" in text and "/orders" in text


# ---- privacy ----


async def test_export_sends_a_json_document_with_the_address_and_orders(
        shop: Shop, buyer: TelegramChat, translator: Translator) -> None:
    await buyer.send("/start")
    customer_id = await customer_of(shop, buyer)
    await shop.customers.save_address(customer_id, HOME)
    _, order = await paid_order(shop, buyer)

    await buyer.send("/privacy")
    result = await buyer.press("Export")
    [document] = [r for r in result.requests.all if isinstance(r, SendDocument)]
    assert document.chat_id == buyer.user.id and document.caption == said(translator, "en", "privacy.export_caption")
    raw = document.document.data  # type: ignore[union-attr]
    data = json.loads(raw.decode("utf-8"))
    assert data["addresses"][0]["name"] == "Taro Sato"
    assert [o["id"] for o in data["orders"]] == [order.id]
    assert data["orders"][0]["shipping"]["city"] == "Shibuya"
    assert b"\n  " in raw  # pretty, for a person to read


async def test_erase_forgets_the_buyer_and_the_next_start_is_a_new_customer(
        shop: Shop, buyer: TelegramChat, translator: Translator) -> None:
    await buyer.send("/start")
    old_id = await customer_of(shop, buyer)
    await shop.customers.save_address(old_id, HOME)

    await buyer.send("/privacy")
    await buyer.press("Erase")
    assert text_of(buyer) == said(translator, "en", "privacy.erase_confirm")
    confirm = buyer.last
    await buyer.press("Yes")
    assert text_of(buyer) == said(translator, "en", "privacy.erased")
    async with shop.db.uow(write=False) as uow:
        assert (await uow.session.execute(select(Identity).where(col(Identity.customer_id) == old_id))).first() is None
    with pytest.raises(CustomerErased):
        await shop.customers.get(old_id)

    result = await buyer.send("/start")
    assert SHOP_NAME.split()[0] in sent(result)[0].text
    new_id = await customer_of(shop, buyer)
    assert new_id != old_id and await shop.customers.addresses(new_id) == []

    # A second tap on the old "Yes" must not erase the fresh identity.
    assert confirm is not None
    await buyer.press("Yes", on=confirm)
    assert buyer.message(confirm.message_id).text == said(translator, "en", "privacy.already_erased")
    assert (await shop.customers.get(new_id)).identities == (f"telegram:{buyer.user.id}",)


async def test_keeping_data_erases_nothing_in_japanese(shop: Shop, new_chat: NewChat, translator: Translator) -> None:
    chat: TelegramChat = new_chat("ja")
    await chat.send("/privacy")
    assert text_of(chat) == said(translator, "ja", "privacy.intro")
    await chat.press(translator.text("ja", "privacy.button_erase"))
    await chat.press(translator.text("ja", "privacy.button_keep"))
    assert text_of(chat) == said(translator, "ja", "privacy.kept")
    assert (await shop.customers.get(await customer_of(shop, chat))).identities == (f"telegram:{chat.user.id}",)
