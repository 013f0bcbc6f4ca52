"""End to end on a real chain: litecoind regtest, the real bitcoind/Esplora backends over httpx, PaymentService and
ChainWatcher, orders through the shop core — on SQLite and PostgreSQL.

The litecoind node lives for the whole session while every test gets a fresh database (whose derivation counter
starts at 0 again), so each shop test derives its addresses from its own BIP84 account of the same test seed:
no test ever sees another test's payments to "index 0".
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import pytest
from bip_utils import Base58Decoder, Base58Encoder, Bip84, Bip84Coins  # type: ignore[import-untyped]
from sqlalchemy import select

from commerce.payment_records import PaymentRecords
from commerce.shop import Shop
from commerce.status import OrderStatus
from commerce.storage.tables import Order, OutboxMessage, Payment, PaymentRequest
from payments.backends.bitcoind import BitcoindBackend
from payments.backends.esplora import EsploraBackend
from payments.derive import AddressDeriver
from payments.methods import bitcoin_method
from payments.rates import FixedRates
from payments.requests import PaymentRequestView, PaymentService
from payments.watcher import ChainWatcher
from tests.conftest import FakeClock
from tests.support.esplora_server import EsploraServer
from tests.support.factories import make_buyer, make_owner, make_product
from tests.support.litecoind import WALLET, LitecoinNode

SEED: Final = bytes.fromhex("000102030405060708090a0b0c0d0e0f" * 4)   # a fixed test seed, never a real one
NETWORK: Final = "litecoin-regtest"
CHAIN: Final = "litecoin:regtest"
TPUB_VERSION: Final = bytes.fromhex("043587cf")   # what litecoind's descriptors expect on test networks
PRICE: Final = "1234"            # ¥1,234 at ¥12,000/LTC = 0.102833333… LTC, rounded up to 10,283,334 sat
DUE: Final = 10_283_334
_accounts = itertools.count(1)   # account 0 is test 1's; every shop test takes the next one


def account_keys(account: int) -> tuple[str, str]:
    """(vpub, tpub) of m/84'/1'/<account>' — the same key under the two testnet version bytes."""
    vpub = Bip84.FromSeed(SEED, Bip84Coins.BITCOIN_TESTNET).Purpose().Coin().Account(account).PublicKey().ToExtended()
    return vpub, Base58Encoder.CheckEncode(TPUB_VERSION + Base58Decoder.CheckDecode(vpub)[4:])


TPUB: Final = account_keys(0)[1]


def ltc(units: int) -> Decimal:
    return Decimal(units).scaleb(-8)   # exact: 10_283_334 → 0.10283334


@dataclass(frozen=True)
class Row:
    id: int
    txid: str
    amount_units: int
    block_height: int | None
    block_hash: str | None
    gone_at: datetime | None


@dataclass
class Rig:
    shop: Shop
    node: LitecoinNode
    clock: FakeClock
    payments: PaymentService
    records: PaymentRecords

    def watcher(self, backend: Any) -> ChainWatcher:
        return ChainWatcher(backend, self.records, self.shop.payments, clock=self.clock, start_behind=0)

    async def order(self, method: str = "ltc") -> PaymentRequestView:
        owner = await make_owner(self.shop)
        product = await make_product(self.shop, owner, kind="digital", stock=0, price=PRICE)
        await self.shop.catalog.add_digital_items(owner, product.variants[0].id, ["KEY-1"])
        buyer = await make_buyer(self.shop)
        order = await self.shop.orders.checkout(buyer, items=[(product.variants[0].id, 1)])
        return await self.payments.request_payment(buyer, order.id, method)

    def pay(self, view: PaymentRequestView, units: int) -> str:
        return self.node.send(view.request.address, ltc(units))

    async def status(self, view: PaymentRequestView) -> OrderStatus:
        return (await self.records.order_statuses([view.order.id]))[view.order.id]

    async def topics(self, view: PaymentRequestView) -> list[str]:
        return [topic for topic, _ in await self.messages(view)]

    async def messages(self, view: PaymentRequestView) -> list[tuple[str, dict[str, Any]]]:
        async with self.shop.db.uow(write=False) as uow:
            rows = (await uow.session.execute(select(OutboxMessage).where(OutboxMessage.audience == "customer")
                                              .order_by(OutboxMessage.id))).scalars()
            return [(r.topic, r.payload) for r in rows if r.payload.get("order_id") == view.order.id]

    async def payment_rows(self, view: PaymentRequestView) -> list[Row]:
        """Every Payment row stored for the order (any of its requests), as plain tuples."""
        async with self.shop.db.uow(write=False) as uow:
            rows = await uow.session.execute(
                select(Payment.id, Payment.txid, Payment.amount_units, Payment.block_height, Payment.block_hash,
                       Payment.gone_at).join(PaymentRequest, PaymentRequest.id == Payment.request_id)
                .where(PaymentRequest.order_id == view.order.id).order_by(Payment.id))
            return [Row(*r) for r in rows]


