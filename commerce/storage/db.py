"""The database: one async engine, sessions, and the unit of work.

SQLite (the embedded default) runs in WAL mode with a busy timeout and foreign keys on; writing units
of work start with `BEGIN IMMEDIATE`, so two writers queue on the lock instead of deadlocking on a
read-to-write upgrade. PostgreSQL runs the same code through asyncpg.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from sqlalchemy import Connection, Insert, Select, Table, event, insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from commerce.storage.database_lock import SharedDatabaseLock
from commerce.storage.loop_reads import LoopReads, sqlite_file
from commerce.storage.private_files import prepare_sqlite_file
from commerce.storage.sqlite_driver import OneHopConnection, is_read, one_hop_dbapi

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
    # Deleted rows are overwritten with zeros, not left in free space: an erased buyer's data really goes
    # (what older copies of those pages the WAL still holds goes at the checkpoint `scrub_deleted` runs).
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


def _on_sqlite_begin(conn: Any) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    if mode == "NONE":  # read-only units of work run each statement on its own WAL snapshot
        return
    driver = conn.connection.dbapi_connection
    if isinstance(driver, OneHopConnection):
        driver.begin_with_next_statement(f"BEGIN {mode}")  # saves a thread hop
    else:
        conn.exec_driver_sql(f"BEGIN {mode}")


ANY_TABLE: Final = "*"
_WRITTEN: Final = "chatshop_written_tables"  # in the connection's `info`: what its transaction has changed


def _note_written(conn: Connection, _cursor: Any, statement: str, _parameters: Any, context: Any,
                  _executemany: bool) -> None:
    """After each statement: remember the table an INSERT, UPDATE or DELETE changed (any SQL we can't read
    as a plain SELECT counts as changing every table), for `Committed` once the transaction commits."""
    compiled = context.compiled
    target = getattr(compiled, "statement", None)
    if getattr(target, "is_dml", False):
        name = getattr(target.table, "name", ANY_TABLE)
    elif getattr(target, "is_select", False) or is_read(statement):
        return
    else:
        name = ANY_TABLE
    conn.info.setdefault(_WRITTEN, set()).add(name)


class Committed:
    """How many commits of this process have changed each table: a version for caches of what was read.

    A cache takes `version(tables)` before it reads and keeps the result only while the version is the
    same. It moves after the commit is done, so a read that overlapped a change is never kept as fresh.
    Another process's commits are not seen here: caches also expire after a few seconds.
    """

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def note(self, tables: Iterable[str]) -> None:
        for name in tables:
            self._counts[name] = self._counts.get(name, 0) + 1

    def version(self, tables: Iterable[str]) -> int:
        counts = self._counts
        return counts.get(ANY_TABLE, 0) + sum(counts.get(name, 0) for name in tables)


QUEUED_ROWS: Final = "chatshop_queued_rows"


def queue_row(session: AsyncSession, table: Table, row: dict[str, Any]) -> None:
    """Insert `row` into `table` when this unit of work commits (a Core INSERT, no ORM bookkeeping).

    For append-only rows nobody reads back inside the transaction: audit events and outbox messages.
    """
    session.info.setdefault(QUEUED_ROWS, {}).setdefault(table, []).append(row)


@functools.cache
def _insert_into(table: Table) -> Insert:
    """One INSERT statement object per table, so its cache key is worked out once, not on every commit."""
    return insert(table)


async def write_queued_rows(session: AsyncSession) -> None:
    queued: dict[Table, list[dict[str, Any]]] = session.info.pop(QUEUED_ROWS, {})
    if queued:
        connection = await session.connection()
        for table, rows in queued.items():
            await connection.execute(_insert_into(table), rows)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # Every unit of work ends its own transaction (commit or rollback) before the connection goes back,
        # so the pool's extra ROLLBACK on return would only cost a thread hop per unit of work.
        # `module`: one worker-thread hop per statement instead of four (commerce/storage/sqlite_driver.py).
        engine = create_async_engine(url, echo=echo, pool_size=8, max_overflow=8, pool_timeout=120,
                                     pool_reset_on_return=None, module=one_hop_dbapi())
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        # aiosqlite logs each call it runs, with the statement's parameters (buyers' messages among them), at
        # DEBUG: keep that out of any log, whatever level the operator sets.
        logging.getLogger("aiosqlite").setLevel(logging.INFO)
        event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    else:
        engine = create_async_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_timeout=120,
                                     pool_pre_ping=True)
    event.listen(engine.sync_engine, "after_cursor_execute", _note_written)
    return engine


class Database:
    """Owns the engine; hands out units of work. Built once by the composition root."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self.committed = Committed()
        # SQLite has one writer at a time. Queueing writers of this process here, rather than in SQLite's
        # busy handler (which sleeps in growing steps), keeps checkouts flowing; other processes still
        # wait on the busy timeout.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        # How each kind of unit of work begins its transaction on SQLite (`_on_sqlite_begin`).
        self._writer = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        self._reader = self.engine.execution_options(sqlite_begin="NONE") if self.is_sqlite else self.engine
        self._file_lock: SharedDatabaseLock | None = None
        path = self.engine.url.database if self.is_sqlite else None
        if path and path != ":memory:" and not path.startswith("file:"):
            prepare_sqlite_file(Path(path))  # 0600 before SQLite makes it 0644 (and its -wal, -shm alike)
            self._file_lock = lock = SharedDatabaseLock(Path(path))
            # Before each new connection opens the file: `chatshop restore` must see this process as a user.
            event.listen(self.engine.sync_engine, "do_connect", lambda *_: lock.hold())
        path = sqlite_file(url)
        self._loop_reads = LoopReads(path, self.engine.dialect, SQLITE_BUSY_TIMEOUT_MS) if path else None

    async def read(self, statement: Select[Any], params: Mapping[str, Any] | None = None) -> Sequence[Any]:
        """The rows of one SELECT, read on their own (as a unit of work with `write=False` would), each
        answering `row.<label>`. For the hot reads: `statement` is built once, with `bindparam`s for what
        changes (commerce/storage/loop_reads.py runs those on a SQLite file without SQLAlchemy's
        per-statement work). Anything else, and PostgreSQL, goes through a read-only unit of work."""
        if self._loop_reads is not None and self._loop_reads.accepts(statement):
            return self._loop_reads.rows(statement, params or {})
        async with self.uow(write=False) as uow:
            return (await (await uow.connection()).execute(statement, dict(params or {}))).all()

    def uow(self, *, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self._writer if write else self._reader, self._sessions, self.committed,
                          write_lock=self._write_lock if write else None)

    async def dispose(self) -> None:
        if self._loop_reads is not None:
            self._loop_reads.close()
        await self.engine.dispose()
        if self._file_lock is not None:
            self._file_lock.release()

    async def scrub_deleted(self, *, vacuum: bool = False) -> None:
        """After personal data is erased: on SQLite, copy the WAL into the database and empty it, so no older
        copy of an erased row's page is left in the -wal file (`secure_delete` has zeroed the rows in the
        pages themselves). `vacuum` first rewrites the whole file, for what was deleted before secure_delete
        was on. PostgreSQL reclaims dead rows with autovacuum; there is nothing to do here."""
        if not self.is_sqlite:
            return
        async with self._reader.connect() as connection:  # no BEGIN: neither can run inside a transaction
            if vacuum:
                await connection.exec_driver_sql("VACUUM")
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


