"""Notifications on Telegram: the outbox sender's Telegram channel (docs/architecture.md#notifications).

Status news about a payment edits the buyer's payment card in place where it still can ("seen" → "1/2
confirmations" → "paid"); anything the buyer must act on or keep (an underpayment, tracking, keys) is a new
message. Telegram's answers decide what happens to the outbox row: flood control → Telegram is paused for
the delay it asks for; a blocked bot → the buyer is unreachable here (the sender tries their other
platforms); other errors → retried with backoff. The words are shared with every platform (`bots.common.notices`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Final

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardMarkup

from bots.common.notices import BuyerNotice, NoticeWriter
from bots.common.outbox_sender import OutboxSender, RetryLater, Unreachable, platform_unreachable
from bots.common.platforms import TELEGRAM
from bots.common.rich_text import to_html
from bots.i18n import Translator
from bots.telegram.connection import transient_reason
from bots.telegram.handlers.buyer.reviews_views import review_order_button
from commerce.events import Clock, system_clock
from commerce.message_refs import Contact
from commerce.outbox import OutboxItem
from commerce.shop import Shop

logger = logging.getLogger(__name__)

PAYMENT_CARD: Final = "payment"
MESSAGE_LIMIT: Final = 4096


class TelegramChannel:
    platform = TELEGRAM

    def __init__(self, bot: Bot, shop: Shop, translator: Translator, *, default_locale: str,
                 owners_chat_ids: list[int]) -> None:
        self._bot = bot
        self._shop = shop
        self._tr = translator
        self._default_locale = default_locale
        self._owners = list(owners_chat_ids)
        self._words = NoticeWriter(shop, translator, limit=MESSAGE_LIMIT)

    async def to_buyer(self, item: OutboxItem, contact: Contact) -> None:
        locale = self._tr.locale_for(contact.locale, None, self._default_locale)
        notice = await self._words.for_buyer(item, locale)
        if notice is None:
            logger.debug("no telegram message for topic %s; skipped", item.topic)
            return
        chat_id = int(contact.external_id)
        with _translated_errors():
            texts = [to_html(text) for text in notice.texts]
            if notice.edits_card and await self._edit_card(notice, texts[0]):
                texts = texts[1:]
            for number, text in enumerate(texts, start=1):
                markup = self._review_markup(notice, locale) if number == len(texts) else None
                await self._bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)

    async def to_staff(self, item: OutboxItem) -> None:
        text = await self._words.for_staff(item, self._default_locale)
        if text is None:
            logger.debug("no telegram message for staff topic %s; skipped", item.topic)
            return
        await self._tell_owners(to_html(text))

    async def to_staff_about_unreachable(self, item: OutboxItem) -> None:
        await self._tell_owners(to_html(self._words.staff_about_unreachable(item, self._default_locale)))

    async def _tell_owners(self, text: str) -> None:
        for chat_id in self._owners:
            try:
                with _translated_errors():
                    await self._bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
            except Unreachable:
                logger.warning("staff chat %s blocked the bot; skipped", chat_id)

    def _review_markup(self, notice: BuyerNotice, locale: str) -> InlineKeyboardMarkup | None:
        if notice.review_order is None:
            return None
        return InlineKeyboardMarkup(inline_keyboard=[[review_order_button(self._tr, locale, notice.review_order)]])

    async def _edit_card(self, notice: BuyerNotice, caption: str) -> bool:
        """Rewrite the payment card's caption; False when there is none or it can no longer be edited."""
        if notice.order_id is None:
            return False
        card = await self._shop.message_refs.find(notice.order_id, TELEGRAM, PAYMENT_CARD)
        if card is None:
            return False
        try:
            await self._bot.edit_message_caption(chat_id=card.chat_id, message_id=card.message_id, caption=caption,
                                                 parse_mode=ParseMode.HTML)
        except TelegramBadRequest as exc:
            if "not modified" in exc.message:  # it already says this (a replayed event)
                return True
            logger.info("payment card of order %s not editable (%s); sending a new message", notice.order_id,
                        exc.message)
            return False
        except TelegramNotFound:
            return False
        return True


@contextlib.contextmanager
def _translated_errors() -> Iterator[None]:
    """Telegram's refusals in the outbox sender's terms."""
    try:
        yield
    except TelegramRetryAfter as exc:
        raise RetryLater(f"flood control: retry after {exc.retry_after}s",
                         delay=timedelta(seconds=max(1, exc.retry_after)), pause=True) from None
    except TelegramForbiddenError as exc:
        raise Unreachable(exc.message) from None
    except TelegramAPIError as exc:  # network trouble, Telegram's 5xx, a refused request: try again later
        if transient_reason(exc, "") is not None:  # Telegram can't be reached: logged once by the bot's watch
            raise platform_unreachable(f"{type(exc).__name__}: {exc.message}") from None
        raise RetryLater(f"{type(exc).__name__}: {exc.message}") from None


class TelegramNotifier(OutboxSender):
    """An outbox sender with only Telegram attached (a Telegram-only shop, and the tests)."""

    def __init__(self, bot: Bot, shop: Shop, translator: Translator, *, default_locale: str,
                 owners_chat_ids: list[int], clock: Clock = system_clock) -> None:
        super().__init__(shop, clock=clock)
        self.attach(TelegramChannel(bot, shop, translator, default_locale=default_locale,
                                    owners_chat_ids=owners_chat_ids))
