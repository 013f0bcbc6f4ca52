"""The chain backends against real nodes: EVM ↔ anvil with a real ERC-20, bitcoind ↔ litecoind regtest, Esplora ↔
the Esplora API served from that litecoind. Then the same backends against servers that fail in every way."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from payments.backends.base import BackendError, Transfer, Watch
from payments.backends.bitcoind import BitcoindBackend
from payments.backends.esplora import EsploraBackend
from payments.backends.evm import EvmBackend
from tests.support.anvil import (
    Anvil,
    automine,
    block_number,
    deploy_erc20,
    erc20_transfer,
    free_port,
    mine,
    revert,
    send_eth,
    snapshot,
    wait_for_receipt,
)
from tests.support.esplora_server import EsploraServer, Fault, JsonRpcProxy
from tests.support.litecoind import LitecoinNode

ETHER = 10**18
TIMEOUT = timedelta(seconds=0.3)   # backend deadline in the fault tests


# The fixtures' backends have proven their node's chain already (their first call does that, and costs one more
# round trip on bitcoind and Esplora: test_chain_identity.py), so the counts below are what every poll costs.

@pytest.fixture
async def evm(anvil: Anvil) -> AsyncIterator[EvmBackend]:
    backend = EvmBackend(anvil.url, key="evm:31337", chain_id=31337)
    await backend.tip()
    backend.calls = 0
    yield backend
    await backend.aclose()


@pytest.fixture
async def bitcoind(litecoind: LitecoinNode) -> AsyncIterator[BitcoindBackend]:
    backend = BitcoindBackend(litecoind.url, key="litecoin:regtest", network="litecoin-regtest")
    await backend.tip()
    backend.calls = 0
    yield backend
    await backend.aclose()


@pytest.fixture
async def esplora(esplora_server: EsploraServer) -> AsyncIterator[EsploraBackend]:
    backend = EsploraBackend(esplora_server.url, key="litecoin:regtest", network="litecoin-regtest")
    await backend.tip()
    backend.calls = 0
    yield backend
    await backend.aclose()


def fresh_evm_address(n: int) -> str:
    """An address nobody else in the session pays (anvil accepts value sent to any address)."""
    return f"0x{0xC0FFEE:06x}{n:034x}"


# --- EVM ↔ anvil ---------------------------------------------------------------------------------------------

async def test_evm_tip_is_one_call_and_moves_when_blocks_are_mined(evm: EvmBackend, anvil: Anvil) -> None:
    before = await evm.tip()
    assert evm.calls == 1
    mine(anvil, 3)
    after = await evm.tip()
    assert after.height == before.height + 3 == block_number(anvil)
    assert after.hash == await evm.block_hash(after.height) != before.hash


async def test_evm_block_reports_exactly_the_watched_native_and_token_transfers(
        evm: EvmBackend, anvil: Anvil, erc20: str) -> None:
    payer, shop, other = anvil.accounts[0], fresh_evm_address(1), fresh_evm_address(2)
    other_token = deploy_erc20(anvil)
    automine(anvil, False)
    native = send_eth(anvil, payer, shop, 1_234_567_890_123_456_789)
    send_eth(anvil, payer, other, ETHER)                       # not watched: other recipient
    send_eth(anvil, anvil.accounts[1], shop, 0)                 # zero value: not a payment
    token_tx = erc20_transfer(anvil, erc20, payer, shop, 25_000_123)
    erc20_transfer(anvil, erc20, payer, other, 7)               # watched token, other recipient
    erc20_transfer(anvil, other_token, payer, shop, 9)          # unwatched token, watched recipient
    mine(anvil)
    height = block_number(anvil)

    evm.calls = 0
    block = await evm.block(height, Watch(frozenset({shop}), frozenset({erc20})))

    assert evm.calls == 2
    assert block.height == height
    assert block.parent_hash == await evm.block_hash(height - 1)
    native_transfer = Transfer(native, 0, shop, 1_234_567_890_123_456_789, None)
    assert native_transfer in block.transfers
    (token_transfer,) = [t for t in block.transfers if t.token is not None]
    assert (token_transfer.txid, token_transfer.address, token_transfer.amount, token_transfer.token) == (
        token_tx, shop, 25_000_123, erc20)
    assert token_transfer.index == _log_index(anvil, token_tx)
    assert len(block.transfers) == 2


def _log_index(anvil: Anvil, txid: str) -> int:
    (log,) = anvil.rpc("eth_getTransactionReceipt", txid)["logs"]
    return int(log["logIndex"], 16)


async def test_evm_block_costs_one_call_and_a_native_payment_one_more_for_its_receipt(
        evm: EvmBackend, anvil: Anvil) -> None:
    shop = fresh_evm_address(3)
    wait_for_receipt(anvil, send_eth(anvil, anvil.accounts[0], anvil.accounts[1], 1))   # nothing for us here
    assert (await evm.block(block_number(anvil), Watch(frozenset({shop})))).transfers == ()
    assert evm.calls == 1
    wait_for_receipt(anvil, send_eth(anvil, anvil.accounts[0], shop, 1))   # anvil may answer before mining
    evm.calls = 0
    block = await evm.block(block_number(anvil), Watch(frozenset({shop})))
    assert evm.calls == 2   # the block, then one batch with the receipt (did the transfer succeed?)
    assert [(t.address, t.amount) for t in block.transfers] == [(shop, 1)]
    assert await evm.mempool(Watch(frozenset({shop}))) == []


async def test_evm_a_reverted_chain_changes_the_block_hash_and_its_transfers(evm: EvmBackend, anvil: Anvil) -> None:
    shop = fresh_evm_address(4)
    watch = Watch(frozenset({shop}))
    fork_point = snapshot(anvil)
    wait_for_receipt(anvil, send_eth(anvil, anvil.accounts[0], shop, 5))  # anvil may answer before mining
    height = block_number(anvil)
    orphaned = await evm.block_hash(height)
    revert(anvil, fork_point)
    wait_for_receipt(anvil, send_eth(anvil, anvil.accounts[1], shop, 6))
    assert block_number(anvil) == height
    assert await evm.block_hash(height) != orphaned
    assert [t.amount for t in (await evm.block(height, watch)).transfers] == [6]


async def test_evm_token_log_marked_removed_is_not_reported(
        anvil: Anvil, erc20: str, evm_proxy: JsonRpcProxy) -> None:
    shop = fresh_evm_address(5)
    erc20_transfer(anvil, erc20, anvil.accounts[0], shop, 1_000)

    def mark_logs_removed(answer: Any) -> Any:
        if isinstance(answer, list):   # a JSON-RPC batch: rewrite each answer in it
            return [mark_logs_removed(item) for item in answer]
        result = answer.get("result")
        if isinstance(result, list) and result and "logIndex" in result[0]:
            answer["result"] = [{**log, "removed": True} for log in result]
        return answer

    backend = EvmBackend(evm_proxy.url, key="e", chain_id=31337)
    try:
        watch = Watch(frozenset({shop}), frozenset({erc20}))
        assert len((await backend.block(block_number(anvil), watch)).transfers) == 1
        evm_proxy.rewrite = mark_logs_removed
        assert (await backend.block(block_number(anvil), watch)).transfers == ()
    finally:
        await backend.aclose()


async def test_evm_block_above_the_tip_is_a_backend_error(evm: EvmBackend, anvil: Anvil) -> None:
    with pytest.raises(BackendError, match="no block at height"):
        await evm.block(block_number(anvil) + 5, Watch(frozenset()))


# --- bitcoind ↔ litecoind ------------------------------------------------------------------------------------

async def test_bitcoind_tip_is_one_call_and_moves_when_blocks_are_mined(
        bitcoind: BitcoindBackend, litecoind: LitecoinNode) -> None:
    before = await bitcoind.tip()
    assert bitcoind.calls == 1
    hashes = litecoind.mine(2)
    after = await bitcoind.tip()
    assert (after.height, after.hash) == (before.height + 2, hashes[-1])


async def test_bitcoind_block_reports_exact_satoshis_to_watched_addresses(
        bitcoind: BitcoindBackend, litecoind: LitecoinNode) -> None:
    shop_a, shop_b, stranger = litecoind.new_address(), litecoind.new_address(), litecoind.new_address()
    paid_a = litecoind.send(shop_a, Decimal("0.12345678"))
    paid_b = litecoind.send(shop_b, Decimal("1.00000001"))
    litecoind.send(stranger, Decimal("0.5"))
    (block_hash,) = litecoind.mine(1)
    watch = Watch(frozenset({shop_a, shop_b}))

    tip = await bitcoind.tip()
    block = await bitcoind.block(tip.height, watch)   # the hash is known from tip(): one getblock
    assert bitcoind.calls == 2
    assert block.hash == block_hash
    assert block.parent_hash == await bitcoind.block_hash(tip.height - 1)
    assert set(block.transfers) == {
        Transfer(paid_a, _vout_index(litecoind, paid_a, shop_a), shop_a, 12_345_678, None),
        Transfer(paid_b, _vout_index(litecoind, paid_b, shop_b), shop_b, 100_000_001, None)}
    assert len(block.transfers) == 2

    cold = BitcoindBackend(litecoind.url, key="litecoin:regtest", network="litecoin-regtest")
    try:
        assert await cold.block(tip.height, watch) == block
        assert cold.calls == 3                            # identity batch (chain, genesis), getblockhash, getblock
        assert await cold.block_by_hash(block_hash, watch) == block
        assert cold.calls == 4
    finally:
        await cold.aclose()


async def test_bitcoind_mempool_sees_an_unconfirmed_payment_and_repeated_polls_are_cheap(
        bitcoind: BitcoindBackend, litecoind: LitecoinNode) -> None:
    shop = litecoind.new_address()
    txid = litecoind.send(shop, Decimal("0.0001"))
    watch = Watch(frozenset({shop}))

    seen = await bitcoind.mempool(watch)
    assert [(t.txid, t.address, t.amount) for t in seen] == [(txid, shop, 10_000)]
    bitcoind.calls = 0
    assert await bitcoind.mempool(watch) == seen
    assert bitcoind.calls == 1

    litecoind.mine(1)
    assert await bitcoind.mempool(watch) == []


async def test_bitcoind_invalidated_block_changes_the_hash_at_its_height(
        bitcoind: BitcoindBackend, litecoind: LitecoinNode) -> None:
    shop = litecoind.new_address()
    watch = Watch(frozenset({shop}))
    litecoind.send(shop, Decimal("0.3"))
    (orphaned,) = litecoind.mine(1)
    height = (await bitcoind.tip()).height
    assert await bitcoind.block_hash(height) == orphaned
    remembers_orphan = BitcoindBackend(litecoind.url, key="litecoin:regtest", network="litecoin-regtest")

    try:
        assert await remembers_orphan.block_hash(height) == orphaned
        litecoind.invalidate(orphaned)
        (replacement,) = litecoind.mine(1)

        assert await bitcoind.block_hash(height) == replacement != orphaned
        bitcoind.calls = 0
        block = await bitcoind.block(height, watch)
        assert block.hash == replacement
        assert [t.amount for t in block.transfers] == [30_000_000]   # the payment moved into the new block
        assert bitcoind.calls == 1

        # A hash remembered from before the reorg is checked, not trusted: the stale block is never returned.
        remembers_orphan.calls = 0
        assert await remembers_orphan.block(height, watch) == block
        assert remembers_orphan.calls == 3   # stale getblock, then getblockhash + getblock
    finally:
        await remembers_orphan.aclose()


async def test_bitcoind_rpc_error_is_a_backend_error(bitcoind: BitcoindBackend) -> None:
    with pytest.raises(BackendError, match="out of range"):
        await bitcoind.block_hash(10**7)


# --- Esplora ↔ the Esplora API over litecoind ----------------------------------------------------------------

async def test_esplora_tip_is_one_call_and_moves_when_blocks_are_mined(
        esplora: EsploraBackend, litecoind: LitecoinNode) -> None:
    before = await esplora.tip()
    assert esplora.calls == 1
    assert before.height == litecoind.height()
    hashes = litecoind.mine(2)
    after = await esplora.tip()
    assert (after.height, after.hash) == (before.height + 2, hashes[-1])


async def test_esplora_block_reports_exact_satoshis_in_two_calls(
        esplora: EsploraBackend, litecoind: LitecoinNode) -> None:
    shop, stranger = litecoind.new_address(), litecoind.new_address()
    paid = litecoind.send(shop, Decimal("0.12345678"))
    litecoind.send(stranger, Decimal("0.2"))
    (block_hash,) = litecoind.mine(1)
    height = litecoind.height()

    block = await esplora.block(height, Watch(frozenset({shop})))

    assert esplora.calls == 2
    assert block.hash == block_hash == await esplora.block_hash(height)
    assert block.parent_hash == await esplora.block_hash(height - 1)
    (transfer,) = block.transfers
    assert (transfer.txid, transfer.address, transfer.amount, transfer.token) == (paid, shop, 12_345_678, None)
    assert transfer.index == _vout_index(litecoind, paid, shop)
    bitcoind = BitcoindBackend(litecoind.url, key="litecoin:regtest", network="litecoin-regtest")
    try:
        assert await bitcoind.block(height, Watch(frozenset({shop, stranger}))) == await esplora.block(
            height, Watch(frozenset({shop, stranger})))
    finally:
        await bitcoind.aclose()


def _vout_index(litecoind: LitecoinNode, txid: str, address: str) -> int:
    tx = litecoind.rpc("getrawtransaction", txid, True)
    (n,) = [out["n"] for out in tx["vout"] if address in out["scriptPubKey"].get("addresses", [])]
    return int(n)


async def test_esplora_block_pages_through_more_than_25_transactions(
        esplora: EsploraBackend, litecoind: LitecoinNode) -> None:
    shops = [litecoind.new_address() for _ in range(26)]
    paid = {litecoind.send(shop, Decimal(f"0.001000{i:02d}")): (shop, 100_000 + i) for i, shop in enumerate(shops)}
    litecoind.mine(1)

    block = await esplora.block(litecoind.height(), Watch(frozenset(shops)))

    assert {t.txid: (t.address, t.amount) for t in block.transfers} == paid
    assert esplora.calls == 3   # /blocks/:h + two pages of 25 (27 transactions with the coinbase)


async def test_esplora_mempool_sees_an_unconfirmed_payment_and_repeated_polls_are_cheap(
        esplora: EsploraBackend, litecoind: LitecoinNode) -> None:
    shop = litecoind.new_address()
    txid = litecoind.send(shop, Decimal("0.00054321"))
    watch = Watch(frozenset({shop}))

    seen = await esplora.mempool(watch)
    assert [(t.txid, t.address, t.amount) for t in seen] == [(txid, shop, 54_321)]
    esplora.calls = 0
    assert await esplora.mempool(watch) == seen
    assert esplora.calls == 1

    litecoind.mine(1)
    assert await esplora.mempool(watch) == []


async def test_esplora_invalidated_block_changes_the_hash_at_its_height(
        esplora: EsploraBackend, litecoind: LitecoinNode) -> None:
    (orphaned,) = litecoind.mine(1)
    height = litecoind.height()
    assert await esplora.block_hash(height) == orphaned
    litecoind.invalidate(orphaned)
    (replacement,) = litecoind.mine(1)
    assert await esplora.block_hash(height) == replacement != orphaned
    assert (await esplora.block(height, Watch(frozenset()))).hash == replacement


# --- faults ----------------------------------------------------------------------------------------------------

@pytest.fixture
def bitcoind_proxy(litecoind: LitecoinNode) -> Iterator[JsonRpcProxy]:
    proxy = JsonRpcProxy(f"http://127.0.0.1:{litecoind.rpc_port}")
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture
def evm_proxy(anvil: Anvil) -> Iterator[JsonRpcProxy]:
    proxy = JsonRpcProxy(anvil.url)
    proxy.start()
    yield proxy
    proxy.stop()


def with_credentials(url: str, litecoind: LitecoinNode) -> str:
    return url.replace("http://", f"http://{litecoind.user}:{litecoind.password}@")


FAULTS = [Fault.SERVER_ERROR, Fault.GARBAGE, Fault.HANG, Fault.TRICKLE]
REASONS = {Fault.SERVER_ERROR: "HTTP 500", Fault.GARBAGE: "malformed", Fault.HANG: "timed out",
           Fault.TRICKLE: "timed out"}


async def _assert_every_call_fails(backend: Any, fault: Fault, secrets: list[str], *, mempool: bool = True) -> None:
    watch = Watch(frozenset({"x"}))
    calls: list[Callable[[], Any]] = [backend.tip, lambda: backend.block_hash(1), lambda: backend.block(1, watch)]
    if mempool:
        calls.append(lambda: backend.mempool(watch))
    for call in calls:
        started = time.monotonic()
        with pytest.raises(BackendError, match=REASONS[fault]) as failure:
            await call()
        assert time.monotonic() - started < TIMEOUT.total_seconds() + 1.0
        assert not any(secret in str(failure.value) for secret in secrets)


async def _healthy_tip(backend: Any) -> None:
    """The server passes a healthy node through, asked with the default deadline: on a busy machine the fault
    tests' short one is for the faults, not for an ordinary answer. Every faulted call below, the first one
    proving the node included, must fail with the fault's reason."""
    try:
        await backend.tip()
    finally:
        await backend.aclose()


