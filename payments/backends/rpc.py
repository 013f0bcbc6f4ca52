"""HTTP plumbing shared by the chain backends: JSON over httpx, one deadline per call, every failure a BackendError.

Messages name the endpoint as `scheme://host:port` only: node URLs carry credentials in the userinfo
(`http://user:pass@node:8332`), in the path (`/v3/<api key>`) or in the query, and none of them may
reach a log line. `calls` counts HTTP round trips (a JSON-RPC batch is one), which is what the watcher
bench reads; `failures` counts the times the node could not be reached (a timeout, a refused or broken
connection, a gateway's 502/503/504), after which a backend checks the node's identity again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from payments.backends.base import BackendError
from payments.numbers import bounded_int, bounded_number

DEFAULT_TIMEOUT: Final = timedelta(seconds=10)
_REQUEST_HEADERS: Final = {"Accept": "application/json", "User-Agent": "chatshop-watcher"}
_NODE_GONE: Final = frozenset({502, 503, 504})   # a proxy or load balancer with no node behind it


@dataclass(frozen=True, slots=True)
class Endpoint:
    url: str                          # what httpx is given: the URL without userinfo
    auth: tuple[str, str] | None      # basic auth taken from the userinfo
    label: str                        # safe to print: scheme://host[:port]


def parse_endpoint(url: str) -> Endpoint:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("a backend URL must be http(s)://host[:port]/…")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = f"{host}:{parts.port}" if parts.port else host
    auth = (unquote(parts.username or ""), unquote(parts.password or "")) if parts.username else None
    return Endpoint(urlunsplit(parts._replace(netloc=netloc)), auth, f"{parts.scheme}://{netloc}")


@contextmanager
def malformed(what: str) -> Iterator[None]:
    """Turn a surprise in the shape of an answer into a BackendError that says which answer."""
    try:
        yield
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, InvalidOperation) as exc:
        raise BackendError(f"malformed {what} ({exc.__class__.__name__})") from exc


def hex_quantity(value: Any) -> int:
    """An Ethereum QUANTITY ("0x1a") or DATA word as an exact int."""
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ValueError(f"not a hex quantity: {value!r}"[:80])
    return int(value, 16) if len(value) > 2 else 0


def to_base_units(amount: Any, decimals: int = 8) -> int:
    """A JSON decimal coin amount (parsed as Decimal, never float) as exact base units."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise ValueError(f"not a decimal amount: {amount!r}"[:80])
    units = Decimal(amount).scaleb(decimals)
    if units != units.to_integral_value() or units < 0:
        raise ValueError(f"amount {amount} is not a whole number of base units")
    return int(units)


class RpcError(BackendError):
    """The node answered, with an error object (JSON-RPC `error`)."""

    def __init__(self, code: int | None, message: str) -> None:
        super().__init__(f"RPC error {code}: {message}"[:200])
        self.code = code


