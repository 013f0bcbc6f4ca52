"""Recent reads, kept until this process changes what they show, and a few seconds at most.

A buyer browsing presses the same buttons as every other buyer: the categories, the cards of the
popular products, the first page of a category; and every chat update identifies its sender, who is
the same person a second later. Each is a statement and its conversion (~0.1–0.2 ms); remembered, it
is a dictionary lookup. What this process changes is seen at once: a commit to one of the entry's
tables moves the version from `Committed`, and `forget(keys)` drops entries a service knows it changed
(a customer's locale, say). A change made by another process (a second bot replica, `chatshop catalog
import`) shows within `ttl_seconds`. Stock and prices are checked afresh wherever they matter (adding
to the cart, checkout), never taken from here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable
from typing import Final, Generic, TypeVar

from commerce.storage.db import Committed

RECENT_READS_TTL_SECONDS: Final = 5
RECENT_READS_MAX: Final = 1024

V = TypeVar("V")
Version = tuple[int, int]  # (commits of this process to the tables, forgets)
Ticker = Callable[[], int]  # monotonic nanoseconds: what ages the entries (a test or a replay moves its own)


class RecentReads(Generic[V]):
    """`version()` before reading, then `put(key, value, version)`; `get(key)` answers while still fresh."""

    def __init__(self, committed: Committed, tables: tuple[str, ...] = (), *,
                 ttl_seconds: int = RECENT_READS_TTL_SECONDS, size: int = RECENT_READS_MAX,
                 now_ns: Ticker = time.monotonic_ns) -> None:
        self._committed = committed
        self._tables = tables
        self._ttl_ns = ttl_seconds * 1_000_000_000
        self._size = size
        self._now_ns = now_ns
        self._entries: dict[Hashable, tuple[int, int, V]] = {}  # key → (tables' version, expiry, value)
        self._forgotten = 0  # bumped by every `forget`: a read that began before it must not be kept

    def version(self) -> Version:
        """Take before reading; hand to `put` with what was read."""
        return self._committed.version(self._tables), self._forgotten

    def get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        tables_version, expires_ns, value = entry
        if tables_version != self._committed.version(self._tables) or expires_ns <= self._now_ns():
            del self._entries[key]
            return None
        return value

    def put(self, key: Hashable, value: V, version: Version) -> None:
        """Keep `value`, read after `version()` gave `version` (kept only if nothing changed since)."""
        if version != self.version():
            return
        if key not in self._entries and len(self._entries) >= self._size:
            del self._entries[next(iter(self._entries))]  # the oldest
        self._entries[key] = (version[0], self._now_ns() + self._ttl_ns, value)

    def forget(self, keys: Iterable[Hashable]) -> None:
        """Drop these entries (the others stay); a read begun before this call is not kept either."""
        self._forgotten += 1
        for key in keys:
            self._entries.pop(key, None)
