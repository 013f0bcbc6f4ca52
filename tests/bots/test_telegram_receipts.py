"""Telegram, in a shop that charges Japanese consumption tax and ships by zone: product cards show the price with
tax (総額表示) and the shipping rule in one line; a paid order's detail shows its itemised bill and a Receipt
button that sends the receipt (qualified invoice) as a PNG and a PDF; an unpaid order has none, and a forged
press for one is refused politely — through the real dispatcher, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import itertools
from decimal import Decimal

import pytest
from aiogram import Dispatcher
from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile
from PIL import Image
from teremok import DispatchResult, MockBot

from bots.i18n import Translator
from bots.telegram import build_dispatcher
from bots.telegram.handlers.buyer.inline import build_inline_router
from bots.telegram.handlers.buyer.orders_views import OrdersAction, OrdersCallback
from bots.telegram.render import quote
from commerce.bill import Pricing, ShippingRules, TaxMode, TaxRules, Zone
from commerce.catalog import NewProduct
from commerce.orders import OrderDTO
from commerce.payment_records import PaymentRecords
from commerce.privacy import PersonalDataCipher
from commerce.shop import Shop, ShopRules
from commerce.status import OrderStatus
from commerce.storage.db import Database
from payments.requests import PaymentService
from tests.bots.conftest import SHOP_NAME, TERMS
from tests.bots.telegram_chat import TelegramChat, alert, edits, recording_bot, sent
from tests.bots.test_telegram_checkout import ShopChat
from tests.bots.test_telegram_share import ask_inline
from tests.conftest import FakeClock
from tests.integration.test_order_lifecycle import HOME
from tests.support.factories import make_owner, make_product

_user_ids = itertools.count(960_000)
TXID = "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060"
JAPAN = Pricing("JPY", TaxRules(TaxMode.INCLUSIVE, Decimal(10), {"食品": Decimal(8)}, registration="T1234567890123"),
                ShippingRules((Zone("honshu", "本州", frozenset({"JP"}), fee_minor=600, free_over_minor=5000),),
                              free_categories=frozenset({"本"})))


@pytest.fixture
def shop(db: Database, clock: FakeClock, data_key: str) -> Shop:
    return Shop(db, ShopRules(currency="JPY", pricing=JAPAN), PersonalDataCipher(data_key), clock)


@pytest.fixture
def dispatcher(shop: Shop, translator: Translator, payments: PaymentService) -> Dispatcher:
    dispatcher = build_dispatcher(shop, translator, shop_name=SHOP_NAME, terms=TERMS, default_locale="ja",
                                  payments=payments)
    if not any(router.name == "inline" for router in dispatcher.sub_routers):
        dispatcher.include_router(build_inline_router())
    return dispatcher


@pytest.fixture
def telegram(dispatcher: Dispatcher) -> MockBot:
    return recording_bot(dispatcher)


def open_chat(telegram: MockBot, language_code: str = "en") -> ShopChat:
    return ShopChat(telegram, next(_user_ids), language_code=language_code)


async def customer_of(shop: Shop, chat: TelegramChat) -> int:
    return (await shop.customers.identify("telegram", chat.user.id)).id


def documents(result: DispatchResult) -> list[SendDocument]:
    return [r for r in result.requests.all if isinstance(r, SendDocument)]


# ---- product cards ----


async def test_a_card_shows_the_price_with_tax_and_the_shipping_rule(telegram: MockBot, shop: Shop,
                                                                      translator: Translator) -> None:
    owner = await make_owner(shop)
    cup = await make_product(shop, owner, title="Arita mug", price="1100")
    chat = open_chat(telegram, "en")
    result = await chat.send(f"/start p_{cup.id}")
    [card] = sent(result)
    assert "Price: ¥1,100 (tax incl.)\nShipping ¥600 · free over ¥5,000\nIn stock: 10" in card.text

    japanese = open_chat(telegram, "ja")
    await japanese.send("/browse")
    await japanese.press(translator.text("ja", "browse.all"))
    await japanese.press("Arita mug")
    assert japanese.last is not None and japanese.last.text is not None
    assert "価格：￥1,100（税込）\n送料 ￥600 · ￥5,000以上で無料" in japanese.last.text


async def test_a_book_ships_free_by_its_category_and_an_ebook_has_no_shipping(telegram: MockBot, shop: Shop) -> None:
    owner = await make_owner(shop)
    book = await shop.catalog.create_product(owner, NewProduct(title="Tea book", price="2200", stock=3,
                                                               category_name="本"))
    ebook = await make_product(shop, owner, title="Tea e-book", price="800", kind="digital", stock=0)
    chat = open_chat(telegram, "en")
    [card] = sent(await chat.send(f"/start p_{book.id}"))
    assert "Price: ¥2,200 (tax incl.)\nFree shipping\n" in card.text
    [card] = sent(await chat.send(f"/start p_{ebook.id}"))
    assert "Price: ¥800 (tax incl.)\nDigital: no shipping\n" in card.text


async def test_an_inline_card_carries_the_same_lines(telegram: MockBot, shop: Shop) -> None:
    owner = await make_owner(shop)
    await make_product(shop, owner, title="Tea bowl", price="3300")
    answer = await ask_inline(telegram, "tea bowl")
    [result] = answer.results
    text = result.input_message_content.message_text  # type: ignore[union-attr]
    assert "Price: ¥3,300 (tax incl.)\nShipping ¥600 · free over ¥5,000" in text
    assert result.description.startswith("Price: ¥3,300 (tax incl.)")  # type: ignore[union-attr]


# ---- receipts ----


async def paid_order(shop: Shop, payments: PaymentService, buyer: int) -> OrderDTO:
    """Two mugs shipped to Tokyo, paid in USDT by one transfer the watcher saw confirmed."""
    owner = await make_owner(shop)
    mug = await make_product(shop, owner, title="Arita <mug> & saucer", price="1650", stock=5)
    order = await shop.orders.checkout(buyer, items=[(mug.variants[0].id, 2)], address=HOME)
    view = await payments.request_payment(buyer, order.id, "usdt-eth")
    records = PaymentRecords(shop.db, shop.clock)
    await records.record_payment(view.request.chain, view.request.id, TXID, 0, view.request.amount_units,
                                 100, "0xblock")
    await shop.payments.settle([order.id], {view.request.chain: 200})
    return await shop.orders.get(buyer, order.id)


async def open_detail(chat: ShopChat, translator: Translator, order: OrderDTO, locale: str) -> None:
    await chat.send("/orders")
    await chat.press(translator.text(locale, "orders.button", id=order.id,
                                     status=translator.status(locale, order.status),
                                     total=translator.money(locale, order.total)))


async def test_a_paid_order_shows_its_bill_and_sends_its_receipt(telegram: MockBot, shop: Shop,
                                                                 payments: PaymentService,
                                                                 translator: Translator) -> None:
    chat = open_chat(telegram, "en")
    await chat.send("/start")
    order = await paid_order(shop, payments, await customer_of(shop, chat))
    assert order.status is OrderStatus.PAID and order.total.minor == 3900  # 3,300 + 600 shipping

    await open_detail(chat, translator, order, "en")
    assert chat.last is not None and chat.last.text is not None
    detail = chat.last.text
    assert f"{quote('Arita <mug> & saucer')} × 2 — ¥3,300" in detail
    assert "Subtotal: ¥3,300\nShipping (本州): ¥600\n<b>Total: ¥3,900</b>" in detail
    assert translator.text("en", "bill.tax_included", rate="10", base="¥3,900", tax="¥354") in detail
    assert chat.labels()[0] == "🧾 Receipt"

    shown = chat.last.message_id
    result = await chat.press("🧾 Receipt")
    png, pdf = documents(result)
    assert (png.chat_id, pdf.chat_id) == (chat.user.id, chat.user.id)
    assert isinstance(png.document, BufferedInputFile) and isinstance(pdf.document, BufferedInputFile)
    assert (png.document.filename, pdf.document.filename) == (f"receipt-{order.id}.png", f"receipt-{order.id}.pdf")
    image = Image.open(io.BytesIO(png.document.data))
    assert image.format == "PNG" and image.size[0] == 720
    assert pdf.document.data.startswith(b"%PDF")
    assert png.caption == f"🧾 Qualified invoice for order #{order.id} (image and PDF)." and pdf.caption is None
    assert alert(result).text is None  # the spinner stops, nothing else is said
    assert chat.last.message_id == shown and edits(result) == []  # the detail stays as it was


async def test_a_japanese_buyer_gets_a_qualified_invoice(telegram: MockBot, shop: Shop, payments: PaymentService,
                                                         translator: Translator) -> None:
    chat = open_chat(telegram, "ja")
    await chat.send("/start")
    order = await paid_order(shop, payments, await customer_of(shop, chat))
    await open_detail(chat, translator, order, "ja")
    result = await chat.press("🧾 領収書")
    png, _ = documents(result)
    assert png.caption == f"🧾 ご注文 #{order.id} の適格請求書です（画像とPDF）。"


async def test_an_unpaid_order_has_no_receipt_and_a_forged_press_is_refused(
        telegram: MockBot, shop: Shop, translator: Translator) -> None:
    chat = open_chat(telegram, "en")
    await chat.send("/start")
    owner = await make_owner(shop)
    mug = await make_product(shop, owner, title="Arita mug", price="1650")
    order = await shop.orders.checkout(await customer_of(shop, chat), items=[(mug.variants[0].id, 1)],
                                       address=HOME)
    await open_detail(chat, translator, order, "en")
    assert "🧾 Receipt" not in chat.labels()

    forged = OrdersCallback(action=OrdersAction.RECEIPT, order_id=order.id).pack()
    result = await chat.press_data(forged)
    assert documents(result) == []
    answer = alert(result)
    assert answer.show_alert and answer.text == (
        f"There is no receipt for order #{order.id} (Awaiting payment): receipts are issued for paid orders.")


async def test_someone_elses_receipt_is_not_found(telegram: MockBot, shop: Shop, payments: PaymentService) -> None:
    owner_chat, other = open_chat(telegram, "en"), open_chat(telegram, "en")
    await owner_chat.send("/start")
    order = await paid_order(shop, payments, await customer_of(shop, owner_chat))
    await other.send("/start")
    result = await other.press_data(OrdersCallback(action=OrdersAction.RECEIPT, order_id=order.id).pack())
    assert documents(result) == []
    assert alert(result).text == "Sorry, we couldn't find that order."
