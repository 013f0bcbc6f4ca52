"""Delivers seller broadcasts by DM to opted-in customers who have a Discord identity (resuming, batches and
the report are shared with Telegram's sender in `bots.common.broadcast_sender`). DMs are paced well
under Discord's limits (discord.py also waits out any 429 by itself); closed DMs are recorded as failed, and
the author gets a delivered/failed report by DM when the broadcast is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Final

import discord

from bots.common.broadcast_sender import BroadcastInterrupted, BroadcastSender
from bots.common.platforms import DISCORD, TELEGRAM
from bots.discord.delivery import send_dm
from bots.i18n import Translator
from commerce.broadcasts import BroadcastDTO
from commerce.message_refs import Contact
from commerce.shop import Shop

log = logging.getLogger(__name__)

CONTENT_MAX: Final = 2000  # a Discord message's text; longer broadcasts go in an embed (4096)
MAX_PER_SECOND: Final = 5.0  # DMs to many different people look like spam to Discord well before the API limit


class DiscordBroadcastSender(BroadcastSender):
    platform = DISCORD

    def __init__(self, client: discord.Client, shop: Shop, translator: Translator, *, per_second: float = 1.0,
                 leave_to_telegram: bool = False) -> None:
        """`leave_to_telegram`: the Telegram sender runs too, so customers it can reach are left pending for it."""
        if not 0 < per_second <= MAX_PER_SECOND:
            raise ValueError(f"per_second must be within 0 and {MAX_PER_SECOND}")
        super().__init__(shop)
        self._client = client
        self._tr = translator
        self._gap = 1.0 / per_second
        self._next_slot = 0.0
        self._leave_to_telegram = leave_to_telegram

    async def ready(self, stop: asyncio.Event) -> None:
        while not stop.is_set() and not self._client.is_ready():  # logged in and connected; or stopping first
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)

    async def deliver(self, broadcast_id: int, customer_id: int, text: str, stop: asyncio.Event) -> bool:
        """False when the recipient is left to the Telegram sender."""
        contacts = await self._shop.message_refs.contacts(customer_id)
        user_id = _discord_user(contacts)
        if user_id is None:
            if self._leave_to_telegram and any(c.platform == TELEGRAM for c in contacts):
                return False
            await self._shop.broadcasts.mark(broadcast_id, customer_id, delivered=False, error="unreachable")
            return True
        await self._pace()
        try:
            delivered = await send_dm(self._client, user_id, **_message(text))
        except discord.HTTPException as exc:
            log.warning("discord broadcast %s interrupted: %s", broadcast_id, exc)
            raise BroadcastInterrupted from exc
        await self._shop.broadcasts.mark(broadcast_id, customer_id, delivered=delivered,
                                         error=None if delivered else "dm_closed")
        return True

    async def _pace(self) -> None:
        now = time.monotonic()
        start = max(now, self._next_slot)
        self._next_slot = start + self._gap
        if start > now:
            await asyncio.sleep(start - now)

    async def report(self, done: BroadcastDTO) -> None:
        contacts = await self._shop.message_refs.contacts(done.author_id)
        author = _discord_user(contacts)
        if author is None:
            log.info("broadcast %s done (%s delivered, %s failed); author not on discord",
                     done.id, done.delivered, done.failed)
            return
        stored = next((c.locale for c in contacts), None)
        locale = self._tr.locale_for(stored, None, self._tr.default)
        report = self._tr.text(locale, "broadcast.report", id=done.id, delivered=done.delivered, failed=done.failed)
        with contextlib.suppress(discord.HTTPException):  # the counts stay in the core; the report is a courtesy
            await send_dm(self._client, author, content=report)


def _discord_user(contacts: list[Contact]) -> int | None:
    for contact in contacts:
        if contact.platform == DISCORD and contact.external_id.isdigit():
            return int(contact.external_id)
    return None


def _message(text: str) -> dict[str, str | discord.Embed]:
    if len(text) <= CONTENT_MAX:
        return {"content": text}
    return {"content": "", "embed": discord.Embed(description=text)}
