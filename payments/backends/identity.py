"""Which chain a node is on, checked before it is believed.

A node URL pasted from the wrong place (a testnet, another EVM chain, a Litecoin node for Bitcoin) answers
every call perfectly well; on EVM chains the same address exists on every chain, so the shop would count
another chain's coins as payment. Each backend therefore proves its node's identity — `eth_chainId`,
`getblockchaininfo`'s `chain` and genesis block, or Esplora's genesis block — before its first call and
again after any failure to reach it (the node behind the URL may have been swapped meanwhile). A node that
answers for another chain raises `ChainMismatch`, naming both ids, and is not used until it answers right.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Final

from payments.backends.base import BackendError

# Genesis block hashes, from each node's chainparams.cpp (`assert(consensus.hashGenesisBlock == …)`).
_BITCOIN_MAIN: Final = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
_BITCOIN_TESTNET3: Final = "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943"
_BITCOIN_TESTNET4: Final = "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043"
_BITCOIN_SIGNET: Final = "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6"
_BITCOIN_REGTEST: Final = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
_LITECOIN_MAIN: Final = "12a765e31ffd4059bada1e25190f6e98c99d9714d334efa41a195a7e7e04bfe2"
_LITECOIN_TESTNET: Final = "4966625a4b2851d9fdee139e56211a0d88575f59ed816ff5e6a63deb4e3e29a0"
_LITECOIN_REGTEST: Final = "530827f38f93b43ed12af0b3ad25a288dc02ed74d6d7857862df51fc56c416f9"

GENESIS_NAMES: Final[Mapping[str, str]] = {
    _BITCOIN_MAIN: "Bitcoin mainnet", _BITCOIN_TESTNET3: "Bitcoin testnet3", _BITCOIN_TESTNET4: "Bitcoin testnet4",
    _BITCOIN_SIGNET: "Bitcoin signet", _BITCOIN_REGTEST: "Bitcoin regtest", _LITECOIN_MAIN: "Litecoin mainnet",
    _LITECOIN_TESTNET: "Litecoin testnet", _LITECOIN_REGTEST: "Litecoin regtest",
}


@dataclass(frozen=True, slots=True)
class NodeNetwork:
    """What a Bitcoin-family `network` from bot.toml looks like from a node: the `chain` name bitcoind and
    litecoind report, and the genesis hashes allowed. Testnet addresses (tb1…, tpub) are the same on
    testnet3, testnet4 and signet, so a "testnet" method accepts any of them.

    The same networks' address formats are in payments/derive.py and their names in payments/methods.py
    (derive pulls in bip_utils, which a backend has no use for); tests/unit/test_chain_identity.py keeps the
    three lists in step."""

    network: str
    chains: frozenset[str]
    genesis: frozenset[str]


NODE_NETWORKS: Final[Mapping[str, NodeNetwork]] = {
    network: NodeNetwork(network, frozenset(chains), frozenset(genesis)) for network, chains, genesis in (
        ("mainnet", {"main"}, {_BITCOIN_MAIN}),
        ("testnet", {"test", "testnet4", "signet"}, {_BITCOIN_TESTNET3, _BITCOIN_TESTNET4, _BITCOIN_SIGNET}),
        ("regtest", {"regtest"}, {_BITCOIN_REGTEST}),
        ("litecoin", {"main"}, {_LITECOIN_MAIN}),
        ("litecoin-testnet", {"test"}, {_LITECOIN_TESTNET}),
        ("litecoin-regtest", {"regtest"}, {_LITECOIN_REGTEST}),
    )
}


def node_network(network: str) -> NodeNetwork:
    try:
        return NODE_NETWORKS[network]
    except KeyError:
        raise ValueError(f"unknown Bitcoin-family network {network!r}") from None


class ChainMismatch(BackendError):
    """The node answers for another chain than the one configured: it is refused, never watched."""

    def __init__(self, where: str, what: str, answered: str, expected: str, network: str | None = None) -> None:
        configured = f' for network "{network}"' if network else ""
        super().__init__(f"{where}: {what} {answered} answered, {expected} expected{configured}; "
                         "this node is not watched until it answers for the configured chain")
        self.answered = answered
        self.expected = expected


def expect_chain_id(where: str, answered: int, expected: int) -> None:
    if answered != expected:
        raise ChainMismatch(where, "chain id", str(answered), str(expected))


def expect_chain_name(where: str, answered: str, network: NodeNetwork) -> None:
    if answered not in network.chains:
        expected = " or ".join(f'"{chain}"' for chain in sorted(network.chains))
        shown = "".join(c if c.isprintable() else "?" for c in answered[:40])   # the node's words, into a log line
        raise ChainMismatch(where, "chain", f'"{shown}"', expected, network.network)


def expect_genesis(where: str, answered: str, network: NodeNetwork) -> None:
    if answered not in network.genesis:
        expected = " or ".join(_genesis_label(g) for g in sorted(network.genesis, key=GENESIS_NAMES.__getitem__))
        raise ChainMismatch(where, "genesis block", _genesis_label(answered), expected, network.network)


def _genesis_label(block_hash: str) -> str:
    name = GENESIS_NAMES.get(block_hash)
    return f"{block_hash} ({name})" if name else block_hash


class IdentityCheck:
    """Runs a backend's identity check before its first call and again after a failure to reach the node.

    `failures` is read from the HTTP plumbing (a count of transport failures): when it has moved since the
    last successful check, the node behind the URL may be another one now, so it is checked again. A check
    that fails (mismatch or no answer) leaves the node unproven, so the next call checks again — which is
    how a backend recovers when the right node comes back.
    """

    def __init__(self, check: Callable[[], Awaitable[None]], failures: Callable[[], int]) -> None:
        self._check = check
        self._failures = failures
        self._proven_at: int | None = None   # the failure count when the node was last proven right
        self._lock = asyncio.Lock()

    @property
    def proven(self) -> bool:
        return self._proven_at == self._failures()

    def prove(self, failures_before: int) -> None:
        """A call that checks the identity itself (a tip that asks for the chain id) proved it."""
        if self._failures() == failures_before:
            self._proven_at = failures_before

    async def ensure(self) -> None:
        if self.proven:
            return
        async with self._lock:   # concurrent calls (Esplora's parallel mempool fetches) share one check
            if self.proven:
                return
            before = self._failures()
            await self._check()
            self.prove(before)
