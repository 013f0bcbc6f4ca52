"""Unbelievable rates are refused: bounded answers and numbers, a sane range per coin and currency, no sudden
jumps — said once per incident in the log and to the staff, and "back to normal" when it is. The rate source is
a local httpx MockTransport answering like CoinGecko; nothing reaches the internet."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from commerce.money import Money
from payments.errors import AbsurdRate, RateUnavailable
from payments.quotes import make_quote
from payments.rate_checks import MAX_BODY_BYTES, CheckedRates, sane_range
from payments.rates import CoinGeckoRates, KrakenRates, build_rate_source
from tests.conftest import FakeClock

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class PriceFeed:
    """What the fake CoinGecko answers for bitcoin in JPY: a JSON number written verbatim, or a raw body."""

    def __init__(self) -> None:
        self.number = "15000000"
        self.body: bytes | None = None
        self.stream: AsyncIterator[bytes] | None = None
        self.requests = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.stream is not None:
            return httpx.Response(200, content=self.stream)
        return httpx.Response(200, content=self.body or b'{"bitcoin": {"jpy": ' + self.number.encode() + b"}}")


class Alerts:
    """The staff's side, recorded: what the shop would queue in the outbox."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, str]]] = []

    async def rate_out_of_range(self, **fields: str) -> None:
        self.sent.append(("out_of_range", fields))

    async def rate_jumped(self, **fields: str) -> None:
        self.sent.append(("jumped", fields))

    async def rate_restored(self, **fields: str) -> None:
        self.sent.append(("restored", fields))


@pytest.fixture
def feed() -> PriceFeed:
    return PriceFeed()


@pytest.fixture
async def client(feed: PriceFeed) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(feed.handle)) as http:
        yield http


@pytest.fixture
def alerts() -> Alerts:
    return Alerts()


@pytest.fixture
def checked(client: httpx.AsyncClient, alerts: Alerts, clock: FakeClock) -> CheckedRates:
    return CheckedRates(CoinGeckoRates(client), alerts=alerts, clock=clock, name="coingecko")


# --- bounded answers and numbers ----------------------------------------------------------------------------

@pytest.mark.parametrize("number", ["1e999999999", "-1e999999999", "1e-999999999", "9" * 41, "1" + "0" * 40,
                                    "0." + "0" * 38 + "1"])
async def test_a_number_too_long_or_of_absurd_magnitude_is_refused_before_any_arithmetic(
        feed: PriceFeed, checked: CheckedRates, number: str) -> None:
    feed.number = number
    started = time.perf_counter()
    with pytest.raises(AbsurdRate) as refused:
        await checked.price("BTC", "JPY")
    assert time.perf_counter() - started < 0.5
    assert refused.value.code == "rate_unavailable"   # the buyer hears "briefly unavailable"
    assert refused.value.answered == number[:40] and "out of bounds" in refused.value.reason