@pytest.mark.parametrize("fault", FAULTS)
async def test_bitcoind_faults_become_backend_errors_without_credentials(
        fault: Fault, litecoind: LitecoinNode, bitcoind_proxy: JsonRpcProxy) -> None:
    url = with_credentials(bitcoind_proxy.url, litecoind)
    await _healthy_tip(BitcoindBackend(url, key="l", network="litecoin-regtest"))   # the proxy passes it through
    backend = BitcoindBackend(url, key="l", network="litecoin-regtest", timeout=TIMEOUT)
    try:
        bitcoind_proxy.fault = fault
        await _assert_every_call_fails(backend, fault, [litecoind.password])
    finally:
        await backend.aclose()


@pytest.mark.parametrize("fault", FAULTS)
async def test_evm_faults_become_backend_errors_without_the_api_key(
        fault: Fault, evm_proxy: JsonRpcProxy) -> None:
    url = evm_proxy.url + "/v3/k3y-in-the-path?apikey=k3y-in-the-query"
    await _healthy_tip(EvmBackend(url, key="e", chain_id=31337))
    backend = EvmBackend(url, key="e", chain_id=31337, timeout=TIMEOUT)
    try:
        evm_proxy.fault = fault
        await _assert_every_call_fails(backend, fault, ["k3y"], mempool=False)
    finally:
        await backend.aclose()


