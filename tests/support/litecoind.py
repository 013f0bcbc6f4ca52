"""A real Bitcoin-Core-family node: `litecoind -regtest` from Debian (same RPC as bitcoind 0.21).

One node per test session with one legacy wallet; tests isolate themselves with fresh addresses.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import httpx
import pytest

from tests.support.anvil import free_port, stop_process, wait_for

WALLET: Final = "shop-tests"
COINBASE_MATURITY: Final = 100
SPENDABLE_COINBASES: Final = 40   # confirmed coins, so dozens of payments in one block never chain unconfirmed change


class RpcFailure(RuntimeError):
    def __init__(self, method: str, error: dict[str, Any]) -> None:
        super().__init__(f"litecoind {method}: {error.get('message')} (code {error.get('code')})")
        self.code = error.get("code")


@dataclass
class LitecoinNode:
    proc: subprocess.Popen[bytes]
    datadir: Path
    rpc_port: int
    p2p_port: int
    user: str
    password: str
    _client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30.0))
    _lock: threading.Lock = field(default_factory=threading.Lock)   # the Esplora server calls from its threads
    _ids: int = 0

    @property
    def url(self) -> str:
        """The RPC URL with credentials in it, as a seller would configure it."""
        return f"http://{self.user}:{self.password}@127.0.0.1:{self.rpc_port}"

    def rpc(self, method: str, *params: Any, wallet: str | None = None) -> Any:
        path = f"/wallet/{wallet}" if wallet else "/"
        with self._lock:
            self._ids += 1
            body = {"jsonrpc": "1.0", "id": self._ids, "method": method, "params": list(params)}
            response = self._client.post(f"http://127.0.0.1:{self.rpc_port}{path}", auth=(self.user, self.password),
                                         content=json.dumps(body, default=str))
        if response.status_code in (401, 403):
            raise RuntimeError(f"litecoind {method}: HTTP {response.status_code}")
        answer = json.loads(response.content, parse_float=Decimal)
        if answer.get("error"):
            raise RpcFailure(method, answer["error"])
        return answer["result"]

    # --- wallet and mining helpers ---------------------------------------------------------------------------

    def new_address(self) -> str:
        return str(self.rpc("getnewaddress", "", "bech32", wallet=WALLET))

    def mine(self, blocks: int = 1, address: str | None = None) -> list[str]:
        """`generatetoaddress`; the reward goes to a fresh wallet address unless one is given."""
        return list(self.rpc("generatetoaddress", blocks, address or self.new_address()))

    def send(self, address: str, amount: Decimal) -> str:
        if not isinstance(amount, Decimal):
            raise TypeError("amounts are Decimal LTC")
        return str(self.rpc("sendtoaddress", address, str(amount), wallet=WALLET))

    def mempool(self) -> list[str]:
        return list(self.rpc("getrawmempool"))

    def height(self) -> int:
        return int(self.rpc("getblockcount"))

    def invalidate(self, block_hash: str) -> None:
        self.rpc("invalidateblock", block_hash)

    def reconsider(self, block_hash: str) -> None:
        self.rpc("reconsiderblock", block_hash)

    def stop(self) -> None:
        try:
            self.rpc("stop")
            self.proc.wait(10)
        except (httpx.HTTPError, RuntimeError, subprocess.TimeoutExpired):
            pass
        finally:
            self._client.close()
            stop_process(self.proc)


def start_litecoind(datadir: Path) -> LitecoinNode:
    """Start a regtest node in `datadir`, create the wallet and mine past coinbase maturity (140 blocks)."""
    binary = shutil.which("litecoind")
    if binary is None:
        pytest.skip("litecoind is not installed (scripts/test.sh runs `apt-get install -y litecoind` as root)")
    rpc_port, p2p_port, user, password = free_port(), free_port(), "shop", secrets.token_hex(12)
    datadir.mkdir(parents=True, exist_ok=True)
    conf = datadir / "litecoin.conf"
    conf.write_text("\n".join([
        "regtest=1", "server=1", "listen=0", "dnsseed=0", "txindex=1", "fallbackfee=0.0001",
        "printtoconsole=0", "discover=0", "listenonion=0",
        "[regtest]", "rpcbind=127.0.0.1", "rpcallowip=127.0.0.1", f"rpcport={rpc_port}", f"port={p2p_port}",
        f"rpcuser={user}", f"rpcpassword={password}", "",
    ]))
    proc = subprocess.Popen([binary, "-regtest", f"-datadir={datadir}", f"-conf={conf}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    node = LitecoinNode(proc, datadir, rpc_port, p2p_port, user, password)
    try:
        wait_for(lambda: node.rpc("getblockcount"), proc=proc, what="litecoind", timeout=30.0)
        node.rpc("createwallet", WALLET)
        node.mine(COINBASE_MATURITY + SPENDABLE_COINBASES)
    except BaseException:
        node.stop()
        raise
    return node
