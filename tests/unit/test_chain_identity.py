"""The identity check on its own: one check for concurrent callers, checked again after a failure, and the
networks it knows kept in step with the address formats and the names the rest of the shop uses."""

from __future__ import annotations

import asyncio
from typing import get_args

import pytest

from bots.config import BitcoinMethod
from payments.backends.identity import NODE_NETWORKS, ChainMismatch, IdentityCheck, expect_chain_id
from payments.derive import NETWORKS
from payments.methods import BITCOIN_FAMILY


def test_every_bitcoin_family_network_has_a_node_identity() -> None:
    configurable = set(get_args(BitcoinMethod.model_fields["network"].annotation))
    assert configurable == set(NODE_NETWORKS) == set(NETWORKS) == set(BITCOIN_FAMILY)


def test_a_mismatch_names_both_ids() -> None:
    with pytest.raises(ChainMismatch, match=r"^evm http://node:8545: chain id 11155111 answered, 1 expected;"):
        expect_chain_id("evm http://node:8545", 11155111, 1)
    expect_chain_id("evm http://node:8545", 1, 1)


class Node:
    def __init__(self) -> None:
        self.checks = 0
        self.failures = 0
        self.right_chain = True

    async def check(self) -> None:
        self.checks += 1
        await asyncio.sleep(0.01)
        if not self.right_chain:
            raise ChainMismatch("node", "chain id", "5", "1")


async def test_concurrent_calls_share_one_check_and_a_failure_brings_it_back() -> None:
    node = Node()
    identity = IdentityCheck(node.check, lambda: node.failures)
    await asyncio.gather(*(identity.ensure() for _ in range(8)))
    await identity.ensure()
    assert node.checks == 1
    node.failures += 1                       # the node could not be reached: it may be another one now
    node.right_chain = False
    for _ in range(2):                       # refused, and asked again on every call until it answers right
        with pytest.raises(ChainMismatch):
            await identity.ensure()
    node.right_chain = True
    await identity.ensure()
    await identity.ensure()
    assert node.checks == 4
