"""The bills' parts in the sales summary and in the accountant's export, on SQLite and PostgreSQL: gross,
discounts, shipping, tax per rate and net add up to the bills frozen at checkout, for the whole shop and for a
seller's own lines; the export's lines add up to each order's bill."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from commerce.bill import Bill, CouponKind, Pricing, ShippingRules, TaxMode, TaxRules, Zone
from commerce.catalog import NewProduct
from commerce.coupons import NewCoupon
from commerce.errors import PermissionDenied
from commerce.money import Money
from commerce.privacy import PersonalDataCipher, ShippingAddress
from commerce.roles import Role
from commerce.sales import Period, PeriodSales, TaxSales
from commerce.sales_export import ExportOrder
from commerce.shop import Shop, ShopRules
from commerce.status import OrderStatus
from commerce.storage.db import Database
from commerce.storage.tables import Payment, PaymentRequest
from commerce.two_factor import TwoFactorRequired
from tests.conftest import FakeClock
from tests.support.factories import make_buyer, make_owner, make_product, step_up

TOKYO = ShippingAddress(name="山田太郎", postal_code="150-0001", region="東京都", city="渋谷区", line1="神宮前1-1")
HONSHU = ShippingRules((Zone("honshu", "本州", frozenset({"JP"}), fee_minor=600, free_over_minor=5000),))
INCLUSIVE = Pricing("JPY", TaxRules(TaxMode.INCLUSIVE, Decimal(10), {"食品": Decimal(8)}), HONSHU)
EXCLUSIVE = Pricing("JPY", TaxRules(TaxMode.EXCLUSIVE, Decimal(10), {"食品": Decimal(8)}), HONSHU)
# 12:00 on 24 November in Tokyo; the 30 days start on 26 October, Tokyo time.
NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
MONTH = datetime(2026, 10, 25, 15, 0, tzinfo=UTC)


def yen(minor: int) -> Money:
    return Money.from_minor(minor, "JPY")


def japan(db: Database, clock: FakeClock, data_key: str, pricing: Pricing = INCLUSIVE) -> Shop:
    return Shop(db, ShopRules(currency="JPY", pricing=pricing), PersonalDataCipher(data_key), clock)


class Goods:
    """Matcha (food: 8 %), a tea cup and an e-book (10 %), and two coupon codes."""

    def __init__(self, tea: int, cup: int, ebook: int) -> None:
        self.tea, self.cup, self.ebook = tea, cup, ebook


async def stock_the_shop(shop: Shop, owner: int) -> Goods:
    tea = await shop.catalog.create_product(owner, NewProduct(title="Matcha", price="1080", stock=50,
                                                              category_name="食品"))
    cup = await make_product(shop, owner, title="Tea cup", price="3300", stock=50)
    ebook = await make_product(shop, owner, title="Guide", price="1100", kind="digital", stock=0)
    await shop.catalog.add_digital_items(owner, ebook.variants[0].id, [f"KEY-{i}" for i in range(10)])
    await shop.coupons.create(owner, NewCoupon("SPRING10", CouponKind.PERCENT, percent=Decimal(10)))
    await shop.coupons.create(owner, NewCoupon("FIVE", CouponKind.FIXED, amount=yen(500)))
    return Goods(tea.variants[0].id, cup.variants[0].id, ebook.variants[0].id)


async def sell(shop: Shop, clock: FakeClock, items: list[tuple[int, int]], paid_at: datetime, *,
               coupon: str | None = None, buyer: int | None = None) -> Bill:
    clock.now = paid_at - timedelta(minutes=5)
    order = await shop.orders.checkout(buyer or await make_buyer(shop), items=items, address=TOKYO, coupon=coupon)
    clock.now = paid_at
    await shop.payments.payment_confirmed(order.id)
    return order.bill


def expected(bills: list[Bill]) -> dict[str, object]:
    """What the summary should say of these bills: every part summed, tax per (rate, included)."""
    taxes: dict[tuple[Decimal, bool], list[int]] = defaultdict(lambda: [0, 0])
    for bill in bills:
        for tax in bill.taxes:
            taxes[(tax.rate, bill.tax_mode is TaxMode.INCLUSIVE)][0] += tax.base_minor
            taxes[(tax.rate, bill.tax_mode is TaxMode.INCLUSIVE)][1] += tax.tax_minor
    return {
        "orders": len(bills), "gross": yen(sum(b.subtotal_minor for b in bills)),
        "discount": yen(sum(b.discount_minor for b in bills)), "shipping": yen(sum(b.shipping_minor for b in bills)),
        "taxes": {key: (yen(base), yen(tax)) for key, (base, tax) in taxes.items()},
        "total": yen(sum(b.total_minor for b in bills)),
        "net": yen(sum(b.total_minor - b.tax_minor for b in bills)),
    }


def observed(period: PeriodSales) -> dict[str, object]:
    return {"orders": period.orders, "gross": period.gross, "discount": period.discount, "shipping": period.shipping,
            "taxes": {(t.rate, t.included): (t.base, t.tax) for t in period.taxes}, "total": period.total,
            "net": period.net}


async def test_each_period_adds_up_the_frozen_bills(db: Database, clock: FakeClock, data_key: str) -> None:
    shop = japan(db, clock, data_key)
    owner = await make_owner(shop)
    goods = await stock_the_shop(shop, owner)
    today = NOW - timedelta(hours=1)
    # 2 matcha and a cup, 10 % off: 5,460 − 546 = 4,914 is under 5,000, so 600 shipping.
    a = await sell(shop, clock, [(goods.tea, 2), (goods.cup, 1)], today, coupon="spring10")
    # An order from before bills (a shop without rules then): its subtotal is its total.
    plain = Shop(db, ShopRules(currency="JPY"), PersonalDataCipher(data_key), clock)
    old = await sell(plain, clock, [(goods.cup, 1)], today)
    b = await sell(shop, clock, [(goods.cup, 2)], NOW - timedelta(days=3))          # 6,600: shipping free
    c = await sell(shop, clock, [(goods.ebook, 1), (goods.tea, 1)], NOW - timedelta(days=20), coupon="FIVE")
    await sell(shop, clock, [(goods.cup, 1)], MONTH - timedelta(seconds=1))          # too old
    clock.now = NOW - timedelta(minutes=30)
    refunded = await shop.orders.checkout(await make_buyer(shop), items=[(goods.cup, 1)], address=TOKYO)
    await shop.payments.payment_confirmed(refunded.id)
    await step_up(shop, owner)
    await shop.fulfilment.refund(owner, refunded.id, "tx")
    await shop.orders.checkout(await make_buyer(shop), items=[(goods.tea, 1)], address=TOKYO)  # never paid

    summary = await shop.sales.summary(owner, NOW)
    assert observed(summary.period(Period.TODAY)) == expected([a, old])
    assert observed(summary.period(Period.WEEK)) == expected([a, old, b])
    assert observed(summary.period(Period.MONTH)) == expected([a, old, b, c])
    # The figures by hand, for today: matcha 2,160 − 216 at 8 %; the cup 3,300 − 330 + 600 shipping at 10 %.
    day = summary.period(Period.TODAY)
    assert (day.gross, day.discount, day.shipping) == (yen(8760), yen(546), yen(600))
    assert day.taxes == (TaxSales(Decimal(10), True, yen(3570), yen(324)),
                         TaxSales(Decimal(8), True, yen(1944), yen(144)))
    assert (day.tax, day.net, day.total) == (yen(468), yen(8346), yen(8814))
    assert (day.refunded_orders, day.refunded) == (1, yen(3300))  # still apart, as before


async def test_tax_added_on_top_is_in_the_total_and_not_in_the_net(db: Database, clock: FakeClock,
                                                                   data_key: str) -> None:
    shop = japan(db, clock, data_key, EXCLUSIVE)
    owner = await make_owner(shop)
    goods = await stock_the_shop(shop, owner)
    bills = [await sell(shop, clock, [(goods.tea, 1), (goods.cup, 1)], NOW - timedelta(hours=2), coupon="FIVE"),
             await sell(shop, clock, [(goods.cup, 2)], NOW - timedelta(hours=1))]
    day = (await shop.sales.summary(owner, NOW)).period(Period.TODAY)
    assert observed(day) == expected(bills)
    assert all(not tax.included for tax in day.taxes)
    assert day.net == day.gross - day.discount + day.shipping
    assert day.total == day.net + day.tax == yen(sum(b.total_minor for b in bills))


async def test_a_shop_without_tax_shipping_or_coupons_has_zero_parts(shop: Shop, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    cup = (await make_product(shop, owner, price="1200", stock=10)).variants[0].id
    await sell(shop, clock, [(cup, 2)], NOW - timedelta(hours=1))
    day = (await shop.sales.summary(owner, NOW)).period(Period.TODAY)
    assert (day.gross, day.discount, day.shipping, day.taxes, day.net) == (yen(2400), yen(0), yen(0), (), yen(2400))


async def test_a_seller_sees_their_lines_share_of_discount_and_tax(db: Database, clock: FakeClock,
                                                                  data_key: str) -> None:
    shop = japan(db, clock, data_key)
    owner = await make_owner(shop)
    seller = await make_buyer(shop)
    await step_up(shop, owner)
    await shop.sellers.grant(owner, seller, Role.SELLER)
    goods = await stock_the_shop(shop, owner)
    bowl = (await make_product(shop, seller, title="Bowl", price="2750", stock=10)).variants[0].id
    at = NOW - timedelta(hours=1)
    mixed = await sell(shop, clock, [(goods.tea, 1), (bowl, 1), (goods.cup, 1)], at, coupon="SPRING10")
    cup_only = await sell(shop, clock, [(goods.cup, 1)], at)            # none of the seller's lines

    mine = (await shop.sales.summary(seller, NOW)).period(Period.TODAY)
    exported = [order async for order in shop.sales.orders_for_export(None, MONTH, NOW)]
    [theirs] = [line for order in exported for line in order.lines if line.title == "Bowl"]
    assert (mine.orders, mine.gross, mine.discount, mine.shipping) == (1, yen(2750), theirs.discount, yen(0))
    assert mine.taxes == (TaxSales(Decimal(10), True, theirs.after_discount, theirs.tax),)
    assert mine.net == theirs.net and mine.total == theirs.after_discount
    whole = (await shop.sales.summary(owner, NOW)).period(Period.TODAY)
    assert whole.tax.minor == mixed.tax_minor + cup_only.tax_minor
    assert whole.discount.minor == mixed.discount_minor and mine.discount < whole.discount


async def test_the_export_lines_add_up_to_each_frozen_bill(db: Database, clock: FakeClock, data_key: str) -> None:
    shop = japan(db, clock, data_key)
    owner = await make_owner(shop)
    goods = await stock_the_shop(shop, owner)
    bills = [await sell(shop, clock, [(goods.tea, 3), (goods.cup, 1), (goods.ebook, 1)], NOW - timedelta(days=2),
                        coupon="SPRING10"),
             await sell(shop, clock, [(goods.ebook, 1), (goods.tea, 1)], NOW - timedelta(days=1), coupon="FIVE"),
             await sell(shop, clock, [(goods.cup, 2)], NOW - timedelta(hours=1))]
    exported = [order async for order in shop.sales.orders_for_export(None, MONTH, NOW)]
    assert [parts(order.bill) for order in exported] == [parts(bill) for bill in bills]
    for order in exported:
        assert_adds_up(order)
    first = exported[0]
    assert [line.position for line in first.lines] == [1, 2, 3]
    assert first.bill.coupon == "SPRING10" and first.bill.zone_name == "本州"
    assert {line.tax_rate for line in first.lines} == {Decimal(8), Decimal(10)}
    assert first.status is OrderStatus.PAID and first.bill.shipping_minor == 0 and first.shipping_tax == yen(0)
    # The guide (1,100 − 252) and the 600 shipping share the 10 % tax, 131: 77 and 54.
    assert (exported[1].lines[0].tax, exported[1].shipping_tax) == (yen(77), yen(54))


def parts(bill: Bill) -> tuple[object, ...]:
    """What the bill charged (the frozen bill does not keep the lines' categories, only their rates)."""
    lines = [(line.total_minor, line.discount_minor, line.tax_rate) for line in bill.lines]
    return (bill.subtotal_minor, bill.discount_minor, bill.coupon, bill.shipping_minor, bill.zone_id, bill.tax_mode,
            bill.taxes, bill.total_minor, lines)


def assert_adds_up(order: ExportOrder) -> None:
    bill, lines = order.bill, order.lines
    assert sum(line.total.minor for line in lines) == bill.subtotal_minor
    assert sum(line.discount.minor for line in lines) == bill.discount_minor
    assert sum(line.tax.minor for line in lines) + order.shipping_tax.minor == bill.tax_minor
    for tax in bill.taxes:
        shipping = order.shipping_tax.minor if sum(
            line.after_discount.minor for line in lines if line.tax_rate == tax.rate) < tax.base_minor else 0
        assert sum(line.tax.minor for line in lines if line.tax_rate == tax.rate) + shipping == tax.tax_minor
    added = bill.tax_minor if bill.tax_mode is TaxMode.EXCLUSIVE else 0
    assert sum(line.after_discount.minor for line in lines) + bill.shipping_minor + added == bill.total_minor
    for line in lines:
        assert line.net + (line.tax if bill.tax_mode is TaxMode.INCLUSIVE else yen(0)) == line.after_discount


async def test_the_export_chooses_by_paid_date_and_status_in_batches(db: Database, clock: FakeClock,
                                                                     data_key: str) -> None:
    shop = japan(db, clock, data_key)
    owner = await make_owner(shop)
    goods = await stock_the_shop(shop, owner)
    day = datetime(2026, 11, 1, 15, 0, tzinfo=UTC)  # 2 November, 00:00 in Tokyo
    inside = [await sell(shop, clock, [(goods.cup, 1)], day + timedelta(minutes=i)) for i in range(3)]
    await sell(shop, clock, [(goods.cup, 1)], day - timedelta(microseconds=1))      # 1 November in Tokyo
    await sell(shop, clock, [(goods.cup, 1)], day + timedelta(days=1))              # 3 November: past `until`
    clock.now = day + timedelta(hours=1)
    waiting = await shop.orders.checkout(await make_buyer(shop), items=[(goods.tea, 1)], address=TOKYO)
    cancelled = await shop.orders.checkout(await make_buyer(shop), items=[(goods.tea, 1)], address=TOKYO)
    await shop.fulfilment.cancel(owner, cancelled.id)

    until = day + timedelta(days=1)
    sold = [order async for order in shop.sales.orders_for_export(None, day, until)]
    assert [parts(order.bill) for order in sold] == [parts(bill) for bill in inside]
    assert all(order.paid_at is not None and day <= order.paid_at < until for order in sold)
    chosen = [order.id async for order in shop.sales.orders_for_export(
        None, day, until, {OrderStatus.AWAITING_PAYMENT, OrderStatus.CANCELLED})]
    assert chosen == [waiting.id, cancelled.id]  # never paid: by the time they were placed


async def test_the_export_carries_the_transfers_that_paid(db: Database, clock: FakeClock, data_key: str) -> None:
    shop = japan(db, clock, data_key)
    owner = await make_owner(shop)
    goods = await stock_the_shop(shop, owner)
    clock.now = NOW - timedelta(hours=1)
    order = await shop.orders.checkout(await make_buyer(shop), items=[(goods.cup, 1)], address=TOKYO)
    async with db.uow() as uow:
        request = PaymentRequest(order_id=order.id, method_id="usdt-eth", chain="evm:1", asset="USDT", decimals=6,
                                 address="0xshop", amount_units=22_000_123, price="150", uri="ethereum:…",
                                 confirmations=2, due_minor=3300, expires_at=NOW, late_until=NOW)
        uow.session.add(request)
        await uow.flush()
        uow.session.add(Payment(request_id=request.id, chain="evm:1", txid="0xabc", output_index=0,
                                amount_units=22_000_123, block_height=10))
        uow.session.add(Payment(request_id=request.id, chain="evm:1", txid="0xgone", output_index=0,
                                amount_units=5, gone_at=NOW))
        await uow.commit()
    await shop.payments.payment_confirmed(order.id)
    [exported] = [o async for o in shop.sales.orders_for_export(None, MONTH, NOW)]
    assert [(p.method_id, p.asset, p.amount_units, p.decimals, p.txid) for p in exported.payments] == [
        ("usdt-eth", "USDT", 22_000_123, 6, "0xabc")]


async def test_only_an_owner_with_a_fresh_step_up_may_export(db: Database, clock: FakeClock, data_key: str) -> None:
    shop = japan(db, clock, data_key)
    owner = await make_owner(shop)
    staff = await make_buyer(shop)
    await step_up(shop, owner)
    await shop.sellers.grant(owner, staff, Role.STAFF)
    clock.advance(minutes=11)
    with pytest.raises(PermissionDenied):
        await anext(shop.sales.orders_for_export(staff, MONTH, NOW))
    with pytest.raises(TwoFactorRequired):
        await anext(shop.sales.orders_for_export(owner, MONTH, NOW))
    await step_up(shop, owner)
    assert [o async for o in shop.sales.orders_for_export(owner, MONTH, NOW)] == []


async def test_more_orders_than_a_batch(db: Database, clock: FakeClock, data_key: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("commerce.sales_export.BATCH_ORDERS", 2)
    shop = japan(db, clock, data_key)
    owner = await make_owner(shop)
    ebook = (await make_product(shop, owner, price="500", kind="digital", stock=0)).variants[0].id
    await shop.catalog.add_digital_items(owner, ebook, [f"K{i}" for i in range(5)])
    ids = []
    for i in range(5):
        clock.now = NOW - timedelta(hours=5 - i)
        ids.append((await shop.orders.checkout(await make_buyer(shop), items=[(ebook, 1)])).id)
        await shop.payments.payment_confirmed(ids[-1])
    assert [o.id async for o in shop.sales.orders_for_export(None, MONTH, NOW)] == ids

