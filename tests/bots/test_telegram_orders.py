"""The buyer's `/orders` on Telegram: a list with a button per order, paged; each order's detail (edited in place)
with the buttons its status allows; someone else's order is "not found" — through the real dispatcher."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from aiogram import Dispatcher
from teremok import MockBot

from bots.i18n import Translator
from bots.telegram import build_dispatcher
from bots.telegram.handlers.buyer.orders_views import OrdersAction, OrdersCallback
from bots.telegram.handlers.buyer.reviews_views import ReviewAction, ReviewCallback
from bots.telegram.render import quote
from commerce.errors import IllegalTransition, NotFound, ReviewNotAllowed
from commerce.money import format_units
from commerce.orders import OrderDTO
from commerce.shop import Shop
from commerce.status import OrderStatus
from payments.requests import PaymentService
from tests.bots.conftest import SHOP_NAME, TERMS
from tests.bots.telegram_chat import TelegramChat, alert, edits, recording_bot, sent
from tests.bots.test_telegram_checkout import ShopChat, photos, qr_text
from tests.integration.test_order_lifecycle import HOME
from tests.support.factories import make_owner, make_product, step_up

_user_ids = itertools.count(900_000)


@pytest.fixture
def dispatcher(shop: Shop, translator: Translator, payments: PaymentService) -> Dispatcher:
    return build_dispatcher(shop, translator, shop_name=SHOP_NAME, terms=TERMS, default_locale="ja",
                            payments=payments)


@pytest.fixture
def telegram(dispatcher: Dispatcher) -> MockBot:
    return recording_bot(dispatcher)


@pytest.fixture
def open_chat(telegram: MockBot) -> Callable[..., ShopChat]:
    def chat(language_code: str = "en") -> ShopChat:
        return ShopChat(telegram, next(_user_ids), language_code=language_code)

    return chat


@pytest.fixture
def chat(open_chat: Callable[..., ShopChat]) -> ShopChat:
    return open_chat("en")


async def customer_of(shop: Shop, chat: TelegramChat) -> int:
    return (await shop.customers.identify("telegram", chat.user.id)).id


def text_of(chat: TelegramChat) -> str:
    assert chat.last is not None and chat.last.text is not None
    return chat.last.text


class Orders:
    """Orders of one buyer in each state the detail treats differently."""

    def __init__(self, shop: Shop, payments: PaymentService, buyer: int) -> None:
        self.shop, self.payments, self.buyer = shop, payments, buyer
        self.owner = 0

    async def _owner(self) -> int:
        if not self.owner:
            self.owner = await make_owner(self.shop)
        return self.owner

    async def physical(self, title: str = "Tea <cup> & saucer", price: str = "1500", quantity: int = 2) -> OrderDTO:
        product = await make_product(self.shop, await self._owner(), title=title, price=price, stock=50)
        return await self.shop.orders.checkout(self.buyer, items=[(product.variants[0].id, quantity)], address=HOME)

    async def awaiting_payment(self) -> OrderDTO:
        order = await self.physical()
        await self.payments.request_payment(self.buyer, order.id, "usdt-eth")
        return order

    async def paid(self) -> OrderDTO:
        order = await self.awaiting_payment()
        return await self.shop.payments.payment_confirmed(order.id)

    async def shipped(self) -> OrderDTO:
        order = await self.paid()
        return await self.shop.fulfilment.ship(await self._owner(), order.id, "JP<123>&456")

    async def delivered(self) -> OrderDTO:
        order = await self.shipped()
        return await self.shop.fulfilment.deliver(await self._owner(), order.id)

    async def fulfilled(self) -> OrderDTO:
        """A digital order, paid: its keys went out automatically."""
        product = await make_product(self.shop, await self._owner(), title="E-book <PDF>", kind="digital",
                                     stock=0, price="800")
        await self.shop.catalog.add_digital_items(await self._owner(), product.variants[0].id,
                                                  ["KEY-<1>", "KEY-&2"])
        order = await self.shop.orders.checkout(self.buyer, items=[(product.variants[0].id, 2)])
        await self.payments.request_payment(self.buyer, order.id, "btc")
        return await self.shop.payments.payment_confirmed(order.id)

    async def cancelled(self) -> OrderDTO:
        order = await self.physical()
        return await self.shop.orders.cancel(self.buyer, order.id)


async def open_detail(chat: ShopChat, translator: Translator, order: OrderDTO, locale: str = "en") -> int:
    """/orders, then the order's button; returns the id of the message that now shows the detail."""
    await chat.send("/orders")
    listing = chat.last
    assert listing is not None
    label = translator.text(locale, "orders.button", id=order.id, status=translator.status(locale, order.status),
                            total=translator.money(locale, order.total))
    result = await chat.press(label)
    assert sent(result) == [] and len(edits(result)) == 1  # edited in place
    assert chat.last is not None and chat.last.message_id == listing.message_id
    return listing.message_id


