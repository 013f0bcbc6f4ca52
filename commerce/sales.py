"""The sales summary for the shop's staff: today, the last 7 and 30 days, top products and referrals, and for
each period the parts of the bills (gross, discounts, shipping, tax per rate, net; docs/sales.md).

An order counts from the moment it became paid (`Order.paid_at`), while it is paid, fulfilled, shipped or
delivered. A refunded order is left out of the sales and shown on its own, at the time of the refund (its
last transition), so a late payment that was sent back shows up there too. Days are the shop's calendar
days in its time zone ("today" starts at midnight in Tokyo, not in UTC). Owners and staff see the whole
shop; a `seller` sees the lines of their own products only. A handful of aggregate queries, whatever the
number of orders: the bills' parts come from the columns frozen on each order, and the tax per rate from the
JSON of the frozen bill, summed in SQL. A seller's share of the tax is worked out per order in Python
(`commerce.bill.tax_shares`), over the 30 days' orders that hold their products.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Select, and_, case, cast, distinct, func, literal_column, or_, select, true

from commerce.bill import TaxMode, tax_shares
from commerce.events import Clock, system_clock
from commerce.money import Money
from commerce.orders import frozen_bill
from commerce.roles import Permission, Role
from commerce.sales_export import EXPORTED, SOLD, ExportOrder, orders_for_export
from commerce.sellers import require_permission
from commerce.status import OrderStatus
from commerce.storage.db import Database, UnitOfWork
from commerce.storage.tables import Customer, Order, OrderLine, Product


class Period(StrEnum):
    TODAY = "today"
    WEEK = "7d"
    MONTH = "30d"


PERIOD_DAYS: Final[dict[Period, int]] = {Period.TODAY: 1, Period.WEEK: 7, Period.MONTH: 30}
COUNTED: Final = SOLD  # paid, fulfilled, shipped, delivered
TOP_PRODUCTS: Final = 5
TOP_REFERRALS: Final = 10
# Per period, in this order: orders, gross, units, refunded orders, refunded, discount, shipping.
PERIOD_COLUMNS: Final = ("orders", "gross", "units", "refunded_orders", "refunded", "discount", "shipping")
# A line's value, in 64 bits: a big price times a big quantity can pass PostgreSQL's 32-bit INTEGER.
_AMOUNT: Final = cast(OrderLine.unit_price_minor, BigInteger) * OrderLine.quantity


_RateSums = tuple[bool, Decimal, list[int]]  # (tax included?, rate, [base, tax] for each period)


@dataclass(frozen=True, slots=True)
class TaxSales:
    """One tax rate's tax over a period, as frozen on the bills (rounded once per rate per bill)."""

    rate: Decimal              # percent
    included: bool             # inside the prices (a tax-inclusive shop) or added on top of them (exclusive)
    base: Money                # what the rate applied to: with the tax inside when `included`, without it if not
    tax: Money


