"""Bills on real storage: frozen at checkout, coupons counted exactly once under concurrency and given back by
orders that will not be paid, shipping zones and tax from the shop's rules (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from commerce.bill import CouponKind, Pricing, ShippingRules, TaxMode, TaxRules, Zone
from commerce.coupons import NewCoupon
from commerce.errors import CouponRejected, InvalidInput, PermissionDenied, ShippingUnavailable
from commerce.money import Money
from commerce.privacy import PersonalDataCipher, ShippingAddress
from commerce.shop import Shop, ShopRules
from commerce.status import OrderStatus
from commerce.storage.db import Database
from commerce.storage.tables import Coupon, CouponUse, Order
from tests.conftest import FakeClock
from tests.support.factories import make_buyer, make_owner, make_product

TOKYO = ShippingAddress(name="山田太郎", postal_code="150-0001", region="東京都", city="渋谷区", line1="神宮前1-1")
PARIS = replace(TOKYO, country="FR", region="", city="Paris")
JAPAN = Pricing("JPY", TaxRules(TaxMode.INCLUSIVE, Decimal(10), {"食品": Decimal(8)}, registration="T1234567890123"),
                ShippingRules((Zone("honshu", "本州", frozenset({"JP"}), fee_minor=600, free_over_minor=5000),)))


@pytest.fixture
def japan(db: Database, clock: FakeClock, data_key: str) -> Shop:
    return Shop(db, ShopRules(currency="JPY", pricing=JAPAN), PersonalDataCipher(data_key), clock)


async def coupon_count(shop: Shop, code: str) -> int:
    async with shop.db.uow(write=False) as uow:
        return (await uow.session.execute(select(Coupon.uses).where(Coupon.code == code))).scalar_one()


async def test_the_bill_is_frozen_on_the_order_and_the_request_quotes_its_total(japan: Shop) -> None:
    owner = await make_owner(japan)
    cup = await make_product(japan, owner, price="1800", stock=10)
    await japan.coupons.create(owner, NewCoupon("SPRING10", CouponKind.PERCENT, percent=Decimal(10)))
    buyer = await make_buyer(japan)
    quoted = await japan.orders.quote(buyer, items=[(cup.variants[0].id, 2)], address=TOKYO, coupon="spring10")
    order = await japan.orders.checkout(buyer, items=[(cup.variants[0].id, 2)], address=TOKYO, coupon=" spring10 ")
    assert order.bill == quoted
    assert (order.bill.subtotal_minor, order.bill.discount_minor, order.bill.shipping_minor) == (3600, 360, 600)
    assert order.total == Money.from_minor(3840, "JPY")
    assert [(t.rate, t.base_minor, t.tax_minor) for t in order.bill.taxes] == [(Decimal(10), 3840, 349)]
    assert order.bill.registration == "T1234567890123"
    # A later change of price, coupon or rules changes nothing on the order.
    await japan.coupons.delete(owner, "SPRING10")
    await japan.catalog.set_price(owner, cup.variants[0].id, "9999")
    again = await Shop(japan.db, ShopRules(currency="JPY"), PersonalDataCipher(PersonalDataCipher.generate_key()),
                       japan.clock).orders.get(buyer, order.id)
    assert again.bill == order.bill and again.total == order.total


async def test_a_shop_without_rules_bills_the_lines_only(shop: Shop) -> None:
    owner = await make_owner(shop)
    cup = await make_product(shop, owner, price="1200")
    buyer = await make_buyer(shop)
    order = await shop.orders.checkout(buyer, items=[(cup.variants[0].id, 3)], address=TOKYO)
    assert order.total == Money.from_minor(3600, "JPY")
    assert (order.bill.subtotal_minor, order.bill.discount_minor, order.bill.shipping_minor, order.bill.taxes) == (
        3600, 0, 0, ())


async def test_an_address_outside_every_zone_is_refused_and_nothing_is_reserved(japan: Shop) -> None:
    owner = await make_owner(japan)
    cup = await make_product(japan, owner, stock=3)
    buyer = await make_buyer(japan)
    with pytest.raises(ShippingUnavailable) as refused:
        await japan.orders.checkout(buyer, items=[(cup.variants[0].id, 1)], address=PARIS)
    assert (refused.value.reason, refused.value.country) == ("zone", "FR")
    assert (await japan.catalog.product(cup.id)).variants[0].stock == 3


async def test_200_concurrent_checkouts_with_a_10_use_code_discount_exactly_10(japan: Shop) -> None:
    owner = await make_owner(japan)
    ebook = await make_product(japan, owner, price="1000", kind="digital", stock=0)
    await japan.catalog.add_digital_items(owner, ebook.variants[0].id, [f"KEY-{i}" for i in range(200)])
    await japan.coupons.create(owner, NewCoupon("TEN", CouponKind.FIXED, amount=Money.parse("300", "JPY"),
                                                max_uses=10))
    buyers = [await make_buyer(japan) for _ in range(200)]

    async def buy(customer_id: int) -> str:
        try:
            await japan.orders.checkout(customer_id, items=[(ebook.variants[0].id, 1)], coupon="TEN")
            return "discounted"
        except CouponRejected as exc:
            assert exc.reason == "used_up"
            return "refused"

    results = await asyncio.gather(*(buy(b) for b in buyers))
    assert results.count("discounted") == 10 and results.count("refused") == 190
    assert await coupon_count(japan, "TEN") == 10
    async with japan.db.uow(write=False) as uow:
        assert (await uow.session.execute(select(func.count()).select_from(Order)
                                          .where(Order.coupon_code == "TEN", Order.total_minor == 700))
                ).scalar_one() == 10
        assert (await uow.session.execute(select(func.count()).select_from(CouponUse))).scalar_one() == 10
    # The refused buyers were told why; without the code their orders go through.
    late = [b for b, r in zip(buyers, results, strict=True) if r == "refused"][0]
    order = await japan.orders.checkout(late, items=[(ebook.variants[0].id, 1)])
    assert order.total == Money.from_minor(1000, "JPY")


async def test_an_expired_or_cancelled_order_gives_its_use_back(japan: Shop, clock: FakeClock) -> None:
    owner = await make_owner(japan)
    ebook = await make_product(japan, owner, price="1000", kind="digital", stock=0)
    await japan.catalog.add_digital_items(owner, ebook.variants[0].id, ["A", "B", "C"])
    await japan.coupons.create(owner, NewCoupon("ONCE", CouponKind.PERCENT, percent=Decimal(50), max_uses=1))
    first, second = await make_buyer(japan), await make_buyer(japan)
    order = await japan.orders.checkout(first, items=[(ebook.variants[0].id, 1)], coupon="ONCE")
    with pytest.raises(CouponRejected):
        await japan.orders.checkout(second, items=[(ebook.variants[0].id, 1)], coupon="ONCE")
    await japan.orders.cancel(first, order.id)
    assert await coupon_count(japan, "ONCE") == 0
    again = await japan.orders.checkout(second, items=[(ebook.variants[0].id, 1)], coupon="ONCE")
    assert again.total == Money.from_minor(500, "JPY")
    clock.advance(minutes=31)
    assert again.id in await japan.payments.expire_due()
    assert await coupon_count(japan, "ONCE") == 0
    assert (await japan.orders.get(second, again.id)).status is OrderStatus.EXPIRED


async def test_a_code_is_refused_politely_for_each_reason(japan: Shop, clock: FakeClock) -> None:
    owner = await make_owner(japan)
    cup = await make_product(japan, owner, price="1000", stock=20)
    buyer = await make_buyer(japan)
    coupons = japan.coupons
    await coupons.create(owner, NewCoupon("LATER", CouponKind.PERCENT, percent=Decimal(5),
                                          starts_at=clock.now + timedelta(days=1)))
    await coupons.create(owner, NewCoupon("OLD", CouponKind.PERCENT, percent=Decimal(5),
                                          ends_at=clock.now + timedelta(minutes=1)))
    await coupons.create(owner, NewCoupon("BIG", CouponKind.FIXED, amount=Money.parse("500", "JPY"),
                                          min_order=Money.parse("5000", "JPY")))
    await coupons.create(owner, NewCoupon("MINE", CouponKind.PERCENT, percent=Decimal(5), per_customer=1))
    await coupons.create(owner, NewCoupon("STOP", CouponKind.PERCENT, percent=Decimal(5)))
    await coupons.set_paused(owner, "stop", True)
    clock.advance(minutes=2)
    expected = {"NOPE": "unknown", "LATER": "not_started", "OLD": "expired", "BIG": "minimum", "STOP": "paused",
                "bad code!": "unknown"}
    for code, reason in expected.items():
        with pytest.raises(CouponRejected) as refused:
            await japan.orders.checkout(buyer, items=[(cup.variants[0].id, 1)], address=TOKYO, coupon=code)
        assert refused.value.reason == reason, code
    await japan.orders.checkout(buyer, items=[(cup.variants[0].id, 1)], address=TOKYO, coupon="MINE")
    with pytest.raises(CouponRejected) as twice:
        await coupons.check(buyer, "mine")
    assert twice.value.reason == "used_by_you"
    assert (await japan.catalog.product(cup.id)).variants[0].stock == 19    # only the order that went through


async def test_only_owner_and_staff_manage_coupons_and_bad_terms_are_refused(japan: Shop) -> None:
    owner = await make_owner(japan)
    buyer = await make_buyer(japan)
    with pytest.raises(PermissionDenied):
        await japan.coupons.create(buyer, NewCoupon("HACK", CouponKind.PERCENT, percent=Decimal(100)))
    with pytest.raises(PermissionDenied):
        await japan.coupons.list(buyer)
    for bad, field in ((NewCoupon("X", CouponKind.PERCENT, percent=Decimal(5)), "coupon_code"),
                       (NewCoupon("PCT", CouponKind.PERCENT, percent=Decimal(101)), "percent"),
                       (NewCoupon("PCT", CouponKind.PERCENT, percent=Decimal("0.001")), "percent"),
                       (NewCoupon("FIX", CouponKind.FIXED), "amount"),
                       (NewCoupon("USES", CouponKind.PERCENT, percent=Decimal(5), max_uses=0), "max_uses")):
        with pytest.raises(InvalidInput) as refused:
            await japan.coupons.create(owner, bad)
        assert refused.value.field == field
    await japan.coupons.create(owner, NewCoupon("ok-1", CouponKind.FREE_SHIPPING))
    with pytest.raises(InvalidInput) as taken:
        await japan.coupons.create(owner, NewCoupon("OK-1", CouponKind.PERCENT, percent=Decimal(5)))
    assert taken.value.reason == "taken"
    listed = await japan.coupons.list(owner)
    assert [(c.code, c.free_shipping) for c in listed] == [("OK-1", True)]
