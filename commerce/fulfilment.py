"""Staff actions on paid orders: ship, deliver, cancel, refund, accept a late payment."""

from __future__ import annotations

from typing import Any, Final

from commerce.errors import InvalidInput, NotFound
from commerce.events import Clock, actor_of, system_clock
from commerce.order_flow import apply_transition, load_order
from commerce.orders import DeliveredItem, OrderDTO, delivered_items_of, order_dto
from commerce.referrals import NO_REFERRALS, ReferralRules
from commerce.roles import Permission
from commerce.sellers import require_permission, require_step_up
from commerce.status import OrderAction
from commerce.storage.db import Database

# DeliveredItem is re-exported: it belonged here before order details needed it too.
__all__ = ["DeliveredItem", "FulfilmentService"]

TRACKING_MAX: Final = 128
NOTE_MAX: Final = 500


class FulfilmentService:
    """Staff actions on orders. Each checks the actor's role in the core and lands in the audit log."""

    def __init__(self, db: Database, clock: Clock = system_clock, *, referrals: ReferralRules = NO_REFERRALS) -> None:
        self._db = db
        self._clock = clock
        self._referrals = referrals  # accepting a late payment may reward whoever invited the buyer

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
            await apply_transition(uow, order, action, actor=actor_of(actor_id), now=now, referrals=self._referrals,
                                   **{k: v for k, v in detail.items() if v})
            dto = await order_dto(uow, order)
            await uow.commit()
            return dto


def _note(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > NOTE_MAX:
        raise InvalidInput(field="note", reason="too_long", limit=NOTE_MAX)
    return text
