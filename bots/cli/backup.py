"""`chatshop backup`: SQLite's online backup API, safe while the shop is running (`chatshop restore` is in
bots/cli/restore.py)."""

from __future__ import annotations

import argparse
import os
import sqlite3
from pathlib import Path

from bots.cli import restore
from bots.cli.common import Cli, CliError, Commands, add_command, sqlite_path
from bots.cli.sqlite_copy import connect_sqlite, copy_database
from commerce.storage.private_files import create_private_file


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

    restore.register(commands, common)


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
        with connect_sqlite(database) as source, connect_sqlite(partial) as copy:
            copy_database(source, copy, cli, "backing up")
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as error:
        partial.unlink(missing_ok=True)
        raise CliError(f"backup failed: {error}") from None
    cli.say(f"backed up {database} to {target} ({target.stat().st_size:,} bytes)")
    return 0
