"""A Japanese shop on Discord: the checkout summary is an itemised bill, `/shop code:` and the coupon button
apply a code, and a code or an address that can't be used gets its reason."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bots.i18n import Translator
from commerce.bill import CouponKind, Pricing, ShippingRules, TaxMode, TaxRules, Zone
from commerce.coupons import NewCoupon
from commerce.errors import CouponRejected
from commerce.money import Money
from commerce.privacy import PersonalDataCipher
from commerce.shop import Shop, ShopRules
from commerce.storage.db import Database
from tests.conftest import FakeClock
from tests.discord.conftest import button_labels
from tests.support.factories import make_owner, make_product

KANTO = Zone("kanto", "関東", frozenset({"JP"}), frozenset({"東京都", "神奈川県"}), fee_minor=600,
             free_over_minor=5000)
JAPAN = Pricing("JPY", TaxRules(TaxMode.INCLUSIVE, Decimal(10)), ShippingRules((KANTO,)))
TOKYO = ["Hana Sato", "150-0001", "東京都渋谷区", "神宮前1-2-3", ""]
OSAKA = ["Hana Sato", "530-0001", "大阪府大阪市北区", "梅田1-1", ""]


@pytest.fixture
def shop(db: Database, clock: FakeClock, data_key: str) -> Shop:
    return Shop(db, ShopRules(currency="JPY", pricing=JAPAN), PersonalDataCipher(data_key), clock)


def values(modal: Any, typed: list[str]) -> dict[str, str]:
    ids = [row["components"][0]["custom_id"] for row in modal.modal["components"]]
    return dict(zip(ids, typed, strict=False))


async def to_summary(buyer: Any, channel: Any, shop: Shop, address: list[str] = TOKYO) -> Any:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title="Tea cup", price="1800", stock=5)
    await shop.cart.add((await shop.customers.identify("discord", buyer.id)).id, product.variants[0].id)
    cart = await buyer.slash(channel, "cart")
    asked = await buyer.click(cart.response, label="✅ Check out")
    modal = await buyer.click(asked.response, label="📮 Enter address")
    typed = await buyer.submit_modal(modal, values(modal, address))
    methods = await buyer.click(typed.response, label="💾 Save and continue")
    if address is not TOKYO:
        return methods
    return await buyer.select(methods.response, ["usdt-eth"])


async def test_shop_code_keeps_a_coupon_and_the_summary_is_an_itemised_bill(
        simcord_env: Any, channel: Any, buyer: Any, shop: Shop, translator: Translator) -> None:
    owner = await make_owner(shop)
    await shop.coupons.create(owner, NewCoupon("SPRING10", CouponKind.PERCENT, percent=Decimal(10)))
    shown = await buyer.slash(channel, "shop", code="spring10")
    assert translator.text("en", "coupon.kept", code="SPRING10") in shown.response.content
    summary = await to_summary(buyer, channel, shop)
    text = summary.response.content
    assert "Discount (SPRING10): −¥180" in text and "Shipping (関東): ¥600" in text and "Total: ¥2,220" in text
    assert "10% items ¥2,220 (incl. tax ¥201)" in text
    paid = await buyer.click(summary.response, label="✅ Confirm and pay")
    assert paid.followups
    [order] = await shop.orders.history((await shop.customers.identify("discord", buyer.id)).id)
    assert order.total == Money.from_minor(2220, "JPY") and order.bill.coupon == "SPRING10"


async def test_the_coupon_button_takes_a_code_and_refuses_a_wrong_one_politely(
        simcord_env: Any, channel: Any, buyer: Any, shop: Shop, translator: Translator) -> None:
    summary = await to_summary(buyer, channel, shop)
    owner = await make_owner(shop)
    await shop.coupons.create(owner, NewCoupon("FIVE", CouponKind.FIXED, amount=Money.parse("500", "JPY")))
    modal = await buyer.click(summary.response, label=translator.text("en", "button.coupon"))
    assert modal.modal is not None
    wrong = await buyer.submit_modal(modal, values(modal, ["NOPE"]))
    assert translator.error("en", CouponRejected(code="NOPE", reason="unknown")) in wrong.response.content
    assert "Total: ¥2,400" in wrong.response.content
    modal = await buyer.click(wrong.response, label=translator.text("en", "button.coupon"))
    right = await buyer.submit_modal(modal, values(modal, ["five"]))
    assert "Discount (FIVE): −¥500" in right.response.content and "Total: ¥1,900" in right.response.content
    dropped = await buyer.click(right.response, label=translator.text("en", "button.drop_coupon", code="FIVE"))
    assert "Total: ¥2,400" in dropped.response.content
    assert translator.text("en", "button.coupon") in button_labels(dropped.response)


async def test_an_address_outside_every_zone_is_asked_again(simcord_env: Any, channel: Any, buyer: Any,
                                                            shop: Shop) -> None:
    refused = await to_summary(buyer, channel, shop, OSAKA)
    assert "doesn't ship to JP 大阪府" in refused.response.content
    assert "📮 Enter address" in button_labels(refused.response)
