"""Watcher cost per block with N open payment requests (an in-memory chain that counts backend calls).

Usage: python -m bench.watcher [sqlite|postgres ...] [--requests 10000] [--blocks 20]
Each new block carries payments for a few requests. Reports backend calls per block, CPU ms per block
(process time of the watcher's step, database work included), and the time from the block being
visible to the buyer's notification being queued in the outbox.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from bench._common import fresh_shop
from commerce.payment_records import PaymentRecords
from commerce.shop import Shop
from commerce.status import OrderStatus
from commerce.storage.tables import Order, OutboxMessage, PaymentRequest
from payments.watcher import ChainWatcher
from tests.support.factories import make_buyer
from tests.support.fake_chain import FakeChain

CHAIN = "fake:regtest"


async def seed(shop: Shop, requests: int) -> list[tuple[int, str, int]]:
    """N awaiting orders, each with a request on its own address; bulk-inserted (the bench measures the watcher)."""
    buyer = await make_buyer(shop)
    now = datetime.now(UTC)
    async with shop.db.uow() as uow:
        connection = await uow.connection()
        orders = Order.__table__  # type: ignore[attr-defined]
        await connection.execute(insert(orders), [
            {"customer_id": buyer, "status": OrderStatus.AWAITING_PAYMENT, "currency": "JPY", "total_minor": 1000,
             "needs_shipping": False, "created_at": now, "expires_at": now + timedelta(hours=1), "updated_at": now}
            for _ in range(requests)])
        order_ids = (await connection.execute(select(orders.c.id).order_by(orders.c.id))).scalars().all()
        table = PaymentRequest.__table__  # type: ignore[attr-defined]
        await connection.execute(insert(table), [
            {"order_id": order_id, "method_id": "btc", "chain": CHAIN, "asset": "BTC", "token": None, "decimals": 8,
             "address": f"bcrt1qbench{order_id}", "derivation_index": order_id, "amount_units": 10_000 + order_id,
             "price": "15000000", "uri": "bitcoin:x", "status": "open", "confirmations": 1, "tolerance_units": 0,
             "due_minor": 1000, "created_at": now, "expires_at": now + timedelta(hours=1),
             "late_until": now + timedelta(hours=25)} for order_id in order_ids])
        await uow.commit()
    return [(order_id, f"bcrt1qbench{order_id}", 10_000 + order_id) for order_id in order_ids]


async def run(backend: str, requests: int, blocks: int, per_block: int) -> str:
    async with fresh_shop(backend) as shop:
        targets = await seed(shop, requests)
        chain = FakeChain(key=CHAIN)
        watcher = ChainWatcher(chain, PaymentRecords(shop.db), shop.payments, start_behind=0)
        start = time.process_time()
        await watcher.step()                      # start-up: loads the index of every request
        startup_cpu = (time.process_time() - start) * 1000
        calls, cpu, latency = [], [], []
        for b in range(blocks):
            for _order, address, amount in targets[b * per_block:(b + 1) * per_block]:
                chain.pay(address, amount)
            chain.mine()
            chain.calls = 0
            visible = time.perf_counter()
            cpu_start = time.process_time()
            await watcher.step()
            cpu.append((time.process_time() - cpu_start) * 1000)
            latency.append((time.perf_counter() - visible) * 1000)
            calls.append(chain.calls)
            last_order = targets[(b + 1) * per_block - 1][0]
            async with shop.db.uow(write=False) as uow:
                queued = (await uow.session.execute(select(OutboxMessage.id).where(
                    OutboxMessage.topic == "order.payment_confirmed"))).scalars().all()
            assert len(queued) >= (b + 1) * per_block, (len(queued), last_order)
        # An empty block: the steady state between payments.
        chain.mine()
        chain.calls = 0
        cpu_start = time.process_time()
        await watcher.step()
        idle_cpu = (time.process_time() - cpu_start) * 1000
        return (f"{backend:9} {requests:,} open requests, {per_block} payments per block, {blocks} blocks: "
                f"backend calls per block {statistics.median(calls):.0f} (max {max(calls)}; tip + block + mempool); "
                f"CPU per block best {min(cpu):.1f} / median {statistics.median(cpu):.1f} / worst {max(cpu):.1f} ms "
                f"(first paid block {cpu[0]:.1f} ms, its statements not yet compiled; "
                f"empty block {idle_cpu:.1f} ms); block visible → notification queued best {min(latency):.0f} / "
                f"median {statistics.median(latency):.0f} / worst {max(latency):.0f} ms; "
                f"start-up index load {startup_cpu:.0f} ms CPU")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backends", nargs="*", default=["sqlite", "postgres"])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--per-block", type=int, default=5)
    args = parser.parse_args()
    for backend in args.backends:
        print(await run(backend, args.requests, args.blocks, args.per_block))


if __name__ == "__main__":
    asyncio.run(main())
