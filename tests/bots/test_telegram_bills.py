"""A Japanese shop on Telegram: the checkout summary is an itemised bill (shipping by zone, tax per rate), a
coupon is typed or brought by a link, and every code or address that can't be used gets its reason."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from aiogram import Dispatcher
from teremok import MockBot

from bots.i18n import Translator
from bots.telegram import build_dispatcher
from commerce.bill import CouponKind, Pricing, ShippingRules, TaxMode, TaxRules, Zone
from commerce.coupons import NewCoupon
from commerce.errors import CouponRejected, ShippingUnavailable
from commerce.money import Money
from commerce.privacy import PersonalDataCipher
from commerce.shop import Shop, ShopRules
from commerce.storage.db import Database
from payments.requests import PaymentService
from tests.bots.conftest import SHOP_NAME, TERMS
from tests.bots.telegram_chat import recording_bot
from tests.bots.test_telegram_checkout import ADDRESS_TEXT, ShopChat, fill_cart, only_order, photos, press_checkout
from tests.conftest import FakeClock
from tests.support.factories import make_buyer, make_product

KANTO = Zone("kanto", "関東", frozenset({"JP"}), frozenset({"東京都", "神奈川県"}), fee_minor=600,
             free_over_minor=5000)
JAPAN = Pricing("JPY", TaxRules(TaxMode.INCLUSIVE, Decimal(10), {"食品": Decimal(8)}), ShippingRules((KANTO,)))
OSAKA_TEXT = "Hana Sato\n530-0001\n大阪府大阪市北区\n梅田1-1"
_user_ids = itertools.count(760_000)


@pytest.fixture
def shop(db: Database, clock: FakeClock, data_key: str) -> Shop:
    return Shop(db, ShopRules(currency="JPY", pricing=JAPAN), PersonalDataCipher(data_key), clock)


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


async def to_summary(chat: ShopChat, shop: Shop, owner: int, price: str = "1800") -> None:
    await fill_cart(shop, chat, owner, price=price)
    await press_checkout(chat)
    await chat.send(ADDRESS_TEXT)
    await chat.press("Use")
    await chat.press("USDT (Ethereum)")


async def test_the_summary_is_an_itemised_bill_and_a_typed_code_discounts_it(
        chat: ShopChat, shop: Shop, owner: int, translator: Translator) -> None:
    await shop.coupons.create(owner, NewCoupon("SPRING10", CouponKind.PERCENT, percent=Decimal(10)))
    await to_summary(chat, shop, owner)
    summary = chat.last.text or ""  # type: ignore[union-attr]
    assert "Shipping (関東): ¥600" in summary and "Total: ¥2,400" in summary
    assert "10% items ¥2,400 (incl. tax ¥218)" in summary
    await chat.press(translator.text("en", "button.coupon"))
    assert chat.last.text == translator.text("en", "checkout.coupon_prompt")  # type: ignore[union-attr]
    await chat.send("ｓｐｒｉｎｇ10")     # full-width, lower case: read as the code
    summary = chat.last.text or ""  # type: ignore[union-attr]
    assert "Discount (SPRING10): −¥180" in summary and "Total: ¥2,220" in summary
    assert translator.text("en", "button.drop_coupon", code="SPRING10") in chat.labels()

    result = await chat.press(translator.text("en", "button.confirm_order"))

    assert len(photos(result)) == 1
    buyer, order_id = await only_order(shop, chat)
    order = await shop.orders.get(buyer, order_id)
    assert order.total == Money.from_minor(2220, "JPY") and order.bill.coupon == "SPRING10"


async def test_a_wrong_code_gets_its_reason_and_the_order_goes_on_without_it(
        chat: ShopChat, shop: Shop, owner: int, translator: Translator, clock: FakeClock) -> None:
    await shop.coupons.create(owner, NewCoupon("BIG", CouponKind.FIXED, amount=Money.parse("500", "JPY"),
                                               min_order=Money.parse("10000", "JPY")))
    await to_summary(chat, shop, owner)
    await chat.press(translator.text("en", "button.coupon"))
    await chat.send("NOPE")
    text = chat.last.text or ""  # type: ignore[union-attr]
    assert translator.error("en", CouponRejected(code="NOPE", reason="unknown")) in text
    assert "Total: ¥2,400" in text and translator.text("en", "button.coupon") in chat.labels()
    await chat.press(translator.text("en", "button.coupon"))
    await chat.send("big")
    text = chat.last.text or ""  # type: ignore[union-attr]
    assert "The code BIG needs an order of at least ¥10,000" in text and "Discount" not in text
    await chat.press(translator.text("en", "button.confirm_order"))
    buyer, order_id = await only_order(shop, chat)
    assert (await shop.orders.get(buyer, order_id)).total == Money.from_minor(2400, "JPY")


async def test_a_code_used_up_while_the_buyer_looked_is_dropped_with_the_reason(
        chat: ShopChat, shop: Shop, owner: int, translator: Translator) -> None:
    await shop.coupons.create(owner, NewCoupon("LAST", CouponKind.PERCENT, percent=Decimal(50), max_uses=1))
    digital = await make_product(shop, owner, title="Guide", price="1000", kind="digital", stock=0)
    await shop.catalog.add_digital_items(owner, digital.variants[0].id, ["K1", "K2"])
    await to_summary(chat, shop, owner)
    await chat.press(translator.text("en", "button.coupon"))
    await chat.send("LAST")
    assert "Discount (LAST)" in (chat.last.text or "")  # type: ignore[union-attr]
    someone = await make_buyer(shop)
    await shop.orders.checkout(someone, items=[(digital.variants[0].id, 1)], coupon="LAST")

    await chat.press(translator.text("en", "button.confirm_order"))

    text = chat.last.text or ""  # type: ignore[union-attr]
    assert translator.error("en", CouponRejected(code="LAST", reason="used_up")) in text
    assert "Total: ¥2,400" in text
    buyer = (await shop.customers.identify("telegram", chat.user.id)).id
    assert await shop.orders.history(buyer) == []           # nothing placed until the buyer confirms again
    await chat.press(translator.text("en", "button.confirm_order"))
    [order] = await shop.orders.history(buyer)
    assert order.total == Money.from_minor(2400, "JPY")


async def test_an_address_outside_every_zone_is_asked_again(chat: ShopChat, shop: Shop, owner: int,
                                                            translator: Translator) -> None:
    await fill_cart(shop, chat, owner)
    await press_checkout(chat)
    await chat.send(OSAKA_TEXT)
    result = await chat.press("Use")
    texts = [getattr(r, "text", "") or "" for r in result.requests.all]
    refusal = translator.error("en", ShippingUnavailable(reason="zone", country="JP", region="大阪府"))
    assert any(refusal in text for text in texts)
    assert chat.last.text.startswith(translator.text("en", "checkout.address_prompt")[:20])  # type: ignore[union-attr]
    await chat.send(ADDRESS_TEXT)
    await chat.press("Use")
    assert chat.labels()[:2] == ["BTC (Bitcoin)", "USDT (Ethereum)"]


async def test_a_coupon_link_keeps_the_code_for_the_next_checkout(chat: ShopChat, shop: Shop, owner: int,
                                                                  translator: Translator) -> None:
    await shop.coupons.create(owner, NewCoupon("WELCOME", CouponKind.FREE_SHIPPING))
    result = await chat.send("/start c_WELCOME")
    texts = [getattr(r, "text", "") or "" for r in result.requests.all]
    assert translator.text("en", "coupon.kept", code="WELCOME") in texts
    await to_summary(chat, shop, owner)
    summary = chat.last.text or ""  # type: ignore[union-attr]
    assert "Shipping (関東): free" in summary and "Total: ¥1,800" in summary
    await chat.press(translator.text("en", "button.drop_coupon", code="WELCOME"))
    assert "Total: ¥2,400" in (chat.last.text or "")  # type: ignore[union-attr]

    expired = await chat.send("/start c_NOSUCHCODE")
    texts = [getattr(r, "text", "") or "" for r in expired.requests.all]
    assert any(translator.error("en", CouponRejected(code="NOSUCHCODE", reason="unknown")) in t for t in texts)
