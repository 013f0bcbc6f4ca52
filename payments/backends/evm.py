"""Ethereum-family JSON-RPC (geth, erigon, anvil, hosted RPC): native coin by transaction, ERC-20 by Transfer log.

Calls per operation (HTTP round trips, counted in `calls`):
- tip(): 1 (a batch of `eth_chainId` + `eth_syncing` + `eth_getBlockByNumber("latest", false)`; refuses a node
  on another chain than `chain_id`, and a syncing node).
- block_hash(h): 1 (`eth_getBlockByNumber(h, false)`).
- block(h): 1 (`eth_getBlockByNumber(h, true)`) + 1 `eth_getLogs` by block hash for every watched token and
  recipient at once, only when tokens are watched — so at most 2.
- mempool(): 0 — always [] (pending transactions are not reported).
- block_hash() and block() first ask `eth_chainId` (1 call) unless the chain id was proven since the node was
  last unreachable (see identity.py).

What is seen: native value sent by a transaction straight to a watched address (not value moved by contract
internals), and ERC-20 `Transfer(from, to, value)` logs of watched tokens to watched addresses.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Final

import httpx

from payments.backends.base import BackendError, Block, Tip, Transfer, Watch
from payments.backends.identity import IdentityCheck, expect_chain_id
from payments.backends.rpc import DEFAULT_TIMEOUT, JsonRpc, RpcError, hex_quantity, malformed

TRANSFER_TOPIC: Final = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
_HASH: Final = re.compile(r"0x[0-9a-f]{64}")
_ADDRESS: Final = re.compile(r"0x[0-9a-f]{40}")


class EvmBackend:
    has_mempool = False  # transactions waiting to be mined are not looked at (no 0-conf on EVM)

    def __init__(self, rpc_url: str, *, key: str, chain_id: int, client: httpx.AsyncClient | None = None,
                 timeout: timedelta = DEFAULT_TIMEOUT) -> None:
        self.key = key
        self.chain_id = chain_id
        self._rpc = JsonRpc(rpc_url, name="evm", version="2.0", client=client, timeout=timeout)
        self._where = f"evm {self._rpc.endpoint.label}"
        self._identity = IdentityCheck(self._check_chain_id, lambda: self._rpc.failures)

    @property
    def calls(self) -> int:
        return self._rpc.calls

    @calls.setter
    def calls(self, value: int) -> None:
        self._rpc.calls = value

    def __repr__(self) -> str:
        return f"<EvmBackend {self.key} {self._rpc.endpoint.label}>"

    async def tip(self) -> Tip:
        """The chain id rides along in the same batch: every poll proves the node, at no extra round trip."""
        failures = self._rpc.failures
        answers = await self._rpc.batch([("eth_chainId", ()), ("eth_syncing", ()),
                                         ("eth_getBlockByNumber", ("latest", False))])
        for answer in answers:
            if isinstance(answer, RpcError):
                raise answer
        chain_id, syncing, latest = answers
        self._expect_chain_id(chain_id)
        self._identity.prove(failures)
        if syncing:   # false, or an object with currentBlock / highestBlock
            raise BackendError(f"{self._where}: node is syncing")
        with malformed("eth_getBlockByNumber answer"):
            return Tip(hex_quantity(latest["number"]), _hash(latest["hash"]))

    async def block_hash(self, height: int) -> str:
        await self._identity.ensure()
        header = await self._get_block(height, with_transactions=False)
        with malformed("eth_getBlockByNumber answer"):
            return _hash(header["hash"])

    async def block(self, height: int, watch: Watch) -> Block:
        """The block's native transfers to watched addresses that SUCCEEDED, plus watched token transfers.

        A mined transaction can revert (a contract wallet that runs out of gas) and move nothing, so
        native candidates are checked against their receipts; the receipts and the token logs travel in
        one JSON-RPC batch: tip + block + batch stays at three calls a block.
        """
        await self._identity.ensure()
        raw = await self._get_block(height, with_transactions=True)
        with malformed("eth_getBlockByNumber answer"):
            number, block_hash, parent = hex_quantity(raw["number"]), _hash(raw["hash"]), _hash(raw["parentHash"])
            candidates = [Transfer(_hash(tx["hash"]), 0, to, value, None)
                          for tx in raw["transactions"]
                          if (to := (tx.get("to") or "").lower()) in watch.addresses
                          and (value := hex_quantity(tx["value"])) > 0]
        recipients = sorted(_topic(a) for a in watch.addresses if _ADDRESS.fullmatch(a)) if watch.tokens else []
        calls: list[tuple[str, list[Any]]] = [("eth_getTransactionReceipt", [t.txid]) for t in candidates]
        if recipients:
            calls.append(("eth_getLogs", [{"blockHash": block_hash, "address": sorted(watch.tokens),
                                           "topics": [TRANSFER_TOPIC, None, recipients]}]))
        if not calls:
            return Block(number, block_hash, parent, ())
        answers = await self._rpc.batch(calls)
        for answer in answers:
            if isinstance(answer, RpcError):
                raise BackendError(f"{self._where}: {answer}")
        transfers = [t for t, receipt in zip(candidates, answers, strict=False) if _succeeded(receipt, t.txid)]
        if recipients:
            transfers += self._token_transfers(answers[-1], watch)
        return Block(number, block_hash, parent, tuple(transfers))

    async def mempool(self, watch: Watch) -> list[Transfer]:
        return []

    async def aclose(self) -> None:
        await self._rpc.aclose()

    async def _check_chain_id(self) -> None:
        self._expect_chain_id(await self._rpc.call("eth_chainId"))

    def _expect_chain_id(self, answer: object) -> None:
        with malformed("eth_chainId answer"):
            answered = hex_quantity(answer)
        expect_chain_id(self._where, answered, self.chain_id)

    async def _get_block(self, height: int, *, with_transactions: bool) -> Any:
        raw = await self._rpc.call("eth_getBlockByNumber", hex(height), with_transactions)
        if raw is None:
            raise BackendError(f"{self._where}: no block at height {height} yet")
        return raw

    @staticmethod
    def _token_transfers(logs: Any, watch: Watch) -> list[Transfer]:
        transfers = []
        with malformed("eth_getLogs answer"):
            for log in logs:
                topics = log["topics"]
                # `removed` marks a log of a block reorganised away; 3 topics is the standard indexed Transfer.
                if log.get("removed") or len(topics) != 3 or topics[0].lower() != TRANSFER_TOPIC:
                    continue
                token, recipient = log["address"].lower(), "0x" + topics[2].lower()[-40:]
                if token not in watch.tokens or recipient not in watch.addresses:
                    continue
                data = log["data"]
                if len(data) != 66:
                    raise ValueError("Transfer value is not one 32-byte word")
                transfers.append(Transfer(_hash(log["transactionHash"].lower()), hex_quantity(log["logIndex"]),
                                          recipient, hex_quantity(data), token))
        return transfers


def _succeeded(receipt: Any, txid: str) -> bool:
    """True for a receipt with status 1; a missing receipt for a mined transaction is a node problem."""
    with malformed("eth_getTransactionReceipt answer"):
        if receipt is None:
            raise ValueError(f"no receipt for mined transaction {txid}")
        return hex_quantity(receipt["status"]) == 1


def _hash(value: Any) -> str:
    if not isinstance(value, str) or not _HASH.fullmatch(value.lower()):
        raise ValueError("not a 0x-prefixed 32-byte hash")
    return value.lower()


def _topic(address: str) -> str:
    return "0x" + "0" * 24 + address[2:]
