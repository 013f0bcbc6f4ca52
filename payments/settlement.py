"""What the stored payments of a request mean for its order. Pure: facts in, one decision out.

Everything is recomputed from the stored payments and the tip, so applying the same observation twice,
or after a crash, leads to the same decision — and the order's state machine refuses repeats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from commerce.payment_records import PaymentDTO, RequestDTO
from commerce.status import OrderStatus


class Decision(StrEnum):
    NOTHING = "nothing"
    SEEN = "seen"
    CONFIRMED = "confirmed"
    UNDERPAID = "underpaid"
    VANISHED = "vanished"
    INVALID = "invalid"
    LATE = "late"
    CLOSED_ORDER_PAID = "closed_order_paid"


@dataclass(frozen=True, slots=True)
class Tally:
    seen: int          # live transfers, mined or in the mempool
    confirmed: int     # transfers with enough confirmations
    confirmations: int  # the least-confirmed live transfer's confirmations (for "1/2" progress)


def tally(request: RequestDTO, payments: list[PaymentDTO], tip_height: int) -> Tally:
    live = [p for p in payments if not p.gone]

    def confs(p: PaymentDTO) -> int:
        return 0 if p.block_height is None else max(0, tip_height - p.block_height + 1)

    confirmed = sum(p.amount_units for p in live if confs(p) >= max(request.confirmations, 0)
                    and (p.block_height is not None or request.confirmations == 0))
    return Tally(sum(p.amount_units for p in live), confirmed, min((confs(p) for p in live), default=0))


def decide(request: RequestDTO, status: OrderStatus, counted: Tally, now: datetime) -> Decision:
    due = request.amount_units - request.tolerance_units
    if status is OrderStatus.AWAITING_PAYMENT:
        if counted.confirmed >= due:
            return Decision.CONFIRMED
        if counted.seen >= due:
            return Decision.SEEN
        if counted.seen > request.credited_units:
            return Decision.UNDERPAID
    elif status is OrderStatus.CONFIRMING:
        if counted.confirmed >= due:
            return Decision.CONFIRMED
        if counted.seen < due:
            return Decision.VANISHED if now < request.expires_at else Decision.INVALID
    elif status is OrderStatus.EXPIRED and counted.confirmed >= due and now <= request.late_until:
        return Decision.LATE
    elif status in (OrderStatus.CANCELLED, OrderStatus.INVALID) and counted.confirmed > request.credited_units:
        return Decision.CLOSED_ORDER_PAID
    return Decision.NOTHING
