"""The SQLite driver runs what can't wait on the event loop, and still waits (on its worker) for what can.

Another process holding the write lock (the CLI, a watcher) must neither fail our writes nor freeze the bot.
"""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from commerce.shop import Shop
from commerce.storage.db import Database
from commerce.storage.sqlite_driver import is_read
from tests.support.factories import make_owner, make_product


@pytest.fixture
def sqlite_file(db: Database) -> str:
    if not db.is_sqlite:
        pytest.skip("SQLite only")
    assert db.engine.url.database is not None
    return db.engine.url.database


async def test_a_write_waits_for_another_process_lock_while_the_bot_keeps_answering(
        shop: Shop, sqlite_file: str) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, stock=5)
    cup = product.variants[0].id
    buyer = (await shop.customers.identify("telegram", 77)).id
    other = sqlite3.connect(sqlite_file, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process is writing
    try:
        adding = asyncio.create_task(shop.cart.add(buyer, cup, 2))
        ticks = 0
        for _ in range(20):
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks == 20 and not adding.done()  # waiting, and the event loop still runs
        # Reads go on meanwhile (WAL: readers never wait on the writer).
        assert (await shop.catalog.product(product.id)).variants[0].stock == 5
    finally:
        other.execute("COMMIT")
        other.close()
    cart = await asyncio.wait_for(adding, 30)
    assert [(line.variant_id, line.quantity) for line in cart.lines] == [(cup, 2)]


async def test_writes_and_reads_on_the_event_loop_see_each_other(shop: Shop, sqlite_file: str) -> None:
    owner = await make_owner(shop)
    cup = (await make_product(shop, owner, stock=5)).variants[0].id
    buyer = (await shop.customers.identify("telegram", 78)).id
    await shop.cart.add(buyer, cup, 1)
    await shop.cart.add(buyer, cup, 1)
    other = sqlite3.connect(sqlite_file)  # what another process sees: committed
    try:
        (count,) = other.execute("SELECT count(*) FROM cart_line").fetchone()
    finally:
        other.close()
    assert count == 1
    assert [(line.variant_id, line.quantity) for line in (await shop.cart.view(buyer)).lines] == [(cup, 2)]


@pytest.mark.parametrize(("sql", "read"), [
    ("SELECT 1", True), ("select\n  id FROM product", True), ("  SELECT * FROM x", True),
    ("WITH page AS (SELECT 1) SELECT * FROM page", True),
    ("WITH gone AS (SELECT 1) DELETE FROM cart_item WHERE id IN gone", False),
    ("WITH n AS (SELECT 1) INSERT INTO t SELECT * FROM n", False),
    ("WITH n AS (SELECT 'UPDATE ') SELECT * FROM n", False),  # quoted: the safe side, the worker
    ("INSERT INTO t VALUES (1)", False), ("UPDATE t SET a = 1", False), ("SELECTED", False),
    ("PRAGMA foreign_keys", False), ("BEGIN IMMEDIATE", False),
])
def test_only_plain_reads_count_as_reads(sql: str, read: bool) -> None:
    assert is_read(sql) is read
