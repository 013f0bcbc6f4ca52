"""The checkout conversation's buttons (pure functions)."""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bots.i18n import Translator
from bots.telegram.callbacks import CheckoutAction, CheckoutCallback


def checkout_button(text: str, action: CheckoutAction, **ids: Any) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text=text, callback_data=CheckoutCallback(action=action, **ids).pack())]


def checkout_keyboard(tr: Translator, locale: str, *rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[*rows, checkout_button(tr.text(locale, "button.cancel"),
                                                                CheckoutAction.ABORT)])
