"""Staying up while a chat platform can't be reached, and stopping when it refuses the bot's token.

A front-end that can't reach Telegram or Discord (no network, DNS failure, connection refused, the
platform's 5xx) keeps trying with backoff while the rest of the shop — the payment watcher, the other
front-end, notifications — carries on. Each outage is logged once when it starts and once when it ends,
not on every attempt. A token the platform refuses (HTTP 401) will not start working by itself: that
front-end raises `TokenRefused`, and `chatshop run` stops with one line saying what to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

T = TypeVar("T")

FIRST_DELAY: Final = 1.0  # seconds before the first retry; doubled after each failure
LONGEST_DELAY: Final = 60.0
SETTLE: Final = 10.0  # seconds a connection must have worked before a new failure counts as a new outage


class TokenRefused(Exception):
    """The platform answered 401: the token in `env` is wrong or was revoked."""

    def __init__(self, platform: str, env: str) -> None:
        super().__init__(f"{platform} refused the bot token in {env}")
        self.platform = platform
        self.env = env


class Outage:
    """One connection's outages, each logged once: when it starts and when it ends, nothing between.

    A failure within `SETTLE` seconds of the end of the last outage is that outage going on (a stale pooled
    connection after a recovery, a flapping network): it is logged only if it lasts `SETTLE` seconds.
    """

    def __init__(self, what: str, logger: logging.Logger, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self._log = logger
        self._clock = clock
        self._since: float | None = None  # when the current outage began; None while connected
        self._reported = False
        self._ended: float | None = None

    @property
    def ongoing(self) -> bool:
        return self._since is not None

    def failed(self, reason: str) -> None:
        now = self._clock()
        if self._since is None:
            self._since, self._reported = now, False
            if self._ended is None or now - self._ended >= SETTLE:
                self._report(reason)
        elif not self._reported and now - self._since >= SETTLE:
            self._report(reason)

    def recovered(self) -> None:
        if self._since is None:
            return
        if self._reported:
            self._log.warning("%s answering again after %.0f s", self.what, self._clock() - self._since)
        self._since, self._ended = None, self._clock()

    def _report(self, reason: str) -> None:
        self._reported = True
        self._log.warning("%s can't be reached (%s); retrying in the background, the rest of the shop keeps "
                          "running", self.what, reason)


class Backoff:
    """1, 2, 4 … 60 seconds between attempts; back to 1 after a success."""

    def __init__(self) -> None:
        self._next = FIRST_DELAY

    def reset(self) -> None:
        self._next = FIRST_DELAY

    async def wait(self, stop: asyncio.Event) -> None:
        await sleep_or_stop(stop, self._next)
        self._next = min(LONGEST_DELAY, self._next * 2)


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Wait `seconds`, or less if `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def keep_trying(attempt: Callable[[], Awaitable[T]], *, stop: asyncio.Event, outage: Outage,
                      transient: Callable[[BaseException], str | None]) -> T | None:
    """Await `attempt()` until it succeeds; None if `stop` is set first.

    `transient(error)` says why an error is worth retrying (a short reason for the log), or None to let it
    propagate (a refused token, a bug).
    """
    backoff = Backoff()
    while not stop.is_set():
        try:
            result = await attempt()
        except Exception as error:
            reason = transient(error)
            if reason is None:
                raise
            outage.failed(reason)
            await backoff.wait(stop)
            continue
        outage.recovered()
        return result
    return None
