"""Payment messages shown ephemerally in a server, kept so the notifier can update them while Discord allows.

An ephemeral message can only be edited through its interaction's token, which Discord honours for 15
minutes, and it is never stored by Discord for later: so it lives here, in this process, for 14 minutes.
After that (or after a restart) status news reaches the buyer by DM only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

import discord

from commerce.events import system_clock

EDITABLE_FOR: Final = timedelta(minutes=14)  # Discord's interaction tokens last 15 minutes


class EphemeralCards:
    def __init__(self, clock: Callable[[], datetime] = system_clock) -> None:
        self._clock = clock
        self._cards: dict[int, tuple[discord.WebhookMessage, datetime]] = {}

    def remember(self, order_id: int, message: discord.WebhookMessage) -> None:
        self._drop_expired()
        self._cards[order_id] = (message, self._clock() + EDITABLE_FOR)

    def find(self, order_id: int) -> discord.WebhookMessage | None:
        found = self._cards.get(order_id)
        if found is None or found[1] <= self._clock():
            self._cards.pop(order_id, None)
            return None
        return found[0]

    def forget(self, order_id: int) -> None:
        self._cards.pop(order_id, None)

    def _drop_expired(self) -> None:
        now = self._clock()
        for order_id in [key for key, (_, until) in self._cards.items() if until <= now]:
            del self._cards[order_id]
