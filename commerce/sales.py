"""The sales summary for the shop's staff: today, the last 7 and 30 days, top products and referrals.

An order counts from the moment it became paid (`Order.paid_at`), while it is paid, fulfilled, shipped or
delivered. A refunded order is left out of the sales and shown on its own, at the time of the refund (its
last transition), so a late payment that was sent back shows up there too. Days are the shop's calendar
days in its time zone ("today" starts at midnight in Tokyo, not in UTC). Owners and staff see the whole
shop; a `seller` sees the lines of their own products only. A handful of aggregate queries, whatever the
number of orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Select, and_, case, cast, distinct, func, or_, select

from commerce.events import Clock, system_clock
from commerce.money import Money
from commerce.roles import Permission, Role
from commerce.sellers import require_permission
from commerce.status import OrderStatus
from commerce.storage.db import Database
from commerce.storage.tables import Customer, Order, OrderLine, Product


class Period(StrEnum):
    TODAY = "today"
    WEEK = "7d"
    MONTH = "30d"


PERIOD_DAYS: Final[dict[Period, int]] = {Period.TODAY: 1, Period.WEEK: 7, Period.MONTH: 30}
COUNTED: Final = tuple(status for status in OrderStatus if status.is_settled)  # paid, fulfilled, shipped, delivered
TOP_PRODUCTS: Final = 5
TOP_REFERRALS: Final = 10
# A line's value, in 64 bits: a big price times a big quantity can pass PostgreSQL's 32-bit INTEGER.
_AMOUNT: Final = cast(OrderLine.unit_price_minor, BigInteger) * OrderLine.quantity


@dataclass(frozen=True, slots=True)
class PeriodSales:
    period: Period
    since: datetime            # the local midnight the period starts at, as an aware datetime
    orders: int
    revenue: Money
    units: int
    refunded_orders: int
    refunded: Money


@dataclass(frozen=True, slots=True)
class ProductSales:
    product_id: int
    title: str
    units: int
    revenue: Money


@dataclass(frozen=True, slots=True)
class ReferralSales:
    code: str                  # the `r_<code>` a buyer arrived with
    referrer_id: int | None    # the customer whose code it is (None if no customer has it)
    orders: int
    revenue: Money


@dataclass(frozen=True, slots=True)
class SalesSummary:
    now: datetime
    timezone: str
    own_products_only: bool    # a seller's view: only the lines of their own products
    periods: tuple[PeriodSales, ...]          # today, 7 days, 30 days
    top_products: tuple[ProductSales, ...]    # by revenue over 30 days, at most TOP_PRODUCTS
    referrals: tuple[ReferralSales, ...]      # by revenue over 30 days, at most TOP_REFERRALS

    def period(self, period: Period) -> PeriodSales:
        return next(p for p in self.periods if p.period is period)


def period_start(now: datetime, days: int, zone: ZoneInfo) -> datetime:
    """Local midnight `days - 1` calendar days before `now`'s local date (days=1: today's midnight)."""
    day = now.astimezone(zone).date() - timedelta(days=days - 1)
    return datetime.combine(day, time(0), tzinfo=zone)


class SalesService:
    def __init__(self, db: Database, currency: str, timezone: str = "Asia/Tokyo",
                 clock: Clock = system_clock) -> None:
        self._db = db
        self._currency = currency
        self._zone = ZoneInfo(timezone)
        self._clock = clock

    async def summary(self, actor_id: int, now: datetime | None = None) -> SalesSummary:
        """Needs VIEW_SALES; `now` defaults to the clock (a test or a report may ask "as of")."""
        now = now or self._clock()
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        starts = {period: period_start(now, days, self._zone) for period, days in PERIOD_DAYS.items()}
        month = starts[Period.MONTH]
        async with self._db.uow(write=False) as uow:
            role = await require_permission(uow, actor_id, Permission.VIEW_SALES)
            own = actor_id if role is Role.SELLER else None
            periods = (await uow.session.execute(self._periods_query(starts, now, own))).one()
            products = (await uow.session.execute(self._products_query(month, now, own))).all()
            referrals = (await uow.session.execute(self._referrals_query(month, now, own))).all()
        money = self._money
        return SalesSummary(
            now=now, timezone=self._zone.key, own_products_only=own is not None,
            periods=tuple(
                PeriodSales(period, since, int(periods[i * 5] or 0), money(periods[i * 5 + 1]),
                            int(periods[i * 5 + 2] or 0), int(periods[i * 5 + 3] or 0), money(periods[i * 5 + 4]))
                for i, (period, since) in enumerate(starts.items())),
            top_products=tuple(ProductSales(row.product_id, row.title, int(row.units), money(row.revenue))
                               for row in products),
            referrals=tuple(ReferralSales(row.code, row.referrer_id, int(row.orders), money(row.revenue))
                            for row in referrals),
        )

    def _money(self, minor: Any) -> Money:
        # PostgreSQL sums BIGINT into NUMERIC (a Decimal here): integral, so int() is exact.
        return Money.from_minor(int(minor or 0), self._currency)

    def _periods_query(self, starts: dict[Period, datetime], now: datetime, own: int | None) -> Select[Any]:
        """One row: (orders, revenue, units, refunded orders, refunded) for each period, in `starts` order."""
        refunded = Order.status == OrderStatus.REFUNDED
        at = case((refunded, Order.updated_at), else_=Order.paid_at)  # paid time, or refund time
        columns: list[Any] = []
        for since in starts.values():
            sold, back = and_(~refunded, at >= since), and_(refunded, at >= since)
            columns += [
                func.count(distinct(case((sold, Order.id)))),
                func.sum(case((sold, _AMOUNT), else_=0)),
                func.sum(case((sold, OrderLine.quantity), else_=0)),
                func.count(distinct(case((back, Order.id)))),
                func.sum(case((back, _AMOUNT), else_=0)),
            ]
        earliest = min(starts.values())
        query = (select(*columns).select_from(Order).join(OrderLine, OrderLine.order_id == Order.id)
                 .where(Order.currency == self._currency, or_(
                     and_(Order.status.in_(COUNTED), Order.paid_at >= earliest, Order.paid_at <= now),
                     and_(refunded, Order.updated_at >= earliest, Order.updated_at <= now))))
        return _only_own(query, own)

    def _products_query(self, since: datetime, now: datetime, own: int | None) -> Select[Any]:
        revenue = func.sum(_AMOUNT)
        units = func.sum(OrderLine.quantity)
        query = (select(OrderLine.product_id, Product.title, units.label("units"), revenue.label("revenue"))
                 .select_from(Order).join(OrderLine, OrderLine.order_id == Order.id)
                 .join(Product, Product.id == OrderLine.product_id)
                 .where(*self._counted(since, now))
                 .group_by(OrderLine.product_id, Product.title)
                 .order_by(revenue.desc(), units.desc(), OrderLine.product_id).limit(TOP_PRODUCTS))
        return query if own is None else query.where(Product.seller_id == own)

    def _referrals_query(self, since: datetime, now: datetime, own: int | None) -> Select[Any]:
        revenue = func.sum(_AMOUNT)
        query = (select(Order.referral_code.label("code"), Customer.id.label("referrer_id"),
                        func.count(distinct(Order.id)).label("orders"), revenue.label("revenue"))
                 .select_from(Order).join(OrderLine, OrderLine.order_id == Order.id)
                 .outerjoin(Customer, Customer.referral_code == Order.referral_code)
                 .where(*self._counted(since, now), Order.referral_code.is_not(None))
                 .group_by(Order.referral_code, Customer.id)
                 .order_by(revenue.desc(), Order.referral_code).limit(TOP_REFERRALS))
        return _only_own(query, own)

    def _counted(self, since: datetime, now: datetime) -> tuple[Any, ...]:
        return (Order.currency == self._currency, Order.status.in_(COUNTED), Order.paid_at >= since,
                Order.paid_at <= now)



def _only_own(query: Select[Any], own: int | None) -> Select[Any]:
    if own is None:
        return query
    return query.join(Product, Product.id == OrderLine.product_id).where(Product.seller_id == own)
