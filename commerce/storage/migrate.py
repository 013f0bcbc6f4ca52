"""Apply Alembic migrations from inside the program (`chatshop migrate`, and at every start-up).

Opening a database that is already up to date — every start, every CLI command — doesn't load Alembic (a
third of a second of CPU here): the newest revision is read from the migration files themselves and compared
with the database's. Anything out of the ordinary (an older schema, a branch in the history) goes through
Alembic as before.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import text

from commerce.storage.db import SQLITE_APPLICATION_ID, Database
from commerce.storage.private_files import private_mkdir

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# A migration that deleted personal data sets this in `context.config.attributes`: on SQLite the file is then
# vacuumed, after the migrations' transaction, so nothing deleted is left in its free pages.
VACUUM_AFTER: Final = "chatshop_vacuum_after"
_ASSIGNMENT: Final = re.compile(r"^(down_revision|revision)\s*(?::[^=]+)?=\s*(.+?)\s*$", re.MULTILINE)
_QUOTED: Final = re.compile(r"""(['"])([^'"]+)\1""")


def alembic_config(connection: Any = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@cache
def newest_revision() -> str | None:
    """The head of a straight chain of migrations, read from the files' `revision` / `down_revision` lines;
    None when the history is anything else (then Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in sorted((MIGRATIONS / "versions").glob("*.py")):
        found = dict(match.groups() for match in _ASSIGNMENT.finditer(script.read_text(encoding="utf-8")))
        revision = _QUOTED.fullmatch(found.get("revision", ""))
        parent = found.get("down_revision")
        if revision is None or parent is None:
            return None
        revisions.add(revision.group(2))
        if parent != "None":
            quoted = _QUOTED.fullmatch(parent)
            if quoted is None:  # a merge point (a tuple of parents): not a straight chain
                return None
            parents.add(quoted.group(2))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


async def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with db.engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


async def _up_to_date(db: Database) -> str | None:
    """The database's revision when it is the newest one (and, on SQLite, the file is marked as ours)."""
    head = newest_revision()
    if head is None:
        return None
    async with db.engine.connect() as conn:
        if not await conn.run_sync(lambda c: c.dialect.has_table(c, "alembic_version")):
            return None
        stored = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
        if db.is_sqlite and (await conn.exec_driver_sql("PRAGMA application_id")).scalar() != SQLITE_APPLICATION_ID:
            return None
    return head if stored == [head] else None


async def upgrade(db: Database, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the schema to `revision`; returns (before, after). Safe to call on every start."""
    if db.is_sqlite:
        await _ensure_sqlite_dir(db)
    if revision == "head" and (current := await _up_to_date(db)) is not None:
        return current, current
    from alembic import command

    before = await current_revision(db)
    config = alembic_config()

    def run_migrations(connection: Any) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with db.engine.connect() as conn:
        if db.is_sqlite:
            # A migration that rebuilds a table (SQLite can't alter a column in place) drops the old copy, which
            # foreign keys refuse once other rows point at it: they are off while migrating, and checked after.
            await _sqlite_foreign_keys(conn, on=False)
            # Take the write lock up front: two processes starting together would otherwise both read the
            # revision, and the second one's read-to-write upgrade fails at once with "database is locked".
            conn = await conn.execution_options(sqlite_begin="IMMEDIATE")
        try:
            async with conn.begin():
                await conn.run_sync(run_migrations)
                if db.is_sqlite:
                    if broken := (await conn.exec_driver_sql("PRAGMA foreign_key_check")).all():
                        raise RuntimeError(f"the migration left rows pointing nowhere: {broken[:5]}")
                    await conn.exec_driver_sql(f"PRAGMA application_id = {SQLITE_APPLICATION_ID}")
        finally:
            if db.is_sqlite:
                await _sqlite_foreign_keys(conn, on=True)
    if config.attributes.get(VACUUM_AFTER) and before is not None:  # a new database has nothing to scrub
        await db.scrub_deleted(vacuum=True)
    return before, await current_revision(db)


async def _sqlite_foreign_keys(conn: Any, *, on: bool) -> None:
    """PRAGMA foreign_keys only takes effect outside a transaction: run it without BEGIN."""
    plain = await conn.execution_options(sqlite_begin="NONE")
    await plain.exec_driver_sql(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")
    await plain.commit()


async def _ensure_sqlite_dir(db: Database) -> None:
    database = db.engine.url.database
    if database and database != ":memory:":
        private_mkdir(Path(database).parent)


async def is_chatshop_database(db: Database) -> bool:
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            app_id = (await conn.exec_driver_sql("PRAGMA application_id")).scalar()
            if app_id != SQLITE_APPLICATION_ID:
                return False
        try:
            await conn.execute(text("SELECT version_num FROM alembic_version"))
        except Exception:  # noqa: BLE001 — any failure here means "not ours"
            return False
    return True