class UnitOfWork:
    """`async with db.uow() as uow: …; await uow.commit()` — leaving without commit rolls back.

    It holds one connection for its whole life. The ORM session is made on first use of `session`, bound to
    that connection: hot paths that only run Core statements (`connection()`) never pay for one.
    """

    def __init__(self, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], committed: Committed, *,
                 write_lock: asyncio.Lock | None) -> None:
        self._engine = engine
        self._sessions = sessions
        self._committed = committed
        self._write_lock = write_lock
        self._connection: AsyncConnection | None = None
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        if self._write_lock is not None:
            await self._write_lock.acquire()
        try:
            self._connection = await self._engine.connect().start()
        except BaseException:
            await self._close()
            raise
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self._close()

    @property
    def session(self) -> AsyncSession:
        """The ORM session of this unit of work, on its connection and in its transaction."""
        if self._session is None:
            assert self._connection is not None, "a unit of work is used inside `async with`"
            # Joining a transaction Core statements began: the session may roll it back, and
            # `commit()` below commits it (join_transaction_mode="rollback_only").
            self._session = self._sessions(bind=self._connection, join_transaction_mode="rollback_only")
        return self._session

    async def _close(self) -> None:
        try:
            if self._session is not None:
                self._session.info.pop(QUEUED_ROWS, None)
                try:
                    await self._session.rollback()
                finally:
                    await self._session.close()
        finally:
            try:
                if self._connection is not None:
                    self._connection.sync_connection.info.pop(_WRITTEN, None)  # rolled back: nothing changed
                    await self._connection.close()  # rolls back what is not committed
            finally:
                if self._write_lock is not None:
                    self._write_lock.release()

    async def connection(self) -> AsyncConnection:
        """This unit of work's connection, for Core statements on hot paths (same transaction as the session)."""
        assert self._connection is not None, "a unit of work is used inside `async with`"
        return self._connection

    async def commit(self) -> None:
        if self._session is not None:
            await write_queued_rows(self._session)
            await self._session.commit()  # ends the session's own transaction, or only flushes a joined one
        assert self._connection is not None
        if self._connection.in_transaction():
            await self._connection.commit()
        written = self._connection.sync_connection.info.pop(_WRITTEN, None)
        if written:
            self._committed.note(written)

    async def flush(self) -> None:
        await self.session.flush()
