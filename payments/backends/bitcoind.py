"""Bitcoin Core JSON-RPC (and its forks with the same RPC, e.g. litecoind): the seller's own node.

Calls per operation (HTTP round trips, counted in `calls`):
- tip(): 1 (`getblockchaininfo`; refuses a node in initial block download).
- block_hash(h): 1 (`getblockhash`).
- block(h): 1 (`getblock <hash> 2`) when the hash of `h` is already known from the last tip() or block_hash()
  and still on the best chain, otherwise 2 (`getblockhash` + `getblock`). block_by_hash(hash): 1.
- mempool(): 1 (`getrawmempool`) + 1 batch of `getrawtransaction` for txids not seen before (chunks of 200).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Container, Iterable
from datetime import timedelta
from typing import Any, Final

import httpx

from payments.backends.base import BackendError, Block, Tip, Transfer, Watch
from payments.backends.rpc import DEFAULT_TIMEOUT, JsonRpc, RpcError, malformed, to_base_units

_HASH: Final = re.compile(r"[0-9a-f]{64}")
_HASH_CACHE_SIZE: Final = 64
_MEMPOOL_BATCH: Final = 200
_NOT_FOUND: Final = -5   # RPC_INVALID_ADDRESS_OR_KEY: the tx left the mempool between two calls

# A received output, whatever is being watched: (vout, address, satoshis).
Output = tuple[int, str, int]


class BitcoindBackend:
    def __init__(self, url: str, *, key: str, client: httpx.AsyncClient | None = None,
                 timeout: timedelta = DEFAULT_TIMEOUT) -> None:
        self.key = key
        self._rpc = JsonRpc(url, name="bitcoind", client=client, timeout=timeout)
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
        info = await self._rpc.call("getblockchaininfo")
        with malformed("getblockchaininfo answer"):
            if info["initialblockdownload"]:
                raise BackendError(f"bitcoind {self._rpc.endpoint.label}: node is in initial block download")
            tip = Tip(int(info["blocks"]), _block_hash(info["bestblockhash"]))
        self._remember(tip.height, tip.hash)
        return tip

    async def block_hash(self, height: int) -> str:
        with malformed("getblockhash answer"):
            block_hash = _block_hash(await self._rpc.call("getblockhash", height))
        self._remember(height, block_hash)
        return block_hash

    async def block(self, height: int, watch: Watch) -> Block:
        known = self._hashes.get(height)
        if known is not None:
            raw = await self._getblock(known)
            if _on_best_chain(raw):
                return _parse_block(raw, watch)
        raw = await self._getblock(await self.block_hash(height))
        if not _on_best_chain(raw):
            raise BackendError(f"bitcoind {self._rpc.endpoint.label}: block {height} was reorganised away")
        return _parse_block(raw, watch)

    async def block_by_hash(self, block_hash: str, watch: Watch) -> Block:
        """The block with this hash, on the best chain or not (one call)."""
        return _parse_block(await self._getblock(block_hash), watch)

    async def mempool(self, watch: Watch) -> list[Transfer]:
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
