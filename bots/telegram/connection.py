"""Whether Telegram answers, seen on every request the bot makes (an aiogram request middleware).

An outage is logged once (bots/common/reconnect.py). Long polling rides it out here: a `getUpdates` that
can't reach Telegram is retried with backoff inside this middleware, so aiogram's poller (which would log
every failed attempt) never sees it. Any other call fails as before, to be retried by whoever made it (the
outbox sender, the start-up steps). A 401 sets `refused`, which `run_telegram` waits on to stop the bot.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetUpdates

from bots.common.reconnect import Backoff, Outage, sleep_or_stop

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response, TelegramMethod
    from aiogram.methods.base import TelegramType

REASON_LENGTH: Final = 200


def transient_reason(error: BaseException, token: str) -> str | None:
    """A short reason when `error` means "Telegram can't be reached now" (worth retrying), else None.
    The token is cut out: some network errors quote the request URL, which holds it."""
    if isinstance(error, TelegramRetryAfter):
        return f"flood control, retry after {error.retry_after} s"
    if isinstance(error, TelegramEntityTooLarge):  # a "network" error about one request: it won't get smaller
        return None
    if isinstance(error, TelegramNetworkError | TelegramServerError | ClientDecodeError):
        text = str(getattr(error, "message", "") or error).replace(token, "***") if token else str(error)
        return f"{type(error).__name__}: {text}"[:REASON_LENGTH]
    return None


class ConnectionWatch(BaseRequestMiddleware):
    """One per bot: tracks the outage, waits out failed polls, and notices a refused token."""

    def __init__(self, outage: Outage, stop: asyncio.Event, token: str) -> None:
        self.outage = outage
        self.refused = asyncio.Event()
        self._stop = stop
        self._token = token

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        backoff = Backoff()
        while True:
            try:
                response = await make_request(bot, method)
            except TelegramUnauthorizedError:
                self.refused.set()
                if isinstance(method, GetUpdates):
                    await _until_cancelled()  # not back to aiogram's poller, which would retry it forever
                raise
            except Exception as error:
                reason = transient_reason(error, self._token)
                if reason is None or self.refused.is_set():  # a refused token says it all: the bot is stopping
                    raise
                self.outage.failed(reason)
                if not isinstance(method, GetUpdates):
                    raise
                if isinstance(error, TelegramRetryAfter):
                    await sleep_or_stop(self._stop, error.retry_after)
                else:
                    await backoff.wait(self._stop)
                if self._stop.is_set():
                    await _until_cancelled()
                continue
            self.outage.recovered()
            return response


async def _until_cancelled() -> None:
    """A poll that must not return: `run_telegram` is stopping the poller, which cancels it."""
    await asyncio.Event().wait()
