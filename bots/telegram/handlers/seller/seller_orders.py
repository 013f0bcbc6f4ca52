"""The shop's orders for its staff: `/orders_admin` lists them by status, an order's detail offers the moves its
status allows (ship with tracking, deliver, cancel, refund with a note, accept a late payment).

Buttons carry ids only; every press re-reads the order and every move re-checks the role in the core, so a
forged payload from a buyer ends in the permission-denied text and changes nothing.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bots.common.staff_orders import present_staff_order
from bots.i18n import Translator
from bots.telegram.handlers.seller.seller_orders_views import (
    PAGE_SIZE,
    SellerOrdersAction,
    SellerOrdersCallback,
    question_markup,
    render_order_list,
    render_staff_order,
)
from bots.telegram.render import Reply, edit, plain, quote, send
from commerce.customers import CustomerDTO
from commerce.errors import NotFound
from commerce.orders import OrderDTO
from commerce.roles import Permission, require
from commerce.shop import Shop
from commerce.status import OrderStatus


class FulfilmentForm(StatesGroup):
    tracking = State()
    refund_note = State()


async def _detail_reply(shop: Shop, customer: CustomerDTO, order: OrderDTO, origin: SellerOrdersCallback,
                        translator: Translator, locale: str) -> Reply:
    detail = await shop.orders.staff_detail(customer.id, order.id)  # role-checked in the core
    role = await shop.sellers.role_of(customer.id)
    buyer = (await shop.customers.get(detail.order.customer_id)).identities
    return render_staff_order(present_staff_order(translator, locale, detail, buyer, role), origin)


# ---- reading ----


async def _page(shop: Shop, customer: CustomerDTO, status: OrderStatus | None, page: int) -> list[OrderDTO]:
    """One page and one order more (to know whether "next" leads anywhere). The core checks the role."""
    return await shop.orders.orders_by_status(customer.id, status, limit=PAGE_SIZE + 1, offset=page * PAGE_SIZE)


async def _find(shop: Shop, customer: CustomerDTO, origin: SellerOrdersCallback) -> OrderDTO:
    # The core has no "one order for staff" read yet: look in the page the button was on (role-checked there).
    assert origin.order_id is not None
    for order in await _page(shop, customer, origin.status, origin.page):
        if order.id == origin.order_id:
            return order
    raise NotFound(entity="order", id=origin.order_id)


# ---- handlers ----


async def list_orders(message: Message, shop: Shop, customer: CustomerDTO, translator: Translator,
                      locale: str) -> None:
    orders = await _page(shop, customer, None, 0)
    await send(message, render_order_list(orders, None, 0, translator, locale))


async def turn_page(callback: CallbackQuery, callback_data: SellerOrdersCallback, state: FSMContext, shop: Shop,
                    customer: CustomerDTO, translator: Translator, locale: str) -> None:
    await state.clear()  # "back" also leaves a tracking or refund question unanswered
    orders = await _page(shop, customer, callback_data.status, callback_data.page)
    await edit(callback, render_order_list(orders, callback_data.status, callback_data.page, translator, locale))


async def show_order(callback: CallbackQuery, callback_data: SellerOrdersCallback, shop: Shop,
                     customer: CustomerDTO, translator: Translator, locale: str) -> None:
    order = await _find(shop, customer, callback_data)
    await edit(callback, await _detail_reply(shop, customer, order, callback_data, translator, locale))


async def move_order(callback: CallbackQuery, callback_data: SellerOrdersCallback, shop: Shop,
                     customer: CustomerDTO, translator: Translator, locale: str) -> None:
    """Deliver, cancel or accept a late payment: one press, one core call, the detail redrawn in place."""
    order_id, action = callback_data.order_id, callback_data.action
    assert order_id is not None
    if action is SellerOrdersAction.DELIVER:
        order = await shop.fulfilment.deliver(customer.id, order_id)
    elif action is SellerOrdersAction.CANCEL:
        order = await shop.fulfilment.cancel(customer.id, order_id)
    else:
        order = await shop.fulfilment.accept_late(customer.id, order_id)
    await edit(callback, await _detail_reply(shop, customer, order, callback_data, translator, locale),
               notice=translator.text(locale, "so.done", status=translator.status(locale, order.status)))


async def ask_tracking(callback: CallbackQuery, callback_data: SellerOrdersCallback, state: FSMContext, shop: Shop,
                       customer: CustomerDTO, translator: Translator, locale: str) -> None:
    require(await shop.sellers.role_of(customer.id), Permission.MANAGE_ORDERS)  # before asking anything
    await _ask(callback, callback_data, state, FulfilmentForm.tracking, "so.ask_tracking", translator, locale)


async def ask_refund_note(callback: CallbackQuery, callback_data: SellerOrdersCallback, state: FSMContext,
                          shop: Shop, customer: CustomerDTO, translator: Translator, locale: str) -> None:
    require(await shop.sellers.role_of(customer.id), Permission.REFUND)
    await _ask(callback, callback_data, state, FulfilmentForm.refund_note, "so.ask_refund_note", translator, locale,
               skip=True)


async def _ask(callback: CallbackQuery, origin: SellerOrdersCallback, state: FSMContext, step: State, key: str,
               translator: Translator, locale: str, *, skip: bool = False) -> None:
    await state.clear()
    await state.set_state(step)
    await state.update_data(order_id=origin.order_id, status=origin.status, page=origin.page)
    await send(callback, Reply(quote(translator.text(locale, key, id=origin.order_id)),
                               question_markup(translator, locale, skip=skip)))


async def take_tracking(message: Message, state: FSMContext, shop: Shop, customer: CustomerDTO,
                        translator: Translator, locale: str) -> None:
    origin = SellerOrdersCallback(action=SellerOrdersAction.DETAIL, **await state.get_data())
    assert origin.order_id is not None
    order = await shop.fulfilment.ship(customer.id, origin.order_id, message.text or "")  # refused: asked again
    await state.clear()
    await send(message, await _detail_reply(shop, customer, order, origin, translator, locale))


async def take_refund_note(event: Message | CallbackQuery, state: FSMContext, shop: Shop, customer: CustomerDTO,
                           translator: Translator, locale: str) -> None:
    origin = SellerOrdersCallback(action=SellerOrdersAction.DETAIL, **await state.get_data())
    assert origin.order_id is not None
    note = (event.text or "") if isinstance(event, Message) else ""
    order = await shop.fulfilment.refund(customer.id, origin.order_id, note)
    await state.clear()
    await send(event, await _detail_reply(shop, customer, order, origin, translator, locale))


async def abort_question(event: Message | CallbackQuery, state: FSMContext, translator: Translator,
                         locale: str) -> None:
    await state.clear()
    await send(event, plain(translator.text(locale, "so.aborted")))


async def remind_text(message: Message, translator: Translator, locale: str) -> None:
    await send(message, plain(translator.text(locale, "so.text_expected")))


def build_seller_orders_router() -> Router:
    router = Router(name="seller_orders")
    A = SellerOrdersAction
    asking = StateFilter(FulfilmentForm)
    router.message.register(list_orders, Command("orders_admin"))
    router.message.register(abort_question, Command("cancel"), asking)
    router.callback_query.register(abort_question, SellerOrdersCallback.filter(F.action == A.ABORT), asking)
    router.callback_query.register(turn_page, SellerOrdersCallback.filter(F.action == A.LIST))
    router.callback_query.register(show_order, SellerOrdersCallback.filter((F.action == A.DETAIL) & F.order_id))
    router.callback_query.register(move_order, SellerOrdersCallback.filter(
        F.action.in_({A.DELIVER, A.CANCEL, A.ACCEPT_LATE}) & F.order_id))
    router.callback_query.register(ask_tracking, SellerOrdersCallback.filter((F.action == A.SHIP) & F.order_id))
    router.callback_query.register(ask_refund_note, SellerOrdersCallback.filter((F.action == A.REFUND) & F.order_id))
    router.callback_query.register(take_refund_note, FulfilmentForm.refund_note,
                                   SellerOrdersCallback.filter(F.action == A.SKIP_NOTE))
    router.message.register(take_tracking, FulfilmentForm.tracking, F.text, ~F.text.startswith("/"))
    router.message.register(take_refund_note, FulfilmentForm.refund_note, F.text, ~F.text.startswith("/"))
    router.message.register(remind_text, asking)
    return router
