"""Rate sources against a real local HTTP server that answers like CoinGecko and Kraken, and like them on a bad day."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from commerce.errors import CommerceError
from payments.errors import RateUnavailable
from payments.rates import (
    CachedRates,
    CoinGeckoRates,
    FixedRates,
    KrakenRates,
    PeggedRates,
    build_rate_source,
)
from tests.conftest import FakeClock

# CoinGecko answers with JSON numbers; these are written into the body verbatim.
COINGECKO_PRICES = {
    ("bitcoin", "jpy"): "15123456.789", ("ethereum", "jpy"): "450000", ("tether", "jpy"): "149.95",
    ("polygon-ecosystem-token", "jpy"): "31.2", ("bitcoin", "usd"): "98765.43210987654321",
}
KRAKEN_PAIRS = {"XBTJPY": ("XXBTZJPY", "15123456.789"), "ETHJPY": ("XETHZJPY", "450001.5")}
SLOW_SECONDS = 3


@dataclass
class Canned:
    """One answer: status, body, and how long to stall first."""

    status: int = 200
    body: str = ""
    delay: float = 0


@dataclass
class PriceServer:
    base: str
    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def count(self, path: str) -> int:
        return sum(1 for hit_path, _ in self.hits if hit_path == path)


def coingecko_answer(query: dict[str, str]) -> Canned:
    vs = query.get("vs_currencies", "")
    entries = [f'"{coin}": {{"{vs}": {COINGECKO_PRICES[coin, vs]}}}'
               for coin in query.get("ids", "").split(",") if (coin, vs) in COINGECKO_PRICES]
    return Canned(body="{" + ", ".join(entries) + "}")


def kraken_answer(query: dict[str, str], last: str | None = None) -> Canned:
    pair = query.get("pair", "")
    if pair not in KRAKEN_PAIRS:
        return Canned(body='{"error": ["EQuery:Unknown asset pair"]}')
    name, price = KRAKEN_PAIRS[pair]
    ticker = f'{{"a": ["1", "1", "1.0"], "c": ["{last or price}", "0.00100000"], "v": ["1", "2"]}}'
    return Canned(body=f'{{"error": [], "result": {{"{name}": {ticker}}}}}')


ROUTES = {
    "/coingecko/simple/price": coingecko_answer,
    "/kraken/Ticker": kraken_answer,
    "/kraken-zero/Ticker": lambda query: kraken_answer(query, last="0.00000"),
    "/kraken-garbage-price/Ticker": lambda query: kraken_answer(query, last="lots"),
    "/kraken-two/Ticker": lambda query: Canned(body='{"error": [], "result": {"A": {"c": ["1"]}, "B": {"c": ["2"]}}}'),
    "/status500/simple/price": lambda query: Canned(status=500, body='{"bitcoin": {"jpy": 1}}'),
    "/status429/simple/price": lambda query: Canned(status=429, body='{"status": {"error_code": 429}}'),
    "/garbage/simple/price": lambda query: Canned(body="<html>Service Unavailable</html>"),
    "/empty/simple/price": lambda query: Canned(body="{}"),
    "/list/simple/price": lambda query: Canned(body="[1, 2, 3]"),
    "/zero/simple/price": lambda query: Canned(body='{"bitcoin": {"jpy": 0}}'),
    "/negative/simple/price": lambda query: Canned(body='{"bitcoin": {"jpy": -15000000}}'),
    "/nan/simple/price": lambda query: Canned(body='{"bitcoin": {"jpy": NaN}}'),
    "/string/simple/price": lambda query: Canned(body='{"bitcoin": {"jpy": "15000000"}}'),
    "/bool/simple/price": lambda query: Canned(body='{"bitcoin": {"jpy": true}}'),
    "/slow/simple/price": lambda query: Canned(body='{"bitcoin": {"jpy": 1}}', delay=SLOW_SECONDS),
    "/slowish/simple/price": lambda query: Canned(body='{"bitcoin": {"jpy": 15000000}}', delay=0.3),
}


@pytest.fixture(scope="module")
def running_server() -> Iterator[PriceServer]:
    stopping = threading.Event()
    hits: list[tuple[str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
            url = urlsplit(self.path)
            query = {key: values[-1] for key, values in parse_qs(url.query).items()}
            hits.append((url.path, query))
            route = ROUTES.get(url.path)
            canned = route(query) if route else Canned(status=404, body="{}")
            if canned.delay and stopping.wait(canned.delay):
                return
            payload = canned.body.encode()
            try:
                self.send_response(canned.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass   # the client gave up first, which is what a timeout test wants

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield PriceServer(base=f"http://127.0.0.1:{httpd.server_address[1]}", hits=hits)
    finally:
        stopping.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def server(running_server: PriceServer) -> PriceServer:
    running_server.hits.clear()
    return running_server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5, trust_env=False) as http:
        yield http


def coingecko(client: httpx.AsyncClient, server: PriceServer, scenario: str = "coingecko") -> CoinGeckoRates:
    return CoinGeckoRates(client, f"{server.base}/{scenario}", timeout=timedelta(seconds=2))


def kraken(client: httpx.AsyncClient, server: PriceServer, scenario: str = "kraken") -> KrakenRates:
    return KrakenRates(client, f"{server.base}/{scenario}", timeout=timedelta(seconds=2))


async def test_coingecko_price_arrives_exactly_as_a_decimal(client: httpx.AsyncClient, server: PriceServer) -> None:
    price = await coingecko(client, server).price("BTC", "JPY")
    assert type(price) is Decimal and price == Decimal("15123456.789")
    assert server.hits == [("/coingecko/simple/price", {"ids": "bitcoin", "vs_currencies": "jpy"})]


async def test_coingecko_keeps_every_digit_it_is_given(client: httpx.AsyncClient, server: PriceServer) -> None:
    assert await coingecko(client, server).price("btc", "usd") == Decimal("98765.43210987654321")


@pytest.mark.parametrize(("asset", "coin"), [("ETH", "ethereum"), ("POL", "polygon-ecosystem-token"),
                                             ("MATIC", "polygon-ecosystem-token"), ("USDT", "tether")])
async def test_coingecko_asks_for_the_right_coin(
    client: httpx.AsyncClient, server: PriceServer, asset: str, coin: str,
) -> None:
    assert await coingecko(client, server).price(asset, "JPY") > 0
    assert server.hits[0][1]["ids"] == coin


async def test_kraken_reads_the_last_trade_whatever_the_pair_is_called(
    client: httpx.AsyncClient, server: PriceServer,
) -> None:
    assert await kraken(client, server).price("BTC", "JPY") == Decimal("15123456.789")
    assert await kraken(client, server).price("ETH", "JPY") == Decimal("450001.5")
    assert [query["pair"] for _, query in server.hits] == ["XBTJPY", "ETHJPY"]


@pytest.mark.parametrize(("scenario", "reason"), [
    ("status500", "HTTP 500"),
    ("status429", "HTTP 429"),
    ("garbage", "malformed JSON"),
    ("empty", "missing"),
    ("list", "missing"),
    ("zero", "zero or negative"),
    ("negative", "zero or negative"),
    ("nan", "malformed JSON"),
    ("string", "not a decimal"),
    ("bool", "not a decimal"),
    ("no-such-route", "HTTP 404"),
])
async def test_coingecko_failures_are_unavailable_never_a_guess(
    client: httpx.AsyncClient, server: PriceServer, scenario: str, reason: str,
) -> None:
    with pytest.raises(RateUnavailable) as unavailable:
        await coingecko(client, server, scenario).price("BTC", "JPY")
    assert reason in unavailable.value.reason
    assert (unavailable.value.asset, unavailable.value.fiat) == ("BTC", "JPY")


@pytest.mark.parametrize(("scenario", "asset", "reason"), [
    ("kraken", "DOGE", "Unknown asset pair"),
    ("kraken-zero", "BTC", "zero or negative"),
    ("kraken-garbage-price", "BTC", "not a decimal"),
    ("kraken-two", "BTC", "missing"),
    ("garbage", "BTC", "HTTP 404"),
])
async def test_kraken_failures_are_unavailable(
    client: httpx.AsyncClient, server: PriceServer, scenario: str, asset: str, reason: str,
) -> None:
    with pytest.raises(RateUnavailable) as unavailable:
        await kraken(client, server, scenario).price(asset, "JPY")
    assert reason in unavailable.value.reason


async def test_an_asset_coingecko_does_not_list_costs_no_request(
    client: httpx.AsyncClient, server: PriceServer,
) -> None:
    with pytest.raises(RateUnavailable, match="not known"):
        await coingecko(client, server).price("SHIB", "JPY")
    assert server.hits == []


async def test_the_http_clients_own_timeout_is_unavailable(server: PriceServer) -> None:
    async with httpx.AsyncClient(timeout=0.2, trust_env=False) as impatient:
        source = CoinGeckoRates(impatient, f"{server.base}/slow", timeout=timedelta(seconds=30))
        with pytest.raises(RateUnavailable) as unavailable:
            await source.price("BTC", "JPY")
    assert unavailable.value.reason == "timeout"


async def test_the_sources_timeout_bounds_a_client_that_would_wait_forever(server: PriceServer) -> None:
    async with httpx.AsyncClient(timeout=None, trust_env=False) as patient:
        source = CoinGeckoRates(patient, f"{server.base}/slow", timeout=timedelta(milliseconds=200))
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(RateUnavailable) as unavailable:
            await source.price("BTC", "JPY")
    assert unavailable.value.reason == "timeout"
    assert loop.time() - started < SLOW_SECONDS


async def test_a_refused_connection_is_unavailable(client: httpx.AsyncClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(RateUnavailable) as unavailable:
        await CoinGeckoRates(client, f"http://127.0.0.1:{closed_port}").price("BTC", "JPY")
    assert unavailable.value.reason == "request failed: ConnectError"


def test_rate_unavailable_is_a_commerce_error_the_front_ends_translate() -> None:
    error = RateUnavailable(asset="BTC", fiat="JPY", reason="timeout")
    assert isinstance(error, CommerceError) and error.code == "rate_unavailable"


async def test_cache_serves_a_second_call_without_a_request(
    client: httpx.AsyncClient, server: PriceServer, clock: FakeClock,
) -> None:
    cached = CachedRates(coingecko(client, server), ttl_seconds=60, clock=clock)
    assert await cached.price("BTC", "JPY") == await cached.price("btc", "jpy") == Decimal("15123456.789")
    clock.advance(seconds=59)
    await cached.price("BTC", "JPY")
    assert server.count("/coingecko/simple/price") == 1
    clock.advance(seconds=1)
    await cached.price("BTC", "JPY")
    assert server.count("/coingecko/simple/price") == 2


async def test_cache_is_per_asset_and_currency(
    client: httpx.AsyncClient, server: PriceServer, clock: FakeClock,
) -> None:
    cached = CachedRates(coingecko(client, server), ttl_seconds=60, clock=clock)
    assert await cached.price("BTC", "JPY") != await cached.price("BTC", "USD")
    await cached.price("ETH", "JPY")
    assert len(server.hits) == 3


async def test_concurrent_callers_share_one_request(
    client: httpx.AsyncClient, server: PriceServer, clock: FakeClock,
) -> None:
    cached = CachedRates(coingecko(client, server, "slowish"), ttl_seconds=60, clock=clock)
    prices = await asyncio.gather(*(cached.price("BTC", "JPY") for _ in range(20)))
    assert set(prices) == {Decimal(15_000_000)}
    assert len(server.hits) == 1


async def test_a_shared_failure_is_not_cached(
    client: httpx.AsyncClient, server: PriceServer, clock: FakeClock,
) -> None:
    cached = CachedRates(coingecko(client, server, "status500"), ttl_seconds=60, clock=clock)
    outcomes = await asyncio.gather(*(cached.price("BTC", "JPY") for _ in range(5)), return_exceptions=True)
    assert all(isinstance(outcome, RateUnavailable) for outcome in outcomes)
    assert len(server.hits) == 1
    with pytest.raises(RateUnavailable):
        await cached.price("BTC", "JPY")
    assert len(server.hits) == 2


class GatedSource:
    """A source whose answers the test releases by hand."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()

    async def price(self, asset: str, fiat: str) -> Decimal:
        self.calls += 1
        await self.release.wait()
        return Decimal(self.calls)


