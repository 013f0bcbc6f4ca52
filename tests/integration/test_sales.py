"""The sales summary on a real database: Tokyo calendar days at their exact boundaries, which statuses count,
refunds on their own, top products, referral attribution, and a seller who sees only their own products."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from commerce.errors import PermissionDenied
from commerce.money import Money
from commerce.privacy import ShippingAddress
from commerce.roles import Role
from commerce.sales import Period, SalesService, SalesSummary
from commerce.shop import Shop
from tests.conftest import FakeClock
from tests.support.factories import make_buyer, make_owner, make_product, step_up

HOME = ShippingAddress(name="Taro Sato", postal_code="150-0001", region="Tokyo", city="Shibuya", line1="2-2-2 Jingumae")
# 12:00 on 24 November in Tokyo. Tokyo's midnights in UTC: 24 Nov → 23 Nov 15:00; 18 Nov → 17 Nov 15:00;
# 26 Oct (the first of the 30 days) → 25 Oct 15:00.
NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
TODAY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
WEEK = datetime(2026, 11, 17, 15, 0, tzinfo=UTC)
MONTH = datetime(2026, 10, 25, 15, 0, tzinfo=UTC)
JUST = timedelta(microseconds=1)


def yen(amount: int) -> Money:
    return Money.from_minor(amount, "JPY")


async def sell(shop: Shop, clock: FakeClock, variant_id: int, quantity: int, paid_at: datetime, *,
               buyer: int | None = None) -> int:
    """A buyer orders `quantity` and pays, the payment confirming at `paid_at`."""
    clock.now = paid_at - timedelta(minutes=5)
    order = await shop.orders.checkout(buyer or await make_buyer(shop), items=[(variant_id, quantity)], address=HOME)
    clock.now = paid_at
    await shop.payments.payment_confirmed(order.id)
    return order.id


def figures(summary: SalesSummary, period: Period) -> tuple[int, Money, int, int, Money]:
    p = summary.period(period)
    return p.orders, p.revenue, p.units, p.refunded_orders, p.refunded


async def test_orders_count_by_the_tokyo_day_they_were_paid(shop: Shop, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    cup = (await make_product(shop, owner, price="1200", stock=100)).variants[0].id
    await sell(shop, clock, cup, 1, TODAY - JUST)      # 23:59:59.999999 yesterday in Tokyo
    await sell(shop, clock, cup, 2, TODAY)             # 00:00 today in Tokyo
    await sell(shop, clock, cup, 3, NOW)               # just now
    await sell(shop, clock, cup, 4, WEEK - JUST)       # one instant before the 7 days
    await sell(shop, clock, cup, 5, WEEK)
    await sell(shop, clock, cup, 6, MONTH - JUST)      # older than the 30 days: nowhere
    await sell(shop, clock, cup, 7, MONTH)
    await sell(shop, clock, cup, 8, NOW + JUST)        # after the "as of" moment: not yet

    summary = await shop.sales.summary(owner, NOW)
    assert figures(summary, Period.TODAY) == (2, yen(1200 * 5), 5, 0, yen(0))
    assert figures(summary, Period.WEEK) == (4, yen(1200 * 11), 11, 0, yen(0))
    assert figures(summary, Period.MONTH) == (6, yen(1200 * 22), 22, 0, yen(0))
    assert summary.period(Period.TODAY).since == TODAY
    assert summary.period(Period.MONTH).since == MONTH
    assert (summary.timezone, summary.own_products_only) == ("Asia/Tokyo", False)


async def test_today_follows_the_configured_time_zone(shop: Shop, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    cup = (await make_product(shop, owner, stock=10)).variants[0].id
    await sell(shop, clock, cup, 1, TODAY)  # midnight in Tokyo, but 15:00 on the 23rd in London
    london = SalesService(shop.db, "JPY", "Europe/London", clock)
    assert (await london.summary(owner, NOW)).period(Period.TODAY).orders == 0
    assert (await shop.sales.summary(owner, NOW)).period(Period.TODAY).orders == 1


async def test_which_statuses_count_and_refunds_on_their_own(shop: Shop, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    cup = (await make_product(shop, owner, price="1000", stock=100)).variants[0].id
    key = (await make_product(shop, owner, title="E-book", price="500", kind="digital")).variants[0].id
    await shop.catalog.add_digital_items(owner, key, ["K1", "K2"])
    base = TODAY + timedelta(hours=1)

    await sell(shop, clock, cup, 1, base)                                  # paid
    shipped = await sell(shop, clock, cup, 1, base)
    await shop.fulfilment.ship(owner, shipped, "JP1")                      # shipped
    delivered = await sell(shop, clock, cup, 1, base)
    await shop.fulfilment.ship(owner, delivered, "JP2")
    await shop.fulfilment.deliver(owner, delivered)                        # delivered
    await sell(shop, clock, key, 1, base)                                  # fulfilled at once
    refunded = await sell(shop, clock, cup, 2, WEEK + timedelta(days=1))   # paid last week, refunded today
    clock.now = base + timedelta(hours=1)
    await step_up(shop, owner)
    await shop.fulfilment.refund(owner, refunded, "tx 0xabc")
    clock.now = base
    waiting = await shop.orders.checkout(await make_buyer(shop), items=[(cup, 1)], address=HOME)   # not paid
    cancelled = await shop.orders.checkout(await make_buyer(shop), items=[(cup, 1)], address=HOME)
    await shop.fulfilment.cancel(owner, cancelled.id)
    assert waiting.status.is_open

    summary = await shop.sales.summary(owner, NOW)
    assert figures(summary, Period.TODAY) == (4, yen(3500), 4, 1, yen(2000))
    assert figures(summary, Period.MONTH) == (4, yen(3500), 4, 1, yen(2000))


async def test_an_accepted_late_payment_counts_when_accepted_and_a_refunded_one_as_a_refund(
        shop: Shop, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    cup = (await make_product(shop, owner, price="800", stock=10)).variants[0].id
    orders = []
    for _ in range(2):
        clock.now = WEEK - timedelta(days=2)
        orders.append((await shop.orders.checkout(await make_buyer(shop), items=[(cup, 1)], address=HOME)).id)
    clock.advance(minutes=31)
    await shop.payments.expire_due()
    for order_id in orders:
        await shop.payments.late_payment(order_id)
    clock.now = TODAY + timedelta(minutes=1)
    await shop.fulfilment.accept_late(owner, orders[0])
    await step_up(shop, owner)
    await shop.fulfilment.refund(owner, orders[1], "sent back")

    summary = await shop.sales.summary(owner, NOW)
    assert figures(summary, Period.TODAY) == (1, yen(800), 1, 1, yen(800))


async def test_top_products_by_revenue_over_30_days(shop: Shop, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    prices = {"Tea cup": "1000", "Teapot": "5000", "Spoon": "300", "Tray": "2000", "Kettle": "4000", "Cloth": "100"}
    variants = {title: (await make_product(shop, owner, title=title, price=price, stock=100)).variants[0].id
                for title, price in prices.items()}
    at = WEEK + timedelta(days=1)
    await sell(shop, clock, variants["Tea cup"], 3, at)     # 3000
    await sell(shop, clock, variants["Teapot"], 1, at)      # 5000
    await sell(shop, clock, variants["Spoon"], 20, at)      # 6000
    await sell(shop, clock, variants["Tray"], 1, at)        # 2000
    await sell(shop, clock, variants["Kettle"], 1, at)      # 4000
    await sell(shop, clock, variants["Cloth"], 10, at)      # 1000: sixth, left out
    await sell(shop, clock, variants["Cloth"], 90, MONTH - JUST)  # too old to count

    top = (await shop.sales.summary(owner, NOW)).top_products
    assert [(p.title, p.units, p.revenue) for p in top] == [
        ("Spoon", 20, yen(6000)), ("Teapot", 1, yen(5000)), ("Kettle", 1, yen(4000)), ("Tea cup", 3, yen(3000)),
        ("Tray", 1, yen(2000))]


async def test_referrals_are_attributed_to_the_referrer(shop: Shop, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    cup = (await make_product(shop, owner, price="1500", stock=100)).variants[0].id
    influencer = await shop.customers.identify("telegram", 7_700_001)
    friend = await shop.customers.identify("telegram", 7_700_002, referral=influencer.referral_code)
    other = await shop.customers.identify("telegram", 7_700_003, referral=influencer.referral_code)
    stranger = await shop.customers.identify("telegram", 7_700_004, referral="nobody42")
    at = TODAY + timedelta(hours=2)
    await sell(shop, clock, cup, 1, at, buyer=friend.id)
    await sell(shop, clock, cup, 2, at, buyer=friend.id)
    await sell(shop, clock, cup, 1, at, buyer=other.id)
    await sell(shop, clock, cup, 1, at, buyer=stranger.id)
    await sell(shop, clock, cup, 5, at)  # nobody referred this buyer

    referrals = (await shop.sales.summary(owner, NOW)).referrals
    assert [(r.code, r.referrer_id, r.orders, r.revenue) for r in referrals] == [
        (influencer.referral_code, influencer.id, 3, yen(6000)), ("nobody42", None, 1, yen(1500))]


async def test_a_seller_sees_only_their_own_products(shop: Shop, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    seller = await make_buyer(shop)
    staff = await make_buyer(shop)
    await step_up(shop, owner)
    await shop.sellers.grant(owner, seller, Role.SELLER)
    await shop.sellers.grant(owner, staff, Role.STAFF)
    house = (await make_product(shop, owner, title="House tea", price="1000", stock=50)).variants[0].id
    theirs = (await make_product(shop, seller, title="Their bowl", price="3000", stock=50)).variants[0].id
    buyer = await make_buyer(shop)
    clock.now = TODAY + timedelta(hours=1)
    mixed = await shop.orders.checkout(buyer, items=[(house, 2), (theirs, 1)], address=HOME)
    await shop.payments.payment_confirmed(mixed.id)
    await sell(shop, clock, house, 1, TODAY + timedelta(hours=2))

    mine = await shop.sales.summary(seller, NOW)
    assert mine.own_products_only
    assert figures(mine, Period.TODAY) == (1, yen(3000), 1, 0, yen(0))
    assert [p.title for p in mine.top_products] == ["Their bowl"]
    for whole_shop in (owner, staff):
        summary = await shop.sales.summary(whole_shop, NOW)
        assert not summary.own_products_only
        assert figures(summary, Period.TODAY) == (2, yen(6000), 4, 0, yen(0))
        # both took 3000 yen: more units sold goes first
        assert [(p.title, p.units) for p in summary.top_products] == [("House tea", 3), ("Their bowl", 1)]


async def test_a_buyer_may_not_see_sales(shop: Shop) -> None:
    buyer = await make_buyer(shop)
    with pytest.raises(PermissionDenied):
        await shop.sales.summary(buyer, NOW)


async def test_an_empty_shop_has_zeroes(shop: Shop) -> None:
    owner = await make_owner(shop)
    summary = await shop.sales.summary(owner, NOW)
    assert [figures(summary, p) for p in Period] == [(0, yen(0), 0, 0, yen(0))] * 3
    assert (summary.top_products, summary.referrals) == ((), ())


async def test_big_amounts_stay_exact(shop: Shop, clock: FakeClock) -> None:
    """Two orders of 20,000,000 yen × 99 add up past a 32-bit integer."""
    owner = await make_owner(shop)
    gold = (await make_product(shop, owner, title="Gold", price="20000000", stock=200)).variants[0].id
    await sell(shop, clock, gold, 99, TODAY)
    await sell(shop, clock, gold, 99, TODAY)
    summary = await shop.sales.summary(owner, NOW)
    assert summary.period(Period.TODAY).revenue == yen(3_960_000_000)
    assert summary.top_products[0].revenue == yen(3_960_000_000)


async def test_the_summary_is_a_few_aggregate_queries(shop: Shop, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    cup = (await make_product(shop, owner, stock=100)).variants[0].id
    for hours in range(12):
        await sell(shop, clock, cup, 1, TODAY + timedelta(hours=hours))
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engine = shop.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        await shop.sales.summary(owner, NOW)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 5  # the role, the periods, the tax per rate, the products, the referrals
