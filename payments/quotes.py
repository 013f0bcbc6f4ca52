"""Turning a fiat order total into the exact crypto amount the buyer is asked to pay.

The amount is computed from exact rationals and rounded once, up, to a whole base unit: the buyer
pays at most one base unit (1 satoshi, 1 wei) more than the exact figure and never less, so an
order is never underpaid by rounding alone. Exact arithmetic costs time in proportion to the size of
the numbers, so a price of absurd magnitude or precision (`1e999999999` would mean a billion-digit
integer) is refused before any of it is done.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Final

from commerce.money import Money, units_to_decimal
from payments.errors import RateUnavailable
from payments.numbers import is_bounded
from payments.rates import RateSource

MAX_DECIMALS: Final = 36   # more than any asset has (ETH 18); bounds the 10**decimals below


@dataclass(frozen=True, slots=True)
class Quote:
    """A crypto amount locked for one payment window: `units` of `asset` for `fiat_total` at `price`."""

    asset: str
    decimals: int
    units: int
    price: Decimal          # fiat per ONE whole unit of the asset
    fiat_total: Money
    quoted_at: datetime

    @property
    def amount(self) -> Decimal:
        """`units` in whole coins, exactly (123456 sat → 0.00123456), for display."""
        return units_to_decimal(self.units, self.decimals)


def quote_units(total: Money, price: Decimal, decimals: int) -> int:
    """`total / price` in base units, rounded up once.

    Division is done on exact fractions, not on Decimals: a quotient such as 1/15,000,000 has no finite
    decimal form, and rounding it to any precision before the final ceiling could, for extreme inputs,
    land one unit on the wrong side.
    """
    if not isinstance(price, Decimal) or not price.is_finite() or price <= 0:
        raise ValueError(f"price must be a finite Decimal above 0, got {str(price)[:40]!r}")
    if not is_bounded(price):
        raise ValueError(f"price is too large, too small or too precise to quote with: {str(price)[:40]!r}")
    if not isinstance(decimals, int) or isinstance(decimals, bool) or not 0 <= decimals <= MAX_DECIMALS:
        raise ValueError(f"decimals must be an integer from 0 to {MAX_DECIMALS}, got {decimals!r}")
    if total.amount <= 0:
        raise ValueError(f"cannot quote a total of {total}")
    scale: int = 10**decimals
    return math.ceil(Fraction(total.amount) * scale / Fraction(price))


async def make_quote(rates: RateSource, total: Money, asset: str, decimals: int, now: datetime) -> Quote:
    """Price `total` in `asset` at a fresh rate; `now` must be timezone-aware (it starts the payment window)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("quoted_at must be timezone-aware")
    asset = asset.upper()
    price = await rates.price(asset, total.currency)
    if not isinstance(price, Decimal) or not price.is_finite() or price <= 0:
        # A source should never return this; refusing here keeps a buggy source from mispricing an order.
        raise RateUnavailable(asset=asset, fiat=total.currency, reason="price is zero, negative or not a Decimal")
    if not is_bounded(price):
        # Fixed rates from bot.toml reach here unchecked: bounded work on the event loop whatever the source.
        raise RateUnavailable(asset=asset, fiat=total.currency, reason="price of absurd magnitude or precision")
    return Quote(
        asset=asset,
        decimals=decimals,
        units=quote_units(total, price, decimals),
        price=price,
        fiat_total=total,
        quoted_at=now,
    )
