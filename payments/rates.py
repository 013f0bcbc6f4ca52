"""Fiat prices of crypto assets, for quoting an order total at checkout.

A wrong price is worse than no price: the crypto amount is locked for the whole payment window, so a
guessed or stale figure either overcharges the buyer or sells below cost. Every failure (timeout,
refused connection, HTTP error, garbage, missing or non-positive price) therefore raises
`RateUnavailable`, which the front-ends show as "payment is briefly unavailable"; nothing here falls
back to an old or default value. Prices are parsed straight into `Decimal`, never through a binary float,
from an answer of bounded size whose numbers are bounded too; a network source's prices are then checked
for sanity and sudden jumps (rate_checks.py) before anything is quoted with them.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, Protocol

import httpx

from payments.errors import RateUnavailable
from payments.numbers import NumberOutOfBounds, bounded_number
from payments.rate_checks import DEFAULT_MAX_JUMP, MAX_BODY_BYTES, CheckedRates, RateAlerts, out_of_bounds

Clock = Callable[[], datetime]

COINGECKO_URL: Final = "https://api.coingecko.com/api/v3"
KRAKEN_URL: Final = "https://api.kraken.com/0/public"
DEFAULT_TIMEOUT: Final = timedelta(seconds=10)

COINGECKO_IDS: Final[Mapping[str, str]] = {
    "BTC": "bitcoin", "LTC": "litecoin", "ETH": "ethereum", "POL": "polygon-ecosystem-token",
    "MATIC": "polygon-ecosystem-token", "BNB": "binancecoin", "USDT": "tether", "USDC": "usd-coin", "DAI": "dai",
}
# Kraken's own names where they differ from the usual ticker (MATIC was renamed POL on Kraken).
KRAKEN_ASSETS: Final[Mapping[str, str]] = {"BTC": "XBT", "MATIC": "POL"}
DEFAULT_PEGS: Final[Mapping[str, str]] = {"USDT": "USD", "USDC": "USD", "DAI": "USD"}

_PLAIN_DECIMAL: Final = re.compile(r"[0-9]+(\.[0-9]+)?")


class RateSource(Protocol):
    async def price(self, asset: str, fiat: str) -> Decimal:
        """The price of ONE whole unit of `asset` (1 BTC, 1 USDT) in `fiat`; raises RateUnavailable."""
        ...


class FixedRates:
    """Prices from `bot.toml` (`[rates.fixed]`), for tests, demos and shops that set their own rate."""

    def __init__(self, prices: Mapping[str, Decimal], fiat: str | None = None) -> None:
        self._prices = {asset.upper(): price for asset, price in prices.items()}
        self._fiat = fiat.upper() if fiat else None

    async def price(self, asset: str, fiat: str) -> Decimal:
        asset, fiat = asset.upper(), fiat.upper()
        if self._fiat is not None and fiat != self._fiat:
            raise RateUnavailable(asset=asset, fiat=fiat, reason=f"fixed rates are in {self._fiat}")
        if asset not in self._prices:
            raise RateUnavailable(asset=asset, fiat=fiat, reason="no fixed rate for this asset")
        return _positive(self._prices[asset], asset, fiat)


class CoinGeckoRates:
    """CoinGecko's public `/simple/price` endpoint: `{"bitcoin": {"jpy": 15123456.789}}`."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str = COINGECKO_URL,
        *,
        timeout: timedelta = DEFAULT_TIMEOUT,
        ids: Mapping[str, str] = COINGECKO_IDS,
    ) -> None:
        self._client = client
        self._url = base_url.rstrip("/") + "/simple/price"
        self._timeout = timeout
        self._ids = ids

    async def price(self, asset: str, fiat: str) -> Decimal:
        asset, fiat = asset.upper(), fiat.upper()
        coin = self._ids.get(asset)
        if coin is None:
            raise RateUnavailable(asset=asset, fiat=fiat, reason="asset not known to CoinGecko")
        params = {"ids": coin, "vs_currencies": fiat.lower()}
        body = await _get_json(self._client, self._url, params, self._timeout, asset, fiat)
        prices = body.get(coin) if isinstance(body, dict) else None
        value = prices.get(fiat.lower()) if isinstance(prices, dict) else None
        if value is None:
            raise RateUnavailable(asset=asset, fiat=fiat, reason="price missing from the answer")
        return _positive(value, asset, fiat)