class HttpJson:
    """One HTTP endpoint that answers JSON (or short text). Counts round trips."""

    def __init__(self, url: str, *, name: str, client: httpx.AsyncClient | None = None,
                 timeout: timedelta = DEFAULT_TIMEOUT) -> None:
        self.endpoint = parse_endpoint(url)
        self.name = name
        self.timeout = timeout.total_seconds()
        self.calls = 0
        self.failures = 0
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(self.timeout), headers=_REQUEST_HEADERS)

    def __repr__(self) -> str:
        return f"<{self.name} {self.endpoint.label}>"

    def url_for(self, path: str) -> str:
        """The endpoint with `path` appended to its path (a query string, e.g. an API key, stays at the end)."""
        parts = urlsplit(self.endpoint.url)
        return urlunsplit(parts._replace(path=parts.path.rstrip("/") + path))

    def fail(self, what: str, reason: str) -> BackendError:
        return BackendError(f"{self.name} {self.endpoint.label} {what}: {reason}")

    async def request(self, what: str, method: str, url: str, *, body: bytes | None = None) -> httpx.Response:
        """One round trip under one deadline for connect + send + the whole body (a trickling server cannot
        stretch it). Returns the response whatever its status; timeouts and transport failures raise."""
        self.calls += 1
        headers = {"Content-Type": "application/json"} if body is not None else None
        try:
            async with asyncio.timeout(self.timeout):
                response = await self._client.request(method, url, content=body, headers=headers,
                                                      auth=self.endpoint.auth or httpx.USE_CLIENT_DEFAULT,
                                                      timeout=self.timeout)
        except (TimeoutError, httpx.TimeoutException) as exc:
            self.failures += 1
            raise self.fail(what, f"timed out after {self.timeout:g}s") from exc
        except httpx.ConnectError as exc:
            self.failures += 1
            raise self.fail(what, "cannot connect") from exc
        except httpx.HTTPError as exc:
            self.failures += 1
            raise self.fail(what, f"transport error ({exc.__class__.__name__})") from exc
        if response.status_code in _NODE_GONE:
            self.failures += 1
        return response

    def decode(self, what: str, response: httpx.Response) -> Any:
        try:
            return _loads(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            reason = f"HTTP {response.status_code}" if response.status_code >= 400 else "malformed JSON"
            raise self.fail(what, reason) from exc

    async def get_json(self, path: str) -> Any:
        response = await self.request(path, "GET", self.url_for(path))
        self._raise_for_status(path, response)
        return self.decode(path, response)

    async def get_text(self, path: str) -> str:
        response = await self.request(path, "GET", self.url_for(path))
        self._raise_for_status(path, response)
        try:
            return response.content.decode("ascii").strip()
        except UnicodeDecodeError as exc:
            raise self.fail(path, "malformed text") from exc

    def _raise_for_status(self, what: str, response: httpx.Response) -> None:
        if response.status_code >= 300:
            raise self.fail(what, f"HTTP {response.status_code}")

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()


class JsonRpc(HttpJson):
    """JSON-RPC over HTTP POST: bitcoind (1.0 style, errors come with HTTP 500) and Ethereum nodes (2.0)."""

    def __init__(self, url: str, *, name: str, version: str | None = None, client: httpx.AsyncClient | None = None,
                 timeout: timedelta = DEFAULT_TIMEOUT) -> None:
        super().__init__(url, name=name, client=client, timeout=timeout)
        self._version = version
        self._next_id = 0

    def _envelope(self, method: str, params: Sequence[Any]) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": list(params)}
        if self._version:
            message["jsonrpc"] = self._version
        return message

    async def call(self, method: str, *params: Any) -> Any:
        message = self._envelope(method, params)
        answer = await self._post(method, json.dumps(message, default=str).encode())
        if not isinstance(answer, dict) or answer.get("id") != message["id"]:
            raise self.fail(method, "malformed JSON-RPC answer")
        return self._result(method, answer)

    async def batch(self, requests: Sequence[tuple[str, Sequence[Any]]]) -> list[Any | RpcError]:
        """Several calls in one round trip; a per-call error comes back as an RpcError in its slot."""
        if not requests:
            return []
        messages = [self._envelope(method, params) for method, params in requests]
        what = f"batch of {len(messages)}"
        answer = await self._post(what, json.dumps(messages, default=str).encode())
        if not isinstance(answer, list):
            if isinstance(answer, dict) and answer.get("error"):
                raise self._error(answer["error"])
            raise self.fail(what, "malformed JSON-RPC answer")
        by_id = {item.get("id"): item for item in answer if isinstance(item, dict)}
        results: list[Any | RpcError] = []
        for message in messages:
            item = by_id.get(message["id"])
            if item is None:
                raise self.fail(what, "malformed JSON-RPC answer")
            try:
                results.append(self._result(message["method"], item))
            except RpcError as exc:
                results.append(exc)
        return results

    async def _post(self, what: str, body: bytes) -> Any:
        response = await self.request(what, "POST", self.endpoint.url, body=body)
        if response.status_code in (401, 403):
            raise self.fail(what, f"HTTP {response.status_code} (check the RPC credentials)")
        # bitcoind answers RPC errors with HTTP 500/404 and a JSON body: prefer that body's error to the status.
        try:
            answer = _loads(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            reason = f"HTTP {response.status_code}" if response.status_code >= 300 else "malformed JSON"
            raise self.fail(what, reason) from exc
        if response.status_code >= 300 and not (isinstance(answer, dict) and answer.get("error")):
            raise self.fail(what, f"HTTP {response.status_code}")
        return answer

    def _result(self, method: str, item: dict[str, Any]) -> Any:
        if item.get("error") is not None:
            raise self._error(item["error"], method)
        if "result" not in item:
            raise self.fail(method, "malformed JSON-RPC answer")
        return item["result"]

    def _error(self, error: Any, method: str = "batch") -> RpcError:
        if isinstance(error, dict):
            code = error.get("code") if isinstance(error.get("code"), int) else None
            text = str(error.get("message", ""))
        else:
            code, text = None, str(error)
        return RpcError(code, f"{text} ({self.name} {self.endpoint.label} {method})")


def _loads(content: bytes) -> Any:
    """JSON with exact decimals; a number too long or too large to work with is malformed (payments/numbers.py)."""
    return json.loads(content, parse_float=bounded_number, parse_int=bounded_int, parse_constant=_reject_constant)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
