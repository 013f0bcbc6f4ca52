"""The payment message: a QR card photo with the exact amount and address as copyable text, and its buttons
(check status, change method, cancel). Every press re-reads the order as its buyer, so someone else's
order is "not found" and nothing changes."""

from __future__ import annotations

import asyncio
import logging

from aiogram import F, Router
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message

from bots.common.payment_view import caption_fields, payment_card
from bots.i18n import Translator
from bots.telegram.callbacks import PaymentAction, PaymentCallback
from bots.telegram.handlers.buyer.payment_views import (
    method_choice,
    payment_keyboard,
    retry_markup,
    status_caption,
    status_markup,
)
from bots.telegram.render import Reply, quote, send
from commerce.customers import CustomerDTO
from commerce.errors import NotFound
from commerce.payment_records import AmountTaken
from commerce.shop import Shop
from commerce.status import OrderStatus
from media.payment_card import render_payment_card
from payments.errors import RateUnavailable
from payments.requests import PaymentRequestView, PaymentService

logger = logging.getLogger(__name__)


async def send_payment_request(callback: CallbackQuery, shop: Shop, payments: PaymentService, customer: CustomerDTO,
                               order_id: int, method_id: str, translator: Translator, locale: str,
                               shop_name: str) -> None:
    """Ask for payment with `method_id` and send the card. A quote that can't be had right now leaves the order
    awaiting payment, says so politely and offers the methods again."""
    try:
        view = await payments.request_payment(customer.id, order_id, method_id)
    except (RateUnavailable, AmountTaken) as exc:
        await send(callback, Reply(quote(translator.error(locale, exc)), retry_markup(translator, locale, order_id)))
        return
    await callback.answer()  # before drawing the card, so the button stops spinning at once
    await _send_card(callback, shop, view, translator, locale, shop_name)


async def resend_payment(callback: CallbackQuery, shop: Shop, payments: PaymentService | None, customer: CustomerDTO,
                         order_id: int, translator: Translator, locale: str, shop_name: str) -> None:
    """The payment message again (from an order's detail): the open request's card, or the methods to choose
    from when the order has none yet. Only the buyer's own order awaiting payment; anything else is refused."""
    if payments is None:
        raise NotFound(entity="payment_method", id="")
    order, view = await payments.to_resume(customer.id, order_id)  # the core: theirs, and awaiting payment
    if view is None:
        await send(callback, method_choice(translator, locale, payments, order.id))
        return
    await callback.answer()
    await _send_card(callback, shop, view, translator, locale, shop_name)


async def _send_card(callback: CallbackQuery, shop: Shop, view: PaymentRequestView, translator: Translator,
                     locale: str, shop_name: str) -> None:
    png = await asyncio.to_thread(render_payment_card, payment_card(translator, locale, view, shop_name=shop_name))
    fields = {name: quote(value) for name, value in caption_fields(translator, locale, view).items()}
    chat_id = callback.message.chat.id if callback.message is not None else callback.from_user.id
    assert callback.bot is not None
    sent = await callback.bot.send_photo(
        chat_id, BufferedInputFile(png, filename=f"order-{view.order.id}.png"),
        caption=translator.text(locale, "payment.caption", **fields), parse_mode=ParseMode.HTML,
        reply_markup=payment_keyboard(translator, locale, view.order.id))
    refs = getattr(shop, "message_refs", None)
    if refs is not None:  # so payment notifications can edit this message in place
        await refs.remember(order_id=view.order.id, platform="telegram", chat_id=chat_id,
                            message_id=sent.message_id, kind="payment")


async def check_status(callback: CallbackQuery, callback_data: PaymentCallback, shop: Shop, customer: CustomerDTO,
                       translator: Translator, locale: str) -> None:
    order = await shop.orders.get(customer.id, callback_data.order_id)
    if order.status is not OrderStatus.AWAITING_PAYMENT:  # the caption still asks for payment: bring it up to date
        await _edit_caption(callback, status_caption(translator, locale, order),
                            status_markup(translator, locale, order.id)
                            if order.status is OrderStatus.CONFIRMING else None)
    await callback.answer(translator.text(locale, "payment.status_alert", order=order.id,
                                          status=translator.status(locale, order.status)), show_alert=True)


async def choose_method(callback: CallbackQuery, callback_data: PaymentCallback, shop: Shop, customer: CustomerDTO,
                        payments: PaymentService | None, translator: Translator, locale: str) -> None:
    order = await shop.orders.get(customer.id, callback_data.order_id)  # ownership, before showing anything
    if payments is None:
        raise NotFound(entity="payment_method", id="")
    await send(callback, method_choice(translator, locale, payments, order.id))


async def pay_with(callback: CallbackQuery, callback_data: PaymentCallback, shop: Shop, customer: CustomerDTO,
                   payments: PaymentService | None, translator: Translator, locale: str, shop_name: str) -> None:
    if payments is None or callback_data.method is None:
        raise NotFound(entity="payment_method", id=callback_data.method or "")
    await send_payment_request(callback, shop, payments, customer, callback_data.order_id, callback_data.method,
                               translator, locale, shop_name)


async def cancel_order(callback: CallbackQuery, callback_data: PaymentCallback, shop: Shop, customer: CustomerDTO,
                       translator: Translator, locale: str) -> None:
    order = await shop.orders.cancel(customer.id, callback_data.order_id)
    await _edit_caption(callback, status_caption(translator, locale, order), None)
    await callback.answer(translator.text(locale, "payment.cancelled", order=order.id))


async def _edit_caption(callback: CallbackQuery, caption: str, markup: InlineKeyboardMarkup | None) -> None:
    if not isinstance(callback.message, Message) or callback.message.caption is None:
        return  # not a payment message we can still edit; the answer says it all
    try:
        await callback.message.edit_caption(caption=caption, parse_mode=ParseMode.HTML, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "message is not modified" not in exc.message:
            raise


def build_payment_router() -> Router:
    router = Router(name="payment")
    router.callback_query.register(check_status, PaymentCallback.filter(F.action == PaymentAction.STATUS))
    router.callback_query.register(choose_method, PaymentCallback.filter(F.action == PaymentAction.CHOOSE_METHOD))
    router.callback_query.register(pay_with, PaymentCallback.filter(F.action == PaymentAction.PAY_WITH))
    router.callback_query.register(cancel_order, PaymentCallback.filter(F.action == PaymentAction.CANCEL))
    return router
