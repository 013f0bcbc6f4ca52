"""500 buyers race for 50 units: exactly 50 orders, never oversold, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from commerce.errors import OutOfStock
from commerce.shop import Shop
from commerce.storage.tables import Order, Variant
from tests.conftest import FakeClock
from tests.support.factories import make_owner, make_product

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
