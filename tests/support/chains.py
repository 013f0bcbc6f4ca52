"""pytest fixtures for the local chains: one anvil and one litecoind per session, started on first use.

Tests isolate themselves: on anvil every test runs between an `evm_snapshot` and an `evm_revert`; on litecoind
every test pays fresh addresses. Binaries that are not installed turn into skips that say how to install them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.anvil import Anvil, automine, deploy_erc20, revert, snapshot, start_anvil
from tests.support.esplora_server import EsploraServer, Fault
from tests.support.litecoind import LitecoinNode, start_litecoind

__all__ = ["anvil", "anvil_node", "erc20", "esplora_server", "esplora_session", "litecoind", "sepolia_node"]

SEPOLIA_CHAIN_ID = 11155111


@pytest.fixture(scope="session")
def anvil_node() -> Iterator[Anvil]:
    node = start_anvil()
    yield node
    node.stop()


@pytest.fixture(scope="session")
def sepolia_node() -> Iterator[Anvil]:
    """A second anvil answering chain id 11155111 (Sepolia's): the node a seller pastes by mistake."""
    node = start_anvil(SEPOLIA_CHAIN_ID)
    yield node
    node.stop()


@pytest.fixture(scope="session")
def erc20(anvil_node: Anvil) -> str:
    """A real ERC-20 (6 decimals) deployed once; the first dev account holds the supply."""
    return deploy_erc20(anvil_node)


@pytest.fixture
def anvil(anvil_node: Anvil, erc20: str) -> Iterator[Anvil]:
    """The session's anvil, rolled back to this point (token deployed, automine on) after the test."""
    before = snapshot(anvil_node)
    yield anvil_node
    revert(anvil_node, before)
    automine(anvil_node, True)


@pytest.fixture(scope="session")
def litecoind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LitecoinNode]:
    """litecoind regtest with a funded wallet (140 blocks mined, so 40 coinbases are spendable)."""
    node = start_litecoind(tmp_path_factory.mktemp("litecoind"))
    yield node
    node.stop()


@pytest.fixture(scope="session")
def esplora_session(litecoind: LitecoinNode) -> Iterator[EsploraServer]:
    server = EsploraServer(litecoind)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def esplora_server(esplora_session: EsploraServer) -> Iterator[EsploraServer]:
    """The Esplora API over the session's litecoind, with no fault switched on and an empty request log."""
    esplora_session.fault = Fault.NONE
    esplora_session.genesis = None
    esplora_session.requests.clear()
    yield esplora_session
    esplora_session.fault = Fault.NONE
    esplora_session.genesis = None
