"""`chatshop restore`: put a backup in place of the SQLite database, and lose nothing by surprise.

- While any chatshop process has the database open (the bots, the watcher, a catalog import: each holds
  the lock in commerce/storage/database_lock.py), restore refuses, even with --force: a running shop
  would go on writing to the file being replaced.
- The backup is copied beside the database and migrated first. The current database is then compared
  with it, table by table: rows it has that the backup lacks (added or changed since the backup) would be
  lost, so without --force restore names them and refuses.
- The database that is replaced is kept beside it as `<name>.replaced-<date>-<time><suffix>` (0600).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Final

from alembic.script import ScriptDirectory

from bots.cli.common import Cli, CliError, Commands, add_command, sqlite_path
from bots.cli.sqlite_copy import connect_sqlite, copy_database
from commerce.storage.database_lock import DatabaseInUse, exclusive_database_lock, lock_path
from commerce.storage.db import SQLITE_APPLICATION_ID, Database
from commerce.storage.migrate import alembic_config, upgrade
from commerce.storage.private_files import SQLITE_COMPANIONS, create_private_file, make_private

# What a table's rows are called in the refusal; a table not named here is shown by its own name.
NAMES: Final[dict[str, tuple[str, str]]] = {
    "customer": ("customer", "customers"), "identity": ("chat account", "chat accounts"),
    "address": ("saved address", "saved addresses"), "seller": ("role", "roles"),
    "two_factor_secret": ("2FA enrolment", "2FA enrolments"), "category": ("category", "categories"),
    "product": ("product", "products"), "variant": ("variant (price, stock)", "variants (prices, stock)"),
    "digital_item": ("digital item", "digital items"), "cart_line": ("cart line", "cart lines"),
    "orders": ("order", "orders"), "order_line": ("order line", "order lines"),
    "payment_request": ("payment request", "payment requests"), "payment": ("payment", "payments"),
    "amount_slot": ("payment amount slot", "payment amount slots"),
    "derivation_counter": ("payment address counter", "payment address counters"),
    "review": ("review", "reviews"), "support_ticket": ("support ticket", "support tickets"),
    "support_message": ("support message", "support messages"), "broadcast": ("broadcast", "broadcasts"),
    "broadcast_recipient": ("broadcast delivery", "broadcast deliveries"),
    "audit_event": ("audit log entry", "audit log entries"), "outbox_message": ("notification", "notifications"),
    "message_ref": ("chat message kept up to date", "chat messages kept up to date"),
    "conversation_state": ("conversation in progress", "conversations in progress"),
    "link_code": ("account link code", "account link codes"),
}
# Machinery that is rebuilt by itself: the watcher rescans blocks, the search index follows the products.
NOT_COMPARED: Final = ("alembic_version", "chain_block", "watcher_lease", "product_fts", "sqlite_")


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    restore = add_command(
        commands, "restore", common, summary="replace the database with a backup file",
        description="Replace the configured SQLite database with a backup made by `chatshop backup`, brought "
                    "up to date with the migrations. Stop the shop first: while any chatshop process has the "
                    "database open, restore refuses. Files that are not chatshop databases are refused. If the "
                    "current database has anything the backup lacks (products, customers, roles, 2FA "
                    "enrolments, orders… added or changed since), restore says what and refuses unless "
                    "--force is given. The replaced database is kept beside it as a dated file.",
        epilog="example:\n  chatshop restore backups/shop-2026-11-23.db")
    restore.add_argument("file", type=Path, metavar="FILE", help="a backup made by chatshop backup")
    restore.add_argument("--force", action="store_true",
                         help="restore even though data added or changed since the backup would be replaced")
    restore.set_defaults(handler=restore_command)


def check_backup(path: Path) -> str:
    """The backup's schema revision; a clear refusal if `path` is not a chatshop database we can read."""
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    try:
        with connect_sqlite(path, read_only=True) as backup:
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


def restore_command(args: argparse.Namespace, cli: Cli) -> int:
    database = sqlite_path(cli.settings(), "restore")
    source: Path = args.file
    revision = check_backup(source)
    if database.exists() and source.resolve() == database.resolve():
        raise CliError(f"{source} is the shop's own database; nothing to restore")
    staged = database.with_name(f".{database.name}.restoring")
    try:
        with exclusive_database_lock(database):
            after = _stage(source, staged, cli)
            kept = _put_in_place(staged, database, force=args.force)
    except DatabaseInUse:
        raise CliError(f"a chatshop process (run, watch, a catalog import…) has {database} open; stop it, "
                       "then restore") from None
    finally:
        _remove(staged)
    upgraded = f", migrated to revision {after}" if after != revision else ""
    cli.say(f"restored {database} from {source} (revision {revision}{upgraded})")
    if kept is not None:
        cli.say(f"the database it replaced is kept as {kept}")
    return 0