class KrakenRates:
    """Kraken's public `/Ticker`: the last trade price `result[<pair>]["c"][0]`, a decimal string."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str = KRAKEN_URL,
        *,
        timeout: timedelta = DEFAULT_TIMEOUT,
    ) -> None:
        self._client = client
        self._url = base_url.rstrip("/") + "/Ticker"
        self._timeout = timeout

    async def price(self, asset: str, fiat: str) -> Decimal:
        asset, fiat = asset.upper(), fiat.upper()
        pair = KRAKEN_ASSETS.get(asset, asset) + KRAKEN_ASSETS.get(fiat, fiat)
        body = await _get_json(self._client, self._url, {"pair": pair}, self._timeout, asset, fiat)
        if not isinstance(body, dict):
            raise RateUnavailable(asset=asset, fiat=fiat, reason="malformed answer")
        if body.get("error"):
            # Kraken answers 200 with e.g. ["EQuery:Unknown asset pair"].
            raise RateUnavailable(asset=asset, fiat=fiat, reason=f"kraken: {str(body['error'])[:200]}")
        return _positive(_last_trade(body.get("result"), asset, fiat), asset, fiat)


def _last_trade(result: Any, asset: str, fiat: str) -> Any:
    # The result key is Kraken's pair name ("XXBTZJPY" for XBTJPY), so take the single value, whatever its key.
    if not isinstance(result, dict) or len(result) != 1:
        raise RateUnavailable(asset=asset, fiat=fiat, reason="price missing from the answer")
    (ticker,) = result.values()
    last = ticker.get("c") if isinstance(ticker, dict) else None
    value = last[0] if isinstance(last, list) and last else None
    if isinstance(value, str):
        if not _PLAIN_DECIMAL.fullmatch(value):
            raise RateUnavailable(asset=asset, fiat=fiat, reason="price is not a decimal number")
        try:
            return bounded_number(value)
        except NumberOutOfBounds as exc:
            raise out_of_bounds(asset, fiat, exc) from None
    if value is None:
        raise RateUnavailable(asset=asset, fiat=fiat, reason="price missing from the answer")
    return value


@dataclass(frozen=True, slots=True)
class _Cached:
    price: Decimal
    expires: datetime


class _LeaderGone(Exception):
    """The caller fetching for everyone was cancelled; a waiter takes over instead of failing."""


class CachedRates:
    """A short cache per (asset, fiat) in front of a network source.

    Checkouts arrive in bursts (a broadcast, a shared product card); without this every buyer would
    hit the public API and trip its rate limit. Concurrent callers for the same pair share one in-flight
    request, and share its failure too: a failure is never cached, the next caller asks again.
    """

    def __init__(self, source: RateSource, ttl_seconds: int, clock: Clock | None = None) -> None:
        self._source = source
        self._ttl = timedelta(seconds=ttl_seconds)
        self._clock = clock or _utc_now
        self._cache: dict[tuple[str, str], _Cached] = {}
        self._pending: dict[tuple[str, str], asyncio.Future[Decimal]] = {}

    async def price(self, asset: str, fiat: str) -> Decimal:
        key = (asset.upper(), fiat.upper())
        while True:
            cached = self._cache.get(key)
            if cached is not None and self._clock() < cached.expires:
                return cached.price
            pending = self._pending.get(key)
            if pending is None:
                return await self._fetch(key)
            try:
                # shield: a waiter that gives up must not cancel the request the others wait for.
                return await asyncio.shield(pending)
            except _LeaderGone:
                continue

    async def _fetch(self, key: tuple[str, str]) -> Decimal:
        pending: asyncio.Future[Decimal] = asyncio.get_running_loop().create_future()
        self._pending[key] = pending
        try:
            price = await self._source.price(*key)
        except Exception as exc:
            pending.set_exception(exc)
            raise
        except BaseException:   # cancelled (or the process is stopping): another caller may retry
            pending.set_exception(_LeaderGone())
            raise
        else:
            self._cache[key] = _Cached(price, self._clock() + self._ttl)
            pending.set_result(price)
            return price
        finally:
            del self._pending[key]
            pending.exception()   # marks a failure as seen when nobody else was waiting for it


class PeggedRates:
    """Stablecoins priced in their peg currency are exactly 1, with no request at all.

    In any other currency (a JPY shop selling for USDT) the inner source is asked for the stablecoin
    directly, so a depeg shows up in the quote instead of being hidden by an assumption.
    """

    def __init__(self, inner: RateSource, pegs: Mapping[str, str] = DEFAULT_PEGS) -> None:
        self._inner = inner
        self._pegs = {asset.upper(): currency.upper() for asset, currency in pegs.items()}

    async def price(self, asset: str, fiat: str) -> Decimal:
        if self._pegs.get(asset.upper()) == fiat.upper():
            return Decimal(1)
        return await self._inner.price(asset, fiat)


def build_rate_source(
    source: str,
    fixed: Mapping[str, Decimal],
    client: httpx.AsyncClient | None,
    *,
    cache_seconds: int,
    timeout_seconds: int,
    clock: Clock | None = None,
    base_url: str | None = None,
    max_jump: Decimal = DEFAULT_MAX_JUMP,
    alerts: RateAlerts | None = None,
) -> RateSource:
    """The configured `[rates]` source, checked (ranges, jumps; `alerts` tells the staff), cached and pegged;
    `base_url` points a test at a local server. Fixed rates are the seller's own and are not second-guessed."""
    if source == "fixed":
        return PeggedRates(FixedRates(fixed))
    if client is None:
        raise ValueError(f'rate source "{source}" needs an HTTP client')
    timeout = timedelta(seconds=timeout_seconds)
    network: RateSource
    if source == "coingecko":
        network = CoinGeckoRates(client, base_url or COINGECKO_URL, timeout=timeout)
    elif source == "kraken":
        network = KrakenRates(client, base_url or KRAKEN_URL, timeout=timeout)
    else:
        raise ValueError(f'unknown rate source "{source}"; expected coingecko, kraken or fixed')
    checked = CheckedRates(network, max_jump=max_jump, alerts=alerts, clock=clock, name=source)
    return PeggedRates(CachedRates(checked, cache_seconds, clock))


