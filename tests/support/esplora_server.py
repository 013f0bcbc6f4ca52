"""Local HTTP servers on 127.0.0.1 for the chain tests, each with a fault switch (500, garbage, hang).

- `EsploraServer`: Blockstream's Esplora HTTP API (github.com/Blockstream/esplora/blob/master/API.md) for the
  endpoints the backend uses and a few neighbours, answered from a running litecoind regtest node over RPC, so
  the Esplora backend is tested against real chain data. Not served: `/address/*` (litecoind has no address
  index) and `/fee-estimates`.
- `JsonRpcProxy`: forwards JSON-RPC POSTs to a real node (bitcoind-style or Ethereum) untouched, unless a fault
  is switched on or `rewrite` edits the answer (to fake a node in initial block download, say).
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

import httpx

from tests.support.litecoind import LitecoinNode, RpcFailure

HANG_SECONDS: Final = 30.0   # longer than any backend timeout in the tests; cut short when the server stops
PAGE: Final = 25
GARBAGE: Final = b'\x00\xff{"result": [unterminated'

Reply = tuple[int, str, bytes]   # status, content type, body


class Fault(StrEnum):
    NONE = "none"
    SERVER_ERROR = "500"     # HTTP 500 with an HTML body, like a proxy in front of a dead node
    GARBAGE = "garbage"      # HTTP 200 with bytes that are not JSON
    HANG = "hang"            # accepts the request and never answers (until the server stops)
    TRICKLE = "trickle"      # answers 200 at once, then one byte of the body every 0.1 s (each read is quick)


class LocalHttpServer:
    """A ThreadingHTTPServer on 127.0.0.1 in a daemon thread. Subclasses implement `respond`."""

    def __init__(self) -> None:
        self.fault = Fault.NONE
        self.requests: list[str] = []
        self._stopping = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                outer._serve(self, b"")

            def do_POST(self) -> None:
                outer._serve(self, self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name=type(self).__name__,
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalHttpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def respond(self, handler: BaseHTTPRequestHandler, body: bytes) -> Reply:
        raise NotImplementedError

    def _serve(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        self.requests.append(f"{handler.command} {handler.path}")
        fault = self.fault
        if fault is Fault.HANG:
            self._stopping.wait(HANG_SECONDS)
            handler.close_connection = True
            return
        if fault is Fault.TRICKLE:
            self._trickle(handler)
            return
        if fault is Fault.SERVER_ERROR:
            reply: Reply = (500, "text/html", b"<html><body>502 Bad Gateway</body></html>")
        elif fault is Fault.GARBAGE:
            reply = (200, "application/json", GARBAGE)
        else:
            try:
                reply = self.respond(handler, body)
            except Exception as exc:   # a bug in the fake must show up as a failing test, not a hang
                reply = (500, "text/plain", f"fake server error: {exc!r}".encode())
        status, content_type, payload = reply
        with contextlib.suppress(OSError):   # the client may have given up already
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)


    def _trickle(self, handler: BaseHTTPRequestHandler) -> None:
        handler.close_connection = True
        body = b'{"result": ' + b" " * 1000 + b"null}"
        with contextlib.suppress(OSError):
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            for offset in range(len(body)):
                if self._stopping.wait(0.1):
                    return
                handler.wfile.write(body[offset:offset + 1])
                handler.wfile.flush()


class JsonRpcProxy(LocalHttpServer):
    def __init__(self, upstream: str, rewrite: Callable[[Any], Any] | None = None) -> None:
        super().__init__()
        self.upstream = upstream
        self.rewrite = rewrite
        self._client = httpx.Client(timeout=30.0)

    def respond(self, handler: BaseHTTPRequestHandler, body: bytes) -> Reply:
        headers = {name: value for name, value in handler.headers.items()
                   if name.lower() in ("authorization", "content-type")}
        answer = self._client.post(self.upstream, content=body, headers=headers)   # the request path may hold a key
        payload = answer.content
        if self.rewrite is not None and answer.status_code == 200:
            payload = json.dumps(self.rewrite(json.loads(payload, parse_float=Decimal)), default=str).encode()
        return answer.status_code, answer.headers.get("Content-Type", "application/json"), payload

    def stop(self) -> None:
        super().stop()
        self._client.close()


# --- Esplora over litecoind ----------------------------------------------------------------------------------

_SCRIPT_TYPES: Final = {
    "pubkey": "p2pk", "pubkeyhash": "p2pkh", "scripthash": "p2sh", "witness_v0_keyhash": "v0_p2wpkh",
    "witness_v0_scripthash": "v0_p2wsh", "witness_v1_taproot": "v1_p2tr", "nulldata": "op_return",
    "multisig": "multisig",
}
_HASH = r"([0-9a-f]{64})"


class NotFound(Exception):
    pass


class BadRequest(Exception):
    pass


def satoshis(value: Decimal) -> int:
    units = value * 100_000_000
    if units != units.to_integral_value():
        raise ValueError(f"{value} is not a whole number of satoshis")
    return int(units)


class EsploraServer(LocalHttpServer):
    def __init__(self, node: LitecoinNode) -> None:
        super().__init__()
        self.node = node
        self.genesis: str | None = None   # when set, `/block-height/0` answers this hash: a server of another chain
        routes: list[tuple[str, Callable[..., Any]]] = [
            (r"/blocks/tip/hash", lambda: self.node.rpc("getbestblockhash")),
            (r"/blocks/tip/height", lambda: self.node.rpc("getblockcount")),
            (r"/blocks(?:/(\d+))?", self.blocks),
            (r"/block-height/(\d+)", self.block_height),
            (rf"/block/{_HASH}", lambda h: self.block_json(self.header(h))),
            (rf"/block/{_HASH}/status", self.block_status),
            (rf"/block/{_HASH}/txids", lambda h: [tx["txid"] for tx in self.full_block(h)["tx"]]),
            (rf"/block/{_HASH}/txid/(\d+)", lambda h, i: self.full_block(h)["tx"][int(i)]["txid"]),
            (rf"/block/{_HASH}/txs(?:/(\d+))?", self.block_txs),
            (rf"/block/{_HASH}/header", lambda h: self.node.rpc("getblockheader", h, False)),
            (rf"/block/{_HASH}/raw", lambda h: bytes.fromhex(self.node.rpc("getblock", h, 0))),
            (rf"/tx/{_HASH}", lambda t: self.tx_json(self.raw_tx(t))),
            (rf"/tx/{_HASH}/status", lambda t: self.tx_status(self.raw_tx(t))),
            (rf"/tx/{_HASH}/hex", lambda t: self.node.rpc("getrawtransaction", t, False)),
            (r"/mempool/txids", lambda: self.node.rpc("getrawmempool")),
        ]
        self._routes = [(re.compile(pattern), handler) for pattern, handler in routes]

    def respond(self, handler: BaseHTTPRequestHandler, body: bytes) -> Reply:
        path = handler.path.split("?", 1)[0].rstrip("/") or "/"
        for pattern, route in self._routes:
            match = pattern.fullmatch(path)
            if match and handler.command == "GET":
                try:
                    result = route(*match.groups())
                except NotFound as exc:
                    return 404, "text/plain", str(exc).encode()
                except BadRequest as exc:
                    return 400, "text/plain", str(exc).encode()
                if isinstance(result, bytes):
                    return 200, "application/octet-stream", result
                if isinstance(result, str | int):   # Esplora answers hashes and heights as plain text
                    return 200, "text/plain", str(result).encode()
                return 200, "application/json", json.dumps(result, default=str).encode()
        return 404, "text/plain", b"Not found"

    # --- blocks -----------------------------------------------------------------------------------------------

    def header(self, block_hash: str) -> dict[str, Any]:
        try:
            return dict(self.node.rpc("getblock", block_hash, 1))
        except RpcFailure as exc:
            raise NotFound("Block not found") from exc

    def full_block(self, block_hash: str) -> dict[str, Any]:
        try:
            return dict(self.node.rpc("getblock", block_hash, 2))
        except RpcFailure as exc:
            raise NotFound("Block not found") from exc

    def hash_at(self, height: int) -> str:
        try:
            return str(self.node.rpc("getblockhash", height))
        except RpcFailure as exc:
            raise NotFound("Block not found") from exc

    def block_json(self, raw: dict[str, Any]) -> dict[str, Any]:
        block = {"id": raw["hash"], "height": raw["height"], "version": raw["version"], "timestamp": raw["time"],
                 "tx_count": raw["nTx"], "size": raw["size"], "weight": raw["weight"],
                 "merkle_root": raw["merkleroot"], "mediantime": raw["mediantime"], "nonce": raw["nonce"],
                 "bits": int(raw["bits"], 16), "difficulty": raw["difficulty"]}
        if "previousblockhash" in raw:
            block["previousblockhash"] = raw["previousblockhash"]
        return block

    def blocks(self, start: str | None) -> list[dict[str, Any]]:
        """The 10 newest blocks from the tip, or from `start` downwards."""
        height = int(start) if start is not None else int(self.node.rpc("getblockcount"))
        block_hash = self.hash_at(height)
        found: list[dict[str, Any]] = []
        while len(found) < 10:
            raw = self.header(block_hash)
            found.append(self.block_json(raw))
            if "previousblockhash" not in raw:
                break
            block_hash = raw["previousblockhash"]
        return found

    def block_height(self, height: str) -> str:
        if self.genesis is not None and int(height) == 0:
            return self.genesis
        return self.hash_at(int(height))

    def block_status(self, block_hash: str) -> dict[str, Any]:
        raw = self.header(block_hash)
        if raw["confirmations"] < 0:
            return {"in_best_chain": False}
        return {"in_best_chain": True, "height": raw["height"], "next_best": raw.get("nextblockhash")}

    def block_txs(self, block_hash: str, start: str | None) -> list[dict[str, Any]]:
        index = int(start or 0)
        txs = self.full_block(block_hash)["tx"]
        if index % PAGE:
            raise BadRequest(f"start index must be a multipication of {PAGE}")
        if index >= len(txs):
            raise BadRequest("start index out of range")
        raw = self.header(block_hash)
        status = {"confirmed": raw["confirmations"] >= 0, "block_height": raw["height"],
                  "block_hash": block_hash, "block_time": raw["time"]}
        return [self.tx_json(tx, status) for tx in txs[index:index + PAGE]]

    # --- transactions -----------------------------------------------------------------------------------------

    def raw_tx(self, txid: str) -> dict[str, Any]:
        try:
            return dict(self.node.rpc("getrawtransaction", txid, True))
        except RpcFailure as exc:
            raise NotFound("Transaction not found") from exc

    def tx_status(self, tx: dict[str, Any]) -> dict[str, Any]:
        if not tx.get("blockhash"):
            return {"confirmed": False}
        raw = self.header(tx["blockhash"])
        return {"confirmed": True, "block_height": raw["height"], "block_hash": tx["blockhash"],
                "block_time": raw["time"]}

    def tx_json(self, tx: dict[str, Any], status: dict[str, Any] | None = None) -> dict[str, Any]:
        vout = [self.output_json(out) for out in tx["vout"]]
        vin = [self.input_json(txin) for txin in tx["vin"]]
        coinbase = any(txin["is_coinbase"] for txin in vin)
        fee = 0 if coinbase else sum(txin["prevout"]["value"] for txin in vin) - sum(out["value"] for out in vout)
        return {"txid": tx["txid"], "version": tx["version"], "locktime": tx["locktime"], "vin": vin, "vout": vout,
                "size": tx["size"], "weight": tx["weight"], "fee": fee, "status": status or self.tx_status(tx)}

    def output_json(self, out: dict[str, Any]) -> dict[str, Any]:
        script = out["scriptPubKey"]
        result = {"scriptpubkey": script["hex"], "scriptpubkey_asm": script["asm"],
                  "scriptpubkey_type": _SCRIPT_TYPES.get(script["type"], "unknown"), "value": satoshis(out["value"])}
        address = script.get("address") or (script.get("addresses") or [None])[0]
        if address:
            result["scriptpubkey_address"] = address
        return result

    def input_json(self, txin: dict[str, Any]) -> dict[str, Any]:
        if "coinbase" in txin:
            return {"txid": "0" * 64, "vout": 0xFFFFFFFF, "prevout": None, "scriptsig": txin["coinbase"],
                    "scriptsig_asm": "", "witness": txin.get("txinwitness", []), "is_coinbase": True,
                    "sequence": txin["sequence"]}
        previous = self.raw_tx(txin["txid"])
        return {"txid": txin["txid"], "vout": txin["vout"], "prevout": self.output_json(previous["vout"][txin["vout"]]),
                "scriptsig": txin["scriptSig"]["hex"], "scriptsig_asm": txin["scriptSig"]["asm"],
                "witness": txin.get("txinwitness", []), "is_coinbase": False, "sequence": txin["sequence"]}
