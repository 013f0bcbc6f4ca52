"""Random sequences of cart, checkout, cancel, pay, expire and restock: no unit is ever created or lost.

For every variant, stock + reserved + sold equals what the seller put on sale; reserved equals what
open orders hold and sold what paid orders took; nothing goes negative.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import defaultdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import SQLModel

from commerce.errors import CommerceError
from commerce.privacy import PersonalDataCipher, ShippingAddress
from commerce.shop import Shop, ShopRules
from commerce.status import OrderStatus
from commerce.storage.db import Database
from commerce.storage.tables import Order, OrderLine, Variant
from tests.conftest import FakeClock
from tests.support.factories import make_owner, make_product

BUYERS, VARIANTS = 3, 2
ADDRESS = ShippingAddress(name="Buyer", postal_code="100-0001", region="Tokyo", city="Chiyoda", line1="1-1")

action = st.one_of(
    st.tuples(st.just("add"), st.integers(0, BUYERS - 1), st.integers(0, VARIANTS - 1), st.integers(1, 4)),
    st.tuples(st.just("remove"), st.integers(0, BUYERS - 1), st.integers(0, VARIANTS - 1)),
    st.tuples(st.just("checkout"), st.integers(0, BUYERS - 1)),
    st.tuples(st.just("buy_now"), st.integers(0, BUYERS - 1), st.integers(0, VARIANTS - 1), st.integers(1, 3)),
    st.tuples(st.just("cancel"), st.integers(0, 20)),
    st.tuples(st.just("pay"), st.integers(0, 20)),
    st.tuples(st.just("expire"), st.integers(1, 40)),
    st.tuples(st.just("restock"), st.integers(0, VARIANTS - 1), st.integers(0, 6)),
)


async def run_scenario(steps: list[tuple[object, ...]], directory: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{directory / 'shop.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    clock = FakeClock()
    shop = Shop(db, ShopRules(), PersonalDataCipher(PersonalDataCipher.generate_key()), clock)
    try:
        owner = await make_owner(shop)
        # one digital variant (keys handed out when paid) and one physical (shipped)
        digital = (await make_product(shop, owner, kind="digital", title="Code")).variants[0].id
        await shop.catalog.add_digital_items(owner, digital, [f"key-{n}" for n in range(5)])
        physical = (await make_product(shop, owner, kind="physical", title="Mug", stock=5)).variants[0].id
        variants = [digital, physical]
        on_sale = {digital: 5, physical: 5}
        buyers = [(await shop.customers.identify("telegram", 900 + i)).id for i in range(BUYERS)]
        orders: list[tuple[int, int]] = []  # (buyer, order)
        for step in steps:
            kind = step[0]
            try:
                if kind == "add":
                    await shop.cart.add(buyers[step[1]], variants[step[2]], step[3])
                elif kind == "remove":
                    await shop.cart.remove(buyers[step[1]], variants[step[2]])
                elif kind == "checkout":
                    order = await shop.orders.checkout(buyers[step[1]], address=ADDRESS)
                    orders.append((step[1], order.id))
                elif kind == "buy_now":
                    order = await shop.orders.checkout(buyers[step[1]], items=[(variants[step[2]], step[3])],
                                                       address=ADDRESS)
                    orders.append((step[1], order.id))
                elif kind in ("cancel", "pay") and orders:
                    buyer, order_id = orders[step[1] % len(orders)]
                    if kind == "cancel":
                        await shop.orders.cancel(buyers[buyer], order_id)
                    else:
                        await shop.payments.payment_confirmed(order_id)
                elif kind == "expire":
                    clock.advance(minutes=step[1])
                    await shop.payments.expire_due()
                elif kind == "restock" and step[2]:
                    variant_id = variants[step[1]]
                    if step[1] == 0:
                        await shop.catalog.add_digital_items(owner, variant_id, [f"r{variant_id}"] * step[2])
                    else:
                        await shop.catalog.set_stock(owner, variant_id, step[2])
                    on_sale[variant_id] = await total_units(db, variant_id)
            except CommerceError:
                pass  # refused actions must change nothing, which the invariant below checks
            await check_conservation(db, on_sale)
    finally:
        await db.dispose()


async def total_units(db: Database, variant_id: int) -> int:
    async with db.uow(write=False) as uow:
        row = await uow.session.get(Variant, variant_id)
        assert row is not None
        return row.stock + row.reserved + row.sold


async def check_conservation(db: Database, on_sale: dict[int, int]) -> None:
    async with db.uow(write=False) as uow:
        held: dict[int, int] = defaultdict(int)
        taken: dict[int, int] = defaultdict(int)
        rows = await uow.session.execute(select(Order.status, OrderLine.variant_id, OrderLine.quantity)
                                         .join(OrderLine, OrderLine.order_id == Order.id))
        for status, variant_id, quantity in rows:
            if OrderStatus(status).is_open:
                held[variant_id] += quantity
            elif OrderStatus(status).is_settled:
                taken[variant_id] += quantity
        for variant in (await uow.session.execute(select(Variant))).scalars():
            assert variant.id is not None
            assert min(variant.stock, variant.reserved, variant.sold) >= 0
            assert variant.stock + variant.reserved + variant.sold == on_sale[variant.id]
            assert variant.reserved == held[variant.id]
            assert variant.sold == taken[variant.id]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action, min_size=1, max_size=25))
def test_stock_is_conserved_through_any_sequence_of_actions(steps: list[tuple[object, ...]]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(run_scenario(steps, Path(directory)))
