"""Checkout in a Telegram chat: address (typed or saved) → payment method → confirm → the payment card, and
the card's buttons (check status, change method, cancel), each re-checked by the core."""

from __future__ import annotations

import io
import itertools

import pytest
import zxingcpp
from aiogram import Dispatcher
from aiogram.methods import EditMessageCaption, SendPhoto
from aiogram.types import BufferedInputFile, Message
from PIL import Image
from teremok import DispatchResult, MockBot

from bots.common.legal import terms_line
from bots.i18n import Translator
from bots.telegram import build_dispatcher
from bots.telegram.callbacks import MAX_ID, CheckoutAction, CheckoutCallback, PaymentAction, PaymentCallback
from bots.telegram.render import quote
from commerce.errors import InvalidInput, NotFound
from commerce.money import format_units
from commerce.privacy import ShippingAddress
from commerce.shop import Shop
from commerce.status import OrderStatus
from payments.errors import RateUnavailable
from payments.requests import PaymentRequestView, PaymentService
from tests.bots.conftest import SHOP_NAME, TERMS, SwitchableRates
from tests.bots.telegram_chat import RecordingResponder, TelegramChat, alert, edits, recording_bot, sent
from tests.support.factories import make_product

ADDRESS_TEXT = "Hana Sato\n〒150-0001\n東京都渋谷区\n神宮前1-2-3 Sakura Bldg 101\n03-1234-5678"
ADDRESS = ShippingAddress(name="Hana Sato", postal_code="150-0001", region="東京都", city="渋谷区",
                          line1="神宮前1-2-3 Sakura Bldg 101", phone="03-1234-5678")
_user_ids = itertools.count(700_000)


class ShopChat(TelegramChat):
    """The buyer's chat, also showing photos (the payment card) and their caption edits."""

    def _track(self, result: DispatchResult) -> DispatchResult:
        super()._track(result)
        responder = self.bot.mock_session.auto
        assert isinstance(responder, RecordingResponder)
        for request in result.requests.all:
            if isinstance(request, SendPhoto):
                shown = responder.results[id(request)]
                self.messages[shown.message_id] = self.last = shown
            elif isinstance(request, EditMessageCaption):
                assert request.message_id is not None
                self.messages[request.message_id] = self.messages[request.message_id].model_copy(
                    update={"caption": request.caption, "reply_markup": request.reply_markup})
        return result


def photos(result: DispatchResult) -> list[SendPhoto]:
    return [r for r in result.requests.all if isinstance(r, SendPhoto)]


def caption_edits(result: DispatchResult) -> list[EditMessageCaption]:
    return [r for r in result.requests.all if isinstance(r, EditMessageCaption)]


def qr_text(photo: SendPhoto) -> str:
    assert isinstance(photo.photo, BufferedInputFile)
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(photo.photo.data)))
    return code.text


@pytest.fixture
def dispatcher(shop: Shop, translator: Translator, payments: PaymentService) -> Dispatcher:
    return build_dispatcher(shop, translator, shop_name=SHOP_NAME, terms=TERMS, default_locale="ja",
                            payments=payments)


@pytest.fixture
def telegram(dispatcher: Dispatcher) -> MockBot:
    return recording_bot(dispatcher)


@pytest.fixture
def chat(telegram: MockBot) -> ShopChat:
    return ShopChat(telegram, next(_user_ids), language_code="en")


async def customer_id(shop: Shop, chat: TelegramChat) -> int:
    return (await shop.customers.identify("telegram", chat.user.id)).id


async def fill_cart(shop: Shop, chat: ShopChat, owner: int, *, kind: str = "physical", price: str = "1875") -> int:
    """One product in the buyer's cart, and the cart on screen; returns the variant."""
    product = await make_product(shop, owner, title="Tea <cup> & saucer", price=price, kind=kind,
                                 stock=0 if kind == "digital" else 5)
    variant = product.variants[0].id
    if kind == "digital":
        await shop.catalog.add_digital_items(owner, variant, ["KEY-1", "KEY-2"])
    await shop.cart.add(await customer_id(shop, chat), variant)
    await chat.send("/cart")
    return variant


