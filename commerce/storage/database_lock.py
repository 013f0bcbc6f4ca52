"""Which processes have a SQLite shop database open, told by a lock the operating system keeps.

Every `Database` on a SQLite file holds a shared `flock` on `<database>.lock` from its first connection
until it is disposed: the bots, the watcher, a catalog import. `chatshop restore` takes the same lock
exclusively, so it can't replace the file under a running shop (which would keep writing to the old
one), and a shop can't start half-way through a restore. The kernel drops the lock when a process
ends, however it ends, so a killed shop never leaves a stale lock behind (a PID file would).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from commerce.storage.private_files import PRIVATE_FILE, private_mkdir


class DatabaseInUse(Exception):
    """Another process holds the database open (or is restoring it)."""


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def _open_lock_file(database: Path) -> int:
    path = lock_path(database)
    private_mkdir(path.parent)
    return os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)


class SharedDatabaseLock:
    """Held while a `Database` may use the file; `hold()` is called on each new connection, once is enough."""

    def __init__(self, database: Path) -> None:
        self._database = database
        self._fd: int | None = None

    def hold(self) -> None:
        if self._fd is not None:
            return
        fd = _open_lock_file(self._database)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            # Raised from SQLite's connect, so callers see it as the database error it is.
            raise sqlite3.OperationalError(
                f"{self._database} is being replaced by `chatshop restore`; start again when it has finished"
            ) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None


@contextlib.contextmanager
def exclusive_database_lock(database: Path) -> Iterator[None]:
    """Sole use of the database file, or `DatabaseInUse` at once if any chatshop process has it open."""
    fd = _open_lock_file(database)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseInUse(str(database)) from None
        yield
    finally:
        os.close(fd)
