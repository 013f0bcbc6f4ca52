"""aiogram FSM storage on chatshop's own database: a checkout half-way through survives a restart, on
SQLite and PostgreSQL alike, and every bot process behind a webhook sees the same conversation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StorageKey

from commerce.conversations import ConversationStore


class DatabaseStorage(BaseStorage):
    def __init__(self, store: ConversationStore) -> None:
        self._store = store
        self._keys = DefaultKeyBuilder(with_bot_id=True, with_destiny=True)

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        await self._store.set_state(self._keys.build(key), state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._store.get(self._keys.build(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._store.set_data(self._keys.build(key), dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return (await self._store.get(self._keys.build(key)))[1]

    async def close(self) -> None:
        pass
