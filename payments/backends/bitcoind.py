"""Bitcoin Core JSON-RPC (and its forks with the same RPC, e.g. litecoind): the seller's own node.

Calls per operation (HTTP round trips, counted in `calls`):
- tip(): 1 (`getblockchaininfo`; refuses a node on another chain than `network` and a node in initial block
  download). Until the node is proven (at first, and after it was unreachable) the same round trip is a batch
  that also asks `getblockhash 0`, so the genesis block is checked too (see identity.py).
- block_hash(h): 1 (`getblockhash`).
- block(h): 1 (`getblock <hash> 2`) when the hash of `h` is already known from the last tip() or block_hash()
  and still on the best chain, otherwise 2 (`getblockhash` + `getblock`). block_by_hash(hash): 1.
- mempool(): 1 (`getrawmempool`) + 1 batch of `getrawtransaction` for txids not seen before (chunks of 200).
- block_hash(), block(), block_by_hash() and mempool() first prove the node (1 batch) unless it was proven since
  it was last unreachable.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Container, Iterable
from datetime import timedelta
from typing import Any, Final

import httpx

from payments.backends.base import BackendError, Block, Tip, Transfer, Watch
from payments.backends.identity import IdentityCheck, expect_chain_name, expect_genesis, node_network
from payments.backends.rpc import DEFAULT_TIMEOUT, JsonRpc, RpcError, malformed, to_base_units

_HASH: Final = re.compile(r"[0-9a-f]{64}")
_HASH_CACHE_SIZE: Final = 64
_MEMPOOL_BATCH: Final = 200
_NOT_FOUND: Final = -5   # RPC_INVALID_ADDRESS_OR_KEY: the tx left the mempool between two calls

# A received output, whatever is being watched: (vout, address, satoshis).
Output = tuple[int, str, int]


class BitcoindBackend:
    def __init__(self, url: str, *, key: str, network: str, client: httpx.AsyncClient | None = None,
                 timeout: timedelta = DEFAULT_TIMEOUT) -> None:
        self.key = key
        self.network = node_network(network)
        self._rpc = JsonRpc(url, name="bitcoind", client=client, timeout=timeout)
        self._where = f"bitcoind {self._rpc.endpoint.label}"
        self._identity = IdentityCheck(self._check_identity, lambda: self._rpc.failures)
        self._hashes: OrderedDict[int, str] = OrderedDict()   # height -> hash, as last reported by the node
        self._mempool: dict[str, tuple[Output, ...]] = {}     # txid -> its outputs, for txs seen in the mempool

    @property
    def calls(self) -> int:
        return self._rpc.calls

    @calls.setter
    def calls(self, value: int) -> None:
        self._rpc.calls = value

    def __repr__(self) -> str:
        return f"<BitcoindBackend {self.key} {self._rpc.endpoint.label}>"

    async def tip(self) -> Tip:
        """Every poll checks the node's `chain` (it is in the answer); until the node is proven, the genesis block
        is asked in the same round trip."""
        if self._identity.proven:
            info = await self._rpc.call("getblockchaininfo")
            self._expect_chain(info)
        else:
            info = await self._check_identity()
        with malformed("getblockchaininfo answer"):
            if info["initialblockdownload"]:
                raise BackendError(f"{self._where}: node is in initial block download")
            tip = Tip(int(info["blocks"]), _block_hash(info["bestblockhash"]))
        self._remember(tip.height, tip.hash)
        return tip

    async def block_hash(self, height: int) -> str:
        await self._identity.ensure()
        with malformed("getblockhash answer"):
            block_hash = _block_hash(await self._rpc.call("getblockhash", height))
        self._remember(height, block_hash)
        return block_hash

    async def block(self, height: int, watch: Watch) -> Block:
        await self._identity.ensure()
        known = self._hashes.get(height)
        if known is not None:
            raw = await self._getblock(known)
            if _on_best_chain(raw):
                return _parse_block(raw, watch)
        raw = await self._getblock(await self.block_hash(height))
        if not _on_best_chain(raw):
            raise BackendError(f"{self._where}: block {height} was reorganised away")
        return _parse_block(raw, watch)

    async def block_by_hash(self, block_hash: str, watch: Watch) -> Block:
        """The block with this hash, on the best chain or not (one call)."""
        await self._identity.ensure()
        return _parse_block(await self._getblock(block_hash), watch)

    async def mempool(self, watch: Watch) -> list[Transfer]:
        await self._identity.ensure()
        txids = await self._rpc.call("getrawmempool")
        with malformed("getrawmempool answer"):
            current = [_block_hash(txid) for txid in txids]
        # Forget what left the mempool, fetch only what is new: a repeated poll is one call.
        self._mempool = {txid: self._mempool[txid] for txid in current if txid in self._mempool}
        new = [txid for txid in current if txid not in self._mempool]
        for start in range(0, len(new), _MEMPOOL_BATCH):
            chunk = new[start:start + _MEMPOOL_BATCH]
            answers = await self._rpc.batch([("getrawtransaction", (txid, True)) for txid in chunk])
            for txid, tx in zip(chunk, answers, strict=True):
                if isinstance(tx, RpcError):
                    if tx.code == _NOT_FOUND:
                        continue
                    raise tx
                with malformed("getrawtransaction answer"):
                    self._mempool[txid] = tuple(_outputs(tx))
        return [Transfer(txid, n, address, amount, None)
                for txid, outputs in self._mempool.items()
                for n, address, amount in outputs if address in watch.addresses]

    async def aclose(self) -> None:
        await self._rpc.aclose()

    async def _check_identity(self) -> Any:
        """`chain` and the genesis block in one round trip; returns the getblockchaininfo answer."""
        failures = self._rpc.failures
        info, genesis = await self._rpc.batch([("getblockchaininfo", ()), ("getblockhash", (0,))])
        for answer in (info, genesis):
            if isinstance(answer, RpcError):
                raise answer
        self._expect_chain(info)
        with malformed("getblockhash answer"):
            genesis = _block_hash(genesis)
        expect_genesis(self._where, genesis, self.network)
        self._identity.prove(failures)
        return info

    def _expect_chain(self, info: Any) -> None:
        with malformed("getblockchaininfo answer"):
            chain = info["chain"]
            if not isinstance(chain, str):
                raise TypeError("chain is not a string")
        expect_chain_name(self._where, chain, self.network)

    async def _getblock(self, block_hash: str) -> Any:
        return await self._rpc.call("getblock", block_hash, 2)

    def _remember(self, height: int, block_hash: str) -> None:
        self._hashes[height] = block_hash
        self._hashes.move_to_end(height)
        while len(self._hashes) > _HASH_CACHE_SIZE:
            self._hashes.popitem(last=False)


def _block_hash(value: Any) -> str:
    if not isinstance(value, str) or not _HASH.fullmatch(value):
        raise ValueError("not a 64-hex hash")
    return value


def _on_best_chain(raw: Any) -> bool:
    with malformed("getblock answer"):
        return int(raw["confirmations"]) >= 0   # a stale block says -1


def _outputs(tx: dict[str, Any], wanted: Container[str] | None = None) -> Iterable[Output]:
    """Outputs paying an address (all of them, or only those in `wanted`)."""
    for vout in tx["vout"]:
        script = vout["scriptPubKey"]
        # Bitcoin Core ≥ 22 says `address`; older nodes (and litecoind 0.21) say `addresses: [one]`.
        address = script.get("address") or (script.get("addresses") or [None])[0]
        if address and (wanted is None or address in wanted):
            yield int(vout["n"]), address, to_base_units(vout["value"])


def _parse_block(raw: Any, watch: Watch) -> Block:
    with malformed("getblock answer"):
        transfers = tuple(Transfer(_block_hash(tx["txid"]), n, address, amount, None)
                          for tx in raw["tx"]
                          for n, address, amount in _outputs(tx, watch.addresses))
        # The genesis block has no parent; an all-zero hash keeps `parent_hash` a plain str.
        parent = raw.get("previousblockhash") or "0" * 64
        return Block(int(raw["height"]), _block_hash(raw["hash"]), _block_hash(parent), transfers)