BUTTONS = {
    OrderStatus.AWAITING_PAYMENT: ["💳 Show payment", "✖ Cancel order", "💬 Ask about this order", "↩ Back"],
    OrderStatus.PAID: ["🧾 Receipt", "💬 Ask about this order", "↩ Back"],
    OrderStatus.SHIPPED: ["🧾 Receipt", "💬 Ask about this order", "↩ Back"],
    OrderStatus.DELIVERED: ["🧾 Receipt", "⭐ Write a review", "💬 Ask about this order", "↩ Back"],
    OrderStatus.FULFILLED: ["🧾 Receipt", "⭐ Write a review", "💬 Ask about this order", "↩ Back"],
    OrderStatus.CANCELLED: ["💬 Ask about this order", "↩ Back"],
}


@pytest.mark.parametrize("state", ["awaiting_payment", "paid", "shipped", "delivered", "fulfilled", "cancelled"])
async def test_each_order_opens_its_detail_with_the_buttons_its_status_allows(
        chat: ShopChat, shop: Shop, payments: PaymentService, translator: Translator, state: str) -> None:
    tr = translator
    await chat.send("/start")
    orders = Orders(shop, payments, await customer_of(shop, chat))
    order = await getattr(orders, state)()
    await open_detail(chat, tr, order)

    text = text_of(chat)
    assert chat.labels() == BUTTONS[order.status]
    assert text.startswith(f"<b>{quote(tr.text('en', 'orders.detail.heading', id=order.id))}</b>")
    assert quote(tr.text("en", "orders.detail.status", status=tr.status("en", order.status))) in text
    assert quote(tr.text("en", "orders.detail.created", when=tr.datetime("en", order.created_at))) in text
    line = order.lines[0]
    assert quote(tr.text("en", "cart.line", title=line.title, quantity=line.quantity,
                         total=tr.money("en", line.line_total))) in text
    assert f"<b>{quote(tr.text('en', 'cart.total', total=tr.money('en', order.total)))}</b>" in text

    request = (await payments.current(orders.buyer, order.id))
    if request is not None:
        amount = format_units(request.request.amount_units, request.request.decimals)
        method = "USDT (Ethereum)" if request.method.id == "usdt-eth" else "BTC (Bitcoin)"
        assert quote(tr.text("en", "orders.detail.payment", amount=amount, asset=request.request.asset,
                             method=method)) in text
    if order.paid_at is not None:
        assert quote(tr.text("en", "orders.detail.paid", when=tr.datetime("en", order.paid_at))) in text
    if order.status is OrderStatus.AWAITING_PAYMENT:
        assert quote(tr.text("en", "orders.detail.pay_by", when=tr.datetime("en", order.expires_at))) in text
    if order.needs_shipping:  # partial: who and where, not the street or phone
        assert "Ship to:" in text and "Taro Sato" in text and "150-0001 Tokyo Shibuya" in text
        assert "2-2-…" in text and "Jingumae" not in text
    if order.tracking:
        assert quote(tr.text("en", "orders.detail.tracking", tracking="JP<123>&456")) in text
    if order.status is OrderStatus.FULFILLED:  # the keys again, for a buyer who lost them
        assert "<code>KEY-&lt;1&gt;</code>" in text and "<code>KEY-&amp;2</code>" in text
    else:
        assert "<code>" not in text

    await chat.press("Back")
    assert tr.text("en", "orders.hint") in text_of(chat)


async def test_the_list_shows_a_button_per_order_newest_first_and_pages_in_place(
        chat: ShopChat, shop: Shop, payments: PaymentService, translator: Translator) -> None:
    await chat.send("/start")
    orders = Orders(shop, payments, await customer_of(shop, chat))
    made = [await orders.physical(price="3000", quantity=1) for _ in range(10)]
    await shop.payments.payment_confirmed(made[-1].id)

    result = await chat.send("/orders")
    [reply] = sent(result)
    assert reply.text == (f"<b>{quote(translator.text('en', 'orders.title'))}</b>\n"
                          f"{quote(translator.text('en', 'orders.hint'))}\n{quote('Page 1')}")
    newest = made[-1].id
    assert chat.labels()[:2] == [f"#{newest} · Paid · ¥3,000", f"#{newest - 1} · Awaiting payment · ¥3,000"]
    assert len(chat.labels()) == 8 + 1 and chat.labels()[-1] == translator.text("en", "button.next")

    listing = chat.last
    result = await chat.press(translator.text("en", "button.next"))
    assert sent(result) == [] and chat.last is not None and chat.last.message_id == listing.message_id
    assert chat.labels() == [f"#{made[1].id} · Awaiting payment · ¥3,000",
                             f"#{made[0].id} · Awaiting payment · ¥3,000", translator.text("en", "button.prev")]
    await chat.press(f"#{made[0].id} ·")
    await chat.press("Back")  # back to the page it came from
    assert chat.labels()[-1] == translator.text("en", "button.prev")