def test_an_answer_of_1e999999999_is_refused_fast_all_the_way_to_the_quote() -> None:
    """The whole path a checkout takes, in a child process: before the fix it computed 10**999999999 and never
    came back (a frozen event loop no timeout can interrupt), so the child is killed after 60 s."""
    script = textwrap.dedent("""
        import asyncio, time
        from datetime import UTC, datetime
        import httpx
        from commerce.money import Money
        from payments.errors import RateUnavailable
        from payments.quotes import make_quote
        from payments.rates import build_rate_source

        def answer(request):
            return httpx.Response(200, content=b'{"bitcoin": {"jpy": 1e999999999}}')

        async def main():
            async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
                rates = build_rate_source("coingecko", {}, client, cache_seconds=60, timeout_seconds=10)
                started = time.perf_counter()
                try:
                    await make_quote(rates, Money.parse("1200", "JPY"), "BTC", 8, datetime.now(UTC))
                except RateUnavailable as refused:
                    print(f"{time.perf_counter() - started:.3f}", refused.reason)

        asyncio.run(main())
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    elapsed, reason = done.stdout.split(" ", 1)
    assert float(elapsed) < 0.5 and "out of bounds" in reason


async def test_an_answer_larger_than_the_limit_is_refused_without_reading_it_all(
        feed: PriceFeed, client: httpx.AsyncClient) -> None:
    feed.body = b'{"bitcoin": {"jpy": 15000000}}' + b" " * MAX_BODY_BYTES
    with pytest.raises(RateUnavailable, match="larger than"):
        await CoinGeckoRates(client).price("BTC", "JPY")

    sent: list[int] = []

    async def endless() -> AsyncIterator[bytes]:   # no Content-Length, and it never ends
        while True:
            sent.append(16_384)
            yield b" " * 16_384

    feed.stream = endless()
    with pytest.raises(RateUnavailable, match="larger than"):
        await CoinGeckoRates(client).price("BTC", "JPY")
    assert sum(sent) <= MAX_BODY_BYTES + 16_384


async def test_a_kraken_price_string_is_bounded_too(feed: PriceFeed, client: httpx.AsyncClient) -> None:
    ticker = {"error": [], "result": {"XXBTZJPY": {"c": ["1" * 60 + ".5", "0.1"]}}}
    feed.body = json.dumps(ticker).encode()
    with pytest.raises(AbsurdRate, match="out of bounds"):
        await KrakenRates(client).price("BTC", "JPY")


# --- sane ranges --------------------------------------------------------------------------------------------

async def test_a_source_answering_1e30_does_not_sell_a_1200_yen_order_for_one_satoshi(
        feed: PriceFeed, client: httpx.AsyncClient) -> None:
    feed.number = "1e30"
    rates = build_rate_source("coingecko", {}, client, cache_seconds=60, timeout_seconds=10)
    with pytest.raises(AbsurdRate) as refused:
        await make_quote(rates, Money.parse("1200", "JPY"), "BTC", 8, NOW)
    assert refused.value.answered == "1" + "0" * 30 and "outside the sane range" in refused.value.reason


@pytest.mark.parametrize(("asset", "fiat", "price", "believable"), [
    ("BTC", "JPY", "15000000", True),
    ("BTC", "JPY", "15", False),                  # a glitch that would charge a million times the price
    ("BTC", "USD", "98765.43", True),
    ("BTC", "USD", "1e12", False),
    ("USDT", "JPY", "149.95", True),
    ("USDT", "JPY", "15000", False),
    ("ETH", "EUR", "3000", True),
    ("SOL", "JPY", "20000", True),                # a coin not in the table: only the widest range applies
    ("BTC", "XAF", "60000000", True),             # a currency not in the table likewise
])
async def test_each_pair_has_a_wide_sane_range(asset: str, fiat: str, price: str, believable: bool) -> None:
    low, high = sane_range(asset, fiat)
    assert (low <= Decimal(price) <= high) is believable


# --- jumps, incidents, staff notices ------------------------------------------------------------------------

async def test_a_jump_beyond_max_jump_from_the_last_good_rate_is_refused(
        feed: PriceFeed, checked: CheckedRates, clock: FakeClock) -> None:
    assert await checked.price("BTC", "JPY") == Decimal(15_000_000)
    for refused_number in ("45000001", "4999999"):               # just over 3× up, just over 3× down
        feed.number = refused_number
        with pytest.raises(AbsurdRate, match="more than 3× away from the last good rate 15000000"):
            await checked.price("BTC", "JPY")
    feed.number = "44000000"                                     # inside 3×: a real (if wild) move
    assert await checked.price("BTC", "JPY") == Decimal(44_000_000)
    feed.number = "200000000"                                    # 4.5× the new reference: refused …
    with pytest.raises(AbsurdRate):
        await checked.price("BTC", "JPY")
    clock.advance(hours=24)                                      # … until the reference is a day old
    assert await checked.price("BTC", "JPY") == Decimal(200_000_000)


async def test_max_jump_is_configurable(feed: PriceFeed, client: httpx.AsyncClient, clock: FakeClock) -> None:
    rates = build_rate_source("coingecko", {}, client, cache_seconds=1, timeout_seconds=10, clock=clock,
                              max_jump=Decimal("1.5"))
    assert await rates.price("BTC", "JPY") == Decimal(15_000_000)
    feed.number = "25000000"
    clock.advance(seconds=2)
    with pytest.raises(AbsurdRate, match="1.5×"):
        await rates.price("BTC", "JPY")


async def test_each_incident_is_logged_and_told_to_the_staff_once_and_so_is_its_end(
        feed: PriceFeed, checked: CheckedRates, alerts: Alerts, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="payments.rate_checks")
    await checked.price("BTC", "JPY")
    feed.number = "1e30"
    for _ in range(5):                                           # every buyer at checkout meanwhile
        with pytest.raises(AbsurdRate):
            await checked.price("BTC", "JPY")
    feed.number = "1e999999999"                                  # still the same incident
    with pytest.raises(AbsurdRate):
        await checked.price("BTC", "JPY")
    feed.number = "15100000"
    await checked.price("BTC", "JPY")
    await checked.price("BTC", "JPY")
    feed.number = "60000000"                                     # a new incident: a jump this time
    with pytest.raises(AbsurdRate):
        await checked.price("BTC", "JPY")

    assert alerts.sent == [
        ("out_of_range", {"asset": "BTC", "fiat": "JPY", "price": "1" + "0" * 30, "low": "50000",
                          "high": "5000000000"}),
        ("restored", {"asset": "BTC", "fiat": "JPY", "price": "15100000"}),
        ("jumped", {"asset": "BTC", "fiat": "JPY", "price": "60000000", "previous": "15100000", "max_jump": "3"}),
    ]
    lines = [r.getMessage() for r in caplog.records]
    assert len([line for line in lines if "refusing the BTC/JPY rate" in line]) == 2
    assert len([line for line in lines if "back to normal" in line]) == 1


async def test_a_failure_that_is_not_about_the_price_passes_through_and_opens_no_incident(
        client: httpx.AsyncClient, alerts: Alerts) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, content=b"")

    async with httpx.AsyncClient(transport=httpx.MockTransport(broken)) as down:
        checked = CheckedRates(CoinGeckoRates(down), alerts=alerts)
        with pytest.raises(RateUnavailable, match="HTTP 503") as unavailable:
            await checked.price("BTC", "JPY")
    assert not isinstance(unavailable.value, AbsurdRate) and alerts.sent == []


async def test_a_notice_that_cannot_be_written_does_not_break_the_refusal(
        feed: PriceFeed, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    class Broken(Alerts):
        async def rate_out_of_range(self, **fields: str) -> None:
            raise OSError("database is away")

    feed.number = "1"
    checked = CheckedRates(CoinGeckoRates(client), alerts=Broken())
    with pytest.raises(AbsurdRate):
        await checked.price("BTC", "JPY")
    assert any("could not queue the staff notice" in r.getMessage() for r in caplog.records)


async def test_fixed_rates_are_the_sellers_own_yet_an_absurd_one_is_never_quoted() -> None:
    demo = build_rate_source("fixed", {"BTC": Decimal(20)}, None, cache_seconds=60, timeout_seconds=10)
    assert await demo.price("BTC", "JPY") == Decimal(20)   # a demo shop's own choice: not second-guessed
    absurd = build_rate_source("fixed", {"BTC": Decimal("1e40")}, None, cache_seconds=60, timeout_seconds=10)
    with pytest.raises(RateUnavailable, match="absurd magnitude"):
        await make_quote(absurd, Money.parse("1200", "JPY"), "BTC", 8, NOW)
