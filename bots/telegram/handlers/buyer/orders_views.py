"""A buyer's orders in the chat: the list, one order's detail and their buttons, rendered from the shared
views of `bots/common` (pure functions)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bots.common.views import OrderButton, OrderButtonKind, OrderDetailView, OrderListView, OrderRows
from bots.i18n import Translator
from bots.telegram.callbacks import PageNumber, RowId
from bots.telegram.handlers.buyer.reviews_views import review_order_button
from bots.telegram.render import Reply, bold, quote


class OrdersAction(StrEnum):
    LIST = "l"  # page
    DETAIL = "d"  # order_id, page: the list page to go back to
    PAY = "p"
    CANCEL = "x"
    SUPPORT = "s"
    RECEIPT = "r"  # order_id: the receipt of a paid order, as PNG and PDF documents


class OrdersCallback(CallbackData, prefix="od"):
    action: OrdersAction
    order_id: RowId | None = None
    page: PageNumber = 0


ORDER_ACTIONS = {OrderButtonKind.LIST: OrdersAction.LIST, OrderButtonKind.DETAIL: OrdersAction.DETAIL,
                 OrderButtonKind.SHOW_PAYMENT: OrdersAction.PAY, OrderButtonKind.CANCEL: OrdersAction.CANCEL,
                 OrderButtonKind.SUPPORT: OrdersAction.SUPPORT, OrderButtonKind.RECEIPT: OrdersAction.RECEIPT}


def order_button(button: OrderButton, tr: Translator, locale: str) -> InlineKeyboardButton:
    if button.kind is OrderButtonKind.REVIEW:
        assert button.order_id is not None
        return review_order_button(tr, locale, button.order_id)
    data = OrdersCallback(action=ORDER_ACTIONS[button.kind], order_id=button.order_id, page=button.page)
    return InlineKeyboardButton(text=button.label, callback_data=data.pack())


def order_keyboard(rows: OrderRows, tr: Translator, locale: str) -> InlineKeyboardMarkup | None:
    buttons = [[order_button(button, tr, locale) for button in row] for row in rows if row]
    return InlineKeyboardMarkup(inline_keyboard=buttons) if buttons else None


def render_order_list(view: OrderListView, tr: Translator, locale: str) -> Reply:
    if not view.rows:
        return Reply(quote(view.heading))
    parts = [bold(view.heading), *(quote(part) for part in (view.hint, view.footer) if part)]
    return Reply("\n".join(parts), order_keyboard(view.rows, tr, locale))


def render_order_detail(view: OrderDetailView, tr: Translator, locale: str) -> Reply:
    bill = [*(quote(line) for line in view.lines), *(("", *map(quote, view.bill)) if view.bill else ()),
            bold(view.total), *map(quote, view.tax_notes)]
    blocks = [bold(view.heading), "\n".join(quote(fact) for fact in view.facts), "\n".join(bill)]
    if view.address:
        blocks.append("\n".join(quote(line) for line in view.address))
    if view.items_heading:
        items = [f"{quote(title)}\n<code>{quote(content)}</code>" for title, content in view.digital_items]
        blocks.append("\n".join([bold(view.items_heading), *items]))
    return Reply("\n\n".join(blocks), order_keyboard(view.rows, tr, locale))