@dataclass(frozen=True, slots=True)
class PeriodSales:
    period: Period
    since: datetime            # the local midnight the period starts at, as an aware datetime
    orders: int
    revenue: Money             # gross: the lines at their prices, before any discount (the bills' subtotal)
    units: int
    refunded_orders: int
    refunded: Money
    discount: Money            # what coupons took off those lines
    shipping: Money            # shipping charged; 0 in a seller's view (it belongs to the whole order)
    taxes: tuple[TaxSales, ...]  # highest rate first; empty in a shop without tax

    @property
    def gross(self) -> Money:
        return self.revenue

    @property
    def tax(self) -> Money:
        return sum((t.tax for t in self.taxes), Money.zero(self.revenue.currency))

    @property
    def tax_included(self) -> Money:
        return sum((t.tax for t in self.taxes if t.included), Money.zero(self.revenue.currency))

    @property
    def net(self) -> Money:
        """What the shop keeps before tax: gross − discount + shipping − the tax inside those amounts (the tax
        added on top was never in them). For the whole shop this is the orders' total less their tax."""
        return self.revenue - self.discount + self.shipping - self.tax_included

    @property
    def total(self) -> Money:
        """What buyers paid for these orders (or, in a seller's view, for the seller's lines): net + tax."""
        return self.net + self.tax


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
            if own is None:
                rows = (await uow.session.execute(self._taxes_query(starts, now))).all()
                taxes = [(TaxMode(mode) is TaxMode.INCLUSIVE, Decimal(rate), [int(v or 0) for v in sums])
                         for mode, rate, *sums in rows]
            else:
                taxes = await self._own_taxes(uow, starts, now, own)
            products = (await uow.session.execute(self._products_query(month, now, own))).all()
            referrals = (await uow.session.execute(self._referrals_query(month, now, own))).all()
        money = self._money
        width = len(PERIOD_COLUMNS)
        return SalesSummary(
            now=now, timezone=self._zone.key, own_products_only=own is not None,
            periods=tuple(
                PeriodSales(period, since, int(figures[0] or 0), money(figures[1]), int(figures[2] or 0),
                            int(figures[3] or 0), money(figures[4]), money(figures[5]), money(figures[6]),
                            self._period_taxes(taxes, i))
                for i, (period, since) in enumerate(starts.items())
                for figures in (periods[i * width:(i + 1) * width],)),
            top_products=tuple(ProductSales(row.product_id, row.title, int(row.units), money(row.revenue))
                               for row in products),
            referrals=tuple(ReferralSales(row.code, row.referrer_id, int(row.orders), money(row.revenue))
                            for row in referrals),
        )

    def orders_for_export(self, actor_id: int | None, since: datetime, until: datetime,
                          statuses: Collection[OrderStatus] = EXPORTED) -> AsyncIterator[ExportOrder]:
        """Every line of the orders paid in [since, until), for an accountant (commerce/sales_export.py): the
        operator (`actor_id` None) or an owner with a fresh two-factor step-up."""
        return orders_for_export(self._db, actor_id, since, until, statuses, self._clock)

    def _money(self, minor: Any) -> Money:
        # PostgreSQL sums BIGINT into NUMERIC (a Decimal here): integral, so int() is exact.
        return Money.from_minor(int(minor or 0), self._currency)

    def _period_taxes(self, taxes: Iterable[_RateSums], index: int) -> tuple[TaxSales, ...]:
        """The rates with tax in period `index` (sums: base and tax for each period, in `starts` order)."""
        merged: dict[tuple[bool, Decimal], tuple[int, int]] = {}
        for included, rate, sums in taxes:
            base, tax = sums[index * 2], sums[index * 2 + 1]
            old_base, old_tax = merged.get((included, rate), (0, 0))  # "10" and "10.0" are one rate
            merged[(included, rate)] = (old_base + base, old_tax + tax)
        ordered = sorted(merged.items(), key=lambda item: (-item[0][1], not item[0][0]))
        return tuple(TaxSales(rate, included, self._money(base), self._money(tax))
                     for (included, rate), (base, tax) in ordered if base or tax)

    def _periods_query(self, starts: dict[Period, datetime], now: datetime, own: int | None) -> Select[Any]:
        """One row: PERIOD_COLUMNS for each period, in `starts` order. The lines are summed per order first, so
        an order's own columns (shipping) count once however many lines it has."""
        refunded = Order.status == OrderStatus.REFUNDED
        per_order = (
            select(case((refunded, Order.updated_at), else_=Order.paid_at).label("at"),  # paid time, or refund time
                   case((refunded, 1), else_=0).label("back"),
                   (Order.shipping_minor if own is None else literal_column("0")).label("shipping"),
                   func.sum(_AMOUNT).label("amount"), func.sum(OrderLine.quantity).label("units"),
                   func.sum(OrderLine.discount_minor).label("discount"))
            .select_from(Order).join(OrderLine, OrderLine.order_id == Order.id)
            .where(Order.currency == self._currency, or_(
                and_(Order.status.in_(COUNTED), Order.paid_at >= min(starts.values()), Order.paid_at <= now),
                and_(refunded, Order.updated_at >= min(starts.values()), Order.updated_at <= now)))
            .group_by(Order.id))
        orders = _only_own(per_order, own).subquery()
        columns: list[Any] = []
        for since in starts.values():
            sold, back = and_(orders.c.back == 0, orders.c.at >= since), and_(orders.c.back == 1, orders.c.at >= since)
            columns += [
                func.count(case((sold, 1))),
                func.sum(case((sold, orders.c.amount), else_=0)),
                func.sum(case((sold, orders.c.units), else_=0)),
                func.count(case((back, 1))),
                func.sum(case((back, orders.c.amount), else_=0)),
                func.sum(case((sold, orders.c.discount), else_=0)),
                func.sum(case((sold, orders.c.shipping), else_=0)),
            ]
        return select(*columns).select_from(orders)

    def _taxes_query(self, starts: dict[Period, datetime], now: datetime) -> Select[Any]:
        """One row per (tax mode, rate) on the 30 days' bills: base and tax for each period, in `starts` order."""
        if self._db.is_sqlite:
            entry = func.json_each(Order.bill, "$.taxes").table_valued("value").alias("tax_entry")
            mode: Any = func.json_extract(Order.bill, "$.mode")
            rate: Any = func.json_extract(entry.c.value, "$.rate")
            base: Any = func.json_extract(entry.c.value, "$.base")
            tax: Any = func.json_extract(entry.c.value, "$.tax")
        else:
            entry = (func.json_array_elements(Order.bill.op("->")(literal_column("'taxes'")))
                     .table_valued("value").alias("tax_entry"))
            mode = Order.bill.op("->>")(literal_column("'mode'"))
            rate = entry.c.value.op("->>")(literal_column("'rate'"))
            base = cast(entry.c.value.op("->>")(literal_column("'base'")), BigInteger)
            tax = cast(entry.c.value.op("->>")(literal_column("'tax'")), BigInteger)
        columns: list[Any] = [mode, rate]
        for since in starts.values():
            columns += [func.sum(case((Order.paid_at >= since, base), else_=0)),
                        func.sum(case((Order.paid_at >= since, tax), else_=0))]
        return (select(*columns).select_from(Order).join(entry, true())
                .where(*self._counted(min(starts.values()), now)).group_by(mode, rate))

    async def _own_taxes(self, uow: UnitOfWork, starts: dict[Period, datetime], now: datetime,
                         own: int) -> list[_RateSums]:
        """A seller's share of each rate's tax: every counted order of the 30 days holding one of their lines is
        read with all its lines (the tax of a rate was rounded over all of them), and split with `tax_shares`."""
        theirs = (select(OrderLine.order_id).join(Order, Order.id == OrderLine.order_id)
                  .join(Product, Product.id == OrderLine.product_id)
                  .where(*self._counted(min(starts.values()), now), Product.seller_id == own))
        rows = (await uow.session.execute(
            select(Order, OrderLine, Product.seller_id).join(OrderLine, OrderLine.order_id == Order.id)
            .outerjoin(Product, Product.id == OrderLine.product_id)
            .where(Order.id.in_(theirs)).order_by(Order.id, OrderLine.id))).all()
        sums: dict[tuple[bool, Decimal], list[int]] = {}
        for order, lines in _grouped(rows):
            bill = frozen_bill(order, [line for line, _ in lines])
            if not bill.taxes:
                continue
            included = bill.tax_mode is TaxMode.INCLUSIVE
            shares = tax_shares(bill).lines
            for (_, seller_id), billed, share in zip(lines, bill.lines, shares, strict=True):
                if seller_id != own or not billed.tax_rate:
                    continue
                row = sums.setdefault((included, billed.tax_rate), [0] * (2 * len(starts)))
                for i, since in enumerate(starts.values()):
                    if order.paid_at is not None and order.paid_at >= since:
                        row[2 * i] += billed.total_minor - billed.discount_minor
                        row[2 * i + 1] += share
        return [(included, rate, values) for (included, rate), values in sums.items()]

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



def _grouped(rows: Sequence[Any]) -> Iterable[tuple[Order, list[tuple[OrderLine, int | None]]]]:
    """(order, [(line, its product's seller)]) for rows sorted by order."""
    current: Order | None = None
    lines: list[tuple[OrderLine, int | None]] = []
    for order, line, seller_id in rows:
        if current is not None and order.id != current.id:
            yield current, lines
            lines = []
        current = order
        lines.append((line, seller_id))
    if current is not None:
        yield current, lines


def _only_own(query: Select[Any], own: int | None) -> Select[Any]:
    if own is None:
        return query
    return query.join(Product, Product.id == OrderLine.product_id).where(Product.seller_id == own)