@pytest.fixture
def rig(shop: Shop, litecoind: LitecoinNode, clock: FakeClock) -> Rig:
    deriver = AddressDeriver.from_extended_key(account_keys(next(_accounts))[1], NETWORK)
    methods = {
        "ltc": bitcoin_method(id="ltc", network=NETWORK, asset="LTC", confirmations=2, deriver=deriver),
        "ltc3": bitcoin_method(id="ltc3", network=NETWORK, asset="LTC", confirmations=3, deriver=deriver),
    }
    records = PaymentRecords(shop.db, clock)
    service = PaymentService(records, shop.orders, FixedRates({"LTC": Decimal("12000")}), methods,
                             shop_name="Sakura Goods", late_window=timedelta(hours=24), clock=clock)
    return Rig(shop, litecoind, clock, service, records)


@pytest.fixture
async def bitcoind(litecoind: LitecoinNode) -> AsyncIterator[BitcoindBackend]:
    backend = BitcoindBackend(litecoind.url, key=CHAIN, network="litecoin-regtest")
    yield backend
    await backend.aclose()


# --- 1. derivation ---------------------------------------------------------------------------------------------

def test_derived_addresses_agree_with_the_nodes_descriptor(litecoind: LitecoinNode) -> None:
    vpub, tpub = account_keys(0)
    assert vpub.startswith("vpub") and tpub.startswith("tpub") and tpub == TPUB
    info = litecoind.rpc("getdescriptorinfo", f"wpkh({tpub}/0/*)")
    node = litecoind.rpc("deriveaddresses", f"wpkh({tpub}/0/*)#{info['checksum']}", [0, 9])
    for key in (tpub, vpub):   # both testnet labels of the account key are accepted for litecoin-regtest
        deriver = AddressDeriver.from_extended_key(key, NETWORK)
        assert [deriver.address(i) for i in range(10)] == node
    assert all(a.startswith("rltc1q") for a in node) and len(set(node)) == 10


# --- 2. mempool → confirmations → paid -------------------------------------------------------------------------

async def test_exact_payment_is_seen_in_the_mempool_then_confirmed_then_paid(rig: Rig,
                                                                            bitcoind: BitcoindBackend) -> None:
    view = await rig.order()
    assert view.request.amount_units == DUE and view.amount_text == "0.10283334 LTC"
    assert view.uri.startswith(f"litecoin:{view.request.address}?amount=0.10283334&")
    watcher = rig.watcher(bitcoind)
    await watcher.step()
    txid = rig.pay(view, DUE)
    await watcher.step()
    assert await rig.status(view) is OrderStatus.CONFIRMING          # 0 confirmations: seen in the mempool
    rig.node.mine(1)
    await watcher.step()
    assert await rig.status(view) is OrderStatus.CONFIRMING
    assert ("order.confirmations", {"order_id": view.order.id, "confirmations": 1, "required": 2}) in [
        (t, {k: p.get(k) for k in ("order_id", "confirmations", "required")}) for t, p in await rig.messages(view)]
    rig.node.mine(1)
    await watcher.step()
    assert await rig.status(view) is OrderStatus.FULFILLED           # digital: paid, then the key goes out
    assert await rig.topics(view) == [
        "order.payment_seen", "order.confirmations", "order.payment_confirmed", "order.fulfil"]
    [row] = await rig.payment_rows(view)
    assert (row.txid, row.amount_units, row.gone_at) == (txid, DUE, None)
    assert row.block_height == rig.node.height() - 1