async def test_no_orders_says_so(chat: ShopChat, translator: Translator) -> None:
    [reply] = sent(await chat.send("/orders"))
    assert reply.text == quote(translator.text("en", "orders.empty")) and reply.reply_markup is None


async def test_show_payment_resends_the_card_and_cancel_updates_the_detail(
        chat: ShopChat, shop: Shop, payments: PaymentService, translator: Translator) -> None:
    await chat.send("/start")
    buyer = await customer_of(shop, chat)
    order = await Orders(shop, payments, buyer).awaiting_payment()
    detail_id = await open_detail(chat, translator, order)
    detail = chat.last

    before = await payments.current(buyer, order.id)
    result = await chat.press("Show payment", on=detail)
    [card] = photos(result)
    view = await payments.current(buyer, order.id)
    assert view is not None and before is not None and view.request == before.request  # no new quote
    assert qr_text(card) == view.uri

    result = await chat.press(translator.text("en", "button.cancel_order"), on=chat.message(detail_id))
    assert alert(result).text == translator.text("en", "payment.cancelled", order=order.id)
    [edit] = edits(result)
    assert edit.message_id == detail_id
    assert quote(translator.text("en", "orders.detail.status", status="Cancelled")) in chat.message(detail_id).text
    assert chat.labels(chat.message(detail_id)) == BUTTONS[OrderStatus.CANCELLED]
    assert (await shop.orders.get(buyer, order.id)).status is OrderStatus.CANCELLED
    product = await shop.catalog.product(order.lines[0].product_id)
    assert product.stock == 50  # the reservation went back on sale

    # The old detail's buttons, pressed again: the core refuses politely and nothing changes.
    result = await chat.press_data(OrdersCallback(action=OrdersAction.PAY, order_id=order.id).pack())
    assert alert(result).text == translator.error("en", IllegalTransition(
        order_id=order.id, status="cancelled", action="request_payment"))
    assert photos(result) == [] and sent(result) == []


async def test_show_payment_without_a_request_offers_the_methods(
        chat: ShopChat, shop: Shop, payments: PaymentService, translator: Translator) -> None:
    await chat.send("/start")
    order = await Orders(shop, payments, await customer_of(shop, chat)).physical()
    await open_detail(chat, translator, order)
    result = await chat.press("Show payment")
    [reply] = sent(result)
    assert reply.text == quote(translator.text("en", "checkout.choose_method"))
    assert chat.labels() == ["BTC (Bitcoin)", "USDT (Ethereum)"]


async def test_review_from_the_detail_of_a_delivered_order(
        chat: ShopChat, shop: Shop, payments: PaymentService, translator: Translator) -> None:
    await chat.send("/start")
    order = await Orders(shop, payments, await customer_of(shop, chat)).delivered()
    await open_detail(chat, translator, order)
    await chat.press(translator.text("en", "review.button"))
    assert text_of(chat) == quote(translator.text("en", "review.rate_line", order=order.id,
                                                  title=order.lines[0].title))
    assert chat.labels() == ["1★", "2★", "3★", "4★", "5★"]


async def test_support_from_the_detail_opens_a_ticket_about_that_order(
        chat: ShopChat, shop: Shop, payments: PaymentService, translator: Translator) -> None:
    await chat.send("/start")
    order = await Orders(shop, payments, await customer_of(shop, chat)).shipped()
    await open_detail(chat, translator, order)
    result = await chat.press("Ask about this order")
    assert sent(result)[0].text == quote(translator.text("en", "support.order_prompt", order=order.id))
    await chat.send("Where is my parcel? <b>")
    owner = await make_owner(shop)
    [ticket] = await shop.support.open_tickets(owner)
    assert ticket.order_id == order.id and ticket.messages[0].text == "Where is my parcel? <b>"
    assert text_of(chat) == quote(translator.text("en", "support.opened", ticket=ticket.id))

    # A plain /support afterwards is about no order in particular.
    await chat.send("/support")
    await chat.send("Another question")
    assert sorted(t.order_id or 0 for t in await shop.support.open_tickets(owner)) == [0, order.id]