async def test_a_waiter_takes_over_when_the_caller_fetching_for_it_is_cancelled(clock: FakeClock) -> None:
    source = GatedSource()
    cached = CachedRates(source, ttl_seconds=60, clock=clock)
    leader = asyncio.create_task(cached.price("BTC", "JPY"))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(cached.price("BTC", "JPY"))
    await asyncio.sleep(0)
    leader.cancel()
    await asyncio.sleep(0)
    source.release.set()
    assert await waiter == Decimal(2)
    assert leader.cancelled() and source.calls == 2


async def test_a_cancelled_waiter_does_not_cancel_the_others(clock: FakeClock) -> None:
    source = GatedSource()
    cached = CachedRates(source, ttl_seconds=60, clock=clock)
    leader = asyncio.create_task(cached.price("BTC", "JPY"))
    await asyncio.sleep(0)
    impatient = asyncio.create_task(cached.price("BTC", "JPY"))
    await asyncio.sleep(0)
    impatient.cancel()
    source.release.set()
    assert await leader == Decimal(1)
    assert impatient.cancelled() and source.calls == 1


@pytest.mark.parametrize("stablecoin", ["USDT", "USDC", "DAI", "usdt"])
async def test_a_stablecoin_in_its_peg_currency_is_exactly_one_without_a_request(
    client: httpx.AsyncClient, server: PriceServer, stablecoin: str,
) -> None:
    assert await PeggedRates(coingecko(client, server)).price(stablecoin, "USD") == Decimal(1)
    assert server.hits == []


