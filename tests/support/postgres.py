"""A fresh PostgreSQL database per test on the server at 127.0.0.1:5432, or a skip that says why."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

SERVER = os.environ.get("CHATSHOP_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _admin() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(SERVER, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        pytest.skip(f"PostgreSQL not reachable at {SERVER}: {exc}")


async def create_database() -> tuple[str, str]:
    """Create `chatshop_test_<random>`: its name and its SQLAlchemy URL (drop it with `drop_database`)."""
    name = f"chatshop_test_{secrets.token_hex(4)}"
    admin = await _admin()
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return name, f"{base}/{name}"


async def drop_database(name: str) -> None:
    admin = await _admin()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """Create `chatshop_test_<random>`, yield its SQLAlchemy URL, drop it afterwards."""
    name, url = await create_database()
    try:
        yield url
    finally:
        await drop_database(name)
