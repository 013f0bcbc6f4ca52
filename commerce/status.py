"""The order state machine (docs/architecture.md#order-states): statuses, actions and the only legal moves."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from commerce.errors import IllegalTransition


class OrderStatus(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    CONFIRMING = "confirming"
    PAID = "paid"
    FULFILLED = "fulfilled"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    PAID_LATE = "paid_late"
    REFUNDED = "refunded"
    INVALID = "invalid"

    @property
    def is_open(self) -> bool:
        """Stock is reserved and a payment is still expected."""
        return self in (OrderStatus.AWAITING_PAYMENT, OrderStatus.CONFIRMING)

    @property
    def is_settled(self) -> bool:
        """The buyer has paid and the shop keeps the money."""
        return self in _SETTLED


class OrderAction(StrEnum):
    PAYMENT_SEEN = "payment_seen"
    PAYMENT_CONFIRMED = "payment_confirmed"
    NOTHING_DUE = "nothing_due"      # the total is zero (free goods): paid at checkout, no payment request
    UNDERPAID = "underpaid"
    PAYMENT_VANISHED = "payment_vanished"
    PAYMENT_INVALID = "payment_invalid"
    EXPIRE = "expire"
    CANCEL = "cancel"
    LATE_PAYMENT = "late_payment"
    ACCEPT_LATE = "accept_late"
    FULFIL = "fulfil"
    SHIP = "ship"
    DELIVER = "deliver"
    REFUND = "refund"


S, A = OrderStatus, OrderAction

TRANSITIONS: Final[dict[tuple[OrderStatus, OrderAction], OrderStatus]] = {
    (S.AWAITING_PAYMENT, A.PAYMENT_SEEN): S.CONFIRMING,
    (S.AWAITING_PAYMENT, A.EXPIRE): S.EXPIRED,
    (S.AWAITING_PAYMENT, A.CANCEL): S.CANCELLED,
    # a payment that is confirmed in the same block it is first seen skips "confirming"
    (S.AWAITING_PAYMENT, A.PAYMENT_CONFIRMED): S.PAID,
    (S.AWAITING_PAYMENT, A.NOTHING_DUE): S.PAID,
    (S.CONFIRMING, A.PAYMENT_CONFIRMED): S.PAID,
    (S.CONFIRMING, A.UNDERPAID): S.AWAITING_PAYMENT,
    (S.AWAITING_PAYMENT, A.UNDERPAID): S.AWAITING_PAYMENT,
    (S.CONFIRMING, A.PAYMENT_VANISHED): S.AWAITING_PAYMENT,
    (S.CONFIRMING, A.PAYMENT_INVALID): S.INVALID,
    (S.EXPIRED, A.LATE_PAYMENT): S.PAID_LATE,
    (S.PAID_LATE, A.ACCEPT_LATE): S.PAID,
    (S.PAID_LATE, A.REFUND): S.REFUNDED,
    (S.PAID, A.FULFIL): S.FULFILLED,
    (S.PAID, A.SHIP): S.SHIPPED,
    (S.SHIPPED, A.DELIVER): S.DELIVERED,
    (S.PAID, A.REFUND): S.REFUNDED,
    (S.SHIPPED, A.REFUND): S.REFUNDED,
    (S.DELIVERED, A.REFUND): S.REFUNDED,
    (S.FULFILLED, A.REFUND): S.REFUNDED,
}

_SETTLED: Final = frozenset({S.PAID, S.FULFILLED, S.SHIPPED, S.DELIVERED})

del S, A


def next_status(order_id: int, status: OrderStatus, action: OrderAction) -> OrderStatus:
    """The status after `action`, or IllegalTransition when the machine forbids the move."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise IllegalTransition(order_id=order_id, status=status.value, action=action.value) from None
