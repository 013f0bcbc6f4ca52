"""Fault injection: the real `chatshop watch` process is killed with SIGKILL at random moments while
payments arrive on a real litecoind regtest node. After a final restart every payment is counted
exactly once and every order ends paid (fulfilled), with one key each and one "paid" notification."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Final

import pytest
from bip_utils import Bip39SeedGenerator, Bip84, Bip84Coins
from sqlalchemy import func, select

from bots.app import open_shop
from bots.config import load_settings
from bots.payments_setup import open_payments
from commerce.catalog import NewProduct
from commerce.money import units_to_decimal
from commerce.shop import Shop
from commerce.storage.tables import DigitalItem, Order, OutboxMessage, Payment, WatcherLease
from tests.support.litecoind import LitecoinNode

ORDERS = 8
MNEMONIC = "abandon " * 11 + "about"


def account_xpub() -> str:
    seed = Bip39SeedGenerator(MNEMONIC).Generate()
    return str(Bip84.FromSeed(seed, Bip84Coins.BITCOIN_TESTNET).Purpose().Coin().Account(7).PublicKey().ToExtended())


def write_config(folder: Path) -> Path:
    config = folder / "bot.toml"
    config.write_text("""
[shop]
name = "Crash Test"
currency = "JPY"
[database]
url = "sqlite+aiosqlite:///data/shop.db"
[telegram]
enabled = false
[sellers]
owners = ["telegram:1"]
[rates]
source = "fixed"
[rates.fixed]
LTC = "12000"
[payments]
watch_interval_seconds = 1
[[payments.methods]]
id = "ltc"
chain = "bitcoin"
network = "litecoin-regtest"
asset = "LTC"
xpub_env = "CRASH_TEST_XPUB"
backend = "bitcoind"
url_env = "CRASH_TEST_NODE"
confirmations = 1
""", encoding="utf-8")
    return config


def start_watcher(config: Path, env: dict[str, str], *, stdout: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bots.cli.main", "watch", "--config", str(config)], env=env,
                            stdout=stdout, stderr=subprocess.DEVNULL)


async def test_sigkill_at_random_points_loses_nothing_and_counts_nothing_twice(
        tmp_path: Path, litecoind: LitecoinNode) -> None:
    env = {**os.environ, "CRASH_TEST_XPUB": account_xpub(), "CRASH_TEST_NODE": litecoind.url}
    config = write_config(tmp_path)
    settings = load_settings(config, environ=env)
    rng = random.Random(20261123)
    async with open_shop(settings) as shop, open_payments(settings, shop) as payments:
        owner = 1
        product = await shop.catalog.create_product(owner, NewProduct(title="Key", price="1200", kind="digital"))
        await shop.catalog.add_digital_items(owner, product.variants[0].id, [f"KEY-{i}" for i in range(ORDERS)])
        requests = []
        for i in range(ORDERS):
            buyer = (await shop.customers.identify("telegram", 7000 + i)).id
            order = await shop.orders.checkout(buyer, items=[(product.variants[0].id, 1)])
            requests.append((await payments.service.request_payment(buyer, order.id, "ltc")).request)

        watcher = start_watcher(config, env)
        kills = 0
        try:
            for request in requests:
                litecoind.send(request.address, units_to_decimal(request.amount_units, 8))
                if rng.random() < 0.6:
                    litecoind.mine(1)
                await asyncio.sleep(rng.uniform(0.1, 1.5))
                if rng.random() < 0.7:            # kill it mid-whatever, then start a fresh process
                    watcher.send_signal(signal.SIGKILL)
                    watcher.wait()
                    kills += 1
                    watcher = start_watcher(config, env)
            litecoind.mine(2)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                statuses = await order_statuses(shop)
                if statuses == {"fulfilled": ORDERS}:
                    break
                await asyncio.sleep(0.5)
        finally:
            watcher.send_signal(signal.SIGTERM)
            try:
                assert watcher.wait(timeout=15) == 0   # a clean stop on SIGTERM
            finally:
                if watcher.poll() is None:
                    watcher.kill()

        assert kills >= 3
        assert await order_statuses(shop) == {"fulfilled": ORDERS}
        async with shop.db.uow(write=False) as uow:
            session = uow.session
            assert (await session.execute(select(func.count()).select_from(Payment))).scalar_one() == ORDERS
            paid_messages = Counter((await session.execute(
                select(OutboxMessage.payload["order_id"].as_integer()).where(
                    OutboxMessage.topic == "order.payment_confirmed", OutboxMessage.audience == "customer")
            )).scalars())
            assert sorted(paid_messages.values()) == [1] * ORDERS
            keys = (await session.execute(select(DigitalItem.order_line_id)
                                          .where(DigitalItem.order_line_id.is_not(None)))).scalars().all()
            assert len(keys) == len(set(keys)) == ORDERS


async def order_statuses(shop: Shop) -> dict[str, int]:
    async with shop.db.uow(write=False) as uow:
        rows = await uow.session.execute(select(Order.status, func.count()).group_by(Order.status))
        return dict(rows.all())


pytestmark = pytest.mark.slow


async def test_two_watcher_processes_never_both_watch_and_the_survivor_takes_over(
        tmp_path: Path, litecoind: LitecoinNode) -> None:
    env = {**os.environ, "CRASH_TEST_XPUB": account_xpub(), "CRASH_TEST_NODE": litecoind.url,
           "PYTHONUNBUFFERED": "1"}
    config = write_config(tmp_path)
    settings = load_settings(config, environ=env)
    async with open_shop(settings) as shop:
        first, second = (start_watcher(config, env, stdout=subprocess.PIPE) for _ in range(2))
        try:
            # Start-up (imports, the node, the database) takes what it takes on a loaded machine: wait until
            # each process says it is watching; the first pass of its loop then asks for the lease.
            await asyncio.gather(says(first, "watching"), says(second, "watching"))
            holders = await lease_holders(shop, until=lambda h: len(h) == 1, alive=(first, second))
            assert len(holders) == 1
            holder_pid = int(holders[0].split(":")[1])
            assert holder_pid in (first.pid, second.pid)
            survivor = second if holder_pid == first.pid else first
            os.kill(holder_pid, signal.SIGKILL)
            # The survivor takes over once the dead holder's lease has lapsed: wait for that, for as long as
            # the survivor lives.
            taken_over = await lease_holders(shop, until=lambda h: h and f":{survivor.pid}:" in h[0],
                                             alive=(survivor,))
            assert f":{survivor.pid}:" in taken_over[0]
        finally:
            for process in (first, second):
                if process.poll() is None:
                    process.kill()
                process.wait()


# Only against a hang: none of the waits above expects to take anywhere near this long.
HANG: Final = 600.0


async def says(process: subprocess.Popen[bytes], text: str) -> None:
    """Wait for a line of the process's output holding `text`; fail if it exits first."""
    assert process.stdout is not None

    async def read() -> None:
        while line := await asyncio.to_thread(process.stdout.readline):
            if text.encode() in line:
                return
        raise AssertionError(f"process {process.pid} exited ({process.wait()}) before saying {text!r}")

    await asyncio.wait_for(read(), HANG)


async def lease_holders(shop: Shop, *, until: Callable[[list[str]], object],
                        alive: tuple[subprocess.Popen[bytes], ...]) -> list[str]:
    """The lease holders once `until(holders)` is true, waiting while every process in `alive` runs and failing
    as soon as one has died."""
    deadline = time.monotonic() + HANG
    while time.monotonic() < deadline:
        async with shop.db.uow(write=False) as uow:
            holders = list((await uow.session.execute(select(WatcherLease.holder))).scalars())
        if until(holders):
            return holders
        assert all(p.poll() is None for p in alive), f"a watcher died: {[p.poll() for p in alive]}"
        await asyncio.sleep(0.3)
    return []
