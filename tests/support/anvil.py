"""A real local Ethereum node (anvil from `@foundry-rs/anvil` on npm, installed into .tools by scripts/test.sh).

Also the process helpers the other local nodes share: free ports, readiness polling, stop by PID.
Dev accounts are unlocked, so `eth_sendTransaction` needs no keys.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

import httpx
import pytest

ROOT: Final = Path(__file__).resolve().parents[2]
TOOLS: Final = ROOT / ".tools" / "node_modules"
ERC20_SOURCE: Final = Path(__file__).with_name("erc20.sol")
ERC20_ARTIFACT: Final = Path(__file__).with_name("erc20.json")
_TRANSFER_SELECTOR: Final = "a9059cbb"   # transfer(address,uint256)

T = TypeVar("T")


# --- process helpers (shared with litecoind.py) -------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(ready: Callable[[], T], *, proc: subprocess.Popen[bytes], what: str, timeout: float = 15.0) -> T:
    """Poll `ready()` until it returns without raising; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode} before it was ready")
        try:
            return ready()
        except (httpx.HTTPError, RuntimeError, ValueError) as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} not ready after {timeout:g}s: {exc}") from exc
        time.sleep(0.05)


def stop_process(proc: subprocess.Popen[bytes], *, grace: float = 5.0) -> None:
    """Stop one process we started, by its PID: SIGTERM, then SIGKILL after `grace` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(grace)


# --- anvil -------------------------------------------------------------------------------------------------

def anvil_binary() -> Path | None:
    system = {"linux": "linux", "darwin": "darwin"}.get(sys.platform)
    machines = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
    machine = machines.get(platform.machine().lower())
    if system is None or machine is None:
        return None
    binary = TOOLS / "@foundry-rs" / f"anvil-{system}-{machine}" / "bin" / "anvil"
    return binary if binary.is_file() else None


@dataclass
class Anvil:
    proc: subprocess.Popen[bytes]
    url: str
    chain_id: int = 31337
    accounts: list[str] = field(default_factory=list)
    _client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10.0))
    _ids: int = 0

    def rpc(self, method: str, *params: Any) -> Any:
        self._ids += 1
        answer = self._client.post(self.url, json={"jsonrpc": "2.0", "id": self._ids, "method": method,
                                                   "params": list(params)}).json()
        if answer.get("error"):
            raise RuntimeError(f"anvil {method}: {answer['error']}")
        return answer["result"]

    def stop(self) -> None:
        self._client.close()
        stop_process(self.proc)


def start_anvil(chain_id: int = 31337) -> Anvil:
    binary = anvil_binary()
    if binary is None:
        pytest.skip("anvil is not installed in .tools (scripts/test.sh installs @foundry-rs/anvil@1.7.1 with npm)")
    port = free_port()
    proc = subprocess.Popen([str(binary), "--host", "127.0.0.1", "--port", str(port), "--chain-id", str(chain_id),
                             "--silent"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    node = Anvil(proc, f"http://127.0.0.1:{port}", chain_id)
    try:
        node.accounts = [a.lower() for a in wait_for(lambda: node.rpc("eth_accounts"), proc=proc, what="anvil")]
    except BaseException:
        node.stop()
        raise
    return node


# --- helpers the tests call ----------------------------------------------------------------------------------

def send_eth(node: Anvil, sender: str, to: str, wei: int) -> str:
    return str(node.rpc("eth_sendTransaction", {"from": sender, "to": to, "value": hex(wei)}))


def erc20_transfer(node: Anvil, token: str, sender: str, to: str, units: int) -> str:
    data = "0x" + _TRANSFER_SELECTOR + to[2:].lower().rjust(64, "0") + f"{units:064x}"
    return str(node.rpc("eth_sendTransaction", {"from": sender, "to": token, "data": data}))


def deploy_erc20(node: Anvil, owner: str | None = None) -> str:
    """Deploy the test token (the owner gets 1,000,000.000000 units); needs automine on. Returns its address."""
    tx = node.rpc("eth_sendTransaction", {"from": owner or node.accounts[0], "data": erc20_artifact()["bytecode"]})
    receipt = wait_for_receipt(node, tx)
    if receipt is None or receipt["status"] != "0x1":
        raise RuntimeError(f"ERC-20 deployment not mined or failed: {receipt}")
    return str(receipt["contractAddress"]).lower()


def wait_for_receipt(node: Anvil, tx: str, *, timeout: float = 10.0) -> Any:
    """anvil may answer eth_sendTransaction a moment before the block with it is mined."""
    deadline = time.monotonic() + timeout
    while (receipt := node.rpc("eth_getTransactionReceipt", tx)) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    return receipt


def mine(node: Anvil, blocks: int = 1) -> None:
    node.rpc("anvil_mine", hex(blocks))


def block_number(node: Anvil) -> int:
    return int(node.rpc("eth_blockNumber"), 16)


def snapshot(node: Anvil) -> str:
    return str(node.rpc("evm_snapshot"))


def revert(node: Anvil, snapshot_id: str) -> None:
    if not node.rpc("evm_revert", snapshot_id):
        raise RuntimeError(f"evm_revert {snapshot_id} refused")


def automine(node: Anvil, on: bool) -> None:
    node.rpc("evm_setAutomine", on)


# --- the ERC-20 artefact -------------------------------------------------------------------------------------

def erc20_artifact() -> dict[str, Any]:
    """erc20.json (ABI + bytecode), recompiled with solcjs from .tools only when erc20.sol changed."""
    digest = hashlib.sha256(ERC20_SOURCE.read_bytes()).hexdigest()
    if ERC20_ARTIFACT.exists():
        artifact: dict[str, Any] = json.loads(ERC20_ARTIFACT.read_text())
        if artifact.get("source_sha256") == digest:
            return artifact
    compile_erc20()
    return dict(json.loads(ERC20_ARTIFACT.read_text()))


_COMPILE_JS: Final = """
const solc = require(process.argv[1]);
const fs = require('fs');
const [source, target, digest] = process.argv.slice(2);
const input = {language: 'Solidity', sources: {'erc20.sol': {content: fs.readFileSync(source, 'utf8')}},
  settings: {evmVersion: 'paris', optimizer: {enabled: true, runs: 200},
             outputSelection: {'*': {'*': ['abi', 'evm.bytecode.object']}}}};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (out.errors || []).filter(e => e.severity === 'error');
if (errors.length) { errors.forEach(e => console.error(e.formattedMessage)); process.exit(1); }
const c = out.contracts['erc20.sol'].TestToken;
fs.writeFileSync(target, JSON.stringify({contract: 'TestToken', compiler: 'solcjs ' + solc.version(),
  evmVersion: 'paris', source: 'erc20.sol', source_sha256: digest, abi: c.abi,
  bytecode: '0x' + c.evm.bytecode.object}, null, 1) + '\\n');
"""


def compile_erc20() -> None:
    solc, node = TOOLS / "solc", shutil.which("node")
    if not solc.is_dir() or node is None:
        raise RuntimeError("erc20.sol changed but solc is not installed in .tools (scripts/test.sh installs it)")
    digest = hashlib.sha256(ERC20_SOURCE.read_bytes()).hexdigest()
    subprocess.run([node, "-e", _COMPILE_JS, str(solc), str(ERC20_SOURCE), str(ERC20_ARTIFACT), digest],
                   check=True, timeout=120)
