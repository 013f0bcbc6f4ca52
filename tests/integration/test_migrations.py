"""The Alembic migrations build exactly the schema the models describe, and go down and up again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, select, text
from sqlmodel import SQLModel

from commerce.shop import Shop
from commerce.storage.db import Database
from commerce.storage.migrate import alembic_config, current_revision, head_revision, is_chatshop_database, upgrade
from commerce.storage.tables import ConversationState
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


async def test_the_upgrade_drops_checkouts_an_older_version_left_with_an_address_in_clear(db: Database) -> None:
    """Before addresses were sealed, a checkout half-way through kept the typed one as plain JSON."""
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "0008"))
    clear = {"name": "Jiro Yamada", "postal_code": "060-0001", "region": "北海道", "city": "札幌市",
             "line1": "北1条西2丁目 Clock Tower 3F", "line2": "", "country": "JP", "phone": "011-222-3333"}
    rows = [("fsm:42:5:5:default", "Checkout:method", {"items": None, "address": clear, "address_id": None}),
            ("fsm:42:6:6:default", "NewProductForm:price", {"title": "Tea bowl"}),
            ("discord:7", "checkout.method", {"items": None, "address": "gAAAAAsealed", "address_id": None})]
    async with db.uow() as uow:
        await (await uow.connection()).execute(insert(ConversationState), [
            {"key": key, "state": state, "data": data, "updated_at": datetime.now(UTC)} for key, state, data in rows])
        await uow.commit()

    await upgrade(db)

    async with db.uow(write=False) as uow:
        kept = (await uow.session.execute(select(ConversationState.key).order_by(ConversationState.key))).scalars()
        assert list(kept) == ["discord:7", "telegram:6:fsm:42:6:6:default"]  # renamed by 0011
    if db.is_sqlite:
        assert not await asyncio.to_thread(sqlite_files_hold, db, b"Clock Tower 3F")


async def test_the_upgrade_starts_telegram_conversation_keys_with_the_persons_identity(db: Database) -> None:
    """So an erase finds them by identity, as it finds Discord's; and the downgrade gives aiogram's keys back."""
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "0010"))
    rows = [("fsm:42:5:5:default", "Checkout:method"), ("fsm:42:-100123:77:9:default", "Support:message"),
            ("discord:7", "checkout.method")]
    async with db.uow() as uow:
        await (await uow.connection()).execute(insert(ConversationState), [
            {"key": key, "state": state, "data": {}, "updated_at": datetime.now(UTC)} for key, state in rows])
        await uow.commit()

    await upgrade(db)
    async with db.uow(write=False) as uow:
        keys = (await uow.session.execute(select(ConversationState.key).order_by(ConversationState.key))).scalars()
        assert sorted(keys) == ["discord:7", "telegram:5:fsm:42:5:5:default", "telegram:9:fsm:42:-100123:77:9:default"]

    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "0010"))
    async with db.uow(write=False) as uow:
        keys = (await uow.session.execute(select(ConversationState.key))).scalars()
        assert sorted(keys) == ["discord:7", "fsm:42:-100123:77:9:default", "fsm:42:5:5:default"]
    await upgrade(db)


def sqlite_files_hold(db: Database, needle: bytes) -> list[str]:
    database = Path(db.url.split("///", 1)[1])
    files = [database.with_name(database.name + suffix) for suffix in ("", "-wal", "-journal")]
    return [path.name for path in files if path.exists() and needle in path.read_bytes()]


async def test_orders_from_before_bills_read_back_as_the_sum_of_their_lines(shop: Shop) -> None:
    """0012 adds the frozen bill: an older order's subtotal is its total and it had no discount, shipping or tax."""
    owner = await make_owner(shop)
    product = await make_product(shop, owner, price="1200", kind="digital", stock=0)
    await shop.catalog.add_digital_items(owner, product.variants[0].id, ["K1"])
    buyer = (await shop.customers.identify("telegram", 5150)).id
    async with shop.db.engine.begin() as conn:
        await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "0011"))
        order_id = (await conn.execute(text(
            "INSERT INTO orders (customer_id, status, currency, total_minor, needs_shipping, credited_minor, "
            "created_at, expires_at, updated_at) VALUES (:c, 'awaiting_payment', 'JPY', 2400, false, 0, :t, :t, :t) "
            "RETURNING id"), {"c": buyer, "t": datetime.now(UTC)})).scalar_one()
        await conn.execute(text(
            "INSERT INTO order_line (order_id, variant_id, product_id, title, sku, kind, unit_price_minor, quantity) "
            "VALUES (:o, :v, :p, 'Guide', 'SKU', 'digital', 1200, 2)"),
            {"o": order_id, "v": product.variants[0].id, "p": product.id})

    await upgrade(shop.db)

    order = await shop.orders.get(buyer, order_id)
    assert (order.bill.subtotal_minor, order.bill.discount_minor, order.bill.shipping_minor, order.bill.taxes,
            order.bill.total_minor, order.bill.coupon) == (2400, 0, 0, (), 2400, None)
    assert [(line.total_minor, line.discount_minor, line.tax_rate) for line in order.bill.lines] == [(2400, 0, 0)]


async def test_a_shop_with_payments_upgrades_through_migrations_that_rebuild_tables(db: Database) -> None:
    """0009 rebuilds payment_request (SQLite can't drop a column of it in place): with a payment pointing at it,
    foreign keys refused the rebuild. They are off while migrating, checked after, and on again."""
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "0008"))
        now = {"t": datetime.now(UTC)}
        await conn.execute(text("INSERT INTO customer (referral_code, marketing_opt_in, created_at) "
                                "VALUES ('mig0008', false, :t)"), now)
        customer = (await conn.execute(text("SELECT id FROM customer WHERE referral_code = 'mig0008'"))).scalar_one()
        order = (await conn.execute(text(
            "INSERT INTO orders (customer_id, status, currency, total_minor, needs_shipping, created_at, expires_at, "
            "updated_at) VALUES (:c, 'paid', 'JPY', 100, false, :t, :t, :t) RETURNING id"), {**now, "c": customer})
                 ).scalar_one()
        request = (await conn.execute(text(
            "INSERT INTO payment_request (order_id, method_id, chain, asset, decimals, address, amount_units, price, "
            "uri, status, confirmations, tolerance_units, credited_units, created_at, expires_at, late_until) "
            "VALUES (:o, 'btc', 'bitcoin:main', 'BTC', 8, 'bc1q', 100, '1', 'bitcoin:x', 'open', 1, 0, 0, :t, :t, :t) "
            "RETURNING id"), {**now, "o": order})).scalar_one()
        await conn.execute(text("INSERT INTO payment (request_id, chain, txid, output_index, amount_units, seen_at) "
                                "VALUES (:r, 'bitcoin:main', 'tx', 0, 100, :t)"), {**now, "r": request})

    assert await upgrade(db) == ("0008", head_revision())

    async with db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT due_minor FROM payment_request"))).scalar_one() == 100
        if db.is_sqlite:
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