def _stage(source: Path, staged: Path, cli: Cli) -> str | None:
    """The backup copied to `staged` (0600) and migrated; returns the revision it is at now."""
    _remove(staged)
    try:
        create_private_file(staged)
        with connect_sqlite(source, read_only=True) as backup, connect_sqlite(staged) as copy:
            copy_database(backup, copy, cli, "restoring")
    except (OSError, sqlite3.Error) as error:
        raise CliError(f"restore failed: {error}; nothing was changed") from None
    return asyncio.run(_migrate(staged))


async def _migrate(path: Path) -> str | None:
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        return (await upgrade(db))[1]
    finally:
        await db.dispose()


def _put_in_place(staged: Path, database: Path, *, force: bool) -> Path | None:
    """Swap the staged backup in; the current database (if any) is kept under a dated name and returned."""
    if not database.exists():
        os.replace(staged, database)
        return None
    try:
        with connect_sqlite(database) as current:
            busy, _, _ = current.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            lost = _not_in_backup(current, staged)
    except sqlite3.DatabaseError as error:
        if not force:
            raise CliError(f"the current database ({database}) can't be read ({error}), so what restoring would "
                           "lose can't be told. Nothing was changed; add --force to restore anyway (the current "
                           "file is then kept beside it under a dated name)") from None
        lost = {}
    else:
        if busy or _wal_size(database):
            raise CliError(f"{database} is still being written by another program; stop it, then restore")
    if lost and not force:
        raise CliError(f"the current database ({database}) has {_describe(lost)} added or changed since the "
                       "backup; restoring would lose them. Nothing was changed; add --force to restore anyway "
                       "(the current database is then kept beside it under a dated name)")
    if database.stat().st_size == 0:  # made, never written (the checkpoint above emptied any WAL into it)
        for suffix in SQLITE_COMPANIONS:
            database.with_name(database.name + suffix).unlink(missing_ok=True)
        os.replace(staged, database)
        return None
    kept = _dated_name(database)
    for suffix in ("", *SQLITE_COMPANIONS):  # the -wal goes with its file: it must not be read as the new one's
        companion = database.with_name(database.name + suffix)
        if companion.exists():
            os.replace(companion, kept.with_name(kept.name + suffix))
            make_private(kept.with_name(kept.name + suffix))
    os.replace(staged, database)
    return kept


def _not_in_backup(current: sqlite3.Connection, staged: Path) -> dict[str, int]:
    """Per table: how many rows of the current database the backup does not have exactly."""
    current.execute("ATTACH DATABASE ? AS restored", (f"{staged.resolve().as_uri()}?mode=ro",))
    try:
        tables = [name for (name,) in current.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' ORDER BY rowid")
            if not name.startswith(NOT_COMPARED)]
        lost: dict[str, int] = {}
        for table in tables:
            ours = _columns(current, "main", table)
            theirs = set(_columns(current, "restored", table))
            shared = ", ".join(_quoted(column) for column in ours if column in theirs)
            name = _quoted(table)
            query = (f"SELECT count(*) FROM (SELECT {shared} FROM main.{name} EXCEPT "
                     f"SELECT {shared} FROM restored.{name})" if shared else f"SELECT count(*) FROM main.{name}")
            count = int(current.execute(query).fetchone()[0])
            if count:
                lost[table] = count
        return lost
    finally:
        current.execute("DETACH DATABASE restored")


def _columns(connection: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [row[1] for row in connection.execute(f"PRAGMA {schema}.table_info({_quoted(table)})")]


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _describe(lost: dict[str, int]) -> str:
    parts = []
    for table, count in lost.items():
        one, many = NAMES.get(table, (table.replace("_", " "), table.replace("_", " ")))
        parts.append(f"{count} {one if count == 1 else many}")
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _wal_size(database: Path) -> int:
    wal = database.with_name(database.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def _dated_name(database: Path) -> Path:
    stamp = datetime.now().astimezone().strftime("%Y%m%d-%H%M%S")
    kept = database.with_name(f"{database.stem}.replaced-{stamp}{database.suffix}")
    number = 1
    while kept.exists():
        number += 1
        kept = database.with_name(f"{database.stem}.replaced-{stamp}-{number}{database.suffix}")
    return kept


def _remove(staged: Path) -> None:
    for path in (staged, lock_path(staged), *(staged.with_name(staged.name + s) for s in SQLITE_COMPANIONS)):
        path.unlink(missing_ok=True)
