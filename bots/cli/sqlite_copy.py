"""What `chatshop backup` and `chatshop restore` share: opening a SQLite file, copying one with progress."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from rich.progress import BarColumn, Progress, TextColumn

from bots.cli.common import Cli

PAGES_PER_STEP: Final = 1024


@contextlib.contextmanager
def connect_sqlite(path: Path, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    uri = path.resolve().as_uri() + ("?mode=ro" if read_only else "")
    connection = sqlite3.connect(uri, uri=True)
    try:
        yield connection
    finally:
        connection.close()


def copy_database(source: sqlite3.Connection, target: sqlite3.Connection, cli: Cli, label: str) -> None:
    """SQLite's online backup, page by page: consistent even while the source is being written."""
    columns = (TextColumn(label), BarColumn(), TextColumn("{task.percentage:>3.0f}%"))
    with Progress(*columns, console=cli.out, transient=True, disable=not cli.out.is_terminal) as progress:
        task = progress.add_task(label, total=None)

        def step(_status: int, remaining: int, total: int) -> None:
            progress.update(task, total=total, completed=total - remaining)

        source.backup(target, pages=PAGES_PER_STEP, progress=step)
