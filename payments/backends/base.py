"""What the watcher needs from a chain, whatever the chain: one Protocol, plain data in and out.

Cost is per block, not per order: `tip()` is one call, `block()` one or two (bitcoind `getblock <hash> 2`;
Esplora the raw block; EVM `eth_getBlockByNumber` plus one `eth_getLogs` for every watched token and
recipient at once). Backends never decide anything about orders; they report what is on the chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class BackendError(Exception):
    """A transient failure talking to the chain (timeout, HTTP 5xx, malformed answer, node still syncing).

    The watcher retries with backoff; it never treats a BackendError as "nothing happened".
    """


@dataclass(frozen=True, slots=True)
class Tip:
    height: int
    hash: str


@dataclass(frozen=True, slots=True)
class Transfer:
    """Value arriving at one address in one transaction output (UTXO), token log (ERC-20) or native tx (EVM)."""

    txid: str           # lowercase hex, no 0x for Bitcoin-like chains; 0x-prefixed lowercase for EVM
    index: int          # output index (vout), log index (ERC-20), or 0 for a native EVM transfer
    address: str        # recipient, normalised: bech32 lowercase, EVM lowercase 0x…
    amount: int         # base units (satoshi, wei, token units)
    token: str | None   # ERC-20 contract, lowercase 0x…; None for the chain's own coin


@dataclass(frozen=True, slots=True)
class Block:
    height: int
    hash: str
    parent_hash: str
    transfers: tuple[Transfer, ...]   # only those to watched addresses (and watched tokens)


@dataclass(frozen=True, slots=True)
class Watch:
    """What to look for: every target ever issued (expired ones too, for late payments)."""

    addresses: frozenset[str]
    tokens: frozenset[str] = frozenset()   # ERC-20 contracts (EVM only), lowercase


class ChainBackend(Protocol):
    key: str   # identifies the chain for cursors and leases, e.g. "bitcoin:regtest", "evm:31337"

    async def tip(self) -> Tip:
        """The best block now. One backend call."""
        ...

    async def block_hash(self, height: int) -> str:
        """The hash of the block at `height` on the best chain (used to find a reorg's fork point)."""
        ...

    async def block(self, height: int, watch: Watch) -> Block:
        """The block at `height` with the transfers in it that `watch` cares about."""
        ...

    async def mempool(self, watch: Watch) -> list[Transfer]:
        """Unconfirmed transfers to watched addresses (0-conf "seen"); [] where the backend has no mempool."""
        ...

    async def aclose(self) -> None:
        ...
