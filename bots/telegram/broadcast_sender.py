"""Delivering a broadcast on Telegram: within its limits (≈ 30 messages a second overall, one a second per
chat), flood control waited out, and a blocked bot marked unreachable. What every platform's sender shares
(resuming after a restart, batches, the report) is `bots.common.broadcast_sender`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
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

from bots.common.broadcast_sender import BroadcastInterrupted, BroadcastSender
from bots.common.platforms import DISCORD, TELEGRAM
from bots.i18n import Translator
from bots.telegram.render import quote
from commerce.broadcasts import BroadcastDTO
from commerce.shop import Shop

logger = logging.getLogger(__name__)

PER_CHAT_INTERVAL: Final = 1.0   # seconds between two messages to one chat (Telegram's per-chat limit)


class _Pacer:
    """At most `per_second` sends overall, and one per chat per PER_CHAT_INTERVAL."""

    def __init__(self, per_second: float) -> None:
        self._gap = 1.0 / per_second
        self._next_slot = 0.0
        self._chat_ready: dict[int, float] = {}

    async def wait(self, chat_id: int) -> None:
        now = time.monotonic()
        self._chat_ready = {chat: at for chat, at in self._chat_ready.items() if at > now}
        start = max(now, self._next_slot, self._chat_ready.get(chat_id, 0.0))
        self._next_slot = start + self._gap
        self._chat_ready[chat_id] = start + PER_CHAT_INTERVAL
        if start > now:
            await asyncio.sleep(start - now)


async def private_chat(shop: Shop, customer_id: int) -> tuple[int, str | None] | None:
    """(private chat id, stored locale or None) of the customer's Telegram identity.

    None when they have none, were erased, or blocked the bot.
    """
    contact = await shop.message_refs.contact_on(customer_id, TELEGRAM)
    if contact is None or not contact.external_id.lstrip("-").isdigit():
        return None
    return int(contact.external_id), contact.locale


class TelegramBroadcastSender(BroadcastSender):
    """Within Telegram's limits: ≈ 30 messages a second overall, one a second per chat; flood control waited out."""

    platform = TELEGRAM

    def __init__(self, bot: Bot, shop: Shop, translator: Translator, *, per_second: float = 25,
                 leave_to_discord: bool = False) -> None:
        """`leave_to_discord`: the Discord sender runs too, so customers only it can reach are left to it."""
        if not 0 < per_second <= 30:
            raise ValueError("per_second must be within Telegram's 30 messages per second")
        super().__init__(shop)
        self._bot = bot
        self._tr = translator
        self._pacer = _Pacer(per_second)
        self._leave_to_discord = leave_to_discord

    def prepare(self, text: str) -> str:
        return quote(text)

    async def deliver(self, broadcast_id: int, customer_id: int, text: str, stop: asyncio.Event) -> bool:
        """False when the recipient is left to the Discord sender."""
        chat = await private_chat(self._shop, customer_id)
        if chat is None:
            if self._leave_to_discord and any(c.platform == DISCORD
                                              for c in await self._shop.message_refs.contacts(customer_id)):
                return False
            await self._shop.broadcasts.mark(broadcast_id, customer_id, delivered=False, error="unreachable")
            return True
        chat_id = chat[0]
        while True:
            await self._pacer.wait(chat_id)
            try:
                await self._bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
            except TelegramRetryAfter as exc:  # flood control: wait as told, then the same recipient again
                logger.info("broadcast %s paused %ss by flood control", broadcast_id, exc.retry_after)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), exc.retry_after)
                if stop.is_set():
                    return True
                continue
            except TelegramForbiddenError:
                await self._shop.message_refs.mark_unreachable(TELEGRAM, chat_id)
                await self._shop.broadcasts.mark(broadcast_id, customer_id, delivered=False, error="blocked")
            except (TelegramBadRequest, TelegramNotFound) as exc:
                await self._shop.broadcasts.mark(broadcast_id, customer_id, delivered=False, error=exc.message)
            except TelegramAPIError as exc:
                logger.warning("broadcast %s interrupted: %s", broadcast_id, exc.message)
                raise BroadcastInterrupted from exc
            else:
                await self._shop.broadcasts.mark(broadcast_id, customer_id, delivered=True)
            return True

    async def report(self, done: BroadcastDTO) -> None:
        author_id: int | None = done.author_id
        author = await private_chat(self._shop, author_id) if author_id is not None else None
        if author is None:
            logger.info("broadcast %s done (%s delivered, %s failed); author not on telegram",
                        done.id, done.delivered, done.failed)
            return
        chat_id, stored_locale = author
        locale = self._tr.locale_for(stored_locale, None, self._tr.default)
        report = self._tr.text(locale, "broadcast.report", id=done.id, delivered=done.delivered, failed=done.failed)
        with contextlib.suppress(TelegramAPIError):  # the counts stay in the core; the report is a courtesy
            await self._bot.send_message(chat_id, quote(report), parse_mode=ParseMode.HTML)
