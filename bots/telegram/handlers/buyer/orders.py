"""`/orders`: the buyer's own orders, a button each, paged; an order's detail (edited in place) with what its
status allows — show the payment again, cancel, review, ask the shop about it, the receipt of a paid order — and
Back to the list.

Buttons carry an order id and a page only; every press re-reads the order as its buyer in the core, so a forged
or someone else's order id is "not found" and nothing is shown or changed.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bots.common.payment_view import method_label
from bots.common.presenters import ORDERS_PAGE_SIZE, present_order_detail, present_order_list
from bots.common.receipt_view import receipt_for, render_receipt
from bots.i18n import Translator
from bots.telegram.callbacks import MenuCallback, MenuTarget
from bots.telegram.handlers.buyer.orders_views import (
    OrdersAction,
    OrdersCallback,
    render_order_detail,
    render_order_list,
)
from bots.telegram.handlers.buyer.payment import resend_payment
from bots.telegram.handlers.buyer.support import ask_about_order
from bots.telegram.render import Reply, edit, send, send_documents
from commerce.customers import CustomerDTO
from commerce.shop import Shop
from payments.requests import PaymentService


async def _list(shop: Shop, customer: CustomerDTO, tr: Translator, locale: str, page: int) -> Reply:
    found = await shop.orders.history(customer.id, limit=ORDERS_PAGE_SIZE + 1, offset=page * ORDERS_PAGE_SIZE)
    view = present_order_list(tr, locale, found[:ORDERS_PAGE_SIZE], page=page,
                              has_next=len(found) > ORDERS_PAGE_SIZE)
    return render_order_list(view, tr, locale)


def _method_names(payments: PaymentService | None) -> dict[str, str]:
    return {m.id: method_label(m) for m in payments.methods.values()} if payments is not None else {}


async def _detail(shop: Shop, customer: CustomerDTO, payments: PaymentService | None, tr: Translator, locale: str,
                  order_id: int, page: int) -> Reply:
    detail = await shop.orders.detail(customer.id, order_id)  # the buyer's own, or "not found"
    return render_order_detail(present_order_detail(tr, locale, detail, page=page,
                                                    method_names=_method_names(payments)), tr, locale)


async def show_orders(event: Message | CallbackQuery, shop: Shop, customer: CustomerDTO, translator: Translator,
                      locale: str) -> None:
    await send(event, await _list(shop, customer, translator, locale, 0))


async def page_orders(callback: CallbackQuery, callback_data: OrdersCallback, shop: Shop, customer: CustomerDTO,
                      translator: Translator, locale: str) -> None:
    await edit(callback, await _list(shop, customer, translator, locale, callback_data.page))


async def open_order(callback: CallbackQuery, callback_data: OrdersCallback, shop: Shop, customer: CustomerDTO,
                     payments: PaymentService | None, translator: Translator, locale: str) -> None:
    assert callback_data.order_id is not None  # the filter requires it
    await edit(callback, await _detail(shop, customer, payments, translator, locale, callback_data.order_id,
                                       callback_data.page))


async def show_payment(callback: CallbackQuery, callback_data: OrdersCallback, shop: Shop, customer: CustomerDTO,
                       payments: PaymentService | None, translator: Translator, locale: str, shop_name: str) -> None:
    assert callback_data.order_id is not None
    await resend_payment(callback, shop, payments, customer, callback_data.order_id, translator, locale, shop_name)


async def cancel_order(callback: CallbackQuery, callback_data: OrdersCallback, shop: Shop, customer: CustomerDTO,
                       payments: PaymentService | None, translator: Translator, locale: str) -> None:
    """Cancel before paying; the detail is redrawn in place with its new status."""
    assert callback_data.order_id is not None
    order = await shop.orders.cancel(customer.id, callback_data.order_id)
    await edit(callback, await _detail(shop, customer, payments, translator, locale, order.id, callback_data.page),
               notice=translator.text(locale, "payment.cancelled", order=order.id))


async def send_receipt(callback: CallbackQuery, callback_data: OrdersCallback, shop: Shop, customer: CustomerDTO,
                       payments: PaymentService | None, translator: Translator, locale: str, shop_name: str) -> None:
    """The receipt (or qualified invoice) of a paid order, drawn as a PNG and a PDF and sent as documents. The
    core refuses someone else's order ("not found") and an unpaid one (ReceiptUnavailable), in words."""
    assert callback_data.order_id is not None
    receipt = await shop.orders.receipt(customer.id, callback_data.order_id)
    view = receipt_for(translator, locale, receipt.detail, shop_name=shop_name, transfers=receipt.transfers,
                       method_names=_method_names(payments), timezone=shop.rules.timezone)
    files = await render_receipt(view, receipt.detail.order.id)
    await send_documents(callback, [(files.png, files.png_name), (files.pdf, files.pdf_name)],
                         translator.text(locale, "receipt.caption", id=receipt.detail.order.id, title=view.title))


async def ask_support(callback: CallbackQuery, callback_data: OrdersCallback, shop: Shop, customer: CustomerDTO,
                      state: FSMContext, translator: Translator, locale: str) -> None:
    assert callback_data.order_id is not None
    order = await shop.orders.get(customer.id, callback_data.order_id)  # theirs, before asking them to write
    await ask_about_order(callback, state, translator, locale, order.id)


def build_orders_router() -> Router:
    router = Router(name="orders")
    router.message.register(show_orders, Command("orders"))
    router.callback_query.register(show_orders, MenuCallback.filter(F.target == MenuTarget.ORDERS))
    router.callback_query.register(page_orders, OrdersCallback.filter(F.action == OrdersAction.LIST))
    with_order = F.order_id
    router.callback_query.register(open_order, OrdersCallback.filter((F.action == OrdersAction.DETAIL) & with_order))
    router.callback_query.register(show_payment, OrdersCallback.filter((F.action == OrdersAction.PAY) & with_order))
    router.callback_query.register(cancel_order, OrdersCallback.filter(
        (F.action == OrdersAction.CANCEL) & with_order))
    router.callback_query.register(ask_support, OrdersCallback.filter(
        (F.action == OrdersAction.SUPPORT) & with_order))
    router.callback_query.register(send_receipt, OrdersCallback.filter(
        (F.action == OrdersAction.RECEIPT) & with_order))
    return router
