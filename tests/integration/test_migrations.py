"""The Alembic migrations build exactly the schema the models describe, and go down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from commerce.shop import Shop
from commerce.storage.db import Database
from commerce.storage.migrate import alembic_config, current_revision, head_revision, is_chatshop_database, upgrade
from tests.support.factories import make_owner, make_product

SEARCH_INDEX = {"product_fts", "product_fts_data", "product_fts_idx", "product_fts_docsize", "product_fts_config",
                "product_fts_content"}


def _include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return not (type_ == "table" and name in SEARCH_INDEX) and name != "ix_product_search_trgm"


async def test_migrations_match_the_models(db: Database) -> None:
    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"include_object": _include, "compare_type": True})
        return compare_metadata(context, SQLModel.metadata)

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
    assert await current_revision(db) == head_revision()
    assert await is_chatshop_database(db)


async def test_upgrade_is_idempotent_and_downgrade_round_trips(db: Database) -> None:
    assert await upgrade(db) == (head_revision(), head_revision())
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "base"))
    assert await current_revision(db) is None
    await upgrade(db)
    assert await current_revision(db) == head_revision()


async def test_search_index_follows_edits_and_deletes(shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title="Matcha bowl")
    assert [p.id for p in (await shop.catalog.search("matcha")).items] == [product.id]
    await shop.catalog.update_product(owner, product.id, title="Hojicha bowl")
    assert (await shop.catalog.search("matcha")).total == 0
    assert (await shop.catalog.search("hojicha")).total == 1
    await shop.catalog.delete_product(owner, product.id)
    assert (await shop.catalog.search("hojicha")).total == 0
