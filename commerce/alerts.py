"""Alerts for the shop's staff about the shop itself rather than one order: written to the audit log and the
outbox in one unit of work, delivered by the notification sender like any staff notice."""

from __future__ import annotations

from commerce.events import SYSTEM, Clock, notify, record, system_clock
from commerce.storage.db import Database
from commerce.topics import Topic


class StaffAlerts:
    def __init__(self, db: Database, clock: Clock = system_clock) -> None:
        self._db = db
        self._clock = clock

    async def rate_out_of_range(self, *, asset: str, fiat: str, price: str, low: str, high: str) -> None:
        """The rate source answered a price no coin has (outside `low`–`high`): payments in `asset` wait."""
        await self._alert(Topic.RATE_OUT_OF_RANGE, asset=asset, fiat=fiat, price=price, low=low, high=high)

    async def rate_jumped(self, *, asset: str, fiat: str, price: str, previous: str, max_jump: str) -> None:
        """The rate source answered a price more than `max_jump` times away from the `previous` good one."""
        await self._alert(Topic.RATE_JUMPED, asset=asset, fiat=fiat, price=price, previous=previous, max_jump=max_jump)

    async def rate_restored(self, *, asset: str, fiat: str, price: str) -> None:
        """Believable again after one of the above: payments in `asset` work again."""
        await self._alert(Topic.RATE_RESTORED, asset=asset, fiat=fiat, price=price)

    async def _alert(self, topic: Topic, **payload: str) -> None:
        async with self._db.uow() as uow:
            now = self._clock()
            record(uow.session, actor=SYSTEM, action=str(topic), entity="rate", entity_id=None, at=now, **payload)
            notify(uow.session, topic=topic, at=now, audience="sellers", **payload)
            await uow.commit()
