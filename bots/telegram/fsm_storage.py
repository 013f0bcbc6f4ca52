"""aiogram FSM storage on chatshop's own database: a checkout half-way through survives a restart, on
SQLite and PostgreSQL alike, and every bot process behind a webhook sees the same conversation.

aiogram reads the state of every update's sender before any handler runs, so with long polling (where
Telegram hands updates to exactly one process) the storage also keeps what it read and wrote in memory:
writes still go to the database first, but reads are answered without it. Behind a webhook several
replicas may serve one person, so there every read goes to the database.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StorageKey

from bots.common.platforms import TELEGRAM
from commerce.conversations import ConversationStore

REMEMBERED_MAX: Final = 10_000


class DatabaseStorage(BaseStorage):
    """`sole_writer=True` only where this process is the one writer of conversations (long polling)."""

    def __init__(self, store: ConversationStore, *, sole_writer: bool = False,
                 remembered_max: int = REMEMBERED_MAX) -> None:
        self._store = store
        self._keys = DefaultKeyBuilder(with_bot_id=True, with_destiny=True)
        self._remembered: dict[str, tuple[str | None, dict[str, Any]]] | None = {} if sole_writer else None
        self._remembered_max = remembered_max

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        name = self._name(key)
        value = state.state if isinstance(state, State) else state
        before = self._forget(name)  # a failed write leaves nothing stale behind
        await self._store.set_state(name, value)
        if before is not None:
            self._remember(name, value, before[1])

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._get(self._name(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        name = self._name(key)
        before = self._forget(name)
        await self._store.set_data(name, dict(data))
        if before is not None:
            self._remember(name, before[0], copy.deepcopy(dict(data)))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return copy.deepcopy((await self._get(self._name(key)))[1])

    async def close(self) -> None:
        pass

    def _name(self, key: StorageKey) -> str:
        """`telegram:<user>:` and aiogram's own key: a conversation's key starts with its person's identity,
        so erasing them finds it (`commerce.conversations`)."""
        return f"{TELEGRAM}:{key.user_id}:{self._keys.build(key)}"

    async def _get(self, name: str) -> tuple[str | None, dict[str, Any]]:
        if self._remembered is not None:
            found = self._remembered.get(name)
            if found is not None:
                return found
        value = await self._store.get(name)
        self._remember(name, *value)
        return value

    def _remember(self, name: str, state: str | None, data: dict[str, Any]) -> None:
        if self._remembered is None:
            return
        if name not in self._remembered and len(self._remembered) >= self._remembered_max:
            del self._remembered[next(iter(self._remembered))]  # the oldest
        self._remembered[name] = (state, data)

    def _forget(self, name: str) -> tuple[str | None, dict[str, Any]] | None:
        return self._remembered.pop(name, None) if self._remembered is not None else None