async def press_checkout(chat: ShopChat) -> DispatchResult:
    """The cart's Checkout button (its payload; the shared cart presenter is yet to show it)."""
    return await chat.press_data(CheckoutCallback(action=CheckoutAction.CART).pack())


async def confirm(chat: ShopChat, translator: Translator, method: str = "USDT (Ethereum)",
                  locale: str = "en") -> DispatchResult:
    await chat.press(method)
    return await chat.press(translator.text(locale, "button.confirm_order"))


async def only_order(shop: Shop, chat: ShopChat) -> tuple[int, int]:
    buyer = await customer_id(shop, chat)
    [order] = await shop.orders.history(buyer)
    return buyer, order.id


async def current(payments: PaymentService, shop: Shop, chat: ShopChat) -> PaymentRequestView:
    buyer, order_id = await only_order(shop, chat)
    view = await payments.current(buyer, order_id)
    assert view is not None
    return view


def assert_card(photo: SendPhoto, view: PaymentRequestView, translator: Translator, locale: str) -> None:
    assert qr_text(photo) == view.uri
    request = view.request
    caption = photo.caption or ""
    amount = format_units(request.amount_units, request.decimals)
    assert f"<code>{amount}</code>" in caption and f"<code>{quote(request.address)}</code>" in caption
    assert translator.datetime(locale, request.expires_at) in caption
    assert caption == translator.text(locale, "payment.caption", order=view.order.id, amount=amount,
                                      asset=request.asset, total=quote(translator.text(
                                          locale, "payment.order_total",
                                          total=translator.money(locale, view.order.total))),
                                      address=quote(request.address), network=view.method.network_name,
                                      time=translator.datetime(locale, request.expires_at))


async def test_cart_checkout_with_a_typed_address_sends_the_payment_card(
        chat: ShopChat, shop: Shop, owner: int, translator: Translator, payments: PaymentService) -> None:
    await fill_cart(shop, chat, owner)
    await press_checkout(chat)
    assert chat.last is not None and chat.last.text == quote(translator.text("en", "checkout.address_prompt"))
    await chat.send(ADDRESS_TEXT)
    assert chat.last is not None and "Hana Sato" in (chat.last.text or "")
    await chat.press(translator.text("en", "button.use_address"))
    assert chat.labels()[:2] == ["BTC (Bitcoin)", "USDT (Ethereum)"]
    await chat.press("USDT (Ethereum)")
    summary = chat.last.text or ""
    assert "Tea &lt;cup&gt; &amp; saucer × 1 — ¥1,875" in summary and "Total: ¥1,875" in summary
    assert "東京都 渋谷区" in summary and "Payment: USDT (Ethereum)" in summary

    result = await chat.press(translator.text("en", "button.confirm_order"))

    [photo] = photos(result)
    view = await current(payments, shop, chat)
    assert view.request.asset == "USDT" and view.order.status is OrderStatus.AWAITING_PAYMENT
    assert_card(photo, view, translator, "en")
    assert "USDT on Ethereum only" in (photo.caption or "")
    assert await shop.orders.shipping_address(view.order.customer_id, view.order.id) == ADDRESS
    assert (await shop.cart.view(view.order.customer_id)).is_empty
    assert await shop.customers.addresses(view.order.customer_id) == []  # "just this once"
    assert chat.labels() == [translator.text("en", key) for key in
                             ("button.check_status", "button.change_method", "button.cancel_order")]


async def test_digital_goods_skip_the_address(chat: ShopChat, shop: Shop, owner: int, translator: Translator,
                                              payments: PaymentService) -> None:
    await fill_cart(shop, chat, owner, kind="digital")
    await press_checkout(chat)
    assert chat.last is not None and chat.last.text == quote(translator.text("en", "checkout.choose_method"))
    [photo] = photos(await confirm(chat, translator, "BTC (Bitcoin)"))
    view = await current(payments, shop, chat)
    assert view.request.address == "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
    assert_card(photo, view, translator, "en")
    assert await shop.orders.shipping_address(view.order.customer_id, view.order.id) is None


