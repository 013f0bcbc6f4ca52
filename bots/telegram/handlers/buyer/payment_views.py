"""The payment message's buttons and captions, and the choice of methods (pure functions)."""

from __future__ import annotations

from typing import Final

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bots.common.payment_view import PaymentButton, method_label, payment_buttons
from bots.i18n import Translator
from bots.telegram.callbacks import PaymentAction, PaymentCallback
from bots.telegram.render import Reply, quote
from commerce.orders import OrderDTO
from payments.requests import PaymentService


def payment_button(text: str, action: PaymentAction, order_id: int,
                   method: str | None = None) -> list[InlineKeyboardButton]:
    data = PaymentCallback(action=action, order_id=order_id, method=method).pack()
    return [InlineKeyboardButton(text=text, callback_data=data)]


PAYMENT_ACTIONS: Final = {PaymentButton.STATUS: PaymentAction.STATUS,
                           PaymentButton.CHANGE_METHOD: PaymentAction.CHOOSE_METHOD,
                           PaymentButton.CANCEL: PaymentAction.CANCEL}


def payment_keyboard(tr: Translator, locale: str, order_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[payment_button(label, PAYMENT_ACTIONS[button], order_id)
                                                 for button, label in payment_buttons(tr, locale)])


def method_choice(tr: Translator, locale: str, payments: PaymentService, order_id: int) -> Reply:
    rows = [payment_button(method_label(m), PaymentAction.PAY_WITH, order_id, m.id) for m in payments.methods.values()]
    return Reply(quote(tr.text(locale, "checkout.choose_method")), InlineKeyboardMarkup(inline_keyboard=rows))


def status_caption(tr: Translator, locale: str, order: OrderDTO) -> str:
    return tr.text(locale, "payment.status_caption", order=order.id, status=quote(tr.status(locale, order.status)))


def retry_markup(tr: Translator, locale: str, order_id: int) -> InlineKeyboardMarkup:
    """After a quote that could not be had: the methods again."""
    return InlineKeyboardMarkup(inline_keyboard=[payment_button(
        tr.text(locale, "button.choose_method"), PaymentAction.CHOOSE_METHOD, order_id)])


def status_markup(tr: Translator, locale: str, order_id: int) -> InlineKeyboardMarkup:
    """While the payment confirms: only "check status" stays on the card."""
    return InlineKeyboardMarkup(inline_keyboard=[payment_button(
        tr.text(locale, "button.check_status"), PaymentAction.STATUS, order_id)])
