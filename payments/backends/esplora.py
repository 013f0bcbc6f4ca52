"""Blockstream Esplora HTTP API (blockstream.info, mempool.space, a self-hosted electrs): no node of one's own.

Calls per operation (HTTP round trips, counted in `calls`):
- tip(): 1 (`/blocks`: the newest blocks, tip first, with height and hash together, so they cannot disagree).
- block_hash(h): 1 (`/block-height/:h`).
- block(h): 1 (`/blocks/:h`: hash, parent and tx_count of the best-chain block at h) + ceil(tx_count / 25) pages of
  `/block/:hash/txs/:start` — 2 for a block of up to 25 transactions (regtest, small chains). For mainnet-size
  blocks `/block/:hash/raw` would be one call but needs a script-to-address encoder per network.
- mempool(): 1 (`/mempool/txids`) + 1 `/tx/:txid` per txid not seen before (8 at a time).
- every operation first proves the server's chain (1 `/block-height/0`: its genesis block must be the configured
  network's) unless it was proven since the server was last unreachable (see identity.py).
Esplora has no "syncing" flag; a lagging server just reports an older tip.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Container, Iterable
from datetime import timedelta
from typing import Any, Final

import httpx

from payments.backends.base import Block, Tip, Transfer, Watch
from payments.backends.identity import IdentityCheck, expect_genesis, node_network
from payments.backends.rpc import DEFAULT_TIMEOUT, HttpJson, malformed

_HASH: Final = re.compile(r"[0-9a-f]{64}")
_PAGE: Final = 25          # Esplora's fixed page size for /block/:hash/txs/:start_index
_PARALLEL: Final = 8

Output = tuple[int, str, int]   # (vout, address, satoshis)


class EsploraBackend:
    def __init__(self, base_url: str, *, key: str, network: str, client: httpx.AsyncClient | None = None,
                 timeout: timedelta = DEFAULT_TIMEOUT) -> None:
        self.key = key
        self.network = node_network(network)
        self._http = HttpJson(base_url, name="esplora", client=client, timeout=timeout)
        self._mempool: dict[str, tuple[Output, ...]] = {}
        self._identity = IdentityCheck(self._check_genesis, lambda: self._http.failures)

    @property
    def calls(self) -> int:
        return self._http.calls

    @calls.setter
    def calls(self, value: int) -> None:
        self._http.calls = value

    def __repr__(self) -> str:
        return f"<EsploraBackend {self.key} {self._http.endpoint.label}>"

    async def tip(self) -> Tip:
        await self._identity.ensure()
        blocks = await self._http.get_json("/blocks")
        with malformed("/blocks answer"):
            return Tip(_natural(blocks[0]["height"]), _hash(blocks[0]["id"]))

    async def block_hash(self, height: int) -> str:
        await self._identity.ensure()
        return await self._hash_at(height)

    async def _hash_at(self, height: int) -> str:
        text = await self._http.get_text(f"/block-height/{int(height)}")
        with malformed("/block-height answer"):
            return _hash(text)

    async def block(self, height: int, watch: Watch) -> Block:
        await self._identity.ensure()
        path = f"/blocks/{int(height)}"
        headers = await self._http.get_json(path)
        with malformed(f"{path} answer"):
            header = headers[0]
            if _natural(header["height"]) != height:
                raise self._http.fail(path, f"no block at height {height} yet")
            block_hash = _hash(header["id"])
            parent = _hash(header.get("previousblockhash") or "0" * 64)   # genesis has none
            tx_count = _natural(header["tx_count"])
        transfers: list[Transfer] = []
        for start in range(0, tx_count, _PAGE):
            page_path = f"/block/{block_hash}/txs/{start}"
            page = await self._http.get_json(page_path)
            with malformed(f"{page_path} answer"):
                for tx in page:
                    txid = _hash(tx["txid"])
                    transfers += (Transfer(txid, n, address, amount, None)
                                  for n, address, amount in _outputs(tx, watch.addresses))
        return Block(height, block_hash, parent, tuple(transfers))

    async def mempool(self, watch: Watch) -> list[Transfer]:
        await self._identity.ensure()
        txids = await self._http.get_json("/mempool/txids")
        with malformed("/mempool/txids answer"):
            current = [_hash(txid) for txid in txids]
        self._mempool = {txid: self._mempool[txid] for txid in current if txid in self._mempool}
        new = [txid for txid in current if txid not in self._mempool]
        limit = asyncio.Semaphore(_PARALLEL)

        async def fetch(txid: str) -> None:
            async with limit:
                outputs = await self._transaction_outputs(txid)
            if outputs is not None:
                self._mempool[txid] = outputs

        # Every fetch ends by itself (each has a deadline); the first failure is reported after all have ended.
        for outcome in await asyncio.gather(*(fetch(txid) for txid in new), return_exceptions=True):
            if isinstance(outcome, BaseException):
                raise outcome
        return [Transfer(txid, n, address, amount, None)
                for txid, outputs in self._mempool.items()
                for n, address, amount in outputs if address in watch.addresses]

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _check_genesis(self) -> None:
        expect_genesis(f"esplora {self._http.endpoint.label}", await self._hash_at(0), self.network)

    async def _transaction_outputs(self, txid: str) -> tuple[Output, ...] | None:
        path = f"/tx/{txid}"
        response = await self._http.request(path, "GET", self._http.url_for(path))
        if response.status_code == 404:
            return None   # mined or dropped since /mempool/txids: the block scan will see it
        if response.status_code >= 300:
            raise self._http.fail(path, f"HTTP {response.status_code}")
        tx = self._http.decode(path, response)
        with malformed(f"{path} answer"):
            return tuple(_outputs(tx))


def _hash(value: Any) -> str:
    if not isinstance(value, str) or not _HASH.fullmatch(value):
        raise ValueError("not a 64-hex hash")
    return value


def _natural(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("not a whole number")
    return value


def _outputs(tx: dict[str, Any], wanted: Container[str] | None = None) -> Iterable[Output]:
    """Outputs paying an address (all of them, or only those in `wanted`); Esplora values are whole satoshis."""
    for n, vout in enumerate(tx["vout"]):
        address = vout.get("scriptpubkey_address")
        if address and (wanted is None or address in wanted):
            yield n, address, _natural(vout["value"])