async def _get_json(
    client: httpx.AsyncClient, url: str, params: Mapping[str, str], time_limit: timedelta, asset: str, fiat: str,
) -> Any:
    """GET and decode, turning every way the request can go wrong into RateUnavailable with a reason.

    The body is read up to MAX_BODY_BYTES and no further, within the one deadline; every number in it goes
    through `bounded_number`, so no answer can make the decoding (or the quote after it) do unbounded work.
    """
    try:
        async with asyncio.timeout(time_limit.total_seconds()):
            body = await _bounded_body(client, url, params, asset, fiat)
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise RateUnavailable(asset=asset, fiat=fiat, reason="timeout") from exc
    except httpx.HTTPError as exc:
        raise RateUnavailable(asset=asset, fiat=fiat, reason=f"request failed: {type(exc).__name__}") from exc
    try:
        return json.loads(body, parse_float=bounded_number, parse_int=bounded_number, parse_constant=_no_constants)
    except NumberOutOfBounds as exc:
        raise out_of_bounds(asset, fiat, exc) from None
    except (ValueError, RecursionError) as exc:
        raise RateUnavailable(asset=asset, fiat=fiat, reason="malformed JSON") from exc


async def _bounded_body(client: httpx.AsyncClient, url: str, params: Mapping[str, str], asset: str,
                        fiat: str) -> bytes:
    # Uncompressed, so the size read is the size decoded.
    async with client.stream("GET", url, params=params, headers={"Accept-Encoding": "identity"}) as response:
        if response.status_code != httpx.codes.OK:
            raise RateUnavailable(asset=asset, fiat=fiat, reason=f"HTTP {response.status_code}")
        declared = response.headers.get("Content-Length", "")
        too_large = RateUnavailable(asset=asset, fiat=fiat, reason=f"answer larger than {MAX_BODY_BYTES} bytes")
        if declared.isdigit() and (len(declared) > 9 or int(declared) > MAX_BODY_BYTES):
            raise too_large
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise too_large
        return bytes(body)


def _no_constants(name: str) -> Any:
    """json would otherwise turn NaN and Infinity into binary floats."""
    raise ValueError(f"{name} is not a price")


def _positive(value: Any, asset: str, fiat: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite():
        raise RateUnavailable(asset=asset, fiat=fiat, reason="price is not a decimal number")
    if value <= 0:
        raise RateUnavailable(asset=asset, fiat=fiat, reason="price is zero or negative")
    return value


def _utc_now() -> datetime:
    return datetime.now(UTC)
