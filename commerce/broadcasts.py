"""Seller broadcasts to opted-in customers, recorded per recipient so a send can resume after a restart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, select, update

from commerce.errors import InvalidInput, NotFound
from commerce.events import Clock, actor_of, record, system_clock
from commerce.roles import Permission
from commerce.sellers import require_step_up
from commerce.storage.db import Database
from commerce.storage.tables import Broadcast, BroadcastRecipient, Customer

TEXT_MAX: Final = 3000


@dataclass(frozen=True, slots=True)
class BroadcastDTO:
    id: int
    author_id: int
    text: str
    status: str
    pending: int
    delivered: int
    failed: int


class BroadcastService:
    def __init__(self, db: Database, clock: Clock = system_clock) -> None:
        self._db = db
        self._clock = clock

    async def create(self, actor_id: int, text: str) -> BroadcastDTO:
        """Snapshot today's opted-in customers as recipients; the sender works through them.

        Owners only, with a fresh two-factor code (checked here, whatever the front-end asked first)."""
        text = text.strip()
        if not text or len(text) > TEXT_MAX:
            raise InvalidInput(field="text", reason="too_long" if text else "required", limit=TEXT_MAX)
        now = self._clock()
        async with self._db.uow() as uow:
            await require_step_up(uow, actor_id, Permission.BROADCAST, now)
            row = Broadcast(author_id=actor_id, text=text, created_at=now)
            uow.session.add(row)
            await uow.flush()
            audience = (await uow.session.execute(select(Customer.id).where(
                Customer.marketing_opt_in.is_(True), Customer.erased_at.is_(None)))).scalars().all()
            uow.session.add_all([BroadcastRecipient(broadcast_id=row.id, customer_id=c) for c in audience])
            record(uow.session, actor=actor_of(actor_id), action="broadcast.create", entity="broadcast",
                   entity_id=row.id, at=now, recipients=len(audience))
            await uow.commit()
            assert row.id is not None
        return await self.status(row.id)

    async def pending_recipients(self, broadcast_id: int, *, limit: int = 100) -> list[int]:
        async with self._db.uow(write=False) as uow:
            return list((await uow.session.execute(
                select(BroadcastRecipient.customer_id).where(BroadcastRecipient.broadcast_id == broadcast_id,
                                                             BroadcastRecipient.status == "pending")
                .order_by(BroadcastRecipient.id).limit(limit))).scalars())

    async def mark(self, broadcast_id: int, customer_id: int, *, delivered: bool, error: str | None = None) -> None:
        async with self._db.uow() as uow:
            await uow.session.execute(
                update(BroadcastRecipient).where(BroadcastRecipient.broadcast_id == broadcast_id,
                                                 BroadcastRecipient.customer_id == customer_id)
                .values(status="delivered" if delivered else "failed", error=(error or None) and error[:200]))
            await uow.commit()

    async def unfinished(self) -> list[int]:
        async with self._db.uow(write=False) as uow:
            return list((await uow.session.execute(
                select(Broadcast.id).where(Broadcast.status == "sending").order_by(Broadcast.id))).scalars())

    async def finish(self, broadcast_id: int) -> BroadcastDTO:
        async with self._db.uow() as uow:
            await uow.session.execute(update(Broadcast).where(Broadcast.id == broadcast_id)
                                      .values(status="done", finished_at=self._clock()))
            await uow.commit()
        return await self.status(broadcast_id)

    async def status(self, broadcast_id: int) -> BroadcastDTO:
        async with self._db.uow(write=False) as uow:
            row = await uow.session.get(Broadcast, broadcast_id)
            if row is None:
                raise NotFound(entity="broadcast", id=broadcast_id)
            counts = dict((await uow.session.execute(
                select(BroadcastRecipient.status, func.count()).where(BroadcastRecipient.broadcast_id == broadcast_id)
                .group_by(BroadcastRecipient.status))).all())
            return BroadcastDTO(broadcast_id, row.author_id, row.text, row.status, counts.get("pending", 0),
                                counts.get("delivered", 0), counts.get("failed", 0))
