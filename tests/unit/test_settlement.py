"""The settlement rules on their own: what an order's transfers are worth, what is surplus, what each status
decides — every unit ends counted toward the order or owed back, never both, never neither."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from commerce.payment_records import RequestDTO
from commerce.settlement import (
    Decision,
    Inflow,
    OrderMoney,
    RefundReason,
    SetAside,
    cover,
    decide,
    units_for,
    worth,
)
from commerce.status import OrderStatus

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def request(rid: int, due: int, amount: int, *, tolerance: int = 0, status: str = "open",
            confirmations: int = 1) -> RequestDTO:
    return RequestDTO(rid, 1, "btc", "bitcoin:mainnet", "BTC", None, 8, f"bc1q{rid}", amount, Decimal(1), "bitcoin:",
                      status, confirmations, tolerance, due, NOW, NOW + timedelta(minutes=30),
                      NOW + timedelta(hours=24), True)


def flow(pid: int, rid: int, units: int, *, confirmed: bool = True, live: bool = True) -> Inflow:
    return Inflow(pid, rid, units, live=live, confirmed=confirmed, confirmations=1 if confirmed else 0)


def money(status: OrderStatus, requests: list[RequestDTO], flows: list[Inflow], *, total: int = 1200,
          credited: int = 0, set_aside: dict[int, SetAside] | None = None) -> OrderMoney:
    return OrderMoney(1, status, total, credited, NOW + timedelta(minutes=30), {r.id: r for r in requests},
                      tuple(flows), set_aside or {}, requests[-1].id if requests else None)


def test_a_transfer_is_worth_its_share_of_what_its_request_asks_rounded_down() -> None:
    r = request(1, 1200, 8_000)
    assert worth(r, 8_000) == 1200 and worth(r, 4_000) == 600 and worth(r, 7) == 1   # 1.05 → 1
    assert units_for(r, 600) == 4_000 and units_for(r, 1) == 7 and units_for(r, 1200) == 8_000


def test_paying_what_was_asked_within_tolerance_covers_it() -> None:
    r = request(1, 1200, 8_000, tolerance=80)
    assert worth(r, 7_920) == 1200 and worth(r, 7_919) == 1187
    assert units_for(r, 1200) == 7_920


def test_the_covering_transfer_keeps_what_was_needed_and_later_ones_are_surplus() -> None:
    a, b = request(1, 1200, 8_000, status="replaced"), request(2, 600, 4_000_777)
    coverage = cover(1200, {1: a, 2: b}, [flow(10, 1, 4_000), flow(11, 2, 4_000_777), flow(12, 1, 4_000)])
    assert coverage.complete and coverage.covered_minor == 1200
    assert coverage.surplus == {12: 4_000}
    overpaid = cover(1200, {1: a}, [flow(10, 1, 9_234)])
    assert overpaid.surplus == {10: 1_234}


@settings(max_examples=300, deadline=None)
@given(total=st.integers(1, 10**7),
       asks=st.lists(st.tuples(st.integers(1, 10**7), st.integers(1, 10**12), st.integers(0, 50)), min_size=1,
                     max_size=4),
       paid=st.lists(st.tuples(st.integers(0, 3), st.integers(1, 2 * 10**12)), max_size=8))
def test_every_unit_is_counted_or_surplus_never_both(total: int, asks: list[tuple[int, int, int]],
                                                      paid: list[tuple[int, int]]) -> None:
    requests = {i: request(i, due, amount, tolerance=min(tol, amount - 1))
                for i, (due, amount, tol) in enumerate(asks)}
    flows = [flow(pid, rid % len(requests), units) for pid, (rid, units) in enumerate(paid)]
    coverage = cover(total, requests, flows)
    assert 0 <= coverage.covered_minor <= total
    assert coverage.complete == (coverage.covered_minor == total)
    for f in flows:
        assert 0 <= coverage.surplus.get(f.payment_id, 0) <= f.units
    counted = sum(f.units for f in flows) - sum(coverage.surplus.values())
    assert counted == sum(coverage.used.values())
    # What was counted is worth what it covered (each request's counted units at its own rate).
    assert sum(coverage.valued.values()) == coverage.covered_minor
    for rid, used in coverage.used.items():
        assert coverage.valued.get(rid, 0) <= worth(requests[rid], used)
    # Without surplus nothing was left over; with surplus the order was covered first.
    if coverage.surplus:
        assert coverage.complete
    # Counting again with the surplus set aside finds no more surplus and covers the same.
    again = cover(total, requests, [flow(f.payment_id, f.request_id, f.units - coverage.surplus.get(f.payment_id, 0))
                                    for f in flows])
    assert again.surplus == {} and again.covered_minor == coverage.covered_minor


def test_awaiting_decides_confirmed_seen_underpaid_and_the_rest_in_the_open_request() -> None:
    a = request(1, 1200, 8_000)
    assert decide(money(OrderStatus.AWAITING_PAYMENT, [a], [flow(1, 1, 8_000)]), NOW).decision is Decision.CONFIRMED
    seen = decide(money(OrderStatus.AWAITING_PAYMENT, [a], [flow(1, 1, 8_000, confirmed=False)]), NOW)
    assert seen.decision is Decision.SEEN and seen.waiting
    under = decide(money(OrderStatus.AWAITING_PAYMENT, [a], [flow(1, 1, 5_000)]), NOW)
    assert under.decision is Decision.UNDERPAID and under.remaining_units == 3_000 and under.covered_minor == 750
    told = decide(money(OrderStatus.AWAITING_PAYMENT, [a], [flow(1, 1, 5_000)], credited=750), NOW)
    assert told.decision is Decision.NOTHING


def test_confirming_goes_back_only_when_money_is_gone() -> None:
    a, b = request(1, 1200, 8_000, status="replaced"), request(2, 600, 4_000)
    pending = [flow(1, 1, 4_000), flow(2, 2, 4_000, confirmed=False)]
    assert decide(money(OrderStatus.CONFIRMING, [a, b], pending, credited=600), NOW).decision is Decision.NOTHING
    gone = [flow(1, 1, 4_000), flow(2, 2, 4_000, live=False)]
    assert decide(money(OrderStatus.CONFIRMING, [a, b], gone), NOW).decision is Decision.VANISHED
    late = NOW + timedelta(hours=1)
    assert decide(money(OrderStatus.CONFIRMING, [a, b], gone), late).decision is Decision.INVALID


def test_money_for_closed_orders_and_beyond_the_total_is_refund_due() -> None:
    a = request(1, 1200, 8_000)
    closed = decide(money(OrderStatus.CANCELLED, [a], [flow(1, 1, 8_000), flow(2, 1, 5, confirmed=False)]), NOW)
    assert closed.decision is Decision.REFUND_DUE and closed.waiting
    assert [(r.payment_id, r.units, r.reason) for r in closed.refunds] == [(1, 8_000, RefundReason.CLOSED_ORDER)]
    paid = decide(money(OrderStatus.FULFILLED, [a], [flow(1, 1, 8_000), flow(2, 1, 8_000)]), NOW)
    assert [(r.payment_id, r.units, r.reason) for r in paid.refunds] == [(2, 8_000, RefundReason.OVERPAID)]
    # Once the row exists (and the transfer's units are set aside), deciding again owes nothing more.
    recorded = decide(money(OrderStatus.FULFILLED, [a], [flow(1, 1, 8_000), flow(2, 1, 0)],
                            set_aside={2: SetAside(8_000, RefundReason.OVERPAID, "due")}), NOW)
    assert recorded.decision is Decision.NOTHING


def test_expired_money_is_owed_back_unless_completed_inside_the_late_window() -> None:
    a = request(1, 1200, 8_000)
    partial = decide(money(OrderStatus.EXPIRED, [a], [flow(1, 1, 5_000)]), NOW + timedelta(hours=1))
    assert [(r.units, r.reason) for r in partial.refunds] == [(5_000, RefundReason.EXPIRED)]
    completed = decide(money(OrderStatus.EXPIRED, [a], [flow(1, 1, 0), flow(2, 1, 3_000)],
                             set_aside={1: SetAside(5_000, RefundReason.EXPIRED, "due")}), NOW + timedelta(hours=1))
    assert completed.decision is Decision.LATE and completed.voided == (1,) and completed.refunds == ()
    after = decide(money(OrderStatus.EXPIRED, [a], [flow(1, 1, 8_000)]), NOW + timedelta(days=2))
    assert [(r.units, r.reason) for r in after.refunds] == [(8_000, RefundReason.TOO_LATE)]
    waiting = decide(money(OrderStatus.EXPIRED, [a], [flow(1, 1, 8_000, confirmed=False)]), NOW + timedelta(hours=1))
    assert waiting.decision is Decision.NOTHING and waiting.waiting
