"""What the staff see of the shop's orders in the chat: the list by status, one order (the shared staff view
rendered), and the buttons under them (pure functions)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bots.common.staff_orders import StaffOrderView
from bots.i18n import Translator
from bots.telegram.callbacks import PageNumber, RowId
from bots.telegram.render import Reply, bold, quote
from commerce.orders import OrderDTO
from commerce.status import OrderAction, OrderStatus

PAGE_SIZE: Final = 8
FILTERS: Final = (OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.PAID_LATE,
                  OrderStatus.DELIVERED, OrderStatus.REFUNDED)


class SellerOrdersAction(StrEnum):
    LIST = "l"
    DETAIL = "d"
    SHIP = "s"
    DELIVER = "v"
    CANCEL = "c"
    REFUND = "r"
    ACCEPT_LATE = "a"
    SKIP_NOTE = "n"
    ABORT = "x"


class SellerOrdersCallback(CallbackData, prefix="so"):
    """`status` and `page` remember the list the order was opened from (for "back", and to find it again)."""

    action: SellerOrdersAction
    order_id: RowId | None = None
    status: OrderStatus | None = None
    page: PageNumber = 0


# The buttons an order's detail may offer, in order, with the move each one asks the core for.
MOVE_ACTIONS: Final = {OrderAction.SHIP: SellerOrdersAction.SHIP, OrderAction.DELIVER: SellerOrdersAction.DELIVER,
                 OrderAction.ACCEPT_LATE: SellerOrdersAction.ACCEPT_LATE, OrderAction.REFUND: SellerOrdersAction.REFUND,
                 OrderAction.CANCEL: SellerOrdersAction.CANCEL}


def order_button(text: str, **payload: Any) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=SellerOrdersCallback(**payload).pack())


def render_order_list(orders: list[OrderDTO], status: OrderStatus | None, page: int, translator: Translator,
                locale: str) -> Reply:
    shown, more = orders[:PAGE_SIZE], len(orders) > PAGE_SIZE
    label = translator.status(locale, status) if status else translator.text(locale, "so.filter.all")
    heading = translator.text(locale, "so.list.heading", status=label)
    body = [bold(heading), quote(translator.text(locale, "so.list.empty" if not shown else "so.list.hint"))]
    L = SellerOrdersAction
    rows = [[order_button(translator.text(locale, "so.list.line", id=o.id, status=translator.status(locale, o.status),
                                     total=translator.money(locale, o.total)),
                     action=L.DETAIL, order_id=o.id, status=status, page=page)] for o in shown]
    paging = ([order_button(translator.text(locale, "so.button.previous"), action=L.LIST, status=status, page=page - 1)]
              if page else [])
    if more:
        paging.append(order_button(translator.text(locale, "so.button.next"), action=L.LIST, status=status,
                                   page=page + 1))
    filters = [order_button(("• " if s is status else "") + translator.status(locale, s), action=L.LIST, status=s)
               for s in FILTERS]
    filters.append(order_button(("• " if status is None else "") + translator.text(locale, "so.filter.all"),
                           action=L.LIST))
    rows += [paging, filters[:4], filters[4:]]
    return Reply("\n".join(body), InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row]))


def render_staff_order(view: StaffOrderView, origin: SellerOrdersCallback) -> Reply:
    """The shared staff view of one order (`bots/common/staff_orders.py`) as HTML and buttons."""
    parts = [bold(view.heading), "\n".join(map(quote, view.facts)), bold(view.total),
             f"{bold(view.buyer_label)}\n{quote(view.buyer)}", f"{bold(view.payment_label)}\n{quote(view.payment)}"]
    if view.address is not None:
        parts.append("\n".join([bold(view.address_label), *map(quote, view.address)]))
    rows = [[order_button(move.label, action=MOVE_ACTIONS[move.action], order_id=view.order_id,
                          status=origin.status, page=origin.page)] for move in view.moves]
    rows.append([order_button(view.back, action=SellerOrdersAction.LIST, status=origin.status, page=origin.page)])
    return Reply("\n\n".join(parts), InlineKeyboardMarkup(inline_keyboard=rows))


def question_markup(tr: Translator, locale: str, *, skip: bool) -> InlineKeyboardMarkup:
    """Under a question (the tracking number, a refund note): Skip where it may be skipped, and Abort."""
    skip_row = [order_button(tr.text(locale, "so.button.skip_note"), action=SellerOrdersAction.SKIP_NOTE)]
    rows = [skip_row] if skip else []
    rows.append([order_button(tr.text(locale, "so.button.abort"), action=SellerOrdersAction.ABORT)])
    return InlineKeyboardMarkup(inline_keyboard=rows)
