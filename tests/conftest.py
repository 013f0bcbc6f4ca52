"""Shared fixtures: a real database per test (SQLite in a temp dir, and PostgreSQL where reachable)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from commerce.privacy import PersonalDataCipher
from commerce.shop import Shop, ShopRules
from commerce.storage.db import Database
from commerce.storage.migrate import upgrade
from tests.support.postgres import postgres_database

pytest_plugins = ["tests.support.chains"]  # local chain nodes: anvil, litecoind, a fake Esplora

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
        await upgrade(database)
        yield database
        await database.dispose()
    else:
        async with postgres_database() as url:
            database = Database(url)
            await upgrade(database)
            yield database
            await database.dispose()


@pytest.fixture
def data_key() -> str:
    return PersonalDataCipher.generate_key()


@pytest.fixture
def shop(db: Database, clock: FakeClock, data_key: str) -> Shop:
    return Shop(db, ShopRules(currency="JPY"), PersonalDataCipher(data_key), clock)
