"""The database: one async engine, sessions, and the unit of work.

SQLite (the embedded default) runs in WAL mode with a busy timeout and foreign keys on; writing units
of work start with `BEGIN IMMEDIATE`, so two writers queue on the lock instead of deadlocking on a
read-to-write upgrade. PostgreSQL runs the same code through asyncpg.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Final, Self

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

# `PRAGMA application_id` of every chatshop SQLite file ("CHSH"): lets restore tell our files apart.
SQLITE_APPLICATION_ID: Final = 0x43485348
SQLITE_BUSY_TIMEOUT_MS: Final = 60_000


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event below emit BEGIN itself (the driver's own is deferred only).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _on_sqlite_begin(conn: Any) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(url, echo=echo, pool_size=8, max_overflow=8, pool_timeout=120)
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
        return engine
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_timeout=120,
                               pool_pre_ping=True)


class Database:
    """Owns the engine; hands out units of work. Built once by the composition root."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    def uow(self, *, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self._sessions, write=write and self.is_sqlite)

    async def dispose(self) -> None:
        await self.engine.dispose()


class UnitOfWork:
    """`async with db.uow() as uow: …; await uow.commit()` — leaving without commit rolls back."""

    session: AsyncSession

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, write: bool) -> None:
        self._sessions = sessions
        self._immediate = write

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        if self._immediate:
            await self.session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()

    async def flush(self) -> None:
        await self.session.flush()
