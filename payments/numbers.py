"""Numbers read from other services (rate sources, chain nodes), bounded before any arithmetic is done on them.

Exact arithmetic costs time in proportion to the size of the numbers: `Decimal("1e999999999")` is cheap to
hold (the exponent is a plain field), but turning it into an int or a Fraction builds a billion-digit number
and blocks the event loop for longer than any timeout can help. A JSON number is therefore accepted only
when its text is short and its magnitude modest, checked on the text and the exponent alone; these are
json's `parse_float` / `parse_int` hooks for every answer the shop decodes from the network.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Final

MAX_NUMBER_CHARS: Final = 40            # digits, sign, point and exponent of one JSON number
MAX_EXPONENT: Final = 30                # |adjusted exponent| of a Decimal read: 1e-30 … 9.99e30


class NumberOutOfBounds(ValueError):
    """A number too long, too large or too small to work with: refused before any arithmetic on it."""

    def __init__(self, literal: str) -> None:
        super().__init__("number out of bounds")
        self.literal = literal[:MAX_NUMBER_CHARS]


def bounded_number(literal: str) -> Decimal:
    """A JSON number (or a decimal string) as an exact Decimal, if it is short and of modest magnitude.

    Used as json's `parse_float` and `parse_int`: the length is checked first, so no long digit string is
    ever converted, and a short literal with a huge exponent ("1e999999999") is refused by its exponent,
    which Decimal holds as a plain field — no big number is ever built.
    """
    if len(literal) > MAX_NUMBER_CHARS:
        raise NumberOutOfBounds(literal)
    try:
        number = Decimal(literal)
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not number.is_finite() or (number and abs(number.adjusted()) > MAX_EXPONENT):
        raise NumberOutOfBounds(literal)
    return number


def bounded_int(literal: str) -> int:
    """A JSON integer as an int, if its text is short: `int()` of a long digit string costs quadratic time."""
    if len(literal) > MAX_NUMBER_CHARS:
        raise NumberOutOfBounds(literal)
    return int(literal)


def is_bounded(number: Decimal) -> bool:
    """A Decimal that exact arithmetic can take in no time (quotes refuse anything else)."""
    return number.is_finite() and len(number.as_tuple().digits) <= MAX_NUMBER_CHARS and (
        not number or abs(number.adjusted()) <= MAX_EXPONENT)
