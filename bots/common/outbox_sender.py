"""The outbox sender: delivers due notifications through whichever chat platforms the shop runs
(docs/architecture.md#notifications).

One sender per process, whatever the number of front-ends. Each platform plugs in a `Channel`. A buyer's
notification goes to the platform where their payment card for that order was shown (so it can be edited in
place), else to the first platform they can be reached on; when that platform refuses (the bot was blocked,
DMs are closed) the identity is marked unreachable and the next linked platform is tried, and when nobody
can be reached about something that matters, the staff are told instead. A platform that asks to slow down
(flood control) is paused without holding up the others. One bad message never stops the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Iterable
from datetime import datetime, timedelta
from typing import Final, Protocol

from bots.common.notices import notice_for
from commerce.events import Clock, system_clock
from commerce.message_refs import Contact
from commerce.outbox import UNREACHABLE, OutboxItem
from commerce.shop import Shop

logger = logging.getLogger(__name__)

OUTAGE_PAUSE: Final = timedelta(seconds=5)  # between tries of a platform that can't be reached


class Unreachable(Exception):
    """This person can't get messages on this platform (blocked the bot, closed their DMs, left)."""


class RetryLater(Exception):
    """The platform could not take the message now; `delay` None means the usual backoff.

    `pause` stops everything to this platform until the delay has passed (flood control).
    `unreachable`: the platform itself can't be reached (network down, its 5xx). The front-end logs that
    outage once; a buyer's message then waits for the platform without using up one of its attempts, so a
    long outage delays notifications instead of losing them.
    """

    def __init__(self, reason: str, *, delay: timedelta | None = None, pause: bool = False,
                 unreachable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay
        self.pause = pause
        self.unreachable = unreachable


def platform_unreachable(reason: str) -> RetryLater:
    """The platform can't be reached: pause it for a few seconds, then try again (see `RetryLater`)."""
    return RetryLater(reason, delay=OUTAGE_PAUSE, pause=True, unreachable=True)


class Channel(Protocol):
    """One chat platform's way of delivering notifications."""

    platform: str

    async def to_buyer(self, item: OutboxItem, contact: Contact) -> None:
        """Deliver (or decide there is nothing to say); raise Unreachable or RetryLater."""

    async def to_staff(self, item: OutboxItem) -> None:
        """Tell the shop's staff on this platform; raise RetryLater to try the whole message again."""

    async def to_staff_about_unreachable(self, item: OutboxItem) -> None:
        """Tell the staff that the buyer of this message's order could not be reached anywhere."""


class _Deferred(Exception):
    """Every platform this message could go to is paused: leave it for a later pass."""


class OutboxSender:
    def __init__(self, shop: Shop, *, clock: Clock = system_clock, expect: Iterable[str] = ()) -> None:
        """`expect`: the platforms that will attach a channel; nothing is sent until they all have (a buyer
        only on Discord must not be found "unreachable" because Discord was still logging in)."""
        self._shop = shop
        self._clock = clock
        self._channels: dict[str, Channel] = {}
        self._expected = frozenset(expect)
        self._paused_until: dict[str, datetime] = {}

    def attach(self, channel: Channel) -> None:
        self._channels[channel.platform] = channel

    async def run(self, stop: asyncio.Event, interval: timedelta = timedelta(seconds=1)) -> None:
        """Deliver until `stop` is set. A full batch is followed at once by the next one."""
        while not stop.is_set():
            handled = 0
            try:
                handled = await self.send_due()
            except Exception:  # the database may be briefly away: log and keep going
                logger.exception("notification pass failed")
            if handled:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval.total_seconds())

    async def send_due(self, limit: int = 50) -> int:
        """One pass over the due outbox messages; returns how many were settled (sent, failed or rescheduled)."""
        if not self._channels or not self._expected <= self._channels.keys():
            return 0
        handled = 0
        for item in await self._shop.outbox.due(limit=limit):
            if not self._usable():
                break  # everything is paused: nothing more can go out in this pass
            try:
                await self._settle(item)
            except _Deferred:
                continue
            handled += 1
        return handled

    def _usable(self) -> tuple[str, ...]:
        now = self._clock()
        return tuple(p for p in self._channels if self._paused_until.get(p, now) <= now)

    # ---- one message ----

    async def _settle(self, item: OutboxItem) -> None:
        outbox = self._shop.outbox
        try:
            failure = await (self._to_staff(item) if item.audience == "sellers" else self._to_buyer(item))
        except RetryLater as retry:
            if retry.unreachable and item.audience != "sellers":
                return  # waits, due as it is, until the platform answers (a staff message is sent to every
                #         platform at once: it is retried as usual, not resent to the others every few seconds)
            log = logger.debug if retry.unreachable else logger.warning
            log("outbox message %s (%s) not delivered yet: %s", item.id, item.topic, retry.reason)
            await outbox.mark_retry(item.id, item.attempts, retry.reason, delay=retry.delay)
        except _Deferred:
            raise
        except Exception as exc:
            logger.exception("could not deliver outbox message %s (%s)", item.id, item.topic)
            await outbox.mark_retry(item.id, item.attempts, f"unexpected: {type(exc).__name__}")
        else:
            if failure is None:
                await outbox.mark_sent(item.id)
            else:
                await outbox.mark_failed(item.id, failure)

    async def _to_buyer(self, item: OutboxItem) -> str | None:
        """None when delivered (or there was nothing to say); else why it can never be delivered."""
        if item.customer_id is None:
            return "no customer"
        contacts = await self._ordered_contacts(item)
        if not contacts:
            await self._staff_about_unreachable(item)
            return UNREACHABLE
        usable = self._usable()
        for contact in contacts:
            if contact.platform not in usable:
                raise _Deferred  # wait for that platform rather than skip to a worse one
            try:
                await self._call(contact.platform, self._channels[contact.platform].to_buyer(item, contact))
            except Unreachable:
                await self._shop.message_refs.mark_unreachable(contact.platform, contact.external_id)
                logger.info("customer %s unreachable on %s; their notifications go elsewhere", item.customer_id,
                            contact.platform)
                continue
            return None
        await self._staff_about_unreachable(item)
        return UNREACHABLE

    async def _ordered_contacts(self, item: OutboxItem) -> list[Contact]:
        """The buyer's reachable identities on running platforms; the one showing this order's card first."""
        assert item.customer_id is not None
        contacts = [c for c in await self._shop.message_refs.contacts(item.customer_id) if c.platform in self._channels]
        order_id = item.payload.get("order_id")
        if len(contacts) > 1 and isinstance(order_id, int):
            shown_on = await self._shop.message_refs.platforms_with(order_id)
            contacts.sort(key=lambda c: shown_on.index(c.platform) if c.platform in shown_on else len(shown_on))
        return contacts

    async def _to_staff(self, item: OutboxItem) -> None:
        for platform in self._usable():
            await self._call(platform, self._channels[platform].to_staff(item))

    async def _staff_about_unreachable(self, item: OutboxItem) -> None:
        # When a buyer can't be reached about what must reach them, the staff hear (they may contact them otherwise).
        notice = notice_for(item.topic)
        if notice is None or not notice.must_reach or not isinstance(item.payload.get("order_id"), int):
            return
        for platform in self._usable():
            try:
                await self._call(platform, self._channels[platform].to_staff_about_unreachable(item))
            except RetryLater:  # best effort: the buyer's message is settled either way
                logger.warning("could not tell staff on %s that order %s's buyer is unreachable", platform,
                               item.payload["order_id"])

    async def _call(self, platform: str, delivery: Awaitable[None]) -> None:
        """Await one channel call; flood control pauses that platform."""
        try:
            await delivery
        except RetryLater as retry:
            if retry.pause and retry.delay is not None:
                self._paused_until[platform] = self._clock() + retry.delay
            raise
