"""What happens to an order after checkout: payment events from the watcher, expiry, and staff actions."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import select

from commerce.errors import IllegalTransition, InvalidInput, NotFound
from commerce.events import SYSTEM, Clock, actor_of, notify, record, system_clock
from commerce.order_flow import apply_transition, load_order
from commerce.orders import DeliveredItem, OrderDTO, delivered_items_of, order_dto
from commerce.roles import Permission
from commerce.sellers import require_permission, require_step_up
from commerce.status import TRANSITIONS, OrderAction, OrderStatus
from commerce.storage.db import Database
from commerce.storage.tables import Order

# DeliveredItem is re-exported: it belonged here before order details needed it too.
__all__ = ["DeliveredItem", "FulfilmentService", "PaymentEvents"]

WATCHER: Final = "watcher"
TRACKING_MAX: Final = 128
NOTE_MAX: Final = 500


class PaymentEvents:
    """The transition API the payment watcher drives. Replaying an event that already took effect is a no-op."""

    def __init__(self, db: Database, clock: Clock = system_clock) -> None:
        self._db = db
        self._clock = clock

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

    async def confirmation_progress(self, order_id: int, *, confirmations: int, required: int) -> None:
        """No transition, just news for the buyer: "seen, 1/2 confirmations" (the message is edited in place)."""
        async with self._db.uow() as uow:
            order = await load_order(uow, order_id)
            notify(uow.session, topic="order.confirmations", at=self._clock(), customer_id=order.customer_id,
                   order_id=order_id, confirmations=confirmations, required=required)
            await uow.commit()

    async def unmatched_payment(self, *, chain: str, txid: str, address: str, amount_units: int,
                                token: str | None) -> None:
        """Money arrived that matches no request (e.g. a wrong amount on a shared address): staff decide."""
        async with self._db.uow() as uow:
            now = self._clock()
            record(uow.session, actor=WATCHER, action="payment.unmatched", entity="payment", entity_id=None, at=now,
                   chain=chain, txid=txid, address=address, amount_units=str(amount_units), token=token)
            notify(uow.session, topic="payment.unmatched", at=now, audience="sellers", chain=chain, txid=txid,
                   address=address, amount_units=str(amount_units), token=token)
            await uow.commit()

    async def payment_for_closed_order(self, order_id: int, *, received_units: int) -> None:
        """Confirmed money for a cancelled or voided order: no transition; the shop's staff must act."""
        async with self._db.uow() as uow:
            now = self._clock()
            record(uow.session, actor=WATCHER, action="payment.closed_order", entity="order", entity_id=order_id,
                   at=now, received_units=str(received_units))
            notify(uow.session, topic="payment.closed_order", at=now, audience="sellers", order_id=order_id,
                   received_units=str(received_units))
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
            await apply_transition(uow, order, action, actor=WATCHER, now=self._clock(), **detail)
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


class FulfilmentService:
    """Staff actions on orders. Each checks the actor's role in the core and lands in the audit log."""

    def __init__(self, db: Database, clock: Clock = system_clock) -> None:
        self._db = db
        self._clock = clock

    async def ship(self, actor_id: int, order_id: int, tracking: str) -> OrderDTO:
        tracking = " ".join(tracking.split())
        if not tracking or len(tracking) > TRACKING_MAX:
            raise InvalidInput(field="tracking", reason="too_long" if tracking else "required", limit=TRACKING_MAX)
        return await self._act(actor_id, order_id, OrderAction.SHIP, Permission.MANAGE_ORDERS, tracking=tracking)

    async def deliver(self, actor_id: int, order_id: int) -> OrderDTO:
        return await self._act(actor_id, order_id, OrderAction.DELIVER, Permission.MANAGE_ORDERS)

    async def cancel(self, actor_id: int, order_id: int, reason: str = "") -> OrderDTO:
        return await self._act(actor_id, order_id, OrderAction.CANCEL, Permission.MANAGE_ORDERS,
                               reason=_note(reason))

    async def refund(self, actor_id: int, order_id: int, note: str = "") -> OrderDTO:
        """Record that the money went back (the note carries the refund transaction id), for a paid order or a
        late payment. Needs a fresh two-factor code: a hijacked chat must not be able to mark orders refunded."""
        return await self._act(actor_id, order_id, OrderAction.REFUND, Permission.REFUND, step_up=True,
                               note=_note(note))

    async def accept_late(self, actor_id: int, order_id: int) -> OrderDTO:
        """Keep a late payment: the goods are taken from stock again (or OutOfStock → refund instead)."""
        return await self._act(actor_id, order_id, OrderAction.ACCEPT_LATE, Permission.MANAGE_ORDERS)

    async def delivered_items(self, customer_id: int, order_id: int) -> list[DeliveredItem]:
        """The keys/codes a buyer received for a paid digital order (to send or re-send them)."""
        async with self._db.uow(write=False) as uow:
            order = await load_order(uow, order_id)
            if order.customer_id != customer_id:
                raise NotFound(entity="order", id=order_id)
            return await delivered_items_of(uow, order_id)

    async def _act(self, actor_id: int, order_id: int, action: OrderAction, permission: Permission, *,
                   step_up: bool = False, **detail: Any) -> OrderDTO:
        now = self._clock()
        async with self._db.uow() as uow:
            if step_up:
                await require_step_up(uow, actor_id, permission, now)
            else:
                await require_permission(uow, actor_id, permission)
            order = await load_order(uow, order_id)
            if action is OrderAction.SHIP:
                order.tracking = detail["tracking"]
            await apply_transition(uow, order, action, actor=actor_of(actor_id), now=now,
                                   **{k: v for k, v in detail.items() if v})
            dto = await order_dto(uow, order)
            await uow.commit()
            return dto


def _note(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > NOTE_MAX:
        raise InvalidInput(field="note", reason="too_long", limit=NOTE_MAX)
    return text
