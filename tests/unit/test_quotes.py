"""Quotes: the buyer pays the exact amount rounded up by less than one base unit, never less."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Context, Decimal, Inexact

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce.money import Money
from payments.errors import RateUnavailable
from payments.quotes import Quote, make_quote, quote_units
from payments.rates import FixedRates

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
# Multiplication only, trapping any rounding: an oracle independent of the division under test.
CHECK = Context(prec=400, traps=[Inexact])


def yen(amount: int | str) -> Money:
    return Money.parse(amount, "JPY")


def test_one_yen_of_bitcoin_rounds_up_to_a_whole_satoshi() -> None:
    # 1 / 15,000,000 BTC = 6.67 sat: the buyer pays 7, never 6.
    assert quote_units(yen(1), Decimal(15_000_000), 8) == 7


@pytest.mark.parametrize(("total", "price", "decimals", "units"), [
    (yen(15_000), Decimal(15_000_000), 8, 100_000),                       # exact: no rounding at all
    (yen(1_200), Decimal("15123456.789"), 8, 7_935),                      # 7934.7… sat
    (yen(1_875), Decimal(150), 6, 12_500_000),                            # 12.50 USDT
    (yen(1_875), Decimal("149.95"), 6, 12_504_169),                       # 12.504168… USDT
    (yen(450_000), Decimal(450_000), 18, 10**18),                         # 1 ETH exactly
    (yen(1), Decimal(450_000), 18, 2_222_222_222_223),                    # 2.2…e12 wei, rounded up
    (yen(1), Decimal(3), 0, 1),                                           # a zero-decimal token
    (Money.parse("12.50", "USD"), Decimal(1), 6, 12_500_000),             # pegged stablecoin
    (Money.parse("0.01", "USD"), Decimal("98765.43210987654321"), 8, 11),  # 10.12… sat
])
def test_quote_units(total: Money, price: Decimal, decimals: int, units: int) -> None:
    assert quote_units(total, price, decimals) == units


def test_huge_totals_stay_exact() -> None:
    total = yen(999_999_999_999)
    assert quote_units(total, Decimal("0.000001"), 18) == 999_999_999_999 * 10**6 * 10**18
    assert quote_units(total, Decimal(7), 18) == -(-999_999_999_999 * 10**18 // 7)


@pytest.mark.parametrize("price", [Decimal(0), Decimal(-1), Decimal("NaN"), Decimal("Infinity")])
def test_a_price_that_is_not_positive_is_refused(price: Decimal) -> None:
    with pytest.raises(ValueError, match="price"):
        quote_units(yen(1_000), price, 8)


@pytest.mark.parametrize("price", [Decimal("1e31"), Decimal("1e-31"), Decimal("1." + "1" * 40)])
def test_a_price_of_absurd_magnitude_or_precision_is_refused_before_the_exact_division(price: Decimal) -> None:
    # Exact arithmetic grows with the numbers: 1e999999999 would mean a billion-digit integer (test_rate_checks.py
    # shows that one refused in a child process); these small ones show where the bound is.
    with pytest.raises(ValueError, match="too large, too small or too precise"):
        quote_units(yen(1_000), price, 8)
    assert quote_units(yen(1_000), Decimal("1e30"), 8) == 1 and quote_units(yen(1), Decimal("1e-30"), 0) > 0


def test_absurd_decimals_are_refused() -> None:
    with pytest.raises(ValueError, match="decimals must be an integer from 0 to 36"):
        quote_units(yen(1_000), Decimal(150), 10**9)


def test_nothing_to_pay_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot quote"):
        quote_units(yen(0), Decimal(15_000_000), 8)


@given(
    minor=st.integers(min_value=1, max_value=10**15),
    currency=st.sampled_from(["JPY", "USD", "KWD"]),
    price=st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal(10**12), places=8, allow_nan=False),
    decimals=st.sampled_from([0, 2, 6, 8, 18]),
)
def test_units_are_at_least_exact_and_less_than_one_unit_above(
    minor: int, currency: str, price: Decimal, decimals: int,
) -> None:
    total = Money.from_minor(minor, currency)
    units = quote_units(total, price, decimals)
    owed = CHECK.multiply(total.amount, Decimal(10) ** decimals)   # exact figure × price, in base units
    assert CHECK.multiply(Decimal(units), price) >= owed           # units ≥ exact
    assert CHECK.multiply(Decimal(units - 1), price) < owed        # units − exact < 1


async def test_make_quote_locks_the_amount_at_a_fresh_rate() -> None:
    rates = FixedRates({"BTC": Decimal(15_000_000)})
    quote = await make_quote(rates, yen(1_200), "btc", 8, NOW)
    assert quote == Quote(asset="BTC", decimals=8, units=8_000, price=Decimal(15_000_000),
                          fiat_total=yen(1_200), quoted_at=NOW)
    assert quote.amount == Decimal("0.00008")


async def test_make_quote_passes_rate_unavailable_through() -> None:
    with pytest.raises(RateUnavailable):
        await make_quote(FixedRates({}), yen(1_200), "BTC", 8, NOW)


class ZeroRates:
    async def price(self, asset: str, fiat: str) -> Decimal:
        return Decimal(0)


async def test_make_quote_refuses_a_broken_source_instead_of_mispricing() -> None:
    with pytest.raises(RateUnavailable, match="zero"):
        await make_quote(ZeroRates(), yen(1_200), "BTC", 8, NOW)


async def test_make_quote_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await make_quote(FixedRates({"BTC": Decimal(1)}), yen(1), "BTC", 8, datetime(2026, 1, 1))  # noqa: DTZ001
