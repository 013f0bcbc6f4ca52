"""A node on another chain than the method's is refused, by name: anvil started with another chain id, litecoind
regtest for a Litecoin-mainnet method, an Esplora server of another chain. The check runs at the first call and
again after the node was unreachable; the watcher stores nothing from a refused node, says so once, and carries
on when the right node is back — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any, Final

import pytest
from sqlalchemy import func, select

from commerce.payment_records import PaymentRecords
from commerce.shop import Shop
from commerce.status import OrderStatus
from commerce.storage.tables import Payment
from payments import watcher as watcher_module
from payments.backends.base import BackendError, Watch
from payments.backends.bitcoind import BitcoindBackend
from payments.backends.esplora import EsploraBackend
from payments.backends.evm import EvmBackend
from payments.backends.identity import ChainMismatch
from payments.methods import evm_method
from payments.rates import FixedRates
from payments.requests import PaymentService
from payments.watcher import ChainWatcher
from tests.conftest import FakeClock
from tests.support.anvil import Anvil, send_eth, wait_for_receipt
from tests.support.esplora_server import EsploraServer, Fault, JsonRpcProxy
from tests.support.factories import make_buyer, make_owner, make_product
from tests.support.litecoind import LitecoinNode

TIMEOUT: Final = timedelta(seconds=3)   # what a hung node costs; the answers after it must fit in it on a busy machine
BITCOIN_MAIN: Final = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
BITCOIN_REGTEST: Final = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
LITECOIN_REGTEST: Final = "530827f38f93b43ed12af0b3ad25a288dc02ed74d6d7857862df51fc56c416f9"
SHOP_ADDRESS: Final = "0x00000000000000000000000000000000c0ffee77"


@pytest.fixture
def proxy(anvil: Anvil) -> Iterator[JsonRpcProxy]:
    """A JSON-RPC URL whose node the test can swap: it forwards to `proxy.upstream`."""
    server = JsonRpcProxy(anvil.url)
    server.start()
    yield server
    server.stop()


# --- EVM ----------------------------------------------------------------------------------------------------

async def test_an_evm_node_of_another_chain_is_refused_naming_both_ids(sepolia_node: Anvil) -> None:
    backend = EvmBackend(sepolia_node.url, key="evm:1", chain_id=1)
    watch = Watch(frozenset({SHOP_ADDRESS}))
    try:
        for call in (backend.tip, lambda: backend.block_hash(0), lambda: backend.block(0, watch)):
            with pytest.raises(ChainMismatch, match="chain id 11155111 answered, 1 expected"):
                await call()
    finally:
        await backend.aclose()


async def test_the_evm_tip_proves_the_chain_id_in_its_own_round_trip(anvil: Anvil) -> None:
    backend = EvmBackend(anvil.url, key="evm:31337", chain_id=31337)
    try:
        tip = await backend.tip()
        await backend.block_hash(tip.height)
        assert backend.calls == 2   # the batch with eth_chainId, then the header: no separate identity call
    finally:
        await backend.aclose()


async def test_an_evm_node_swapped_while_unreachable_is_checked_again_and_the_right_one_is_taken_back(
        anvil: Anvil, sepolia_node: Anvil, proxy: JsonRpcProxy) -> None:
    backend = EvmBackend(proxy.url, key="evm:31337", chain_id=31337, timeout=TIMEOUT)
    try:
        await backend.block_hash(0)
        assert backend.calls == 2                       # eth_chainId first, then the block
        await backend.block_hash(0)
        assert backend.calls == 3                       # proven: no second check
        proxy.fault = Fault.HANG
        with pytest.raises(BackendError, match="timed out"):
            await backend.block_hash(0)
        proxy.fault, proxy.upstream = Fault.NONE, sepolia_node.url   # back, but another node answers now
        with pytest.raises(ChainMismatch, match="chain id 11155111 answered, 31337 expected"):
            await backend.block_hash(0)
        proxy.upstream = anvil.url                      # the right node again: taken back at the next call
        assert await backend.block_hash(0) == anvil.rpc("eth_getBlockByNumber", "0x0", False)["hash"]
    finally:
        await backend.aclose()


# --- bitcoind (litecoind regtest) ----------------------------------------------------------------------------

async def test_litecoind_regtest_is_refused_for_a_litecoin_mainnet_method(litecoind: LitecoinNode) -> None:
    backend = BitcoindBackend(litecoind.url, key="litecoin:mainnet", network="litecoin")
    watch = Watch(frozenset({"ltc1qnothing"}))
    try:
        for call in (backend.tip, lambda: backend.block_hash(0), lambda: backend.block(1, watch),
                     lambda: backend.mempool(watch)):
            with pytest.raises(ChainMismatch, match='chain "regtest" answered, "main" expected'):
                await call()
    finally:
        await backend.aclose()


async def test_a_litecoin_node_is_refused_for_bitcoin_by_its_genesis_block(litecoind: LitecoinNode) -> None:
    backend = BitcoindBackend(litecoind.url, key="bitcoin:regtest", network="regtest")   # both say "regtest"
    try:
        with pytest.raises(ChainMismatch) as refused:
            await backend.tip()
        assert str(refused.value).startswith(
            f"bitcoind http://127.0.0.1:{litecoind.rpc_port}: genesis block {LITECOIN_REGTEST} (Litecoin regtest) "
            f"answered, {BITCOIN_REGTEST} (Bitcoin regtest) expected")
        assert litecoind.password not in str(refused.value)
    finally:
        await backend.aclose()


async def test_bitcoind_checks_the_chain_every_poll_and_the_genesis_again_after_the_node_was_unreachable(
        litecoind: LitecoinNode) -> None:
    proxy = JsonRpcProxy(f"http://127.0.0.1:{litecoind.rpc_port}")
    proxy.start()
    url = proxy.url.replace("http://", f"http://{litecoind.user}:{litecoind.password}@")
    backend = BitcoindBackend(url, key="litecoin:regtest", network="litecoin-regtest", timeout=TIMEOUT)

    def bitcoin_genesis(answer: Any) -> Any:   # the identity batch: [getblockchaininfo, getblockhash 0]
        if isinstance(answer, list) and len(answer) == 2 and isinstance(answer[1]["result"], str):
            answer[1]["result"] = BITCOIN_REGTEST
        return answer

    def mainnet(answer: Any) -> Any:
        if isinstance(answer, dict) and isinstance(answer.get("result"), dict) and "chain" in answer["result"]:
            answer["result"]["chain"] = "main"
        return answer

    try:
        await backend.tip()
        await backend.tip()
        assert backend.calls == 2                       # chain and genesis ride in the first tip's round trip
        proxy.rewrite = bitcoin_genesis
        await backend.tip()                             # proven, reachable all along: the genesis is not re-asked
        proxy.fault = Fault.HANG
        with pytest.raises(BackendError, match="timed out"):
            await backend.tip()
        proxy.fault = Fault.NONE
        with pytest.raises(ChainMismatch, match=f"genesis block {BITCOIN_REGTEST} .Bitcoin regtest. answered"):
            await backend.tip()
        proxy.rewrite = None
        await backend.tip()                             # the right node again
        proxy.rewrite = mainnet
        with pytest.raises(ChainMismatch, match='chain "main" answered, "regtest" expected'):
            await backend.tip()                         # the chain name is in every getblockchaininfo
    finally:
        await backend.aclose()
        proxy.stop()


# --- Esplora -------------------------------------------------------------------------------------------------

async def test_an_esplora_server_of_another_chain_is_refused_until_it_serves_the_right_one(
        esplora_server: EsploraServer, litecoind: LitecoinNode) -> None:
    backend = EsploraBackend(esplora_server.url, key="litecoin:regtest", network="litecoin-regtest")
    esplora_server.genesis = BITCOIN_MAIN
    try:
        for call in (backend.tip, lambda: backend.block_hash(1), lambda: backend.mempool(Watch(frozenset()))):
            with pytest.raises(ChainMismatch, match=f"genesis block {BITCOIN_MAIN} .Bitcoin mainnet. answered, "
                                                    f"{LITECOIN_REGTEST} .Litecoin regtest. expected"):
                await call()
        assert all(request.startswith("GET /block-height/0") for request in esplora_server.requests)
        esplora_server.genesis = None
        assert (await backend.tip()).height == litecoind.height()
    finally:
        await backend.aclose()


async def test_esplora_checks_the_genesis_at_the_first_call_and_after_the_server_was_unreachable(
        esplora_server: EsploraServer) -> None:
    backend = EsploraBackend(esplora_server.url, key="litecoin:regtest", network="litecoin-regtest", timeout=TIMEOUT)
    try:
        await backend.tip()
        await backend.tip()
        assert esplora_server.requests == ["GET /block-height/0", "GET /blocks", "GET /blocks"]
        esplora_server.genesis = BITCOIN_MAIN
        esplora_server.fault = Fault.HANG
        with pytest.raises(BackendError, match="timed out"):
            await backend.tip()
        esplora_server.fault = Fault.NONE
        with pytest.raises(ChainMismatch, match="Bitcoin mainnet. answered"):
            await backend.tip()
    finally:
        await backend.aclose()


# --- the watcher ---------------------------------------------------------------------------------------------

async def test_the_watcher_stores_nothing_from_a_node_of_another_chain_says_so_once_and_recovers(
        shop: Shop, clock: FakeClock, anvil: Anvil, sepolia_node: Anvil, proxy: JsonRpcProxy,
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    methods = {"eth": evm_method(id="eth", chain_id=anvil.chain_id, asset="ETH", decimals=18, confirmations=1,
                                 receive_address=SHOP_ADDRESS)}
    records = PaymentRecords(shop.db, clock)
    service = PaymentService(records, shop.orders, FixedRates({"ETH": Decimal(450_000)}), methods,
                             shop_name="Sakura Goods", late_window=timedelta(hours=24), clock=clock)
    owner = await make_owner(shop)
    product = await make_product(shop, owner, kind="digital", stock=0, price="4500")
    await shop.catalog.add_digital_items(owner, product.variants[0].id, ["KEY-1"])
    buyer = await make_buyer(shop)
    order = await shop.orders.checkout(buyer, items=[(product.variants[0].id, 1)])
    request = (await service.request_payment(buyer, order.id, "eth")).request

    proxy.upstream = sepolia_node.url                    # the seller pasted a testnet node's URL
    wait_for_receipt(sepolia_node, send_eth(sepolia_node, sepolia_node.accounts[0], SHOP_ADDRESS,
                                            request.amount_units))   # the exact amount, on the wrong chain
    backend = EvmBackend(proxy.url, key=f"evm:{anvil.chain_id}", chain_id=anvil.chain_id)
    watcher = ChainWatcher(backend, records, shop.payments, clock=clock, start_behind=0,
                           poll=timedelta(milliseconds=10))
    monkeypatch.setattr(watcher_module, "MIN_BACKOFF", timedelta(milliseconds=10))
    monkeypatch.setattr(watcher_module, "MAX_BACKOFF", timedelta(milliseconds=20))
    caplog.set_level(logging.INFO, logger="payments.watcher")
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run(stop))
    try:
        await asyncio.sleep(0.5)                         # dozens of polls against the wrong node
        async with shop.db.uow(write=False) as uow:
            assert (await uow.session.execute(select(func.count()).select_from(Payment))).scalar_one() == 0
        assert (await shop.orders.get(buyer, order.id)).status is OrderStatus.AWAITING_PAYMENT
        assert await records.cursor(backend.key) is None  # not one block of that chain was taken as ours

        proxy.upstream = anvil.url                       # the right node is back
        wait_for_receipt(anvil, send_eth(anvil, anvil.accounts[0], SHOP_ADDRESS, request.amount_units))
        deadline = asyncio.get_running_loop().time() + 30   # generous: a busy machine, not a slow watcher
        while (await shop.orders.get(buyer, order.id)).status is not OrderStatus.FULFILLED:
            assert asyncio.get_running_loop().time() < deadline, "the watcher never took the right node back"
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await backend.aclose()
    assert (await shop.orders.get(buyer, order.id)).status is OrderStatus.FULFILLED
    refused = [r.getMessage() for r in caplog.records if "refusing to watch" in r.getMessage()]
    assert len(refused) == 1, refused                    # once per incident, not once per poll
    assert "chain id 11155111 answered, 31337 expected" in refused[0]
    assert any("answering again" in r.getMessage() for r in caplog.records)