@pytest.mark.parametrize("fault", FAULTS)
async def test_esplora_faults_become_backend_errors(fault: Fault, esplora_server: EsploraServer) -> None:
    url = esplora_server.url + "/?key=k3y"
    await _healthy_tip(EsploraBackend(url, key="s", network="litecoin-regtest"))
    # A key in the query string stays there, after the path.
    assert esplora_server.requests == ["GET /block-height/0?key=k3y", "GET /blocks?key=k3y"]
    backend = EsploraBackend(url, key="s", network="litecoin-regtest", timeout=TIMEOUT)
    try:
        esplora_server.fault = fault
        await _assert_every_call_fails(backend, fault, ["k3y"])
    finally:
        await backend.aclose()


async def test_bitcoind_wrong_password_is_reported_without_the_password(litecoind: LitecoinNode) -> None:
    backend = BitcoindBackend(f"http://{litecoind.user}:Wr0ng-Pa55@127.0.0.1:{litecoind.rpc_port}", key="l",
                              network="litecoin-regtest")
    try:
        with pytest.raises(BackendError, match="HTTP 401") as failure:
            await backend.tip()
        assert "Wr0ng" not in str(failure.value) and litecoind.user not in str(failure.value)
        assert "Wr0ng" not in repr(backend)
    finally:
        await backend.aclose()


