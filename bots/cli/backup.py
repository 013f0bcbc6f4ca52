"""`chatshop backup` / `chatshop restore`: SQLite's online backup API, safe while the shop is running."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from alembic.script import ScriptDirectory
from rich.progress import BarColumn, Progress, TextColumn

from bots.app import migrate_database
from bots.cli.common import Cli, CliError, Commands, add_command, sqlite_path
from commerce.storage.db import SQLITE_APPLICATION_ID
from commerce.storage.migrate import alembic_config
from commerce.storage.private_files import create_private_file

PAGES_PER_STEP = 1024


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    backup = add_command(
        commands, "backup", common, summary="copy the SQLite database to a file (while the shop runs)",
        description="Copy the whole SQLite database into FILE with SQLite's online backup, so buyers can "
                    "keep shopping meanwhile. FILE is a complete database on its own. For PostgreSQL use "
                    "pg_dump.",
        epilog="example:\n  chatshop backup backups/shop-2026-11-23.db")
    backup.add_argument("file", type=Path, metavar="FILE", help="the backup file to write")
    backup.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    backup.set_defaults(handler=backup_command)

    restore = add_command(
        commands, "restore", common, summary="replace the database with a backup file",
        description="Replace the configured SQLite database with a backup made by `chatshop backup`, then "
                    "bring it up to date with the migrations. Files that are not chatshop databases are "
                    "refused. If the current database has orders, --force is required: they are replaced "
                    "by the backup's. Stop the bots first.",
        epilog="example:\n  chatshop restore backups/shop-2026-11-23.db --force")
    restore.add_argument("file", type=Path, metavar="FILE", help="a backup made by chatshop backup")
    restore.add_argument("--force", action="store_true",
                         help="restore even though the current database has orders")
    restore.set_defaults(handler=restore_command)


@contextlib.contextmanager
def _connect(path: Path, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    uri = path.resolve().as_uri() + ("?mode=ro" if read_only else "")
    connection = sqlite3.connect(uri, uri=True)
    try:
        yield connection
    finally:
        connection.close()


def _copy(source: sqlite3.Connection, target: sqlite3.Connection, cli: Cli, label: str) -> None:
    columns = (TextColumn(label), BarColumn(), TextColumn("{task.percentage:>3.0f}%"))
    with Progress(*columns, console=cli.out, transient=True, disable=not cli.out.is_terminal) as progress:
        task = progress.add_task(label, total=None)

        def step(_status: int, remaining: int, total: int) -> None:
            progress.update(task, total=total, completed=total - remaining)

        source.backup(target, pages=PAGES_PER_STEP, progress=step)


def backup_command(args: argparse.Namespace, cli: Cli) -> int:
    database = sqlite_path(cli.settings(), "backup")
    target: Path = args.file
    if not database.exists():
        raise CliError(f"there is no database at {database} yet; run chatshop init or chatshop migrate")
    if target.exists() and not args.force:
        raise CliError(f"{target} already exists; add --force to overwrite it")
    if target.resolve() == database.resolve():
        raise CliError(f"{target} is the shop's own database; choose another file")
    partial = target.with_name(target.name + ".partial")
    try:
        partial.unlink(missing_ok=True)
        create_private_file(partial)  # 0600 in a 0700 folder when it makes one: the copy holds buyers' data
        with _connect(database) as source, _connect(partial) as copy:
            _copy(source, copy, cli, "backing up")
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as error:
        partial.unlink(missing_ok=True)
        raise CliError(f"backup failed: {error}") from None
    cli.say(f"backed up {database} to {target} ({target.stat().st_size:,} bytes)")
    return 0


def _check_backup(path: Path) -> str:
    """The backup's schema revision; a clear refusal if `path` is not a chatshop database we can read."""
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    try:
        with _connect(path, read_only=True) as backup:
            app_id = backup.execute("PRAGMA application_id").fetchone()[0]
            has_version = backup.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone()
            query = "SELECT version_num FROM alembic_version"
            revision = backup.execute(query).fetchone() if has_version else None
    except sqlite3.DatabaseError:
        raise CliError(f"{path} is not a chatshop backup (not an SQLite database); nothing was changed") \
            from None
    if app_id != SQLITE_APPLICATION_ID or revision is None:
        raise CliError(f"{path} is an SQLite database, but not a chatshop one; nothing was changed")
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision[0])
    except Exception:  # noqa: BLE001 — alembic raises several kinds for an unknown revision
        raise CliError(f"{path} comes from a newer chatshop (schema revision {revision[0]}); "
                       "upgrade chatshop before restoring it") from None
    return str(revision[0])


def _order_count(database: Path) -> int:
    if not database.exists():
        return 0
    with _connect(database) as current:
        has_orders = current.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'orders'").fetchone()
        return int(current.execute("SELECT count(*) FROM orders").fetchone()[0]) if has_orders else 0


def restore_command(args: argparse.Namespace, cli: Cli) -> int:
    settings = cli.settings()
    database = sqlite_path(settings, "restore")
    source: Path = args.file
    revision = _check_backup(source)
    if database.exists() and source.resolve() == database.resolve():
        raise CliError(f"{source} is the shop's own database; nothing to restore")
    orders = _order_count(database)
    if orders and not args.force:
        raise CliError(f"the current database ({database}) has {orders} orders, which the backup would "
                       "replace; add --force to restore anyway")
    database.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _connect(source, read_only=True) as backup, _connect(database) as current:
            _copy(backup, current, cli, "restoring")
    except sqlite3.Error as error:
        raise CliError(f"restore failed: {error}") from None
    _, after = asyncio.run(migrate_database(settings))
    upgraded = f", migrated to revision {after}" if after != revision else ""
    cli.say(f"restored {database} from {source} (revision {revision}{upgraded})")
    return 0