async def test_a_saved_address_is_offered_next_time(chat: ShopChat, shop: Shop, owner: int,
                                                    translator: Translator) -> None:
    await fill_cart(shop, chat, owner)
    await press_checkout(chat)
    await chat.send(ADDRESS_TEXT)
    await chat.press(translator.text("en", "button.save_address"))
    await confirm(chat, translator)
    buyer = await customer_id(shop, chat)
    [saved] = await shop.customers.addresses(buyer)
    assert saved.address == ADDRESS

    await fill_cart(shop, chat, owner)
    await press_checkout(chat)
    assert translator.text("en", "checkout.saved_addresses") in (chat.last.text or "")  # type: ignore[union-attr]
    await chat.press("Hana Sato, 150-0001 東京都 渋谷区")
    result = await confirm(chat, translator)
    assert len(photos(result)) == 1
    orders = await shop.orders.history(buyer)
    assert [await shop.orders.shipping_address(buyer, o.id) for o in orders] == [ADDRESS, ADDRESS]


async def test_an_invalid_address_is_explained_and_asked_again(chat: ShopChat, shop: Shop, owner: int,
                                                               translator: Translator) -> None:
    await fill_cart(shop, chat, owner)
    await press_checkout(chat)
    for typed, error in (("Hana Sato", InvalidInput(field="postal_code", reason="required")),
                         ("Hana Sato\n150-0001\n東京都渋谷区", InvalidInput(field="line1", reason="required")),
                         ("Hana\n#15!\nTokyo\nStreet 1", InvalidInput(field="postal_code", reason="format"))):
        [reply] = sent(await chat.send(typed))
        prompt = translator.text("en", "checkout.address_prompt")
        assert reply.text == quote(f"{translator.error('en', error)}\n\n{prompt}")
    await chat.send(ADDRESS_TEXT)  # still in the conversation: the next try is accepted
    assert chat.labels()[0] == translator.text("en", "button.save_address")
    assert await shop.orders.history(await customer_id(shop, chat)) == []


async def test_buy_now_orders_one_without_touching_the_cart(chat: ShopChat, shop: Shop, owner: int,
                                                            translator: Translator, payments: PaymentService) -> None:
    in_cart = await fill_cart(shop, chat, owner)
    product = await make_product(shop, owner, title="Matcha", price="3000", kind="digital", stock=0)
    await shop.catalog.add_digital_items(owner, product.variants[0].id, ["CODE"])
    await chat.press_data(CheckoutCallback(action=CheckoutAction.BUY_NOW, id=product.variants[0].id).pack())
    [photo] = photos(await confirm(chat, translator))
    buyer = await customer_id(shop, chat)
    [order] = await shop.orders.history(buyer)
    assert [(line.title, line.quantity) for line in order.lines] == [("Matcha", 1)]
    assert [line.variant_id for line in (await shop.cart.view(buyer)).lines] == [in_cart]
    assert_card(photo, await current(payments, shop, chat), translator, "en")


async def test_change_method_replaces_the_request_with_a_new_card(
        chat: ShopChat, shop: Shop, owner: int, translator: Translator, payments: PaymentService) -> None:
    await fill_cart(shop, chat, owner, kind="digital")
    await press_checkout(chat)
    await confirm(chat, translator, "BTC (Bitcoin)")
    first, card = await current(payments, shop, chat), chat.last
    await chat.press(translator.text("en", "button.change_method"), on=card)
    result = await chat.press("USDT (Ethereum)")
    [photo] = photos(result)
    second = await current(payments, shop, chat)
    assert second.request.id != first.request.id and second.request.asset == "USDT"
    assert_card(photo, second, translator, "en")
    assert chat.last is not None and chat.last.message_id != card.message_id  # type: ignore[union-attr]


