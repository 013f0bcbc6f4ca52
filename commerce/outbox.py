"""Reading the outbox: the notification sender claims due messages and records what happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import select, update

from commerce.events import Clock, system_clock
from commerce.storage.db import Database
from commerce.storage.tables import OutboxMessage

MAX_ATTEMPTS: Final = 8
UNREACHABLE: Final = "buyer unreachable"  # last_error of a buyer's message nobody could be reached for


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    customer_id: int | None
    audience: str
    topic: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … capped at 30 minutes."""
    return timedelta(seconds=min(5 * 2 ** max(0, attempts - 1), 1800))


class OutboxService:
    def __init__(self, db: Database, clock: Clock = system_clock) -> None:
        self._db = db
        self._clock = clock

    async def due(self, *, limit: int = 50) -> list[OutboxItem]:
        now = self._clock()
        async with self._db.uow(write=False) as uow:
            rows = (await uow.session.execute(
                select(OutboxMessage).where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
                                            OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.id).limit(limit))).scalars()
            return [OutboxItem(r.id or 0, r.customer_id, r.audience, r.topic, dict(r.payload), r.attempts,
                               r.created_at) for r in rows]

    async def missed(self, customer_id: int, since: datetime, *, limit: int = 3) -> list[OutboxItem]:
        """The customer's latest messages given up on since `since` because they could be reached nowhere,
        oldest first (at most `limit`): what to tell them when they come back."""
        async with self._db.uow(write=False) as uow:
            rows = list((await uow.session.execute(
                select(OutboxMessage).where(OutboxMessage.customer_id == customer_id,
                                            OutboxMessage.audience != "sellers",
                                            OutboxMessage.failed_at >= since,
                                            OutboxMessage.last_error == UNREACHABLE)
                .order_by(OutboxMessage.id.desc()).limit(limit))).scalars())
            return [OutboxItem(r.id or 0, r.customer_id, r.audience, r.topic, dict(r.payload), r.attempts,
                               r.created_at) for r in reversed(rows)]

    async def mark_sent(self, message_id: int) -> None:
        await self._set(message_id, sent_at=self._clock())

    async def mark_retry(self, message_id: int, attempts: int, error: str, *, delay: timedelta | None = None) -> None:
        """Try again later (with backoff), or give up after MAX_ATTEMPTS."""
        now = self._clock()
        attempts += 1
        if attempts >= MAX_ATTEMPTS:
            await self._set(message_id, attempts=attempts, failed_at=now, last_error=error[:500])
        else:
            await self._set(message_id, attempts=attempts, last_error=error[:500],
                            next_attempt_at=now + (delay or backoff(attempts)))

    async def mark_failed(self, message_id: int, error: str) -> None:
        await self._set(message_id, failed_at=self._clock(), last_error=error[:500])

    async def _set(self, message_id: int, **values: Any) -> None:
        async with self._db.uow() as uow:
            await uow.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))
            await uow.commit()
