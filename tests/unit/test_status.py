"""Every legal move of docs/architecture.md#order-states and every illegal one, on the pure state machine."""

from __future__ import annotations

import itertools

import pytest

from commerce.errors import IllegalTransition
from commerce.status import TRANSITIONS, OrderAction, OrderStatus, next_status

S, A = OrderStatus, OrderAction

EXPECTED = {
    (S.AWAITING_PAYMENT, A.PAYMENT_SEEN): S.CONFIRMING,
    (S.AWAITING_PAYMENT, A.PAYMENT_CONFIRMED): S.PAID,
    (S.AWAITING_PAYMENT, A.NOTHING_DUE): S.PAID,      # free goods: a zero total is paid at checkout
    (S.AWAITING_PAYMENT, A.UNDERPAID): S.AWAITING_PAYMENT,
    (S.AWAITING_PAYMENT, A.EXPIRE): S.EXPIRED,
    (S.AWAITING_PAYMENT, A.CANCEL): S.CANCELLED,
    (S.CONFIRMING, A.PAYMENT_CONFIRMED): S.PAID,
    (S.CONFIRMING, A.UNDERPAID): S.AWAITING_PAYMENT,
    (S.CONFIRMING, A.PAYMENT_VANISHED): S.AWAITING_PAYMENT,
    (S.CONFIRMING, A.PAYMENT_INVALID): S.INVALID,
    (S.EXPIRED, A.LATE_PAYMENT): S.PAID_LATE,
    (S.PAID_LATE, A.ACCEPT_LATE): S.PAID,
    (S.PAID_LATE, A.REFUND): S.REFUNDED,
    (S.PAID, A.FULFIL): S.FULFILLED,
    (S.PAID, A.SHIP): S.SHIPPED,
    (S.PAID, A.REFUND): S.REFUNDED,
    (S.SHIPPED, A.DELIVER): S.DELIVERED,
    (S.SHIPPED, A.REFUND): S.REFUNDED,
    (S.DELIVERED, A.REFUND): S.REFUNDED,
    (S.FULFILLED, A.REFUND): S.REFUNDED,
}


def test_the_table_is_exactly_the_designed_machine() -> None:
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize(("status", "action"), list(EXPECTED))
def test_every_legal_move(status: OrderStatus, action: OrderAction) -> None:
    assert next_status(7, status, action) is EXPECTED[(status, action)]


ILLEGAL = [pair for pair in itertools.product(OrderStatus, OrderAction) if pair not in EXPECTED]


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_every_illegal_move_is_refused_with_its_details(status: OrderStatus, action: OrderAction) -> None:
    with pytest.raises(IllegalTransition) as err:
        next_status(7, status, action)
    assert err.value.fields == {"order_id": 7, "status": status.value, "action": action.value}


def test_terminal_states_have_no_way_out() -> None:
    for terminal in (S.CANCELLED, S.REFUNDED, S.INVALID):
        assert not [a for (s, a) in TRANSITIONS if s is terminal]


def test_only_open_orders_hold_reservations() -> None:
    assert {s for s in S if s.is_open} == {S.AWAITING_PAYMENT, S.CONFIRMING}
    assert {s for s in S if s.is_settled} == {S.PAID, S.FULFILLED, S.SHIPPED, S.DELIVERED}
