"""A per-user budget for expensive actions (search, checkout, inline queries): N within a sliding window.

Register it as an inner middleware on the observers it should guard (`router.callback_query.middleware(...)`),
so only events a handler there would take are counted; one instance shared by several observers is one
budget. An event over the budget is answered with `flood.slow_down` and goes no further.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Final

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, InlineQuery, InlineQueryResultsButton, Message, TelegramObject, User

from bots.i18n import Translator
from commerce.events import Clock, system_clock

log = logging.getLogger(__name__)

SWEEP_ABOVE: Final = 10_000  # users tracked before idle ones are forgotten, so memory stays bounded


class FloodLimit(BaseMiddleware):
    def __init__(self, max_per_window: int, window: timedelta, *, clock: Clock = system_clock) -> None:
        if max_per_window < 1 or window <= timedelta(0):
            raise ValueError("FloodLimit needs max_per_window ≥ 1 and a positive window")
        self.max_per_window = max_per_window
        self.window = window
        self._clock = clock
        self._recent: dict[int, deque[datetime]] = {}  # user id → times of the events let through

    def allow(self, user_id: int) -> bool:
        """Count one event for `user_id` if it fits the budget. Refused events are not counted, so a user
        who keeps pressing is let through again as soon as the window has moved on."""
        now = self._clock()
        if len(self._recent) > SWEEP_ABOVE:
            self._forget_idle(now)
        recent = self._recent.setdefault(user_id, deque())
        while recent and now - recent[0] >= self.window:
            recent.popleft()
        if len(recent) >= self.max_per_window:
            return False
        recent.append(now)
        return True

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or self.allow(user.id):
            return await handler(event, data)
        log.info("flood limit: user %s is over %s per %s", user.id, self.max_per_window, self.window)
        await _slow_down(event, _text(data, user))
        return None

    def _forget_idle(self, now: datetime) -> None:
        idle = [user_id for user_id, times in self._recent.items() if not times or now - times[-1] >= self.window]
        for user_id in idle:
            del self._recent[user_id]


def _text(data: dict[str, Any], user: User) -> str:
    translator: Translator = data["translator"]
    locale = data.get("locale") or translator.locale_for(None, user.language_code, data["default_locale"])
    return translator.text(locale, "flood.slow_down")


async def _slow_down(event: TelegramObject, text: str) -> None:
    if isinstance(event, CallbackQuery):
        await event.answer(text)  # a toast; the spinner must stop either way
    elif isinstance(event, Message):
        await event.answer(text, parse_mode=None)  # plain text: nothing to escape
    elif isinstance(event, InlineQuery):
        # No results, and the reason where the results would be (the button opens the private chat).
        await event.answer([], cache_time=0, is_personal=True,
                           button=InlineQueryResultsButton(text=text, start_parameter="slow_down"))
