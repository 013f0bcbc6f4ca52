"""Where a person is in a multi-step conversation (checkout, adding a product), kept in the database so a
restart or a second bot process picks it up. Opaque to the core: a key, a state name and JSON data.

Nothing personal is kept here in clear: a checkout holds the typed address sealed with the data key
(`CustomerService.seal_address`). A key starts with the identity of the person it belongs to, the way
identities are written (`<platform>:<id>`): it is that identity, or that identity, a colon, and whatever
else the front-end needs to tell one conversation of theirs from another. So erasing a customer drops
every conversation they are in the middle of, whichever front-end keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Text, bindparam, cast, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from commerce.events import Clock, system_clock
from commerce.storage.db import Database, UnitOfWork
from commerce.storage.tables import ConversationState

KEY_MAX = 200
_STATE = select(ConversationState.state, ConversationState.data).where(ConversationState.key == bindparam("key"))


class ConversationStore:
    def __init__(self, db: Database, clock: Clock = system_clock) -> None:
        self._db = db
        self._clock = clock

    async def get(self, key: str) -> tuple[str | None, dict[str, Any]]:
        rows = await self._db.read(_STATE, {"key": key})  # read for every chat user a process meets: a hot read
        return (rows[0].state, dict(rows[0].data)) if rows else (None, {})

    async def set_state(self, key: str, state: str | None) -> None:
        await self._upsert(key, state=state)

    async def set_data(self, key: str, data: dict[str, Any]) -> None:
        await self._upsert(key, data=data)

    async def _upsert(self, key: str, **values: Any) -> None:
        if len(key) > KEY_MAX:
            raise ValueError("conversation key too long")
        async with self._db.uow() as uow:
            connection = await uow.connection()
            table = ConversationState.__table__  # type: ignore[attr-defined]
            row = {"key": key, "state": None, "data": {}, "updated_at": self._clock(), **values}
            dialect_insert = sqlite_insert if self._db.is_sqlite else pg_insert
            statement = dialect_insert(table).values(**row)
            await connection.execute(statement.on_conflict_do_update(
                index_elements=[table.c.key], set_={**values, "updated_at": row["updated_at"]}))
            # Nothing left to remember (the conversation finished): drop the row.
            await connection.execute(delete(table).where(table.c.key == key, table.c.state.is_(None),
                                                         cast(table.c.data, Text) == "{}"))
            await uow.commit()


async def delete_conversations_of(uow: UnitOfWork, identities: Iterable[tuple[str, str]]) -> None:
    """Inside an erase: drop every conversation these `(platform, external id)` people are in the middle of."""
    # Letters and digits only: no LIKE wildcard can hide in these, so the prefix match is exact.
    people = [f"{platform}:{external_id}" for platform, external_id in identities
              if platform.isascii() and platform.isalnum() and external_id.isdigit()]
    key = ConversationState.key
    theirs: list[ColumnElement[bool]] = [or_(key == identity, key.like(f"{identity}:%")) for identity in people]
    if theirs:
        await uow.session.execute(delete(ConversationState).where(or_(*theirs)))
