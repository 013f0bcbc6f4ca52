"""Applying one order transition: compare-and-set the status, move stock, audit, notify — one transaction.

Every caller (buyer cancel, seller actions, the payment watcher, the expiry sweep) goes through
`apply_transition`, so the side effects of a move live in exactly one place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import CursorResult, select, update

from commerce.catalog import ProductKind
from commerce.coupons import give_back, take_again
from commerce.errors import IllegalTransition, NotFound, OutOfStock
from commerce.events import notify, record
from commerce.referrals import NO_REFERRALS, ReferralRules
from commerce.referrals import after_move as referral_after_move
from commerce.status import OrderAction, OrderStatus, next_status
from commerce.storage import stock
from commerce.storage.db import UnitOfWork
from commerce.storage.tables import DigitalItem, Order, OrderLine
from commerce.topics import Topic

A = OrderAction

# Where reserved units go on each move (moves not listed leave stock alone).
_RELEASES: Final = frozenset({A.EXPIRE, A.CANCEL, A.PAYMENT_INVALID})
_SELLS: Final = frozenset({A.PAYMENT_CONFIRMED, A.NOTHING_DUE})
# Moves the shop's staff hear about, besides the buyer.
_TELL_SELLERS: Final = frozenset({A.PAYMENT_CONFIRMED, A.NOTHING_DUE, A.LATE_PAYMENT, A.PAYMENT_INVALID, A.CANCEL})
# Moves after which the buyer holds what they paid for: digital items go out.
_DELIVERS: Final = frozenset({A.PAYMENT_CONFIRMED, A.NOTHING_DUE, A.ACCEPT_LATE})


async def load_order(uow: UnitOfWork, order_id: int) -> Order:
    order = await uow.session.get(Order, order_id)
    if order is None:
        raise NotFound(entity="order", id=order_id)
    return order


async def order_lines(uow: UnitOfWork, order_id: int) -> list[OrderLine]:
    return list((await uow.session.execute(select(OrderLine).where(OrderLine.order_id == order_id)
                                           .order_by(OrderLine.id))).scalars())


async def apply_transition(uow: UnitOfWork, order: Order, action: OrderAction, *, actor: str, now: datetime,
                           referrals: ReferralRules = NO_REFERRALS, **detail: Any) -> OrderStatus:
    """Move `order` by `action` or raise IllegalTransition; a concurrent move makes this one fail cleanly.

    `referrals` are the shop's invitation rules: a paying move may reward whoever invited the buyer."""
    assert order.id is not None
    old = OrderStatus(order.status)
    new = next_status(order.id, old, action)
    values: dict[str, Any] = {"status": new, "updated_at": now}
    if new is OrderStatus.PAID and order.paid_at is None:
        values["paid_at"] = now
    result = await uow.session.execute(
        update(Order).where(Order.id == order.id, Order.status == old).values(**values)
        .execution_options(synchronize_session=False))
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        await uow.session.refresh(order)
        raise IllegalTransition(order_id=order.id, status=order.status, action=action.value)
    for key, value in values.items():
        setattr(order, key, value)
    await _move_stock(uow, order, action)
    if order.coupon_code is not None and action in _RELEASES:
        await give_back(uow, order.id, now)
    elif order.coupon_code is not None and action is A.ACCEPT_LATE:
        await take_again(uow, order.id)
    record(uow.session, actor=actor, action=f"order.{action.value}", entity="order", entity_id=order.id, at=now,
           **{"from": old.value, "to": new.value}, **detail)
    notify(uow.session, topic=Topic.of_move(action), at=now, customer_id=order.customer_id, order_id=order.id,
           status=new.value, **detail)
    if action in _TELL_SELLERS:
        notify(uow.session, topic=Topic.of_move(action), at=now, audience="sellers", order_id=order.id,
               status=new.value, **detail)
    await referral_after_move(uow, order, action, rules=referrals, now=now)
    if action in _DELIVERS:
        await _deliver_digital(uow, order, actor=actor, now=now)
    return OrderStatus(order.status)


async def _move_stock(uow: UnitOfWork, order: Order, action: OrderAction) -> None:
    if action not in _RELEASES and action not in _SELLS and action is not A.ACCEPT_LATE:
        return
    for line in await order_lines(uow, order.id or 0):
        if action in _RELEASES:
            await stock.release(uow, line.variant_id, line.quantity)
        elif action in _SELLS:
            await stock.sell(uow, line.variant_id, line.quantity)
        elif not await stock.sell_from_stock(uow, line.variant_id, line.quantity):
            # The reservation was released at expiry and the units are gone: refund instead.
            raise OutOfStock(variant_id=line.variant_id, title=line.title, requested=line.quantity, available=0)


async def _deliver_digital(uow: UnitOfWork, order: Order, *, actor: str, now: datetime) -> None:
    """Hand each digital line its keys; an all-digital order is fulfilled at once."""
    lines = await order_lines(uow, order.id or 0)
    digital = [line for line in lines if line.kind == ProductKind.DIGITAL]
    for line in digital:
        await _claim_items(uow, line)
    if digital and len(digital) == len(lines):
        await apply_transition(uow, order, A.FULFIL, actor=actor, now=now)


async def _claim_items(uow: UnitOfWork, line: OrderLine, attempts: int = 5) -> None:
    """Give the line `quantity` free items. Each claim is guarded, so two payments never share a key."""
    missing = line.quantity
    for _ in range(attempts):
        free = (await uow.session.execute(
            select(DigitalItem.id).where(DigitalItem.variant_id == line.variant_id,
                                         DigitalItem.order_line_id.is_(None))
            .order_by(DigitalItem.id).limit(missing))).scalars().all()
        if not free:
            break
        result = await uow.session.execute(
            update(DigitalItem).where(DigitalItem.id.in_(free), DigitalItem.order_line_id.is_(None))
            .values(order_line_id=line.id).execution_options(synchronize_session=False))
        assert isinstance(result, CursorResult)
        missing -= result.rowcount
        if missing == 0:
            return
    # The stock counter makes this impossible unless the data was edited by hand.
    raise OutOfStock(variant_id=line.variant_id, title=line.title, requested=line.quantity,
                     available=line.quantity - missing)
