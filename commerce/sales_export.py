"""The orders an accountant needs, line by line: each line with its share of the bill's discount and tax, each
order with its frozen bill and the transfers that paid it (docs/sales.md).

Nothing personal is read: no address, no name, no customer. Orders are chosen by the moment they were paid
(an order never marked paid, by the moment it was placed) and read in batches of `BATCH_ORDERS`, one short
read transaction each, so a year of orders costs the memory of one batch.

Every tax share comes from the bill frozen at checkout: each rate's tax (rounded once per rate per bill) is
split over the lines and the shipping it was charged on with `commerce.bill.tax_shares`, so the shares of an
order add up to exactly its tax.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from sqlalchemy import func, select

from commerce.bill import Bill, TaxMode, tax_shares
from commerce.events import Clock, system_clock
from commerce.money import Money
from commerce.orders import frozen_bill
from commerce.roles import Permission
from commerce.sellers import require_step_up
from commerce.status import OrderStatus
from commerce.storage.db import Database, UnitOfWork
from commerce.storage.tables import Order, OrderLine, Payment, PaymentRequest

SOLD: Final = tuple(status for status in OrderStatus if status.is_settled)  # paid, fulfilled, shipped, delivered
EXPORTED: Final = frozenset({*SOLD, OrderStatus.REFUNDED})  # what an export holds unless told otherwise
BATCH_ORDERS: Final = 500


@dataclass(frozen=True, slots=True)
class ExportLine:
    position: int              # 1, 2, … within its order
    title: str
    sku: str
    quantity: int
    unit_price: Money
    total: Money               # unit price × quantity
    tax_rate: Decimal          # percent
    discount: Money            # the line's share of the order's discount
    tax: Money                 # the line's share of its rate's tax on the bill
    net: Money                 # after the discount, without tax (the tax taken out when prices include it)

    @property
    def after_discount(self) -> Money:
        return self.total - self.discount


@dataclass(frozen=True, slots=True)
class ExportPayment:
    """One on-chain transfer to the order (a transfer later dropped from the chain is left out)."""

    method_id: str
    asset: str
    amount_units: int          # what the transfer brought, in base units of the asset
    decimals: int
    txid: str


@dataclass(frozen=True, slots=True)
class ExportOrder:
    id: int
    status: OrderStatus
    created_at: datetime
    paid_at: datetime | None
    bill: Bill                 # as frozen at checkout: subtotal, discount, coupon, shipping, zone, tax per rate
    lines: tuple[ExportLine, ...]
    shipping_tax: Money        # the shipping's share of the tax of the rate it was charged at
    payments: tuple[ExportPayment, ...]

    @property
    def currency(self) -> str:
        return self.bill.currency


def export_order(order: Order, lines: Sequence[OrderLine], payments: tuple[ExportPayment, ...]) -> ExportOrder:
    """The order's frozen bill, with each line's share of its rate's tax (and the shipping's)."""
    assert order.id is not None
    bill = frozen_bill(order, lines)
    shares = tax_shares(bill)

    def money(minor: int) -> Money:
        return Money.from_minor(minor, bill.currency)

    exported = []
    for position, (line, billed, tax) in enumerate(zip(lines, bill.lines, shares.lines, strict=True), start=1):
        after = billed.total_minor - billed.discount_minor
        net = after - tax if bill.tax_mode is TaxMode.INCLUSIVE else after
        exported.append(ExportLine(position, line.title, line.sku, line.quantity, money(line.unit_price_minor),
                                   money(billed.total_minor), billed.tax_rate, money(billed.discount_minor),
                                   money(tax), money(net)))
    return ExportOrder(order.id, OrderStatus(order.status), order.created_at, order.paid_at, bill, tuple(exported),
                       money(shares.shipping), payments)


async def orders_for_export(db: Database, actor_id: int | None, since: datetime, until: datetime,
                            statuses: Collection[OrderStatus] = EXPORTED,
                            clock: Clock = system_clock) -> AsyncIterator[ExportOrder]:
    """The orders with one of `statuses` paid in [since, until) (never paid: placed then), by order id.

    `actor_id` None is the shop's operator at the command line, who holds the database anyway; anyone else
    needs EXPORT_DATA (owners) and a fresh two-factor step-up, checked before the first order is read.
    """
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until must be timezone-aware")
    wanted = sorted({OrderStatus(status).value for status in statuses})
    if actor_id is not None:
        async with db.uow(write=False) as uow:
            await require_step_up(uow, actor_id, Permission.EXPORT_DATA, clock())
    at = func.coalesce(Order.paid_at, Order.created_at)
    after = 0
    while True:
        async with db.uow(write=False) as uow:
            orders = list((await uow.session.execute(
                select(Order).where(Order.id > after, Order.status.in_(wanted), at >= since, at < until)
                .order_by(Order.id).limit(BATCH_ORDERS))).scalars())
            if not orders:
                return
            batch = await _with_lines_and_payments(uow, orders)
        for order in batch:
            yield order
        after = batch[-1].id


async def _with_lines_and_payments(uow: UnitOfWork, orders: list[Order]) -> list[ExportOrder]:
    """Two more queries per batch: the lines of its orders, and the transfers that paid them."""
    ids = [order.id for order in orders]
    lines: dict[int, list[OrderLine]] = {order_id: [] for order_id in ids if order_id is not None}
    for line in (await uow.session.execute(select(OrderLine).where(OrderLine.order_id.in_(ids))
                                           .order_by(OrderLine.order_id, OrderLine.id))).scalars():
        lines[line.order_id].append(line)
    payments: dict[int, list[ExportPayment]] = {order_id: [] for order_id in lines}
    for row in (await uow.session.execute(
            select(PaymentRequest.order_id, PaymentRequest.method_id, PaymentRequest.asset, PaymentRequest.decimals,
                   Payment.amount_units, Payment.txid)
            .join(PaymentRequest, PaymentRequest.id == Payment.request_id)
            .where(PaymentRequest.order_id.in_(ids), Payment.gone_at.is_(None)).order_by(Payment.id))).all():
        payments[row.order_id].append(ExportPayment(row.method_id, row.asset, row.amount_units, row.decimals,
                                                    row.txid))
    return [export_order(order, lines[order.id], tuple(payments[order.id])) for order in orders
            if order.id is not None]
