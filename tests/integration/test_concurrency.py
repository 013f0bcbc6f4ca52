"""500 buyers race for 50 units: exactly 50 orders, never oversold; one cart checked out twice at once makes one
order — on SQLite and PostgreSQL, in one process and in two."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from commerce.errors import CartEmpty, OutOfStock
from commerce.privacy import PersonalDataCipher
from commerce.shop import Shop, ShopRules
from commerce.storage.db import Database
from commerce.storage.migrate import upgrade
from commerce.storage.tables import Order, Variant
from tests.conftest import FakeClock
from tests.support.checkout_process import HOME as ADDRESS
from tests.support.factories import make_owner, make_product
from tests.support.postgres import postgres_database

ROOT = Path(__file__).resolve().parents[2]

BUYERS = 500
UNITS = 50


async def buckets(shop: Shop, variant_id: int) -> tuple[int, int, int]:
    async with shop.db.uow(write=False) as uow:
        row = await uow.session.get(Variant, variant_id)
        assert row is not None
        return row.stock, row.reserved, row.sold


async def test_500_concurrent_checkouts_for_50_units_sell_exactly_50(shop: Shop, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title="Limited print", kind="digital", stock=0)
    variant_id = product.variants[0].id
    await shop.catalog.add_digital_items(owner, variant_id, [f"KEY-{i}" for i in range(UNITS)])
    buyers = [(await shop.customers.identify("telegram", 50_000 + i)).id for i in range(BUYERS)]

    async def buy(customer_id: int) -> int | None:
        try:
            return (await shop.orders.checkout(customer_id, items=[(variant_id, 1)])).id
        except OutOfStock:
            return None

    results = await asyncio.gather(*(buy(c) for c in buyers))
    orders = [r for r in results if r is not None]
    assert len(orders) == UNITS == len(set(orders))
    assert await buckets(shop, variant_id) == (0, UNITS, 0)
    async with shop.db.uow(write=False) as uow:
        assert (await uow.session.execute(select(func.count()).select_from(Order))).scalar_one() == UNITS

    # Half pay, the rest let the window pass: expiry releases exactly what they reserved.
    paid = orders[: UNITS // 2]
    await asyncio.gather(*(shop.payments.payment_confirmed(o) for o in paid))
    owners_of = {o: (await shop.orders.get(c, o)) for o in paid for c in buyers if results[buyers.index(c)] == o}
    keys = [item.content for o, dto in owners_of.items()
            for item in await shop.fulfilment.delivered_items(dto.customer_id, o)]
    assert len(keys) == len(set(keys)) == len(paid)  # one key each, never the same key twice
    clock.advance(minutes=31)
    expired = await shop.payments.expire_due()
    assert sorted(expired) == sorted(orders[UNITS // 2:])
    assert await buckets(shop, variant_id) == (UNITS - len(paid), 0, len(paid))


async def test_concurrent_pay_and_expire_never_both_win(shop: Shop, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, kind="digital", stock=0)
    variant_id = product.variants[0].id
    await shop.catalog.add_digital_items(owner, variant_id, [f"K{i}" for i in range(20)])
    buyers = [(await shop.customers.identify("discord", 70_000 + i)).id for i in range(20)]
    orders = [(await shop.orders.checkout(b, items=[(variant_id, 1)])).id for b in buyers]
    clock.advance(minutes=31)

    async def pay(order_id: int) -> None:
        try:
            await shop.payments.payment_confirmed(order_id)
        except Exception as exc:  # noqa: BLE001 — losing the race is an IllegalTransition
            assert getattr(exc, "code", None) == "illegal_transition"

    await asyncio.gather(shop.payments.expire_due(), *(pay(o) for o in orders))
    stock, reserved, sold = await buckets(shop, variant_id)
    assert reserved == 0 and stock + sold == 20
    async with shop.db.uow(write=False) as uow:
        statuses = (await uow.session.execute(select(Order.status))).scalars().all()
    assert statuses.count("fulfilled") == sold and statuses.count("expired") == stock


async def test_checking_out_one_cart_twice_at_once_makes_one_order(shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, stock=10)
    buyer = (await shop.customers.identify("telegram", 77_001)).id
    await shop.cart.add(buyer, product.variants[0].id, 2)

    async def confirm() -> int | None:
        try:
            return (await shop.orders.checkout(buyer, address=ADDRESS)).id
        except CartEmpty:
            return None

    results = await asyncio.gather(*(confirm() for _ in range(5)))   # five taps on Confirm, five replicas
    assert len([r for r in results if r is not None]) == 1
    async with shop.db.uow(write=False) as uow:
        assert (await uow.session.execute(select(func.count()).select_from(Order))).scalar_one() == 1
    assert await buckets(shop, product.variants[0].id) == (8, 2, 0)


def two_checkout_processes(url: str, customer_ids: list[int], data_key: str) -> list[list[str]]:
    start_at = time.time() + 4    # both processes import and connect first
    env = {**os.environ, "CHATSHOP_DATA_KEY": data_key}
    procs = [subprocess.Popen([sys.executable, "-m", "tests.support.checkout_process", url, str(start_at),
                               *map(str, customer_ids)], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
             for _ in range(2)]
    outputs = [proc.communicate(timeout=120)[0].split() for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0]
    return outputs


@pytest.mark.postgres
async def test_two_processes_checking_out_the_same_carts_on_postgresql_make_one_order_each(data_key: str) -> None:
    async with postgres_database() as url:
        db = Database(url)
        await upgrade(db)
        shop = Shop(db, ShopRules(currency="JPY"), PersonalDataCipher(data_key))
        try:
            owner = await make_owner(shop)
            product = await make_product(shop, owner, stock=100)
            buyers = [(await shop.customers.identify("telegram", 77_100 + i)).id for i in range(30)]
            for buyer in buyers:
                await shop.cart.add(buyer, product.variants[0].id, 2)
            first, second = await asyncio.to_thread(two_checkout_processes, url, buyers, data_key)
            for mine, theirs in zip(first, second, strict=True):   # per cart: one order, and one "already done"
                assert sorted([mine == "empty", theirs == "empty"]) == [False, True]
            async with db.uow(write=False) as uow:
                assert (await uow.session.execute(select(func.count()).select_from(Order))).scalar_one() == 30
            assert await buckets(shop, product.variants[0].id) == (40, 60, 0)
        finally:
            await db.dispose()
