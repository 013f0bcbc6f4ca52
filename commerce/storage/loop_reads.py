"""The hot reads on SQLite, run straight on the event loop through one read-only connection.

Every button press reads a little: who is pressing, where their conversation is, a card, a page of a
category. Each is one indexed SELECT that SQLite answers in ~10 µs, but through SQLAlchemy's async layer
it cost ~250 µs: a pooled connection checked out and back in, three greenlet round trips, an execution
context, a result object. For a statement built once with bound parameters (the hot reads are), that work
is the same every time, so it is done once here: the statement is compiled for SQLite, the bind and
result conversions of its column types are looked up, and each read is then a plain sqlite3
`execute` + `fetchall` on a connection kept for these reads, with the same conversions applied.

Same answers as a unit of work with `write=False`: in WAL mode a SELECT takes its own snapshot of what is
committed and never waits for a writer, and this connection is `query_only`. Statements that need more
than positional binds (expanding IN lists, literal-rendered values) are refused, as is anything but a
file database, so the caller takes the ordinary path for those.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Select
from sqlalchemy.engine import Dialect, make_url

PREPARED_MAX: Final = 256  # distinct statements kept compiled (the hot ones are a handful)
_Convert = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Prepared:
    sql: str
    binds: tuple[tuple[str, _Convert | None], ...]  # in the order of the `?`s
    defaults: Mapping[str, Any]  # values bound in the statement itself
    converts: tuple[tuple[int, _Convert], ...]  # (column position, result conversion)
    row: Callable[..., Any]  # a named tuple: rows answer `row.label` as SQLAlchemy's do


def sqlite_file(url: str) -> str | None:
    """The file of a plain SQLite database URL; None for anything else (memory, URI options, other engines)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.query or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database


class LoopReads:
    """Run prepared SELECTs on SQLite's file at `path`, on the calling thread (the event loop's)."""

    def __init__(self, path: str, dialect: Dialect, busy_timeout_ms: int) -> None:
        self._path = path
        self._dialect = dialect
        self._busy_timeout_ms = busy_timeout_ms
        self._connection: sqlite3.Connection | None = None
        # id(statement) → (the statement, kept so its id is not reused; its preparation, None if refused)
        self._prepared: dict[int, tuple[Select[Any], _Prepared | None]] = {}

    def accepts(self, statement: Select[Any]) -> bool:
        return self._prepare(statement) is not None

    def rows(self, statement: Select[Any], params: Mapping[str, Any]) -> list[Any]:
        """The statement's rows; call `accepts` first."""
        prepared = self._prepare(statement)
        assert prepared is not None, "LoopReads.rows() on a statement it does not accept"
        values = []
        for name, convert in prepared.binds:
            value = params[name] if name in params else prepared.defaults[name]
            values.append(convert(value) if convert is not None else value)
        found = self._open().execute(prepared.sql, values).fetchall()
        if prepared.converts:
            converts = prepared.converts
            converted = []
            for raw in found:
                row = list(raw)
                for position, convert in converts:
                    row[position] = convert(row[position])
                converted.append(row)
            found = converted
        make = prepared.row
        return [make(*row) for row in found]

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            # Autocommit: each SELECT reads the latest commit and holds no snapshot after it.
            # check_same_thread=False: the owner may be closed from another thread; sqlite3 serialises calls.
            connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            connection.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            connection.execute("PRAGMA query_only = ON")
            self._connection = connection
        return self._connection

    def _prepare(self, statement: Select[Any]) -> _Prepared | None:
        key = id(statement)
        entry = self._prepared.get(key)
        if entry is not None and entry[0] is statement:
            return entry[1]
        if len(self._prepared) >= PREPARED_MAX:
            del self._prepared[next(iter(self._prepared))]
        found = self._compile(statement)
        self._prepared[key] = (statement, found)
        return found

    def _compile(self, statement: Select[Any]) -> _Prepared | None:
        dialect = self._dialect
        compiled = statement.compile(dialect=dialect)
        names: Sequence[str] | None = compiled.positiontup
        if names is None or compiled.literal_execute_params or compiled.post_compile_params or any(
                bind.callable is not None for bind in compiled.binds.values()):
            return None
        try:  # a label that can't be an attribute (a duplicate, `_x`, a keyword) takes the ordinary path
            row = namedtuple("Row", list(statement.selected_columns.keys()))  # type: ignore[misc]  # labels known at run time
        except ValueError:
            return None
        binds = tuple((name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                      for name in names)
        defaults = {name: bind.value for name, bind in compiled.binds.items() if bind.value is not None}
        converts = tuple((position, convert) for position, column in enumerate(statement.selected_columns)
                         if (convert := column.type.dialect_impl(dialect).result_processor(dialect, None)) is not None)
        return _Prepared(compiled.string, binds, defaults, converts, row)
