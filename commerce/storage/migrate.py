"""Apply Alembic migrations from inside the program (`chatshop migrate`, and at every start-up)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from commerce.storage.db import SQLITE_APPLICATION_ID, Database
from commerce.storage.private_files import private_mkdir

MIGRATIONS = Path(__file__).with_name("migrations")
# A migration that deleted personal data sets this in `context.config.attributes`: on SQLite the file is then
# vacuumed, after the migrations' transaction, so nothing deleted is left in its free pages.
VACUUM_AFTER: Final = "chatshop_vacuum_after"


def alembic_config(connection: Any = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(db: Database) -> str | None:
    async with db.engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


async def upgrade(db: Database, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the schema to `revision`; returns (before, after). Safe to call on every start."""
    if db.is_sqlite:
        await _ensure_sqlite_dir(db)
    before = await current_revision(db)
    config = alembic_config()

    def run_migrations(connection: Any) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with db.engine.connect() as conn:
        if db.is_sqlite:
            # Take the write lock up front: two processes starting together would otherwise both read the
            # revision, and the second one's read-to-write upgrade fails at once with "database is locked".
            conn = await conn.execution_options(sqlite_begin="IMMEDIATE")
        async with conn.begin():
            await conn.run_sync(run_migrations)
            if db.is_sqlite:
                await conn.exec_driver_sql(f"PRAGMA application_id = {SQLITE_APPLICATION_ID}")
    if config.attributes.get(VACUUM_AFTER) and before is not None:  # a new database has nothing to scrub
        await db.scrub_deleted(vacuum=True)
    return before, await current_revision(db)


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
