"""Where the shop's messages went, so a later status change can edit them in place, and who can be reached.

A front-end remembers the chat message it sent for an order (the payment card, `kind="payment"`); the
notification sender finds it again to turn "waiting" into "seen, 1/2" into "paid"
(docs/architecture.md#notifications). A buyer who blocked the bot is marked unreachable, so the sender stops
trying until they write to the shop again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from commerce.events import Clock, system_clock
from commerce.storage.db import Database
from commerce.storage.tables import Customer, Identity
from commerce.storage.tables import MessageRef as MessageRefRow


@dataclass(frozen=True, slots=True)
class Contact:
    """One way to reach a customer: a platform identity that has not blocked the shop."""

    platform: str
    external_id: str
    locale: str | None


@dataclass(frozen=True, slots=True)
class MessageRef:
    order_id: int
    platform: str
    kind: str
    chat_id: int
    message_id: int


class MessageRefs:
    def __init__(self, db: Database, clock: Clock = system_clock,
                 reachability_changed: Callable[[str, str], None] | None = None) -> None:
        self._db = db
        self._clock = clock
        # Told (platform, external id) after a change, so a cached identity is read again (CustomerService).
        self._reachability_changed = reachability_changed

    async def remember(self, *, order_id: int, platform: str, chat_id: int, message_id: int,
                       kind: str = "payment") -> MessageRef:
        """Store (or replace) the message of `kind` for this order on `platform`; the newest one wins."""
        values: dict[str, Any] = {"order_id": order_id, "platform": platform, "kind": kind, "chat_id": int(chat_id),
                                  "message_id": int(message_id), "updated_at": self._clock()}
        insert = sqlite.insert if self._db.is_sqlite else postgresql.insert
        statement = insert(MessageRefRow).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["order_id", "platform", "kind"],
            set_={"chat_id": statement.excluded.chat_id, "message_id": statement.excluded.message_id,
                  "updated_at": statement.excluded.updated_at})
        async with self._db.uow() as uow:
            await uow.session.execute(statement)
            await uow.commit()
        return MessageRef(order_id, platform, kind, int(chat_id), int(message_id))

    async def find(self, order_id: int, platform: str, kind: str = "payment") -> MessageRef | None:
        async with self._db.uow(write=False) as uow:
            row = (await uow.session.execute(select(MessageRefRow).where(
                col(MessageRefRow.order_id) == order_id, col(MessageRefRow.platform) == platform,
                col(MessageRefRow.kind) == kind))).scalar_one_or_none()
            return MessageRef(row.order_id, row.platform, row.kind, row.chat_id, row.message_id) if row else None

    # ---- reachability ----

    async def mark_unreachable(self, platform: str, external_id: str | int) -> bool:
        """The person blocked the bot (or deleted their account). True when this changed anything."""
        return await self._set_unreachable(platform, external_id, self._clock())

    async def mark_reachable(self, platform: str, external_id: str | int) -> bool:
        """They wrote to the shop again: messages may be sent once more."""
        return await self._set_unreachable(platform, external_id, None)

    async def unreachable_since(self, platform: str, external_id: str | int) -> datetime | None:
        """When this identity was found unreachable; None when it can be reached (or is unknown)."""
        async with self._db.uow(write=False) as uow:
            return (await uow.session.execute(
                select(col(Identity.unreachable_since)).where(col(Identity.platform) == platform,
                                                              col(Identity.external_id) == str(external_id))
            )).scalar_one_or_none()

    async def contacts(self, customer_id: int) -> list[Contact]:
        """Every reachable identity of the customer, oldest first; none when they were erased."""
        async with self._db.uow(write=False) as uow:
            rows = (await uow.session.execute(
                select(col(Identity.platform), col(Identity.external_id), col(Customer.locale))
                .join(Customer, col(Customer.id) == col(Identity.customer_id))
                .where(col(Identity.customer_id) == customer_id, col(Identity.unreachable_since).is_(None),
                       col(Customer.erased_at).is_(None))
                .order_by(col(Identity.id)))).all()
        return [Contact(row.platform, row.external_id, row.locale) for row in rows]

    async def contact_on(self, customer_id: int, platform: str) -> Contact | None:
        """The customer's identity on `platform`, if they have one there, were not erased and can be reached."""
        return next((c for c in await self.contacts(customer_id) if c.platform == platform), None)

    async def platforms_with(self, order_id: int, kind: str = "payment") -> list[str]:
        """The platforms on which a message of `kind` was sent for this order, newest first."""
        async with self._db.uow(write=False) as uow:
            rows = (await uow.session.execute(
                select(col(MessageRefRow.platform)).where(col(MessageRefRow.order_id) == order_id,
                                                          col(MessageRefRow.kind) == kind)
                .order_by(col(MessageRefRow.updated_at).desc()))).scalars()
            return list(rows)

    async def _set_unreachable(self, platform: str, external_id: str | int, value: Any) -> bool:
        since = col(Identity.unreachable_since)
        current = since.is_(None) if value is not None else since.is_not(None)
        async with self._db.uow() as uow:
            result = await uow.session.execute(
                update(Identity).where(col(Identity.platform) == platform,
                                       col(Identity.external_id) == str(external_id), current)
                .values(unreachable_since=value)
                .execution_options(synchronize_session=False))
            await uow.commit()
        if self._reachability_changed is not None:
            self._reachability_changed(platform, str(external_id))
        assert isinstance(result, CursorResult)
        return result.rowcount > 0
