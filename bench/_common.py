"""Shared set-up for benchmarks: a fresh database (SQLite in a temp dir, or a throwaway PostgreSQL one)."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from commerce.privacy import PersonalDataCipher
from commerce.shop import Shop, ShopRules
from commerce.storage.db import Database
from commerce.storage.migrate import upgrade
from commerce.storage.recent_reads import Ticker


@asynccontextmanager
async def fresh_shop(backend: str, *, now_ns: Ticker = time.monotonic_ns,
                     rules: ShopRules | None = None) -> AsyncIterator[Shop]:
    """`now_ns`: the clock the shop's recent-read caches age by (a benchmark replaying a day moves its own);
    `rules`: the shop's currency, tax and shipping (none by default)."""
    rules = rules or ShopRules()
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            db = Database(f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}")
            await upgrade(db)
            try:
                yield Shop(db, rules, PersonalDataCipher(PersonalDataCipher.generate_key()), now_ns=now_ns)
            finally:
                await db.dispose()
    else:
        from tests.support.postgres import postgres_database

        async with postgres_database() as url:
            db = Database(url)
            await upgrade(db)
            try:
                yield Shop(db, rules, PersonalDataCipher(PersonalDataCipher.generate_key()), now_ns=now_ns)
            finally:
                await db.dispose()


def spread(values: list[float], unit: str, digits: int) -> str:
    """`best 1.2 ms, median 1.4 ms, worst 2.0 ms`: what a bench reports over its rounds."""
    return (f"best {min(values):.{digits}f} {unit}, median {statistics.median(values):.{digits}f} {unit}, "
            f"worst {max(values):.{digits}f} {unit}")


async def median_ms(action: Callable[[], Awaitable[object]], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        await action()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


async def products_of(shop: Shop, count: int) -> list[tuple[int, int]]:
    """Up to `count` (product id, variant id) pairs a buyer can add to a cart (in stock), in listing order."""
    found: list[tuple[int, int]] = []
    page, has_next = 0, True
    while has_next and len(found) < count:
        listed = await shop.catalog.list_products(page=page, page_size=50)
        found += [(p.id, v.id) for p in listed.items for v in p.variants if v.stock > 0]
        page, has_next = page + 1, listed.has_next
    return found