async def test_cancel_releases_the_order_and_edits_the_card(chat: ShopChat, shop: Shop, owner: int,
                                                           translator: Translator) -> None:
    variant = await fill_cart(shop, chat, owner)
    await press_checkout(chat)
    await chat.send(ADDRESS_TEXT)
    await chat.press(translator.text("en", "button.use_address"))
    await confirm(chat, translator)
    assert (await shop.catalog.variant(variant))[1].stock == 4
    card = chat.last
    assert isinstance(card, Message)

    result = await chat.press(translator.text("en", "button.cancel_order"))

    buyer, order_id = await only_order(shop, chat)
    assert (await shop.orders.get(buyer, order_id)).status is OrderStatus.CANCELLED
    assert (await shop.catalog.variant(variant))[1].stock == 5
    [edit] = caption_edits(result)
    assert edit.message_id == card.message_id and edit.reply_markup is None
    assert edit.caption == translator.text("en", "payment.status_caption", order=order_id,
                                           status=translator.status("en", OrderStatus.CANCELLED))
    assert alert(result).text == translator.text("en", "payment.cancelled", order=order_id)


async def test_check_status_answers_and_updates_the_card_once_it_changed(chat: ShopChat, shop: Shop, owner: int,
                                                                        translator: Translator) -> None:
    await fill_cart(shop, chat, owner, kind="digital")
    await press_checkout(chat)
    await confirm(chat, translator)
    card = chat.last
    buyer, order_id = await only_order(shop, chat)
    result = await chat.press(translator.text("en", "button.check_status"), on=card)
    assert alert(result).text == translator.text("en", "payment.status_alert", order=order_id,
                                                 status=translator.status("en", OrderStatus.AWAITING_PAYMENT))
    assert caption_edits(result) == []  # the card still shows what to pay

    await shop.orders.cancel(buyer, order_id)  # e.g. from another device
    result = await chat.press(translator.text("en", "button.check_status"), on=card)
    assert translator.status("en", OrderStatus.CANCELLED) in (alert(result).text or "")
    [edit] = caption_edits(result)
    assert edit.caption == translator.text("en", "payment.status_caption", order=order_id,
                                           status=translator.status("en", OrderStatus.CANCELLED))


async def test_rate_source_down_keeps_the_order_and_retry_works(
        chat: ShopChat, shop: Shop, owner: int, translator: Translator, payments: PaymentService,
        rates: SwitchableRates) -> None:
    await fill_cart(shop, chat, owner, kind="digital")
    await press_checkout(chat)
    rates.down = True
    result = await confirm(chat, translator)
    assert photos(result) == []
    [reply] = sent(result)
    assert reply.text == quote(translator.error("en", RateUnavailable(asset="USDT", fiat="JPY", reason="timeout")))
    buyer, order_id = await only_order(shop, chat)
    assert (await shop.orders.get(buyer, order_id)).status is OrderStatus.AWAITING_PAYMENT
    assert await payments.current(buyer, order_id) is None

    rates.down = False
    await chat.press(translator.text("en", "button.choose_method"))
    [photo] = photos(await chat.press("BTC (Bitcoin)"))
    assert_card(photo, await current(payments, shop, chat), translator, "en")


async def test_buttons_on_someone_elses_order_are_refused(chat: ShopChat, telegram: MockBot, shop: Shop, owner: int,
                                                          translator: Translator, payments: PaymentService) -> None:
    await fill_cart(shop, chat, owner, kind="digital")
    await press_checkout(chat)
    await confirm(chat, translator)
    buyer, order_id = await only_order(shop, chat)
    before = await current(payments, shop, chat)
    intruder = ShopChat(telegram, next(_user_ids), language_code="en")
    not_found = translator.error("en", NotFound(entity="order", id=order_id))
    for action, method in ((PaymentAction.STATUS, None), (PaymentAction.CANCEL, None),
                           (PaymentAction.CHOOSE_METHOD, None), (PaymentAction.PAY_WITH, "btc")):
        data = PaymentCallback(action=action, order_id=order_id, method=method).pack()
        result = await intruder.press_data(data, on=chat.last)
        assert alert(result).text == not_found and alert(result).show_alert
        assert photos(result) == [] and sent(result) == [] and caption_edits(result) == [] and edits(result) == []
    assert (await shop.orders.get(buyer, order_id)).status is OrderStatus.AWAITING_PAYMENT
    assert (await current(payments, shop, chat)).request.id == before.request.id


