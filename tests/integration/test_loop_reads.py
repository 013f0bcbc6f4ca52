"""`Database.read`: the hot reads give the same rows on the event loop's SQLite connection as through a unit
of work, see what was just committed, and never write."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import bindparam, select

from commerce.customers import _known_statement
from commerce.shop import Shop
from commerce.storage.db import Database
from commerce.storage.loop_reads import LoopReads, sqlite_file
from commerce.storage.migrate import upgrade
from commerce.storage.product_query import prepared
from commerce.storage.tables import Product
from tests.support.factories import make_owner, make_product

_CARD = prepared(("test-card",), lambda: [Product.id == bindparam("product_id"), Product.deleted == False])[0]  # noqa: E712


async def through_unit_of_work(db: Database, statement: object, params: dict[str, object]) -> list[tuple[object, ...]]:
    async with db.uow(write=False) as uow:
        return [tuple(row) for row in await (await uow.connection()).execute(statement, params)]  # type: ignore[call-overload]


async def test_the_hot_reads_give_what_a_unit_of_work_gives(shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title="Tea bowl 湯呑み", stock=4)
    await shop.catalog.add_photos(owner, product.id, ["m/" + "a" * 64 + ".jpg"])
    await shop.customers.identify("telegram", 8_000_001, locale="en")
    cases = [(_CARD, {"product_id": product.id, "page_offset": 0, "page_limit": 1}),
             (_known_statement(), {"platform": "telegram", "external_id": "8000001"}),
             (_known_statement(), {"platform": "telegram", "external_id": "404"})]
    for statement, params in cases:
        expected = await through_unit_of_work(shop.db, statement, params)
        assert [tuple(row) for row in await shop.db.read(statement, params)] == expected
    [card] = await shop.db.read(_CARD, {"product_id": product.id, "page_offset": 0, "page_limit": 1})
    assert card.p_photos == ["m/" + "a" * 64 + ".jpg"] and card.p_visible is True and card.v_stock == 4


async def test_a_read_sees_the_last_commit_of_any_connection(shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, stock=4)
    params = {"product_id": product.id, "page_offset": 0, "page_limit": 1}
    assert (await shop.db.read(_CARD, params))[0].v_stock == 4
    await shop.catalog.set_stock(owner, product.variants[0].id, 1)
    assert (await shop.db.read(_CARD, params))[0].v_stock == 1


async def test_the_loop_connection_is_only_for_reading(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    try:
        await upgrade(db)
        reads = LoopReads(str(tmp_path / "shop.db"), db.engine.dialect, busy_timeout_ms=1000)
        assert reads.accepts(_known_statement())
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reads._open().execute("DELETE FROM customer")
        reads.close()
    finally:
        await db.dispose()


async def test_statements_it_cant_run_and_databases_it_cant_open_take_the_ordinary_path(tmp_path: Path) -> None:
    assert sqlite_file("sqlite+aiosqlite:///:memory:") is None
    assert sqlite_file("sqlite+aiosqlite:///shop.db?mode=ro") is None
    assert sqlite_file("postgresql+asyncpg://shop@localhost/shop") is None
    assert sqlite_file(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}") == str(tmp_path / "shop.db")

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    try:
        await upgrade(db)
        expanding = select(Product.id).where(Product.id.in_(bindparam("ids", expanding=True)))
        reads = LoopReads(str(tmp_path / "shop.db"), db.engine.dialect, busy_timeout_ms=1000)
        assert not reads.accepts(expanding)
        assert await db.read(expanding, {"ids": [1, 2]}) == []  # through a unit of work instead
    finally:
        await db.dispose()
