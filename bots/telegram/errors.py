"""Errors become words: a core refusal is explained in the buyer's language; anything else is logged with
its traceback and answered with an apology. A button this bot no longer understands is answered politely."""

from __future__ import annotations

import logging
from html import escape
from typing import Final

from aiogram import Router
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramUnauthorizedError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import CallbackQuery, ErrorEvent, Update

from bots.i18n import Translator
from bots.telegram.connection import transient_reason
from commerce.errors import CommerceError

logger = logging.getLogger(__name__)

ALERT_MAX: Final = 200  # answerCallbackQuery text limit


async def tell(update: Update, text: str) -> None:
    """An alert on the pressed button, or a reply to the message."""
    if update.callback_query is not None:
        await update.callback_query.answer(text[:ALERT_MAX], show_alert=True)
    elif update.message is not None:
        await update.message.answer(escape(text, quote=False), parse_mode=ParseMode.HTML)


async def explain_refusal(event: ErrorEvent, translator: Translator, locale: str) -> None:
    assert isinstance(event.exception, CommerceError)
    await tell(event.update, translator.error(locale, event.exception))


async def apologise(event: ErrorEvent, translator: Translator, locale: str) -> None:
    logger.error("error.unexpected in update %s", event.update.update_id, exc_info=event.exception)
    await tell(event.update, translator.text(locale, "error.unexpected"))


async def answer_stale_button(callback: CallbackQuery, translator: Translator, locale: str) -> None:
    """Payloads that parse as none of our callbacks: an old keyboard from an earlier version, or forged."""
    await callback.answer(translator.text(locale, "error.stale_button"), show_alert=True)


def telegram_away(event: ErrorEvent) -> bool:
    """Telegram itself didn't take a call (it can't be reached, answered 5xx, or refused the token)."""
    return isinstance(event.exception, TelegramUnauthorizedError) or transient_reason(event.exception, "") is not None


async def let_pass(event: ErrorEvent) -> None:
    """Nobody can be told (the answer can't reach Telegram either), and the bot's connection watch has logged
    the outage once, or is stopping the bot for its refused token (bots/telegram/connection.py)."""


def build_errors_router() -> Router:
    router = Router(name="errors")
    router.errors.register(explain_refusal, ExceptionTypeFilter(CommerceError))
    router.errors.register(let_pass, telegram_away)
    router.errors.register(apologise)
    return router


def build_stale_button_router() -> Router:
    """Include last: it takes every callback query no other router matched."""
    router = Router(name="stale_buttons")
    router.callback_query.register(answer_stale_button)
    return router