async def test_a_japanese_buyer_gets_a_japanese_card(telegram: MockBot, shop: Shop, owner: int,
                                                    translator: Translator, payments: PaymentService) -> None:
    chat = ShopChat(telegram, next(_user_ids), language_code="ja")
    await fill_cart(shop, chat, owner)
    await press_checkout(chat)
    await chat.send(ADDRESS_TEXT)
    await chat.press(translator.text("ja", "button.use_address"))
    [photo] = photos(await confirm(chat, translator, locale="ja"))
    view = await current(payments, shop, chat)
    assert_card(photo, view, translator, "ja")
    assert "USDTは必ずEthereumネットワークで送金してください" in (photo.caption or "")
    assert "11月23日" in (photo.caption or "")  # the payment window ends on the (fake) clock's day, in JST


def test_checkout_and_payment_buttons_fit_64_bytes_with_the_largest_ids() -> None:
    longest_method = "m" * 32  # bot.toml allows slugs of up to 32 characters
    for callback in (CheckoutCallback(action=CheckoutAction.SAVED_ADDRESS, id=MAX_ID, method=longest_method),
                     PaymentCallback(action=PaymentAction.PAY_WITH, order_id=MAX_ID, method=longest_method)):
        packed = callback.pack()
        assert len(packed.encode()) <= 64, packed
        assert type(callback).unpack(packed) == callback
    with pytest.raises(ValueError):
        PaymentCallback.unpack("y:p:1:BTC")  # not a slug: refused before any handler runs


async def test_free_goods_are_ordered_without_a_payment_step(chat: ShopChat, shop: Shop, owner: int,
                                                             translator: Translator) -> None:
    await fill_cart(shop, chat, owner, kind="digital", price="0")
    await press_checkout(chat)
    summary = chat.last.text or ""   # type: ignore[union-attr]
    assert translator.text("en", "checkout.nothing_to_pay") in summary
    assert translator.text("en", "checkout.choose_method") not in summary
    result = await chat.press(translator.text("en", "button.confirm_order"))
    assert photos(result) == []                                     # no payment card: nothing to pay
    [order] = await shop.orders.history(await customer_id(shop, chat))
    assert order.status is OrderStatus.FULFILLED
    assert chat.last is not None and chat.last.text == quote(translator.text("en", "checkout.free_done",
                                                                             order=order.id))

    await fill_cart(shop, chat, owner, price="0")                   # a free physical sample: still shipped
    await press_checkout(chat)
    await chat.send(ADDRESS_TEXT)
    await chat.press(translator.text("en", "button.use_address"))
    assert translator.text("en", "checkout.nothing_to_pay") in (chat.last.text or "")  # type: ignore[union-attr]
    await chat.press(translator.text("en", "button.confirm_order"))
    newest = (await shop.orders.history(await customer_id(shop, chat)))[0]
    assert newest.status is OrderStatus.PAID and newest.needs_shipping
    assert await shop.orders.shipping_address(newest.customer_id, newest.id) == ADDRESS


@pytest.mark.parametrize("language_code", ["en", "ja"])
async def test_the_summary_ends_by_pointing_at_the_terms(telegram: MockBot, shop: Shop, owner: int,
                                                         translator: Translator, language_code: str) -> None:
    chat = ShopChat(telegram, next(_user_ids), language_code=language_code)
    await fill_cart(shop, chat, owner, kind="digital")
    await press_checkout(chat)
    await chat.press("BTC (Bitcoin)")

    summary = chat.last.text or ""  # type: ignore[union-attr]
    assert translator.text(language_code, "checkout.pay_with", method="BTC (Bitcoin)") in summary
    assert summary.endswith("\n\n" + quote(terms_line(translator, language_code)))
    assert "/terms" in summary.splitlines()[-1]
