"""Exact money: fiat as Decimal with the currency's exponent, crypto as integer base units.

No float ever touches an amount. Rounding is explicit: prices are refused when they carry more
digits than the currency has, and conversions into smaller units round up (the shop's favour) by at
most one base unit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_CEILING, Context, Decimal, InvalidOperation
from typing import Final

from commerce.errors import InvalidAmount

# Enough digits for any amount we meet (10^12 whole units at 36 decimals), so no operation rounds silently.
EXACT: Final = Context(prec=80, traps=[InvalidOperation])

# ISO 4217 minor-unit exponents that differ from the common 2.
_EXPONENTS: Final[dict[str, int]] = {
    "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "HUF": 2, "TWD": 2, "XAF": 0, "XOF": 0,
    "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3, "IQD": 3, "LYD": 3,
}


# The highest price a seller may set, in minor units (¥1,000,000,000,000, $10,000,000,000.00): far above any
# real price, and low enough that a line total (× 99) and a cart of 50 lines stay inside a 64-bit column.
PRICE_MAX_MINOR: Final = 10**12
_TYPED_MAX: Final = 40  # characters of a typed amount; more is not a price, and is never parsed

# A typed amount: digits with an optional decimal point, or digits grouped in threes by commas ("1,200.50").
_PLAIN: Final = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_GROUPED: Final = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")


def currency_exponent(currency: str) -> int:
    """Number of decimal places of the currency's minor unit (JPY 0, USD 2, KWD 3)."""
    return _EXPONENTS.get(currency.upper(), 2)


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An exact amount of one fiat currency, always quantised to the currency's exponent."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"Money amount must be a Decimal, not {type(self.amount).__name__}")
        exponent = currency_exponent(self.currency)
        if not self.amount.is_finite() or self.amount.as_tuple().exponent < -exponent:  # type: ignore[operator]
            raise InvalidAmount(value=str(self.amount), currency=self.currency, places=exponent)
        object.__setattr__(self, "amount", self.amount.quantize(Decimal(1).scaleb(-exponent), context=EXACT))

    @classmethod
    def parse(cls, text: str | int | Decimal, currency: str) -> Money:
        """Read a price a person typed ("1,200", "12.50", "１２００"); refuse anything else with a reason.

        A comma only ever separates groups of three digits: "12,50" and "1.200,50" (a decimal comma) are
        refused, never read as 1250 or 1.20050, and so is "1,200" in a currency with three decimals, where
        it could mean either. No sign, no exponent, no more decimals than the currency has, and at most
        PRICE_MAX_MINOR minor units.
        """
        currency = currency.upper()
        places = currency_exponent(currency)
        if isinstance(text, Decimal | int) and not isinstance(text, bool):
            amount = Decimal(text)
            if not amount.is_finite() or amount < 0:
                raise InvalidAmount(value=str(text)[:_TYPED_MAX], currency=currency, places=places)
        else:
            amount = _read_typed(str(text), currency, places)
        maximum = Decimal(PRICE_MAX_MINOR).scaleb(-places, EXACT)
        if amount > maximum:
            raise InvalidAmount(value=str(text)[:_TYPED_MAX], currency=currency, places=places, reason="too_large",
                                maximum=f"{maximum:,}")
        return cls(amount, currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        return cls(Decimal(minor).scaleb(-currency_exponent(currency), EXACT), currency.upper())

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls.from_minor(0, currency)

    @property
    def minor(self) -> int:
        """The amount in minor units (yen, cents) as an exact integer."""
        return int(self.amount.scaleb(currency_exponent(self.currency), EXACT))

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(EXACT.add(self.amount, other.amount), self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(EXACT.subtract(self.amount, other.amount), self.currency)

    def __mul__(self, quantity: int) -> Money:
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise TypeError("Money can only be multiplied by an integer quantity")
        return Money(EXACT.multiply(self.amount, quantity), self.currency)

    __rmul__ = __mul__

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def _read_typed(text: str, currency: str, places: int) -> Decimal:
    """The Decimal a person meant by `text`, or InvalidAmount (with `reason="comma"` for a misplaced comma)."""
    typed = text.strip()
    # Full-width digits and punctuation from a Japanese keyboard ("１，２００") read as their ASCII twins.
    raw = unicodedata.normalize("NFKC", typed[: _TYPED_MAX + 1]).strip()
    value = typed[:_TYPED_MAX]
    if len(raw) <= _TYPED_MAX and _PLAIN.fullmatch(raw):
        return Decimal(raw)
    if len(raw) <= _TYPED_MAX and _GROUPED.fullmatch(raw):
        if places >= 3 and "." not in raw:  # "1,200" in KWD: 1.200 or 1200?
            raise InvalidAmount(value=value, currency=currency, places=places, reason="ambiguous_comma")
        return Decimal(raw.replace(",", ""))
    if "," in raw and re.fullmatch(r"[0-9.,]+", raw):
        raise InvalidAmount(value=value, currency=currency, places=places, reason="comma")
    raise InvalidAmount(value=value, currency=currency, places=places)


def sum_money(amounts: list[Money], currency: str) -> Money:
    total = Money.zero(currency)
    for amount in amounts:
        total = total + amount
    return total


def ceil_units(value: Decimal, decimals: int) -> int:
    """`value` (in whole units, e.g. BTC) as base units (satoshi), rounded up to the next base unit.

    Used when converting a fiat total into a crypto amount: the buyer pays at most one base unit more
    than the exact figure, never less.
    """
    return int(value.scaleb(decimals, EXACT).to_integral_value(rounding=ROUND_CEILING, context=EXACT))


def units_to_decimal(units: int, decimals: int) -> Decimal:
    """Base units as an exact Decimal in whole units (123456 sat, 8 → 0.00123456)."""
    return Decimal(units).scaleb(-decimals, EXACT)


def format_units(units: int, decimals: int) -> str:
    """Plain decimal text for base units, never with an exponent, trailing zeros trimmed."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), 10**decimals) if decimals else (abs(units), 0)
    if not decimals or not frac:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{str(frac).rjust(decimals, '0').rstrip('0')}"
