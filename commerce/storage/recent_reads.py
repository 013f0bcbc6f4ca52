"""Recent reads of a few tables, kept until this process changes one of them, and a few seconds at most.

A buyer browsing presses the same buttons as every other buyer: the categories, the cards of the
popular products, the first page of a category. Each is a statement and its conversion (~0.1–0.2 ms);
remembered, it is a dictionary lookup. What a commit of this process changes is seen at once (the
version from `Committed` moves, and the entry is read again); a change made by another process (a
second bot replica, `chatshop catalog import`) shows within `ttl_seconds`. Stock and prices are
checked afresh wherever they matter (adding to the cart, checkout), never taken from here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Final, Generic, TypeVar

from commerce.storage.db import Committed

RECENT_READS_TTL_SECONDS: Final = 5
RECENT_READS_MAX: Final = 1024

V = TypeVar("V")


class RecentReads(Generic[V]):
    """`version()` before reading, then `put(key, value, version)`; `get(key)` answers while still fresh."""

    def __init__(self, committed: Committed, tables: tuple[str, ...], *, ttl_seconds: int = RECENT_READS_TTL_SECONDS,
                 size: int = RECENT_READS_MAX, now_ns: Callable[[], int] = time.monotonic_ns) -> None:
        self._committed = committed
        self._tables = tables
        self._ttl_ns = ttl_seconds * 1_000_000_000
        self._size = size
        self._now_ns = now_ns
        self._entries: dict[Hashable, tuple[int, int, V]] = {}  # key → (version, expiry, value)

    def version(self) -> int:
        return self._committed.version(self._tables)

    def get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        version, expires_ns, value = entry
        if version != self.version() or expires_ns <= self._now_ns():
            del self._entries[key]
            return None
        return value

    def put(self, key: Hashable, value: V, version: int) -> None:
        """Keep `value`, read after `version()` gave `version` (kept only if nothing changed since)."""
        if version != self.version():
            return
        if key not in self._entries and len(self._entries) >= self._size:
            del self._entries[next(iter(self._entries))]  # the oldest
        self._entries[key] = (version, self._now_ns() + self._ttl_ns, value)
