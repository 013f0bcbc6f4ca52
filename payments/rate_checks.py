"""Is a rate believable? Bounded parsing, sane ranges, and no sudden jumps — checked before a rate prices an order.

A rate source that answers `1e30` would quote a ¥1,200 order at one satoshi; one that answers `1e999999999`
would freeze the event loop in the exact arithmetic of the quote (10**999999999 is a number with a billion
digits). So:

- a number is read only when its text is short and its magnitude modest (payments/numbers.py): anything
  else is refused before any Decimal or integer work is done on it;
- a price must lie inside a wide sanity range for its asset and currency (`sane_range`): not a market
  forecast, just "no coin costs that", so a real market move never trips it;
- a price must not jump more than `max_jump` times (`[rates] max_jump`, default 3) up or down from the
  last good price of the same pair, while that one is less than `REFERENCE_MAX_AGE` old.

A refused price is `AbsurdRate` (a `RateUnavailable`: the buyer is told payment is briefly unavailable).
`CheckedRates` logs each incident once per pair, tells the shop's staff once through `RateAlerts`, and
says when the pair is back to normal.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Final, Protocol

from payments.errors import AbsurdRate
from payments.numbers import NumberOutOfBounds, is_bounded

if TYPE_CHECKING:
    from payments.rates import RateSource

log = logging.getLogger(__name__)

MAX_BODY_BYTES: Final = 64 * 1024       # a price answer is a few hundred bytes
DEFAULT_MAX_JUMP: Final = Decimal(3)
REFERENCE_MAX_AGE: Final = timedelta(hours=24)
_SHOWN_CHARS: Final = 40                # how much of a refused literal goes into logs and notices

# What one coin may cost in US dollars, and what one US dollar may cost in a currency. Both are deliberately
# wide (about ten times either side of anything seen) so they only catch nonsense; a pair is bounded by the
# product of its two ranges. Unknown assets and currencies get the widest range.
_USD_PER_COIN: Final[Mapping[str, tuple[str, str]]] = {
    "BTC": ("1000", "10000000"), "ETH": ("10", "1000000"), "LTC": ("1", "100000"), "BNB": ("1", "100000"),
    "POL": ("0.001", "1000"), "MATIC": ("0.001", "1000"),
    "USDT": ("0.5", "2"), "USDC": ("0.5", "2"), "DAI": ("0.5", "2"),
}
_ANY_COIN: Final = ("0.000001", "10000000")
_UNITS_PER_USD: Final[Mapping[str, tuple[str, str]]] = {
    "USD": ("1", "1"), "EUR": ("0.5", "2"), "GBP": ("0.4", "2"), "CHF": ("0.4", "2"), "JPY": ("50", "500"),
    "CNY": ("3", "20"), "KRW": ("500", "5000"), "INR": ("30", "300"), "AUD": ("0.8", "4"), "CAD": ("0.8", "4"),
    "SGD": ("0.6", "3"), "HKD": ("4", "20"), "TWD": ("15", "100"), "BRL": ("2", "20"),
}
_ANY_CURRENCY: Final = ("0.01", "100000")


class RateAlerts(Protocol):
    """Where the shop's staff hear about it (commerce.alerts.StaffAlerts writes an outbox notice)."""

    async def rate_out_of_range(self, *, asset: str, fiat: str, price: str, low: str, high: str) -> None: ...

    async def rate_jumped(self, *, asset: str, fiat: str, price: str, previous: str, max_jump: str) -> None: ...

    async def rate_restored(self, *, asset: str, fiat: str, price: str) -> None: ...


def sane_range(asset: str, fiat: str) -> tuple[Decimal, Decimal]:
    coin_low, coin_high = _USD_PER_COIN.get(asset.upper(), _ANY_COIN)
    fx_low, fx_high = _UNITS_PER_USD.get(fiat.upper(), _ANY_CURRENCY)
    return Decimal(coin_low) * Decimal(fx_low), Decimal(coin_high) * Decimal(fx_high)


@dataclass(frozen=True, slots=True)
class _Good:
    price: Decimal
    at: datetime