# --- 3. reorg --------------------------------------------------------------------------------------------------

async def test_invalidated_blocks_unconfirm_and_the_payment_is_counted_once(rig: Rig,
                                                                           bitcoind: BitcoindBackend) -> None:
    view = await rig.order("ltc3")
    watcher = rig.watcher(bitcoind)
    await watcher.step()
    txid = rig.pay(view, DUE)
    first, _second = rig.node.mine(2)
    await watcher.step()
    assert await rig.status(view) is OrderStatus.CONFIRMING          # 2 of 3
    rig.node.invalidate(first)                                       # both blocks orphaned; the tx is back
    assert txid in rig.node.mempool()
    report = await watcher.step()
    assert report.reorg_depth >= 1
    assert await rig.status(view) is OrderStatus.CONFIRMING          # still seen, from the mempool
    [row] = await rig.payment_rows(view)
    assert row.block_height is None and row.gone_at is None
    rig.node.mine(3)
    await watcher.step()
    assert await rig.status(view) is OrderStatus.FULFILLED
    [row] = await rig.payment_rows(view)                             # one row: no double counting
    assert (row.txid, row.amount_units) == (txid, DUE)
    before = (await rig.topics(view), await rig.payment_rows(view))
    again = await watcher.step()
    assert (again.blocks, again.payments, again.decisions) == (0, 0, [])
    after = (await rig.topics(view), await rig.payment_rows(view))
    assert after == before and (await rig.topics(view)).count("order.payment_confirmed") == 1


# --- 4. double spend -------------------------------------------------------------------------------------------

def conflicting_tx(node: LitecoinNode, txid: str) -> str:
    """A signed tx spending exactly the inputs of `txid` to a different (wallet) address."""
    original = node.rpc("getrawtransaction", txid, True)
    inputs = [{"txid": i["txid"], "vout": i["vout"]} for i in original["vin"]]
    total = sum(Decimal(node.rpc("getrawtransaction", i["txid"], True)["vout"][i["vout"]]["value"])
                for i in original["vin"])
    raw = node.rpc("createrawtransaction", inputs, {node.new_address(): str(total - Decimal("0.001"))})
    signed = node.rpc("signrawtransactionwithwallet", raw, wallet=WALLET)
    assert signed["complete"]
    return str(signed["hex"])


async def test_a_double_spend_mined_elsewhere_makes_the_payment_vanish(rig: Rig, bitcoind: BitcoindBackend) -> None:
    view = await rig.order()
    rig.node.mine(1)                      # an empty mempool: the buyer's inputs are all confirmed coins
    watcher = rig.watcher(bitcoind)
    await watcher.step()
    txid = rig.pay(view, DUE)
    await watcher.step()
    assert await rig.status(view) is OrderStatus.CONFIRMING
    # No BIP125 in this litecoind, but generateblock mines a conflicting tx and evicts ours from the mempool.
    mined = rig.node.rpc("generateblock", rig.node.new_address(), [conflicting_tx(rig.node, txid)])
    assert txid not in rig.node.mempool()
    assert len(rig.node.rpc("getblock", mined["hash"])["tx"]) == 2
    await watcher.step()
    assert await rig.status(view) is OrderStatus.AWAITING_PAYMENT
    assert await rig.topics(view) == ["order.payment_seen", "order.payment_vanished"]
    [row] = await rig.payment_rows(view)
    assert row.txid == txid and row.gone_at is not None and row.block_height is None
    rig.node.mine(2)
    await watcher.step()
    assert await rig.status(view) is OrderStatus.AWAITING_PAYMENT   # nothing comes back to life


# --- 5. underpaid, overpaid, late ------------------------------------------------------------------------------

