"""How the money that reached an order counts. Pure: facts in, one decision out (docs/payments.md).

An order may have several payment requests (the buyer paid part, then changed method); each asks for a part of
the order total (`due_minor`, fiat) as an exact amount of one asset (`amount_units`). A transfer to a request is
worth its share of what that request asks, `units × due_minor ÷ amount_units`, rounded down to the shop
currency's minor unit: the request's locked rate, rounded in the shop's favour. Paying a request's full amount
(less its tolerance) is worth exactly what it asks.

Transfers count in the order they were first seen. The transfer that covers the order keeps the units it
needed; whatever it carries beyond that, and every transfer after it, is surplus. Surplus, and money for an
order that can no longer take it (cancelled, void, expired without being completed), is refund due: each
unit of money ends counted toward the order or owed back, never kept silently.

Everything is recomputed from the stored transfers, so deciding twice, or again after a crash, gives the
same answer; refund rows only grow and transitions refuse repeats.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from commerce.payment_records import RequestDTO
from commerce.status import OrderStatus


class Decision(StrEnum):
    NOTHING = "nothing"
    SEEN = "seen"              # the whole total is on its way (some of it unconfirmed)
    CONFIRMED = "confirmed"    # the whole total is confirmed
    UNDERPAID = "underpaid"    # part of it arrived: tell the buyer the exact rest
    RECOUNT = "recount"        # less has arrived than the buyer was last told (a part vanished): just note it
    VANISHED = "vanished"      # a confirming order lost transfers (reorg, double spend) inside its window
    INVALID = "invalid"        # … after its window: void
    LATE = "late"              # an expired order completed inside the late window
    REFUND_DUE = "refund_due"  # only money to give back


class RefundReason(StrEnum):
    OVERPAID = "overpaid"          # more than the order total (a second payment, a top-up after it was covered)
    CLOSED_ORDER = "closed_order"  # the order was cancelled or is void
    EXPIRED = "expired"            # the order expired and this did not complete it inside the late window
    TOO_LATE = "too_late"          # the order expired and the late window has passed


@dataclass(frozen=True, slots=True)
class Inflow:
    """One stored transfer as the rules see it. `units` excludes what is already set aside for refund."""

    payment_id: int
    request_id: int
    units: int
    live: bool           # mined or in the mempool (not orphaned for good, not double-spent)
    confirmed: bool      # has its request's confirmations
    confirmations: int


@dataclass(frozen=True, slots=True)
class SetAside:
    """A refund row already written for a transfer."""

    units: int
    reason: RefundReason
    status: str          # due | void


@dataclass(frozen=True, slots=True)
class OrderMoney:
    """Everything the rules need about one order."""

    order_id: int
    status: OrderStatus
    total_minor: int
    credited_minor: int
    expires_at: datetime
    requests: Mapping[int, RequestDTO]
    inflows: tuple[Inflow, ...]             # in the order they were first seen
    set_aside: Mapping[int, SetAside]       # payment id → refund row
    open_request_id: int | None

    @property
    def late_until(self) -> datetime:
        return max((r.late_until for r in self.requests.values()), default=self.expires_at)


@dataclass(frozen=True, slots=True)
class Coverage:
    covered_minor: int
    complete: bool
    surplus: dict[int, int]                           # payment id → units beyond what the order needed
    used: dict[int, int] = field(default_factory=dict)    # request id → units counted toward the order
    valued: dict[int, int] = field(default_factory=dict)  # request id → fiat counted toward the order


@dataclass(frozen=True, slots=True)
class Refund:
    """A transfer's refund row as it should now be: `units` is the row's new total (not an increment)."""

    payment_id: int
    request_id: int
    units: int
    reason: RefundReason


@dataclass(frozen=True, slots=True)
class Settlement:
    decision: Decision
    status: OrderStatus                      # the order's status once the decision is applied
    refunds: tuple[Refund, ...] = ()
    covered_minor: int = 0                   # counted toward the order (live transfers)
    remaining_units: int | None = None       # UNDERPAID: what the open request still needs, in its asset
    voided: tuple[int, ...] = ()             # LATE: payments whose refund row is void (counted after all)
    progress: tuple[int, int] | None = None  # (confirmations, required) of the least-confirmed live transfer
    waiting: bool = False                    # something may still change without a new transfer being seen


def worth(request: RequestDTO, units: int) -> int:
    """Fiat minor units that `units` of this request's asset are worth at its locked rate (rounded down)."""
    if units <= 0 or request.amount_units <= 0:
        return 0
    value = units * request.due_minor // request.amount_units
    if units >= request.amount_units - request.tolerance_units:
        value = max(value, request.due_minor)   # paying what was asked (within tolerance) covers what was asked
    return value


