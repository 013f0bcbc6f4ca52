"""The staff's view of one order, for any chat platform: its facts, the buyer, the payment, the shipping
address (for roles that fulfil orders — the core decides), and the moves they may make now. Each front-end
only renders it (an HTML message and buttons on Telegram, an embed and buttons on Discord)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bots.common.bill_view import bill_parts
from bots.i18n import Translator
from commerce.money import format_units
from commerce.orders import OrderDetailDTO, OrderDTO
from commerce.roles import Permission, Role, can
from commerce.status import TRANSITIONS, OrderAction, OrderStatus

# The moves the staff make from an order's detail, in the order the buttons are shown, with their labels.
MOVES: Final = ((OrderAction.SHIP, "so.button.ship"),
                (OrderAction.DELIVER, "so.button.deliver"),
                (OrderAction.ACCEPT_LATE, "so.button.accept_late"),
                (OrderAction.REFUND, "so.button.refund"),
                (OrderAction.CANCEL, "so.button.cancel"))


@dataclass(frozen=True, slots=True)
class StaffMove:
    action: OrderAction
    label: str


@dataclass(frozen=True, slots=True)
class StaffOrderView:
    order_id: int
    heading: str
    facts: tuple[str, ...]              # when it was placed, each line, the tracking number
    total: str
    buyer_label: str
    buyer: str
    payment_label: str
    payment: str
    address_label: str
    address: tuple[str, ...] | None     # None: not shipped, or not for this role
    moves: tuple[StaffMove, ...]
    back: str


def allowed_moves(order: OrderDTO, role: Role | None) -> list[OrderAction]:
    """Only the moves the order's status allows and the role may make; the core still decides on the press."""
    allowed = []
    for action, _ in MOVES:
        if (order.status, action) not in TRANSITIONS or (action is OrderAction.SHIP and not order.needs_shipping):
            continue
        if can(role, Permission.REFUND if action is OrderAction.REFUND else Permission.MANAGE_ORDERS):
            allowed.append(action)
    return allowed


def present_staff_order(tr: Translator, locale: str, detail: OrderDetailDTO, buyer: tuple[str, ...],
                        role: Role | None) -> StaffOrderView:
    """`buyer`: the buyer's identities (`telegram:123`, …)."""
    order, t = detail.order, tr.text
    facts = [t(locale, "so.detail.created", when=tr.datetime(locale, order.created_at)),
             *(t(locale, "so.detail.line", title=line.title, quantity=line.quantity,
                 total=tr.money(locale, line.line_total)) for line in order.lines),
             *bill_parts(tr, locale, order.bill)]
    if order.tracking:
        facts.append(t(locale, "so.detail.tracking", tracking=order.tracking))
    payment = detail.payment
    labels = dict(MOVES)
    moves = tuple(StaffMove(action, t(locale, "so.button.refund_late" if action is OrderAction.REFUND
                                      and order.status is OrderStatus.PAID_LATE else labels[action]))
                  for action in allowed_moves(order, role))
    return StaffOrderView(
        order_id=order.id,
        heading=t(locale, "so.detail.heading", id=order.id, status=tr.status(locale, order.status)),
        facts=tuple(facts), total=t(locale, "so.detail.total", total=tr.money(locale, order.total)),
        buyer_label=t(locale, "so.detail.buyer"), buyer=", ".join(buyer) or f"#{order.customer_id}",
        payment_label=t(locale, "so.detail.payment"),
        payment=t(locale, "so.detail.payment_value", amount=format_units(payment.amount_units, payment.decimals),
                  asset=payment.asset, method=payment.method_id) if payment else t(locale, "so.detail.no_payment"),
        address_label=t(locale, "so.detail.address"),
        address=tuple(detail.address.lines()) if detail.address is not None else None,
        moves=moves, back=t(locale, "so.button.back"))
