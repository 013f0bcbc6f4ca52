"""The payment side of an order: the watcher settles what an order's transfers mean, and the transitions it drives.

`settle` is the one entry point the watcher uses: it reads an order's money, lets `commerce.settlement` decide,
and writes the decision (transition, refund rows, notices, the buyer's running count) in one transaction, with
the order row locked, so a crash or a second watcher never applies half a decision or a decision twice.
The single-step methods (`payment_seen`, `payment_confirmed`, …) are the transition API behind it; replaying
one that already took effect is a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select

from commerce.errors import CommerceError, IllegalTransition
from commerce.events import SYSTEM, Clock, notify, record, system_clock
from commerce.money import format_units
from commerce.order_flow import apply_transition, load_order
from commerce.order_money import load_order_money, load_orders_money, set_credited, void_refunds, write_refunds
from commerce.orders import OrderDTO, order_dto
from commerce.referrals import NO_REFERRALS, ReferralRules
from commerce.settlement import Decision, OrderMoney, Settlement, decide
from commerce.status import TRANSITIONS, OrderAction, OrderStatus
from commerce.storage.db import Database, UnitOfWork
from commerce.storage.tables import Order
from commerce.topics import Topic

WATCHER: Final = "watcher"
log = logging.getLogger(__name__)

_MOVES: Final = {
    Decision.CONFIRMED: OrderAction.PAYMENT_CONFIRMED,
    Decision.SEEN: OrderAction.PAYMENT_SEEN,
    Decision.UNDERPAID: OrderAction.UNDERPAID,
    Decision.VANISHED: OrderAction.PAYMENT_VANISHED,
    Decision.INVALID: OrderAction.PAYMENT_INVALID,
    Decision.LATE: OrderAction.LATE_PAYMENT,
}


class PaymentEvents:
    """The transition API the payment watcher drives. Replaying an event that already took effect is a no-op."""

    def __init__(self, db: Database, clock: Clock = system_clock, *, referrals: ReferralRules = NO_REFERRALS) -> None:
        self._db = db
        self._clock = clock
        self._referrals = referrals  # a paid order may reward whoever invited its buyer

    async def payment_seen(self, order_id: int, **detail: Any) -> OrderDTO:
        return await self._apply(order_id, OrderAction.PAYMENT_SEEN, **detail)

    async def payment_confirmed(self, order_id: int, *, overpaid_units: int | None = None, **detail: Any) -> OrderDTO:
        """Enough confirmations: the order is paid (digital items go out); any excess is marked for refund."""
        return await self._apply(order_id, OrderAction.PAYMENT_CONFIRMED, overpaid_units=overpaid_units, **detail)

    async def underpaid(self, order_id: int, *, remaining_units: int, **detail: Any) -> OrderDTO:
        """Less than due arrived: the order stays open and the buyer is told the exact remainder."""
        return await self._apply(order_id, OrderAction.UNDERPAID, remaining_units=remaining_units, **detail)

    async def payment_vanished(self, order_id: int, **detail: Any) -> OrderDTO:
        """The payment left the chain (reorg): back to waiting for payment."""
        return await self._apply(order_id, OrderAction.PAYMENT_VANISHED, **detail)

    async def payment_invalid(self, order_id: int, **detail: Any) -> OrderDTO:
        """The payment was double-spent away: the order is void and its stock released."""
        return await self._apply(order_id, OrderAction.PAYMENT_INVALID, **detail)

    async def settle(self, order_ids: Iterable[int], tips: Mapping[str, int]) -> dict[int, Settlement]:
        """Decide what each order's transfers mean now and apply it: one transaction per order that moves.

        `tips` gives chain heights the caller knows (its own chain's tip); other chains count confirmations
        against the newest block their watcher stored. The facts of every order are read at once; an order with
        something to do is read again with its row locked (another watcher or the buyer may have moved it
        since), decided again and written, so no decision is applied half or twice.
        """
        now = self._clock()
        async with self._db.uow(write=False) as uow:
            rows = (await uow.session.execute(select(Order).where(Order.id.in_(list(order_ids))))).scalars().all()
            facts = await load_orders_money(uow, rows, tips)
        settled = {order_id: decide(money, now) for order_id, money in facts.items()}
        for order_id, settlement in settled.items():
            if settlement.decision is Decision.NOTHING:
                continue
            try:
                settled[order_id] = await self._settle_one(order_id, tips, now)
            except CommerceError as exc:   # one order's trouble must not hold up the others: it is tried again
                log.warning("order %s: payment not settled yet: %s", order_id, exc)
                settled[order_id] = replace(settlement, decision=Decision.NOTHING, waiting=True)
        return settled

    async def _settle_one(self, order_id: int, tips: Mapping[str, int], now: datetime) -> Settlement:
        async with self._db.uow() as uow:
            order = await uow.session.get(Order, order_id, with_for_update=True, populate_existing=True)
            assert order is not None
            money = await load_order_money(uow, order, tips)
            settlement = decide(money, now)
            await self._write(uow, order, money, settlement)
            settlement = replace(settlement, status=OrderStatus(order.status))
            await uow.commit()
            return settlement

    async def _write(self, uow: UnitOfWork, order: Order, money: OrderMoney, settlement: Settlement) -> None:
        now, decision = self._clock(), settlement.decision
        grown = await write_refunds(uow, money, settlement.refunds, now)
        await void_refunds(uow, settlement.voided, now)
        detail: dict[str, Any] = {}
        if decision is Decision.CONFIRMED and grown and len({g["asset"] for g in grown}) == 1:
            order.overpaid_units = sum(int(str(g["units"])) for g in grown)
            detail["overpaid_units"] = order.overpaid_units
        if decision is Decision.UNDERPAID:
            detail |= self._remainder(money, settlement)
        if decision in (Decision.CONFIRMED, Decision.SEEN, Decision.UNDERPAID, Decision.RECOUNT):
            await set_credited(uow, money.order_id, settlement.covered_minor)
        action = _MOVES.get(decision)
        if action is not None:
            await apply_transition(uow, order, action, actor=WATCHER, now=now, referrals=self._referrals, **detail)
        for refund in grown:
            record(uow.session, actor=WATCHER, action="payment.refund_due", entity="order",
                   entity_id=money.order_id, at=now, **refund)
            notify(uow.session, topic=Topic.PAYMENT_REFUND_DUE, at=now, audience="sellers", order_id=money.order_id,
                   **refund)
            notify(uow.session, topic=Topic.PAYMENT_REFUND_DUE, at=now, customer_id=order.customer_id,
                   order_id=money.order_id, **refund)
        if settlement.voided:
            record(uow.session, actor=WATCHER, action="payment.refund_void", entity="order",
                   entity_id=money.order_id, at=now, payment_ids=list(settlement.voided))

    @staticmethod
    def _remainder(money: OrderMoney, settlement: Settlement) -> dict[str, Any]:
        """What the buyer still has to send, exactly, and where (the open request's address)."""
        request = money.requests.get(money.open_request_id or 0)
        if request is None or settlement.remaining_units is None:
            return {}
        return {"remaining_units": settlement.remaining_units, "asset": request.asset, "decimals": request.decimals,
                "remaining": f"{format_units(settlement.remaining_units, request.decimals)} {request.asset}",
                "address": request.address, "shared_address": not request.address_is_unique}

    async def confirmation_progress(self, order_id: int, *, confirmations: int, required: int) -> None:
        """No transition, just news for the buyer: "seen, 1/2 confirmations" (the message is edited in place)."""
        async with self._db.uow() as uow:
            order = await load_order(uow, order_id)
            notify(uow.session, topic=Topic.ORDER_CONFIRMATIONS, at=self._clock(), customer_id=order.customer_id,
                   order_id=order_id, confirmations=confirmations, required=required)
            await uow.commit()

    async def unmatched_payment(self, *, chain: str, txid: str, address: str, amount_units: int,
                                token: str | None) -> None:
        """Money arrived that matches no request (e.g. a wrong amount on a shared address): staff decide."""
        async with self._db.uow() as uow:
            now = self._clock()
            record(uow.session, actor=WATCHER, action="payment.unmatched", entity="payment", entity_id=None, at=now,
                   chain=chain, txid=txid, address=address, amount_units=str(amount_units), token=token)
            notify(uow.session, topic=Topic.PAYMENT_UNMATCHED, at=now, audience="sellers", chain=chain, txid=txid,
                   address=address, amount_units=str(amount_units), token=token)
            await uow.commit()

    async def late_payment(self, order_id: int, **detail: Any) -> OrderDTO:
        """A payment for an expired order arrived inside the late window: the seller decides."""
        return await self._apply(order_id, OrderAction.LATE_PAYMENT, **detail)

    async def expire_due(self, *, limit: int = 500) -> list[int]:
        """Expire every order whose payment window has passed; returns their ids. Run periodically."""
        now = self._clock()
        async with self._db.uow(write=False) as uow:
            due = list((await uow.session.execute(
                select(Order.id).where(Order.status == OrderStatus.AWAITING_PAYMENT, Order.expires_at <= now)
                .order_by(Order.expires_at).limit(limit))).scalars())
        expired = []
        for order_id in due:
            async with self._db.uow() as uow:
                order = await load_order(uow, order_id)
                if order.status != OrderStatus.AWAITING_PAYMENT or order.expires_at > now:
                    continue  # paid or cancelled since we looked
                try:
                    await apply_transition(uow, order, OrderAction.EXPIRE, actor=SYSTEM, now=now)
                except IllegalTransition:
                    continue  # a payment landed between our read and our write: it wins
                await uow.commit()
                expired.append(order_id)
        return expired

    async def _apply(self, order_id: int, action: OrderAction, **detail: Any) -> OrderDTO:
        detail = {k: v for k, v in detail.items() if v is not None}
        async with self._db.uow() as uow:
            order = await load_order(uow, order_id)
            if _already_done(OrderStatus(order.status), action):
                return await order_dto(uow, order)
            if detail.get("overpaid_units"):
                order.overpaid_units = detail["overpaid_units"]
            await apply_transition(uow, order, action, actor=WATCHER, now=self._clock(), referrals=self._referrals,
                                   **detail)
            dto = await order_dto(uow, order)
            await uow.commit()
            return dto


def _already_done(status: OrderStatus, action: OrderAction) -> bool:
    """True when `action` cannot apply but its effect is already there (a replayed watcher event)."""
    if (status, action) in TRANSITIONS:
        return False
    done = {
        OrderAction.PAYMENT_SEEN: {OrderStatus.CONFIRMING, *(s for s in OrderStatus if s.is_settled)},
        OrderAction.PAYMENT_CONFIRMED: {s for s in OrderStatus if s.is_settled},
        OrderAction.LATE_PAYMENT: {OrderStatus.PAID_LATE},
        OrderAction.PAYMENT_INVALID: {OrderStatus.INVALID},
    }
    return status in done.get(action, set())