async def test_a_closed_port_is_a_backend_error() -> None:
    port = free_port()
    for backend in (BitcoindBackend(f"http://u:s3cret@127.0.0.1:{port}", key="l", network="litecoin-regtest",
                                    timeout=TIMEOUT),
                    EsploraBackend(f"http://127.0.0.1:{port}", key="s", network="litecoin-regtest", timeout=TIMEOUT),
                    EvmBackend(f"http://127.0.0.1:{port}/s3cret", key="e", chain_id=31337, timeout=TIMEOUT)):
        try:
            with pytest.raises(BackendError, match="cannot connect") as failure:
                await backend.tip()
            assert "s3cret" not in str(failure.value)
        finally:
            await backend.aclose()


async def test_a_node_still_syncing_is_a_backend_error(
        litecoind: LitecoinNode, bitcoind_proxy: JsonRpcProxy, evm_proxy: JsonRpcProxy) -> None:
    def in_initial_download(answer: Any) -> Any:
        for item in answer if isinstance(answer, list) else [answer]:   # a batch while the node is being proven
            if isinstance(item["result"], dict) and "initialblockdownload" in item["result"]:
                item["result"]["initialblockdownload"] = True
        return answer

    def syncing(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for answer in answers:
            if answer["result"] is False:
                answer["result"] = {"startingBlock": "0x0", "currentBlock": "0x10", "highestBlock": "0x1000"}
        return answers

    bitcoind_proxy.rewrite, evm_proxy.rewrite = in_initial_download, syncing
    bitcoind = BitcoindBackend(with_credentials(bitcoind_proxy.url, litecoind), key="l",
                               network="litecoin-regtest")
    evm = EvmBackend(evm_proxy.url, key="e", chain_id=31337)
    try:
        with pytest.raises(BackendError, match="initial block download"):
            await bitcoind.tip()
        with pytest.raises(BackendError, match="syncing"):
            await evm.tip()
    finally:
        await bitcoind.aclose()
        await evm.aclose()
