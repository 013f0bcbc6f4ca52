"""SQLAlchemy's aiosqlite adapter, with one thread hop per statement instead of four.

aiosqlite runs each sqlite3 call on its connection's worker thread, and SQLAlchemy's adapter makes four
of them per statement (open a cursor, execute, fetch all, close). Every hop is a queue hand-off and a
wake-up of the event loop (~0.1 ms, far more on a busy machine), which is most of what a short
statement costs. This cursor does all four in one call on the worker thread and keeps the results, so
nothing else changes: same sqlite3 connection, same thread, same transactions, same errors.
Server-side (streaming) cursors are aiosqlite's own, unchanged.
"""

from __future__ import annotations

import collections
import functools
import re
import sqlite3
from collections.abc import Sequence
from typing import Any, Final

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_

_TAKES_WRITE_LOCK: Final = ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")

_Outcome = tuple[Any, list[Any] | None, int, int | None]


def _execute(connection: sqlite3.Connection, begin: str | None, operation: str, parameters: Any,
             many: bool) -> _Outcome:
    """On the worker thread: run the statement and collect everything the DBAPI cursor will be asked."""
    if begin is not None:
        connection.execute(begin)
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


_WRITES: Final = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=1024)  # SQLAlchemy compiles each statement once: the same strings come back
def is_read(operation: str) -> bool:
    """A SELECT, or a WITH … SELECT (a CTE may also lead a write: any write keyword, even quoted, says no)."""
    head = operation.lstrip()[:7].upper()
    if head.startswith("SELECT") and head[6:7].isspace():
        return True
    return head.startswith("WITH") and head[4:5].isspace() and _WRITES.search(operation) is None


async def _here(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """`_execute` on the event loop; a coroutine because SQLAlchemy's async layer insists on an await."""
    return _execute(connection, None, operation, parameters, many)


async def _begin_here(connection: sqlite3.Connection, begin: str) -> bool:
    """Try `begin` (BEGIN IMMEDIATE) on the event loop without waiting: False if another connection holds
    the write lock, and then the caller waits for it on the worker thread as always."""
    (timeout,) = connection.execute("PRAGMA busy_timeout").fetchone()
    connection.execute("PRAGMA busy_timeout = 0")
    try:
        connection.execute(begin)
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return False
        raise
    finally:
        connection.execute(f"PRAGMA busy_timeout = {int(timeout)}")
    return True


async def _end_here(connection: sqlite3.Connection, commit: bool) -> None:
    if commit:
        connection.commit()
    else:
        connection.rollback()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered DBAPI cursor whose `execute` is one call on aiosqlite's worker thread."""

    __slots__ = ("_description", "_rowcount", "_lastrowid")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No aiosqlite cursor: the sqlite3 one lives and dies inside `_execute`.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]  # the base class's async cursor is not used
        self._soft_closed_memoized = {}
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]  # None before any insert, as in sqlite3

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        return self._run(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        return self._run(operation, seq_of_parameters, many=True)

    def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        adapt: OneHopConnection = self._adapt_connection  # type: ignore[assignment]
        begin = adapt.take_pending_begin()
        try:
            if begin is not None and begin.startswith(_TAKES_WRITE_LOCK) and await_(_begin_here(connection._conn,
                                                                                                begin)):
                adapt.holds_write_lock = True  # the lock was free: no need to wait for it on the worker
                begin = None
            if begin is None and adapt.cannot_wait(operation):
                outcome: _Outcome = await_(_here(connection._conn, operation, parameters, many))
            else:
                outcome = await_(connection._execute(_execute, connection._conn, begin, operation, parameters,
                                                     many))
                if begin is not None and begin.startswith(_TAKES_WRITE_LOCK):
                    adapt.holds_write_lock = True
        except Exception as error:
            adapt._handle_exception(error)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows) if rows else collections.deque()

    async def _async_soft_close(self) -> None:
        return None  # nothing open on the worker thread

    def close(self) -> None:
        self._rows.clear()

    def nextset(self) -> None:
        return None

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """Also saves the hops that do nothing: a `BEGIN` goes out with the statement after it, and a commit or
    rollback outside any transaction (a read-only unit of work in autocommit mode) stays on this side.

    And the hops for statements that can't wait on anyone: in WAL mode a SELECT never waits for a lock,
    and once this connection holds the write lock (`BEGIN IMMEDIATE` went through) neither do its writes.
    Those run right here on the event loop (tens of microseconds for our indexed statements), not on the
    worker thread; a statement that may wait — one that begins a transaction, any write without the lock
    — still goes to the worker, as does COMMIT (it may checkpoint the WAL). The connection is never used
    by two callers at once (the pool lends it to one unit of work, which awaits each statement), so the
    two threads never touch it together."""

    __slots__ = ("_pending_begin", "holds_write_lock")
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: aiosqlite.Connection) -> None:
        super().__init__(dbapi, connection)
        self._pending_begin: str | None = None
        self.holds_write_lock = False  # set once a BEGIN IMMEDIATE/EXCLUSIVE succeeded; checked against sqlite

    def cannot_wait(self, operation: str) -> bool:
        """True if `operation` can't block on a lock (so it may run on the event loop)."""
        if self.holds_write_lock:
            if self._in_transaction():
                return True
            self.holds_write_lock = False
        return is_read(operation)

    def begin_with_next_statement(self, begin: str) -> None:
        """Send `begin` (e.g. "BEGIN IMMEDIATE") in the same hop as the next statement; an error it raises
        (a busy database) is that statement's."""
        self._pending_begin = begin

    def take_pending_begin(self) -> str | None:
        begin, self._pending_begin = self._pending_begin, None
        return begin

    def _in_transaction(self) -> bool:
        sqlite_connection = self._connection._connection  # type: ignore[attr-defined]  # None once closed
        return sqlite_connection is None or sqlite_connection.in_transaction

    def rollback(self) -> None:
        self._end(commit=False)

    def commit(self) -> None:
        self._end(commit=True)

    def _end(self, *, commit: bool) -> None:
        self._pending_begin = None
        held, self.holds_write_lock = self.holds_write_lock, False
        if not self._in_transaction():
            return
        if not held:  # a read (deferred) transaction: on the worker, as before
            super().commit() if commit else super().rollback()
            return
        # Ending our own write transaction waits on no one (a WAL checkpoint after it is PASSIVE).
        try:
            await_(_end_here(self._connection._conn, commit))  # type: ignore[attr-defined]
        except Exception as error:
            self._handle_exception(error)


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """Pass as `module=` to `create_async_engine` for a `sqlite+aiosqlite` URL."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        # Statements that can't wait run on the event loop's thread too (OneHopConnection.cannot_wait).
        kw.setdefault("check_same_thread", False)
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
