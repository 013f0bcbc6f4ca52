"""Checkout under contention: BUYERS concurrent buyers race for UNITS units, plain and with a full bill.

Usage: python -m bench.checkout_contention [sqlite|postgres ...] [--buyers 500] [--units 50] [--rounds 5]
                                           [--mode plain|bill|both]
Reports the orders created (must equal the units), the oversold count (must be 0), and throughput:
attempts/s for the race, and successful checkouts/s when there is enough stock for everyone (target ≥ 200/s on
SQLite, docs/architecture.md#performance) — best, median and worst over the rounds, each in a fresh database.

plain: one digital item each, no address, no coupon, a shop without tax or shipping rules.
bill:  the same race with what a real order carries: a tea bowl (10 %) and a tea (food, 8 %) each, tax included,
       a shipping zone with a fee (the orders stay under its free-over threshold), an address (half the buyers a
       saved one, half typed at checkout) and a 10 % coupon every buyer applies, with a use for each of them.
The modes take turns round by round, so a busy neighbour slows both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from bench._common import fresh_shop
from commerce.bill import CouponKind, Pricing, ShippingRules, TaxMode, TaxRules, Zone
from commerce.catalog import NewProduct
from commerce.coupons import NewCoupon
from commerce.errors import OutOfStock
from commerce.privacy import ShippingAddress
from commerce.shop import Shop, ShopRules
from commerce.storage.tables import Coupon, Order, Variant
from tests.support.factories import make_owner, make_product

FOOD = "食品"
PRICING = Pricing("JPY", TaxRules(TaxMode.INCLUSIVE, Decimal(10), {FOOD: Decimal(8)}, registration="T1234567890123"),
                  ShippingRules((Zone("honshu", "本州", frozenset({"JP"}), fee_minor=600, free_over_minor=10_000),)))
ADDRESS = ShippingAddress(name="山田太郎", postal_code="150-0001", region="東京都", city="渋谷区", line1="神宮前1-1")
# Bowl ¥3,300 + tea ¥1,080 = ¥4,380, less 10 % (¥438), plus ¥600 shipping.
BILL_TOTAL_MINOR = 3300 + 1080 - 438 + 600


@dataclass(frozen=True, slots=True)
class Round:
    orders: int
    oversold: int
    seconds: float


async def _buyers(shop: Shop, count: int) -> list[int]:
    return [(await shop.customers.identify("telegram", 10_000_000 + i)).id for i in range(count)]


async def plain_race(shop: Shop, buyers: int, units: int) -> Round:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, stock=0, title="Limited", kind="digital")
    variant_id = product.variants[0].id
    await shop.catalog.add_digital_items(owner, variant_id, [f"KEY-{i}" for i in range(units)])
    customers = await _buyers(shop, buyers)

    async def buy(customer_id: int) -> bool:
        try:
            await shop.orders.checkout(customer_id, items=[(variant_id, 1)], address=None)
        except OutOfStock:
            return False
        return True

    start = time.perf_counter()
    results = await asyncio.gather(*(buy(c) for c in customers))
    elapsed = time.perf_counter() - start
    return Round(sum(results), await _oversold(shop, [variant_id], sum(results), units), elapsed)


async def bill_race(shop: Shop, buyers: int, units: int) -> Round:
    owner = await make_owner(shop)
    bowl = (await make_product(shop, owner, stock=units, title="Tea bowl", price="3300")).variants[0].id
    tea = (await shop.catalog.create_product(owner, _food("Sencha 100 g", "1080", units))).variants[0].id
    await shop.coupons.create(owner, NewCoupon("RUSH10", CouponKind.PERCENT, percent=Decimal(10), max_uses=buyers))
    customers = await _buyers(shop, buyers)
    # Half the buyers pick an address they saved earlier, half type one at checkout.
    saved = {c: (await shop.customers.save_address(c, ADDRESS)).id for c in customers[::2]}

    async def buy(customer_id: int) -> bool:
        address_id = saved.get(customer_id)
        try:
            order = await shop.orders.checkout(customer_id, items=[(bowl, 1), (tea, 1)], coupon="RUSH10",
                                               address_id=address_id, address=None if address_id else ADDRESS)
        except OutOfStock:
            return False
        assert order.bill.total_minor == BILL_TOTAL_MINOR and len(order.bill.taxes) == 2, order.bill
        return True

    start = time.perf_counter()
    results = await asyncio.gather(*(buy(c) for c in customers))
    elapsed = time.perf_counter() - start
    orders = sum(results)
    async with shop.db.uow(write=False) as uow:
        uses = (await uow.session.execute(select(Coupon.uses).where(Coupon.code == "RUSH10"))).scalar_one()
        billed = (await uow.session.execute(select(func.count()).select_from(Order)
                                            .where(Order.total_minor == BILL_TOTAL_MINOR))).scalar_one()
    assert uses == orders == billed, (uses, orders, billed)
    return Round(orders, await _oversold(shop, [bowl, tea], orders, units), elapsed)


def _food(title: str, price: str, stock: int) -> NewProduct:
    return NewProduct(title=title, price=price, stock=stock, kind="physical", category_name=FOOD)


async def _oversold(shop: Shop, variant_ids: Sequence[int], orders: int, units: int) -> int:
    async with shop.db.uow(write=False) as uow:
        stocks = (await uow.session.execute(select(Variant.stock).where(Variant.id.in_(variant_ids)))).scalars()
        negative = sum(1 for s in stocks if s < 0)
    return max(0, orders - units) + negative


MODES = {"plain": (plain_race, ShopRules()), "bill": (bill_race, ShopRules(currency="JPY", pricing=PRICING))}


def _spread(rates: list[float], unit: str) -> str:
    return f"best {max(rates):,.0f}, median {statistics.median(rates):,.0f}, worst {min(rates):,.0f} {unit}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backends", nargs="*", default=["sqlite", "postgres"])
    parser.add_argument("--buyers", type=int, default=500)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--mode", choices=["plain", "bill", "both"], default="both")
    args = parser.parse_args()
    modes = ["plain", "bill"] if args.mode == "both" else [args.mode]
    for backend in args.backends:
        races: dict[str, list[Round]] = {m: [] for m in modes}
        everyone: dict[str, list[Round]] = {m: [] for m in modes}
        for round_no in range(1, args.rounds + 1):
            for mode in modes:
                race, rules = MODES[mode]
                async with fresh_shop(backend, rules=rules) as shop:
                    contested = await race(shop, args.buyers, args.units)
                async with fresh_shop(backend, rules=rules) as shop:
                    enough = await race(shop, args.buyers, args.buyers)
                races[mode].append(contested)
                everyone[mode].append(enough)
                print(f"  {backend} round {round_no} {mode:5}: race orders={contested.orders} "
                      f"oversold={contested.oversold} {args.buyers / contested.seconds:,.0f} attempts/s; "
                      f"all succeed {enough.orders / enough.seconds:,.0f} checkouts/s", flush=True)
        for mode in modes:
            contested_runs, enough_runs = races[mode], everyone[mode]
            print(f"{backend:9} {mode:5} {args.buyers} buyers / {args.units} units, {args.rounds} rounds: "
                  f"orders={sorted({r.orders for r in contested_runs})} "
                  f"oversold={sum(r.oversold for r in contested_runs)}; "
                  f"race {_spread([args.buyers / r.seconds for r in contested_runs], 'attempts/s')}; "
                  f"all succeed {_spread([r.orders / r.seconds for r in enough_runs], 'checkouts/s')}")


if __name__ == "__main__":
    asyncio.run(main())