def units_for(request: RequestDTO, target_minor: int) -> int:
    """The fewest units of this request that are worth at least `target_minor`."""
    if target_minor <= 0 or request.due_minor <= 0:
        return 0
    exact = -(-target_minor * request.amount_units // request.due_minor)   # ceiling, in integers
    if target_minor <= request.due_minor:
        return min(exact, request.amount_units - request.tolerance_units)
    return exact


def cover(total_minor: int, requests: Mapping[int, RequestDTO], inflows: Iterable[Inflow]) -> Coverage:
    """Count transfers toward `total_minor` in the order they were seen; the rest is surplus."""
    covered = 0
    used: dict[int, int] = defaultdict(int)
    valued: dict[int, int] = defaultdict(int)
    surplus: dict[int, int] = {}
    for flow in inflows:
        if flow.units <= 0:
            continue
        need = total_minor - covered
        if need <= 0:
            surplus[flow.payment_id] = flow.units
            continue
        request = requests[flow.request_id]
        before = used[request.id]
        gain = worth(request, before + flow.units) - valued[request.id]
        if gain >= need:
            needed = max(0, units_for(request, valued[request.id] + need) - before)
            if flow.units > needed:
                surplus[flow.payment_id] = flow.units - needed
            used[request.id] = before + min(flow.units, needed)
            gain = need
        else:
            used[request.id] = before + flow.units
        valued[request.id] += gain
        covered += gain
    return Coverage(covered, covered >= total_minor, surplus, dict(used), dict(valued))


def decide(money: OrderMoney, now: datetime) -> Settlement:
    """What the order's transfers mean now, for its status."""
    live_flows = [f for f in money.inflows if f.live]
    live = cover(money.total_minor, money.requests, live_flows)
    unconfirmed = [f for f in live_flows if not f.confirmed and f.units > 0]
    state = Settlement(Decision.NOTHING, money.status, covered_minor=live.covered_minor,
                       progress=_progress(money, unconfirmed), waiting=bool(unconfirmed))
    status = money.status

    if status.is_open:
        state = replace(state, waiting=True)   # the window may still pass
        confirmed = cover(money.total_minor, money.requests, [f for f in live_flows if f.confirmed])
        if confirmed.complete:
            return replace(state, decision=Decision.CONFIRMED,
                           refunds=_surplus(confirmed.surplus, money, RefundReason.OVERPAID))
        if status is OrderStatus.CONFIRMING and not live.complete:
            return replace(state, decision=Decision.VANISHED if now < money.expires_at else Decision.INVALID)
        if status is OrderStatus.AWAITING_PAYMENT:
            if live.complete:
                return replace(state, decision=Decision.SEEN)
            if live.covered_minor > money.credited_minor:
                return replace(state, decision=Decision.UNDERPAID, remaining_units=_remaining(money, live))
            if live.covered_minor < money.credited_minor:
                return replace(state, decision=Decision.RECOUNT)
        return state

    if status is OrderStatus.EXPIRED:
        return _expired(money, now, live_flows, state)

    if status in (OrderStatus.CANCELLED, OrderStatus.INVALID):
        return _refund_due(state, _everything_confirmed(live_flows), money, RefundReason.CLOSED_ORDER)

    # Paid, fulfilled, shipped, delivered, paid late or refunded: anything beyond the total goes back.
    confirmed = cover(money.total_minor, money.requests, [f for f in live_flows if f.confirmed])
    return _refund_due(state, confirmed.surplus, money, RefundReason.OVERPAID)


def _expired(money: OrderMoney, now: datetime, live_flows: list[Inflow], state: Settlement) -> Settlement:
    """An expired order is completed late by money not yet promised back, together with what was set aside
    when it expired (that part is then counted after all)."""
    in_window = now <= money.late_until
    if in_window:
        revivable = {pid for pid, row in money.set_aside.items()
                     if row.status == "due" and row.reason is RefundReason.EXPIRED}
        flows = [_restored(f, money) if f.payment_id in revivable else f for f in live_flows]
        confirmed = cover(money.total_minor, money.requests, [f for f in flows if f.confirmed])
        if confirmed.complete:
            refunds = []
            for payment_id, extra in sorted(confirmed.surplus.items()):
                if payment_id in revivable:   # the row's new total is the surplus itself, not an addition
                    refunds.append(Refund(payment_id, _request_of(money, payment_id), extra, RefundReason.EXPIRED))
                else:
                    refunds.extend(_surplus({payment_id: extra}, money, RefundReason.OVERPAID))
            voided = tuple(sorted(pid for pid in revivable if pid not in confirmed.surplus))
            return replace(state, decision=Decision.LATE, refunds=tuple(refunds), voided=voided)
        if cover(money.total_minor, money.requests, flows).complete:
            return replace(state, waiting=True)   # the rest is on its way: wait for its confirmations
    reason = RefundReason.EXPIRED if in_window else RefundReason.TOO_LATE
    return _refund_due(state, _everything_confirmed(live_flows), money, reason)


def _restored(flow: Inflow, money: OrderMoney) -> Inflow:
    return replace(flow, units=flow.units + money.set_aside[flow.payment_id].units)


def _everything_confirmed(flows: list[Inflow]) -> dict[int, int]:
    return {f.payment_id: f.units for f in flows if f.confirmed and f.units > 0}


def _request_of(money: OrderMoney, payment_id: int) -> int:
    return next(f.request_id for f in money.inflows if f.payment_id == payment_id)


def _surplus(extra: Mapping[int, int], money: OrderMoney, reason: RefundReason) -> tuple[Refund, ...]:
    """Rows grown by `extra` units each (a transfer's existing row keeps its reason)."""
    lines = []
    for payment_id, units in sorted(extra.items()):
        if units <= 0:
            continue
        row = money.set_aside.get(payment_id)
        total = units + (row.units if row is not None and row.status == "due" else 0)
        lines.append(Refund(payment_id, _request_of(money, payment_id), total, row.reason if row else reason))
    return tuple(lines)


def _refund_due(state: Settlement, extra: Mapping[int, int], money: OrderMoney, reason: RefundReason) -> Settlement:
    refunds = _surplus(extra, money, reason)
    return replace(state, decision=Decision.REFUND_DUE, refunds=refunds) if refunds else state


def _remaining(money: OrderMoney, live: Coverage) -> int | None:
    """What the open request still needs, in its own asset, for the order to be covered."""
    request = money.requests.get(money.open_request_id or 0)
    if request is None:
        return None
    need = money.total_minor - live.covered_minor
    valued, used = live.valued.get(request.id, 0), live.used.get(request.id, 0)
    return max(1, units_for(request, valued + need) - used)


def _progress(money: OrderMoney, unconfirmed: list[Inflow]) -> tuple[int, int] | None:
    if not unconfirmed:
        return None
    least = min(unconfirmed, key=lambda f: f.confirmations)
    return least.confirmations, money.requests[least.request_id].confirmations