async def test_a_stablecoin_in_another_currency_is_asked_for_directly(
    client: httpx.AsyncClient, server: PriceServer,
) -> None:
    assert await PeggedRates(coingecko(client, server)).price("USDT", "JPY") == Decimal("149.95")
    assert server.hits[0][1] == {"ids": "tether", "vs_currencies": "jpy"}


async def test_fixed_rates() -> None:
    rates = FixedRates({"BTC": Decimal(15_000_000), "usdt": Decimal(150), "ETH": Decimal(0)})
    assert await rates.price("btc", "JPY") == Decimal(15_000_000)
    assert await rates.price("USDT", "JPY") == Decimal(150)
    with pytest.raises(RateUnavailable, match="no fixed rate"):
        await rates.price("LTC", "JPY")
    with pytest.raises(RateUnavailable, match="zero or negative"):
        await rates.price("ETH", "JPY")


async def test_fixed_rates_know_their_currency_when_told() -> None:
    with pytest.raises(RateUnavailable, match="fixed rates are in JPY"):
        await FixedRates({"BTC": Decimal(15_000_000)}, fiat="JPY").price("BTC", "USD")


async def test_build_fixed_source_needs_no_network() -> None:
    source = build_rate_source("fixed", {"BTC": Decimal(15_000_000)}, None, cache_seconds=60, timeout_seconds=10)
    assert await source.price("BTC", "JPY") == Decimal(15_000_000)
    assert await source.price("USDC", "USD") == Decimal(1)


@pytest.mark.parametrize(("name", "path"), [("coingecko", "/coingecko/simple/price"), ("kraken", "/kraken/Ticker")])
async def test_build_network_source_is_cached_and_pegged(
    client: httpx.AsyncClient, server: PriceServer, clock: FakeClock, name: str, path: str,
) -> None:
    source = build_rate_source(name, {}, client, cache_seconds=30, timeout_seconds=5, clock=clock,
                               base_url=f"{server.base}/{name}")
    first = await source.price("BTC", "JPY")
    assert first == await source.price("BTC", "JPY") == Decimal("15123456.789")
    assert await source.price("USDT", "USD") == Decimal(1)
    assert server.count(path) == 1


def test_build_refuses_unknown_sources_and_missing_clients(client: httpx.AsyncClient) -> None:
    with pytest.raises(ValueError, match="unknown rate source"):
        build_rate_source("binance", {}, client, cache_seconds=1, timeout_seconds=1)
    with pytest.raises(ValueError, match="HTTP client"):
        build_rate_source("coingecko", {}, None, cache_seconds=1, timeout_seconds=1)
