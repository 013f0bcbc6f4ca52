"""Numbers from other services are bounded before any arithmetic: a chain node (or something posing as one)
answering `1e999999999` or a thousand-digit integer gets a quick BackendError, never a frozen event loop.
The node is an httpx MockTransport answering Bitcoin Core's JSON-RPC; nothing leaves the process."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest

from payments.backends.base import BackendError
from payments.backends.bitcoind import BitcoindBackend
from payments.numbers import NumberOutOfBounds, bounded_int, bounded_number, is_bounded

LITECOIN_REGTEST = "530827f38f93b43ed12af0b3ad25a288dc02ed74d6d7857862df51fc56c416f9"


@pytest.mark.parametrize("literal", ["1e999999999", "1E-31", "1" * 41, "-9e31"])
def test_a_number_too_long_or_too_large_is_refused_on_its_text(literal: str) -> None:
    with pytest.raises(NumberOutOfBounds):
        bounded_number(literal)


def test_ordinary_numbers_are_exact() -> None:
    assert bounded_number("15123456.789") == Decimal("15123456.789")
    assert bounded_number("4.656542373906925e-10") == Decimal("4.656542373906925e-10")   # regtest difficulty
    assert bounded_int("2100000000000000") == 2_100_000_000_000_000
    with pytest.raises(NumberOutOfBounds):
        bounded_int("9" * 5000)                   # int() of it would be quadratic work (and over Python's limit)
    assert is_bounded(Decimal("1e30")) and not is_bounded(Decimal("1e999999999"))


def node(blocks: str) -> Callable[[httpx.Request], httpx.Response]:
    """A regtest litecoind whose getblockchaininfo says `blocks` (written into the JSON verbatim)."""
    def answer(request: httpx.Request) -> httpx.Response:
        calls = json.loads(request.content)
        info = ('{"chain": "regtest", "initialblockdownload": false, "blocks": ' + blocks
                + ', "bestblockhash": "' + "ab" * 32 + '"}')
        results = {"getblockchaininfo": info, "getblockhash": f'"{LITECOIN_REGTEST}"'}
        items = [f'{{"id": {c["id"]}, "error": null, "result": {results[c["method"]]}}}'
                 for c in (calls if isinstance(calls, list) else [calls])]
        body = f"[{', '.join(items)}]" if isinstance(calls, list) else items[0]
        return httpx.Response(200, content=body.encode())
    return answer


@pytest.mark.parametrize("blocks", ["1e999999999", "9" * 100_000])
async def test_a_node_answering_an_absurd_number_is_a_quick_backend_error(blocks: str) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(node(blocks))) as client:
        backend = BitcoindBackend("http://node.test:19443", key="litecoin:regtest", network="litecoin-regtest",
                                  client=client)
        started = time.perf_counter()
        with pytest.raises(BackendError, match="malformed"):
            await backend.tip()
        assert time.perf_counter() - started < 0.5


async def test_the_same_node_answering_sensibly_is_believed() -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(node("141"))) as client:
        backend = BitcoindBackend("http://node.test:19443", key="litecoin:regtest", network="litecoin-regtest",
                                  client=client)
        assert (await backend.tip()).height == 141