async def test_underpaid_then_topped_up(rig: Rig, bitcoind: BitcoindBackend) -> None:
    view = await rig.order()
    watcher = rig.watcher(bitcoind)
    await watcher.step()
    rig.pay(view, DUE - 50_000)
    await watcher.step()
    rig.node.mine(2)
    await watcher.step()
    assert await rig.status(view) is OrderStatus.AWAITING_PAYMENT
    underpaid = [p for t, p in await rig.messages(view) if t == "order.underpaid"]
    assert [int(p["remaining_units"]) for p in underpaid] == [50_000]   # told once, exactly
    rig.pay(view, 50_000)
    await watcher.step()
    assert await rig.status(view) is OrderStatus.CONFIRMING
    rig.node.mine(1)
    await watcher.step()
    assert await rig.status(view) is OrderStatus.CONFIRMING         # the top-up has 1 of 2
    rig.node.mine(1)
    await watcher.step()
    assert await rig.status(view) is OrderStatus.FULFILLED
    assert sorted(r.amount_units for r in await rig.payment_rows(view)) == [50_000, DUE - 50_000]


async def test_overpaid_marks_the_exact_excess(rig: Rig, bitcoind: BitcoindBackend) -> None:
    view = await rig.order()
    watcher = rig.watcher(bitcoind)
    await watcher.step()
    rig.pay(view, DUE + 1_001)
    rig.node.mine(2)
    await watcher.step()
    order = await rig.shop.orders.get(await buyer_of(rig, view), view.order.id)
    assert order.status is OrderStatus.FULFILLED and order.overpaid_units == 1_001


async def test_payment_after_expiry_is_paid_late(rig: Rig, bitcoind: BitcoindBackend) -> None:
    view = await rig.order()
    watcher = rig.watcher(bitcoind)
    await watcher.step()
    rig.clock.advance(minutes=31)
    assert await rig.shop.payments.expire_due() == [view.order.id]
    rig.pay(view, DUE)
    await watcher.step()
    assert await rig.status(view) is OrderStatus.EXPIRED             # unconfirmed is not enough for a late one
    rig.node.mine(2)
    await watcher.step()
    assert await rig.status(view) is OrderStatus.PAID_LATE
    assert (await rig.topics(view)).count("order.late_payment") == 1
    await watcher.step()
    assert (await rig.topics(view)).count("order.late_payment") == 1   # applying it again changes nothing


async def buyer_of(rig: Rig, view: PaymentRequestView) -> int:
    async with rig.shop.db.uow(write=False) as uow:
        return int((await uow.session.execute(select(Order.customer_id).where(Order.id == view.order.id)))
                   .scalar_one())


# --- 6. Esplora ------------------------------------------------------------------------------------------------

async def test_esplora_backend_end_to_end(rig: Rig, esplora_server: EsploraServer) -> None:
    backend = EsploraBackend(esplora_server.url, key=CHAIN, network="litecoin-regtest")
    try:
        view = await rig.order()
        watcher = rig.watcher(backend)
        await watcher.step()
        txid = rig.pay(view, DUE)
        await watcher.step()
        assert await rig.status(view) is OrderStatus.CONFIRMING
        rig.node.mine(1)
        await watcher.step()
        assert await rig.status(view) is OrderStatus.CONFIRMING
        rig.node.mine(1)
        await watcher.step()
        assert await rig.status(view) is OrderStatus.FULFILLED
        [row] = await rig.payment_rows(view)
        assert (row.txid, row.amount_units) == (txid, DUE)
    finally:
        await backend.aclose()


# --- 7. cost per block -----------------------------------------------------------------------------------------

async def test_bitcoind_costs_at_most_three_calls_per_new_block(rig: Rig, bitcoind: BitcoindBackend) -> None:
    view = await rig.order()
    watcher = rig.watcher(bitcoind)
    await watcher.step()
    rig.pay(view, DUE)
    await watcher.step()                  # the mempool tx is fetched (and cached) here
    rig.node.mine(1)
    bitcoind.calls = 0
    report = await watcher.step()
    assert report.blocks == 1 and report.payments == 1
    assert bitcoind.calls <= 3            # getblockchaininfo + getblock <tip> 2 + getrawmempool
    bitcoind.calls = 0
    await watcher.step()
    assert bitcoind.calls <= 2            # no new block: tip + mempool
