"""Telegram, in a shop that charges Japanese consumption tax and ships by zone: product cards show the price with
tax (総額表示) and the shipping rule in one line — through the real dispatcher, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from aiogram import Dispatcher
from aiogram.methods import SendDocument
from teremok import DispatchResult, MockBot

from bots.i18n import Translator
from bots.telegram import build_dispatcher
from bots.telegram.handlers.buyer.inline import build_inline_router
from commerce.bill import Pricing, ShippingRules, TaxMode, TaxRules, Zone
from commerce.catalog import NewProduct
from commerce.privacy import PersonalDataCipher
from commerce.shop import Shop, ShopRules
from commerce.storage.db import Database
from payments.requests import PaymentService
from tests.bots.conftest import SHOP_NAME, TERMS
from tests.bots.telegram_chat import TelegramChat, recording_bot, sent
from tests.bots.test_telegram_checkout import ShopChat
from tests.bots.test_telegram_share import ask_inline
from tests.conftest import FakeClock
from tests.support.factories import make_owner, make_product

_user_ids = itertools.count(960_000)
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
