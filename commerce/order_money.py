"""Reading an order's money (requests, transfers, refund rows) for the settlement rules, and writing refund rows.

Both run inside the caller's unit of work, so a decision and everything it writes commit together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, select, update

from commerce.money import format_units
from commerce.payment_records import RequestDTO, request_dto
from commerce.settlement import Inflow, OrderMoney, Refund, RefundReason, SetAside
from commerce.status import OrderStatus
from commerce.storage.db import UnitOfWork
from commerce.storage.tables import ChainBlock, Order, Payment, PaymentRequest, RefundDue


async def load_order_money(uow: UnitOfWork, order: Order, tips: Mapping[str, int]) -> OrderMoney:
    """One order's requests and transfers (see `load_orders_money`)."""
    assert order.id is not None
    return (await load_orders_money(uow, [order], tips))[order.id]


async def load_orders_money(uow: UnitOfWork, orders: Sequence[Order], tips: Mapping[str, int]) -> dict[int, OrderMoney]:
    """Each order's requests and transfers, in four queries whatever the number of orders. Confirmations count
    against `tips` (chain → height), else against the newest block the chain's watcher has stored."""
    session = uow.session
    ids = [order.id for order in orders if order.id is not None]
    requests: dict[int, dict[int, RequestDTO]] = {order_id: {} for order_id in ids}
    for row in (await session.execute(select(PaymentRequest).where(PaymentRequest.order_id.in_(ids))
                                      .order_by(PaymentRequest.id))).scalars():
        requests[row.order_id][row.id or 0] = request_dto(row)
    order_of = {rid: order_id for order_id, by_id in requests.items() for rid in by_id}
    payments = (await session.execute(select(Payment).where(Payment.request_id.in_(list(order_of)))
                                      .order_by(Payment.id))).scalars().all() if order_of else []
    set_aside: dict[int, dict[int, SetAside]] = {order_id: {} for order_id in ids}
    for row in (await session.execute(select(RefundDue).where(RefundDue.order_id.in_(ids)))).scalars():
        set_aside[row.order_id][row.payment_id] = SetAside(row.amount_units, RefundReason(row.reason), row.status)
    heights = dict(tips)
    missing = {p.chain for p in payments} - set(heights)
    if missing:
        heights |= dict((await session.execute(select(ChainBlock.chain, func.max(ChainBlock.height))
                                               .where(ChainBlock.chain.in_(missing))
                                               .group_by(ChainBlock.chain))).all())
    inflows: dict[int, list[Inflow]] = {order_id: [] for order_id in ids}
    for payment in payments:
        assert payment.id is not None
        order_id = order_of[payment.request_id]
        required = requests[order_id][payment.request_id].confirmations
        tip = heights.get(payment.chain)
        confirmations = 0 if payment.block_height is None or tip is None else max(0, tip - payment.block_height + 1)
        row = set_aside[order_id].get(payment.id)
        units = payment.amount_units - (row.units if row is not None and row.status == "due" else 0)
        inflows[order_id].append(Inflow(payment.id, payment.request_id, units, live=payment.gone_at is None,
                                        confirmed=confirmations >= required and (payment.block_height is not None
                                                                                 or required <= 0),
                                        confirmations=confirmations))
    return {order.id: OrderMoney(order.id, OrderStatus(order.status), order.total_minor, order.credited_minor,
                                 order.expires_at, requests[order.id], tuple(inflows[order.id]), set_aside[order.id],
                                 next((r.id for r in reversed(requests[order.id].values()) if r.status == "open"),
                                      None))
            for order in orders if order.id is not None}


async def write_refunds(uow: UnitOfWork, money: OrderMoney, refunds: tuple[Refund, ...],
                        now: datetime) -> list[dict[str, object]]:
    """Bring each transfer's refund row to its new total; returns what grew, for the notices."""
    grown: list[dict[str, object]] = []
    for refund in refunds:
        request = money.requests[refund.request_id]
        old = money.set_aside.get(refund.payment_id)
        if old is None:
            uow.session.add(RefundDue(order_id=money.order_id, payment_id=refund.payment_id,
                                      request_id=refund.request_id, asset=request.asset, decimals=request.decimals,
                                      amount_units=refund.units, reason=refund.reason, created_at=now,
                                      updated_at=now))
        else:
            await uow.session.execute(update(RefundDue).where(RefundDue.payment_id == refund.payment_id)
                                      .values(amount_units=refund.units, status="due", updated_at=now))
        before = old.units if old is not None and old.status == "due" else 0
        if refund.units > before:
            txid = (await uow.session.execute(select(Payment.txid).where(Payment.id == refund.payment_id)))\
                .scalar_one()
            grown.append({"payment_id": refund.payment_id, "txid": txid, "reason": refund.reason.value,
                          "units": str(refund.units - before), "asset": request.asset, "decimals": request.decimals,
                          "amount": f"{format_units(refund.units - before, request.decimals)} {request.asset}"})
    await uow.flush()
    return grown


async def void_refunds(uow: UnitOfWork, payment_ids: tuple[int, ...], now: datetime) -> None:
    """These transfers count toward the order after all (a late payment completed it)."""
    if payment_ids:
        await uow.session.execute(update(RefundDue).where(RefundDue.payment_id.in_(list(payment_ids)))
                                  .values(status="void", updated_at=now))


async def set_credited(uow: UnitOfWork, order_id: int, covered_minor: int) -> None:
    await uow.session.execute(update(Order).where(Order.id == order_id).values(credited_minor=covered_minor)
                              .execution_options(synchronize_session=False))
