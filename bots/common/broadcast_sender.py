"""The part of delivering a broadcast every platform shares: the pass over unfinished broadcasts, the batches
of pending recipients, and the report once none is left. Each platform subclasses it with how to reach one
recipient and the author.

It works from the recipients stored in the core, marking each one as it goes, so after a restart it carries
on with the ones still pending and nobody gets the message twice from a finished send. With both platforms
running, each sender leaves to the other the recipients only the other can reach.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Final

from commerce.broadcasts import BroadcastDTO
from commerce.shop import Shop

logger = logging.getLogger(__name__)

BATCH: Final = 100


class BroadcastInterrupted(Exception):
    """The platform or the network is away: leave the rest pending and try again on the next pass."""


class BroadcastSender:
    platform = "chat"

    def __init__(self, shop: Shop) -> None:
        self._shop = shop

    async def run(self, stop: asyncio.Event, interval: timedelta = timedelta(seconds=2)) -> None:
        """Send every unfinished broadcast (the ones a restart interrupted first), until `stop` is set."""
        await self.ready(stop)
        while not stop.is_set():
            try:
                for broadcast_id in await self._shop.broadcasts.unfinished():
                    if stop.is_set():
                        break
                    await self.send_broadcast(broadcast_id, stop)
            except BroadcastInterrupted:
                pass
            except Exception:  # the database may be briefly away: log and keep going
                logger.exception("%s broadcast pass failed", self.platform)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval.total_seconds())

    async def send_broadcast(self, broadcast_id: int, stop: asyncio.Event) -> BroadcastDTO | None:
        """Deliver to every pending recipient; the report once none is left, None when stopped early (or when
        the rest are left to another platform's sender)."""
        text = self.prepare((await self._shop.broadcasts.status(broadcast_id)).text)
        while not stop.is_set():
            pending = await self._shop.broadcasts.pending_recipients(broadcast_id, limit=BATCH)
            if not pending:
                done = await self._shop.broadcasts.finish(broadcast_id)
                await self.report(done)
                return done
            handled = 0
            for customer_id in pending:
                if stop.is_set():
                    return None
                handled += await self.deliver(broadcast_id, customer_id, text, stop)
            if not handled:  # the rest are another platform's
                return None
        return None

    # ---- what each platform provides ----

    async def ready(self, stop: asyncio.Event) -> None:
        """Wait until messages can go out (or `stop` is set)."""

    def prepare(self, text: str) -> str:
        """The broadcast's text as this platform sends it."""
        return text

    async def deliver(self, broadcast_id: int, customer_id: int, text: str, stop: asyncio.Event) -> bool:
        """Send to one recipient and mark them in the core; False when they are left to another platform.
        Raise BroadcastInterrupted when the platform is away."""
        raise NotImplementedError

    async def report(self, done: BroadcastDTO) -> None:
        """Tell the author how it went, if they can be reached here (a courtesy: the counts stay in the core)."""
