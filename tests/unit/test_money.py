from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce.errors import InvalidAmount
from commerce.money import (
    EXACT,
    PRICE_MAX_MINOR,
    Money,
    ceil_units,
    currency_exponent,
    format_units,
    sum_money,
    units_to_decimal,
)


def test_exponents_follow_iso_4217() -> None:
    assert (currency_exponent("JPY"), currency_exponent("USD"), currency_exponent("KWD")) == (0, 2, 3)


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("1200", "JPY", 1200), ("1,200", "JPY", 1200), ("12.50", "USD", 1250), ("12.5", "USD", 1250),
    ("0", "EUR", 0), ("1.234", "KWD", 1234),
])
def test_parse_reads_what_a_seller_types(text: str, currency: str, minor: int) -> None:
    assert Money.parse(text, currency).minor == minor


@pytest.mark.parametrize(("text", "currency"), [
    ("12.5", "JPY"), ("1.001", "USD"), ("-1", "USD"), ("abc", "JPY"), ("NaN", "USD"), ("Infinity", "JPY"), ("", "JPY"),
])
def test_parse_refuses_amounts_the_currency_cannot_hold(text: str, currency: str) -> None:
    with pytest.raises(InvalidAmount) as err:
        Money.parse(text, currency)
    assert err.value.code == "invalid_amount" and err.value.currency == currency


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("1,200", "JPY", 1200), ("1,200,000", "JPY", 1200000), ("1,200.50", "USD", 120050), ("12,345.6", "EUR", 1234560),
    ("１，２００", "JPY", 1200), ("１２．５０", "USD", 1250), (" 3000 ", "JPY", 3000), (".5", "USD", 50),
    ("1,200.500", "KWD", 1200500),
])
def test_a_comma_is_read_only_as_a_thousands_separator(text: str, currency: str, minor: int) -> None:
    assert Money.parse(text, currency).minor == minor


@pytest.mark.parametrize(("text", "currency", "reason"), [
    ("12,50", "USD", "comma"),        # a decimal comma: never 1250.00
    ("12,50", "JPY", "comma"),
    ("1,2345", "USD", "comma"),       # not groups of three
    ("1.200,50", "EUR", "comma"),     # continental style
    ("1,2,3", "JPY", "comma"),
    ("1,200", "KWD", "ambiguous_comma"),  # three decimals: 1.200 or 1200?
])
def test_a_decimal_comma_is_refused_with_its_own_reason(text: str, currency: str, reason: str) -> None:
    with pytest.raises(InvalidAmount) as err:
        Money.parse(text, currency)
    assert err.value.reason == reason and err.value.value == text and err.value.currency == currency


@pytest.mark.parametrize(("value", "currency", "maximum"), [
    ("1000000000001", "JPY", "1,000,000,000,000"),
    ("99999999999999999999999", "JPY", "1,000,000,000,000"),
    ("10000000000.01", "USD", "10,000,000,000.00"),
    (Decimal("1E+20"), "USD", "10,000,000,000.00"),
    (10**15, "JPY", "1,000,000,000,000"),
])
def test_an_over_large_price_is_refused_with_the_highest_allowed(value: str | int | Decimal, currency: str,
                                                                   maximum: str) -> None:
    with pytest.raises(InvalidAmount) as err:
        Money.parse(value, currency)
    assert (err.value.reason, err.value.maximum) == ("too_large", maximum)
    assert Money.parse(maximum.replace(",", ""), currency).minor == PRICE_MAX_MINOR


@pytest.mark.parametrize("text", ["1e3", "1E+3", "1e999999999", "-0", "+5", "1_000", "1 200", "¥1200", "٣", "9" * 400])
def test_parse_refuses_exponents_signs_and_other_spellings_without_a_raw_error(text: str) -> None:
    with pytest.raises(InvalidAmount) as err:
        Money.parse(text, "JPY")
    assert len(str(err.value.value)) <= 40  # a huge input is not echoed back whole


def test_money_refuses_float_and_mixed_currencies() -> None:
    with pytest.raises(TypeError):
        Money(1.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cannot combine"):
        Money.parse("1", "USD") + Money.parse("1", "EUR")
    with pytest.raises(TypeError):
        Money.parse("1", "USD") * Decimal("1.5")  # type: ignore[operator]


@pytest.mark.parametrize(("value", "decimals", "units"), [
    (Decimal("0.00123456"), 8, 123456),
    (Decimal("0.000000001"), 8, 1),            # below one satoshi rounds up to one
    (Decimal("0.123456789"), 8, 12345679),     # shop's favour, by at most one unit
    (Decimal("12.5"), 6, 12500000),
    (Decimal("0.012345"), 18, 12345000000000000),
    (Decimal("1e-30"), 18, 1),
    (Decimal("123456789.123456789123456789"), 18, 123456789123456789123456789),
])
def test_ceil_units_rounds_up_at_most_one_base_unit(value: Decimal, decimals: int, units: int) -> None:
    assert ceil_units(value, decimals) == units


@pytest.mark.parametrize(("units", "decimals", "text"), [
    (123456, 8, "0.00123456"), (100000000, 8, "1"), (1, 8, "0.00000001"), (12500000, 6, "12.5"),
    (12345000000000000, 18, "0.012345"), (10**30, 18, "1000000000000"), (0, 8, "0"), (7, 0, "7"),
])
def test_format_units_is_plain_decimal_never_exponent(units: int, decimals: int, text: str) -> None:
    assert format_units(units, decimals) == text
    assert "e" not in format_units(units, decimals).lower()


currencies = st.sampled_from(["JPY", "USD", "KWD"])


@given(st.lists(st.integers(min_value=0, max_value=10**12), max_size=20), currencies)
def test_sum_of_money_equals_sum_of_minor_units(minors: list[int], currency: str) -> None:
    total = sum_money([Money.from_minor(m, currency) for m in minors], currency)
    assert total.minor == sum(minors)


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=99), currencies)
def test_line_total_is_exact(minor: int, quantity: int, currency: str) -> None:
    assert (Money.from_minor(minor, currency) * quantity).minor == minor * quantity


@given(st.decimals(min_value=Decimal("0"), max_value=Decimal("1e9"), allow_nan=False, allow_infinity=False,
                   places=24), st.integers(min_value=0, max_value=36))
def test_ceil_units_never_undercharges_and_overcharges_by_less_than_one_unit(value: Decimal, decimals: int) -> None:
    units = ceil_units(value, decimals)
    exact = value.scaleb(decimals, EXACT)
    assert exact <= units < EXACT.add(exact, 1)


@given(st.integers(min_value=0, max_value=10**40), st.integers(min_value=0, max_value=36))
def test_units_round_trip_through_text(units: int, decimals: int) -> None:
    assert ceil_units(Decimal(format_units(units, decimals)), decimals) == units
    assert units_to_decimal(units, decimals).scaleb(decimals, EXACT) == units
