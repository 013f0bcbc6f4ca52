"""What an outbox message is about. The core queues each notice under one of these; each front-end keeps one
table from topic to the words it shows (`bots/common/notices.py`). The stored value is the text, so rows
queued by an older version still name their topic."""

from __future__ import annotations

from enum import StrEnum

from commerce.status import OrderAction


class Topic(StrEnum):
    # An order moved: one topic per move (`of_move`), told to the buyer and, for some moves, the staff.
    ORDER_PAYMENT_SEEN = "order.payment_seen"
    ORDER_PAYMENT_CONFIRMED = "order.payment_confirmed"
    ORDER_NOTHING_DUE = "order.nothing_due"
    ORDER_UNDERPAID = "order.underpaid"
    ORDER_PAYMENT_VANISHED = "order.payment_vanished"
    ORDER_PAYMENT_INVALID = "order.payment_invalid"
    ORDER_EXPIRE = "order.expire"
    ORDER_CANCEL = "order.cancel"
    ORDER_LATE_PAYMENT = "order.late_payment"
    ORDER_ACCEPT_LATE = "order.accept_late"
    ORDER_FULFIL = "order.fulfil"
    ORDER_SHIP = "order.ship"
    ORDER_DELIVER = "order.deliver"
    ORDER_REFUND = "order.refund"
    # News about an order that is not a move.
    ORDER_CREATED = "order.created"              # staff: a new order
    ORDER_CONFIRMATIONS = "order.confirmations"  # buyer: "seen, 1/2 confirmations"
    # Money that is not (or not all) an order's.
    PAYMENT_REFUND_DUE = "payment.refund_due"
    PAYMENT_UNMATCHED = "payment.unmatched"
    # Support tickets.
    SUPPORT_MESSAGE = "support.message"  # staff: a buyer wrote
    SUPPORT_REPLY = "support.reply"      # buyer: the shop answered
    # Invitations (commerce/referrals.py): the inviter hears of a reward earned, and of one withdrawn.
    REFERRAL_REWARD = "referral.reward"
    REFERRAL_WITHDRAWN = "referral.withdrawn"
    # The shop itself.
    SECURITY_LOCKOUT = "security.lockout"
    RATE_OUT_OF_RANGE = "rate.out_of_range"
    RATE_JUMPED = "rate.jumped"
    RATE_RESTORED = "rate.restored"

    @classmethod
    def of_move(cls, action: OrderAction) -> Topic:
        """The topic of an order's move (every `OrderAction` has one)."""
        return cls(f"order.{action.value}")
