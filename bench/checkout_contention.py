"""Checkout under contention: BUYERS concurrent buyers race for UNITS units of one variant.

Usage: python -m bench.checkout_contention [sqlite|postgres ...] [--buyers 500] [--units 50]
Reports the orders created (must equal the units), the oversold count (must be 0), and throughput:
attempts/s for the race, and successful checkouts/s when there is enough stock for everyone.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bench._common import fresh_shop
from commerce.errors import OutOfStock
from commerce.shop import Shop
from commerce.storage.tables import Variant
from tests.support.factories import make_owner, make_product


async def race(shop: Shop, buyers: int, units: int) -> tuple[int, int, float]:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, stock=0, title="Limited", kind="digital")
    variant_id = product.variants[0].id
    await shop.catalog.add_digital_items(owner, variant_id, [f"KEY-{i}" for i in range(units)])
    customers = [(await shop.customers.identify("telegram", 10_000_000 + i)).id for i in range(buyers)]

    async def buy(customer_id: int) -> bool:
        try:
            await shop.orders.checkout(customer_id, items=[(variant_id, 1)], address=None)
        except OutOfStock:
            return False
        return True

    start = time.perf_counter()
    results = await asyncio.gather(*(buy(c) for c in customers))
    elapsed = time.perf_counter() - start
    async with shop.db.uow(write=False) as uow:
        variant = await uow.session.get(Variant, variant_id)
        assert variant is not None
        oversold = max(0, sum(results) - units) + (1 if variant.stock < 0 else 0)
    return sum(results), oversold, elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backends", nargs="*", default=["sqlite", "postgres"])
    parser.add_argument("--buyers", type=int, default=500)
    parser.add_argument("--units", type=int, default=50)
    args = parser.parse_args()
    for backend in args.backends:
        async with fresh_shop(backend) as shop:
            # digital goods need no address; the race itself is the same conditional UPDATE
            orders, oversold, elapsed = await race(shop, args.buyers, args.units)
        async with fresh_shop(backend) as shop:
            enough, _, elapsed_all = await race(shop, args.buyers, args.buyers)
        print(f"{backend:9} {args.buyers} buyers / {args.units} units: orders={orders} oversold={oversold} "
              f"race={args.buyers / elapsed:,.0f} attempts/s ({elapsed:.2f} s); "
              f"all succeed: {enough / elapsed_all:,.0f} checkouts/s")


if __name__ == "__main__":
    asyncio.run(main())