@pytest.mark.parametrize("action", [a for a in OrdersAction if a is not OrdersAction.LIST])
async def test_someone_elses_order_is_not_found_and_nothing_is_revealed_or_changed(
        open_chat: Callable[..., ShopChat], shop: Shop, payments: PaymentService, translator: Translator,
        action: OrdersAction) -> None:
    alice, mallory = open_chat("en"), open_chat("en")
    await alice.send("/start")
    await mallory.send("/orders")
    orders = Orders(shop, payments, await customer_of(shop, alice))
    waiting, keys = await orders.awaiting_payment(), await orders.fulfilled()
    screen = mallory.last
    for order in (waiting, keys):
        result = await mallory.press_data(OrdersCallback(action=action, order_id=order.id).pack())
        assert alert(result).show_alert
        assert alert(result).text == translator.error("en", NotFound(entity="order", id=order.id))
        assert sent(result) == [] and edits(result) == [] and photos(result) == []
        assert "KEY" not in str(result.requests.all)
    assert mallory.last == screen
    assert (await shop.orders.get(orders.buyer, waiting.id)).status is OrderStatus.AWAITING_PAYMENT
    assert await shop.support.open_tickets(orders.owner) == []
    assert await mallory.bot.get_state(mallory.user.id) is None  # not left writing to support about it
    # A list page (with an order id slipped in) still lists only Mallory's own orders: none.
    result = await mallory.press_data(OrdersCallback(action=OrdersAction.LIST, order_id=keys.id).pack())
    assert [e.text for e in edits(result)] == [quote(translator.text("en", "orders.empty"))]


@pytest.mark.parametrize("data", ["od", "od:d", "od:d:abc:0", "od:d:0:0", "od:d:-1:0", "od:d:2147483648:0",
                                  "od:q:1:0", "od:l::10000", "od:d:1:x", "od:p::0"])
async def test_order_payloads_that_dont_parse_are_stale_buttons(chat: ShopChat, translator: Translator,
                                                                data: str) -> None:
    await chat.send("/orders")
    result = await chat.press_data(data)
    assert alert(result).text == translator.text("en", "error.stale_button")
    assert sent(result) == [] and edits(result) == []


async def test_a_japanese_buyer_sees_the_list_and_detail_in_japanese(
        open_chat: Callable[..., ShopChat], shop: Shop, payments: PaymentService, translator: Translator) -> None:
    chat = open_chat("ja")
    await chat.send("/start")
    order = await Orders(shop, payments, await customer_of(shop, chat)).shipped()
    await chat.send("/orders")
    assert chat.labels() == [f"注文 #{order.id} · 発送済み · ￥3,000"]
    await open_detail(chat, translator, order, locale="ja")
    text = text_of(chat)
    assert f"ご注文 #{order.id}" in text and "状況：発送済み" in text and "追跡番号：JP&lt;123&gt;&amp;456" in text
    assert "合計" in text or translator.text("ja", "cart.total", total="￥3,000") in text
    assert chat.labels() == ["🧾 領収書", "💬 このご注文について問い合わせる", translator.text("ja", "button.back")]


@pytest.mark.parametrize(("locale", "when", "status"), [("en", "once the order has been delivered", "Shipped"),
                                                        ("ja", "お届け完了後", "発送済み")])
async def test_reviewing_too_early_says_when_the_buyer_can(
        open_chat: Callable[..., ShopChat], shop: Shop, payments: PaymentService, translator: Translator,
        locale: str, when: str, status: str) -> None:
    chat = open_chat(locale)
    await chat.send("/start")
    order = await Orders(shop, payments, await customer_of(shop, chat)).shipped()
    await open_detail(chat, translator, order, locale=locale)
    assert translator.text(locale, "review.button") not in chat.labels()
    # The stars of a shipped (not yet delivered) order, from an old or forged button:
    forged = ReviewCallback(action=ReviewAction.STARS, order_id=order.id, line_id=order.lines[0].id, stars=5)
    result = await chat.press_data(forged.pack())
    assert alert(result).text == translator.error(locale, ReviewNotAllowed(status="shipped"))
    assert when in (alert(result).text or "") and status in (alert(result).text or "")
    assert await shop.reviews.for_product(order.lines[0].product_id) == []


async def test_keys_of_a_refunded_order_are_not_shown_again(
        chat: ShopChat, shop: Shop, payments: PaymentService, translator: Translator) -> None:
    await chat.send("/start")
    orders = Orders(shop, payments, await customer_of(shop, chat))
    order = await orders.fulfilled()
    await step_up(shop, orders.owner)
    refunded = await shop.fulfilment.refund(orders.owner, order.id, "refund tx 0xabc")
    await open_detail(chat, translator, refunded)
    assert "KEY" not in text_of(chat) and "<code>" not in text_of(chat)
    assert "Refunded" in text_of(chat)