class CheckedRates:
    """A network source whose prices must be in range and close to the last good one; refusals are incidents.

    An incident is per (asset, fiat): it opens at the first refused price (one log line, one staff notice)
    and closes at the next believable one (one log line, one "back to normal" notice). Failures that are
    not about the price (a timeout, an HTTP error) pass through untouched: they are not absurd rates.
    """

    def __init__(self, inner: RateSource, *, max_jump: Decimal = DEFAULT_MAX_JUMP, alerts: RateAlerts | None = None,
                 clock: Callable[[], datetime] | None = None, name: str = "rate source") -> None:
        if not max_jump > 1:
            raise ValueError("max_jump must be above 1")
        self._inner = inner
        self._max_jump = max_jump
        self._alerts = alerts
        self._clock = clock or (lambda: datetime.now(UTC))
        self._name = name
        self._good: dict[tuple[str, str], _Good] = {}
        self._incidents: set[tuple[str, str]] = set()

    async def price(self, asset: str, fiat: str) -> Decimal:
        asset, fiat = asset.upper(), fiat.upper()
        key = (asset, fiat)
        low, high = sane_range(asset, fiat)
        try:
            price = await self._inner.price(asset, fiat)
        except AbsurdRate as refused:   # a number too absurd to even read
            await self._out_of_range(key, refused, low, high)
            raise
        if not is_bounded(price) or not low <= price <= high:
            refused = AbsurdRate(asset=asset, fiat=fiat, answered=_shown(price),
                                 reason=f"outside the sane range {_shown(low)}–{_shown(high)}")
            await self._out_of_range(key, refused, low, high)
            raise refused
        now = self._clock()
        good = self._good.get(key)
        if good is not None and now - good.at < REFERENCE_MAX_AGE and not (
                good.price / self._max_jump <= price <= good.price * self._max_jump):
            refused = AbsurdRate(asset=asset, fiat=fiat, answered=_shown(price), reason=(
                f"more than {_shown(self._max_jump)}× away from the last good rate {_shown(good.price)}"))
            if self._opens_incident(key, refused) and self._alerts is not None:
                await self._tell_staff(self._alerts.rate_jumped(asset=asset, fiat=fiat, price=refused.answered,
                                                                previous=_shown(good.price),
                                                                max_jump=_shown(self._max_jump)))
            raise refused
        self._good[key] = _Good(price, now)
        if key in self._incidents:
            self._incidents.discard(key)
            log.info("%s: %s/%s rate back to normal at %s", self._name, asset, fiat, _shown(price))
            if self._alerts is not None:
                await self._tell_staff(self._alerts.rate_restored(asset=asset, fiat=fiat, price=_shown(price)))
        return price

    async def _out_of_range(self, key: tuple[str, str], refused: AbsurdRate, low: Decimal, high: Decimal) -> None:
        if self._opens_incident(key, refused) and self._alerts is not None:
            await self._tell_staff(self._alerts.rate_out_of_range(asset=key[0], fiat=key[1], price=refused.answered,
                                                                  low=_shown(low), high=_shown(high)))

    def _opens_incident(self, key: tuple[str, str], refused: AbsurdRate) -> bool:
        """True (and logged) for the first refusal of a pair since its last good price; later ones are quiet."""
        if key in self._incidents:
            return False
        self._incidents.add(key)
        log.warning("%s: refusing the %s/%s rate %s (%s); %s payments wait for a believable rate",
                    self._name, key[0], key[1], refused.answered, refused.reason, key[0])
        return True

    async def _tell_staff(self, notice: Awaitable[None]) -> None:
        try:
            await notice
        except Exception:  # noqa: BLE001 — a notice that can't be written must not become a crash at checkout
            log.exception("%s: could not queue the staff notice about a rate", self._name)


def _shown(number: Decimal) -> str:
    """A Decimal as plain text for people: no exponent for ordinary magnitudes, never more than 40 characters."""
    text = f"{number:f}" if is_bounded(number) else str(number)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text[:_SHOWN_CHARS]


def out_of_bounds(asset: str, fiat: str, error: NumberOutOfBounds) -> AbsurdRate:
    return AbsurdRate(asset=asset, fiat=fiat, reason="a number in the answer is out of bounds",
                      answered=error.literal)
