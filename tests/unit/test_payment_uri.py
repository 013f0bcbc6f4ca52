"""Payment URIs are exactly what wallets expect (TESTING-NOTES.md "Payment URIs", BIP21, EIP-681, EIP-55)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce.money import units_to_decimal
from payments.uri import bip21, checksum_address, eip681_erc20, eip681_native, parse_payment_uri

BIP84_ADDRESS = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
DEAD = "0x000000000000000000000000000000000000dEaD"
USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
LUKE = "175tWpb8K1S7NmH4Zx6rewF9WQrcZv245W"


def test_bip21_matches_the_published_example() -> None:
    uri = bip21(BIP84_ADDRESS, 123_456, label="Shop", message="Order 42")
    assert uri == "bitcoin:bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu?amount=0.00123456&label=Shop&message=Order%2042"


@pytest.mark.parametrize(("units", "label", "message", "expected"), [
    (2_030_000_000, "Luke-Jr", None, f"bitcoin:{LUKE}?amount=20.3&label=Luke-Jr"),
    (5_000_000_000, "Luke-Jr", "Donation for project xyz",
     f"bitcoin:{LUKE}?amount=50&label=Luke-Jr&message=Donation%20for%20project%20xyz"),
])
def test_bip21_matches_the_spec_examples(units: int, label: str, message: str | None, expected: str) -> None:
    assert bip21(LUKE, units, label=label, message=message) == expected


@pytest.mark.parametrize(("units", "amount"), [
    (1, "0.00000001"), (10, "0.0000001"), (100_000_000, "1"), (123_450_000, "1.2345"),
    (2_100_000_000_000_000, "21000000"),
])
def test_bip21_amount_is_plain_decimal_without_exponent_or_trailing_zeros(units: int, amount: str) -> None:
    assert bip21(BIP84_ADDRESS, units) == f"bitcoin:{BIP84_ADDRESS}?amount={amount}"


def test_bip21_litecoin_scheme() -> None:
    assert bip21("ltc1qexample", 150_000_000, scheme="litecoin") == "litecoin:ltc1qexample?amount=1.5"


def test_bip21_percent_encodes_everything_a_shop_name_might_contain() -> None:
    uri = bip21(BIP84_ADDRESS, 1, label="さくら & Co/+?", message="注文 #42=50%")
    assert "&label=%E3%81%95%E3%81%8F%E3%82%89%20%26%20Co%2F%2B%3F&" in uri
    assert uri.endswith("&message=%E6%B3%A8%E6%96%87%20%2342%3D50%25")
    parsed = parse_payment_uri(uri)
    assert (parsed["label"], parsed["message"]) == ("さくら & Co/+?", "注文 #42=50%")


@pytest.mark.parametrize("units", [0, -1])
def test_bip21_refuses_nothing_or_negative(units: int) -> None:
    with pytest.raises(ValueError, match="above 0"):
        bip21(BIP84_ADDRESS, units)


def test_bip21_refuses_more_than_eight_places() -> None:
    assert bip21(BIP84_ADDRESS, 10**10, decimals=18) == f"bitcoin:{BIP84_ADDRESS}?amount=0.00000001"
    with pytest.raises(ValueError, match="8 decimal places"):
        bip21(BIP84_ADDRESS, 1, decimals=18)


@pytest.mark.parametrize("address", ["", "bc1q?amount=1", "bc1q x", "bc1q&label=evil"])
def test_bip21_refuses_addresses_that_would_break_the_uri(address: str) -> None:
    with pytest.raises(ValueError, match="address"):
        bip21(address, 1)


def test_eip681_native_matches_the_published_example() -> None:
    assert eip681_native(DEAD, 1, 12_345_000_000_000_000) == f"ethereum:{DEAD}@1?value=12345000000000000"


def test_eip681_erc20_matches_the_published_example() -> None:
    assert eip681_erc20(USDT, 1, DEAD, 12_500_000) == (
        "ethereum:0xdAC17F958D2ee523a2206206994597C13D831ec7@1/transfer"
        "?address=0x000000000000000000000000000000000000dEaD&uint256=12500000"
    )


def test_eip681_writes_addresses_in_checksum_case_whatever_it_is_given() -> None:
    assert eip681_erc20(USDT.lower(), 137, DEAD.upper().replace("0X", "0x"), 1) == (
        f"ethereum:{USDT}@137/transfer?address={DEAD}&uint256=1"
    )


@pytest.mark.parametrize(("wei", "text"), [(1, "1"), (10**18, "1000000000000000000"), (10**30, "1" + "0" * 30)])
def test_eip681_amounts_are_plain_integers_from_one_wei_to_huge(wei: int, text: str) -> None:
    uri = eip681_native(DEAD, 1, wei)
    assert uri.endswith(f"?value={text}") and "e" not in uri.split("value=")[1].lower()
    assert parse_payment_uri(uri)["value"] == wei


@pytest.mark.parametrize("bad", [0, -5])
def test_eip681_refuses_nothing_or_negative(bad: int) -> None:
    with pytest.raises(ValueError):
        eip681_native(DEAD, 1, bad)
    with pytest.raises(ValueError):
        eip681_erc20(USDT, 1, DEAD, bad)


def test_eip681_refuses_a_missing_chain_id() -> None:
    with pytest.raises(ValueError, match="chain id"):
        eip681_native(DEAD, 0, 1)


@pytest.mark.parametrize(("given_address", "expected"), [
    # EIP-55's own examples.
    ("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
    ("0xFB6916095CA1DF60BB79CE92CE3EA74C37C5D359", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"),
    ("0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB"),
    ("0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"),
])
def test_checksum_address_follows_eip55(given_address: str, expected: str) -> None:
    assert checksum_address(given_address) == expected


@pytest.mark.parametrize("bad", [
    "0xdAC17F958D2ee523a2206206994597C13D831eC7",   # one letter's case flipped: a typo
    "0xdAC17F958D2ee523a2206206994597C13D831ec",    # too short
    "dAC17F958D2ee523a2206206994597C13D831ec7a1",   # no 0x
    "0xgAC17F958D2ee523a2206206994597C13D831ec7",   # not hex
])
def test_checksum_address_refuses_typos_and_garbage(bad: str) -> None:
    with pytest.raises(ValueError):
        checksum_address(bad)


def test_parse_reads_the_published_examples_back() -> None:
    assert parse_payment_uri(bip21(BIP84_ADDRESS, 123_456, label="Shop", message="Order 42")) == {
        "scheme": "bitcoin", "address": BIP84_ADDRESS, "amount": Decimal("0.00123456"),
        "label": "Shop", "message": "Order 42",
    }
    assert parse_payment_uri(eip681_erc20(USDT, 1, DEAD, 12_500_000)) == {
        "scheme": "ethereum", "target": USDT, "chain_id": 1, "function": "transfer",
        "address": DEAD, "uint256": 12_500_000,
    }
    assert parse_payment_uri(eip681_native(DEAD, 56, 7)) == {
        "scheme": "ethereum", "target": DEAD, "chain_id": 56, "function": None, "value": 7,
    }


def test_parse_follows_bip21_about_unknown_parameters() -> None:
    assert parse_payment_uri(f"bitcoin:{LUKE}?somethingyoudontunderstand=50&somethingelseyoudontget=999") == {
        "scheme": "bitcoin", "address": LUKE,
        "params": {"somethingyoudontunderstand": "50", "somethingelseyoudontget": "999"},
    }
    with pytest.raises(ValueError, match="required parameter"):
        parse_payment_uri(f"bitcoin:{LUKE}?req-somethingyoudontunderstand=50&req-somethingelseyoudontget=999")


def test_parse_reads_exponents_other_wallets_write_but_exactly() -> None:
    parsed = parse_payment_uri(f"ethereum:pay-{DEAD}@1?value=2.014e18")
    assert parsed["value"] == 2_014_000_000_000_000_000


@pytest.mark.parametrize("uri", [
    f"bitcoin:{LUKE}?amount=1e-8", f"bitcoin:{LUKE}?amount=-1", f"bitcoin:{LUKE}?amount=.",
    f"bitcoin:{LUKE}?amount=1&amount=2", f"bitcoin:{LUKE}?amount=١", f"ethereum:{DEAD}@1?value=1.5",
    f"ethereum:{DEAD}@1?value=-1", f"ethereum:{DEAD}@x?value=1", f"ethereum:{DEAD}@1?value={2**256}",
    "no-colon-here",
])
def test_parse_refuses_malformed_amounts_and_uris(uri: str) -> None:
    with pytest.raises(ValueError):
        parse_payment_uri(uri)


@given(units=st.integers(min_value=1, max_value=21_000_000 * 10**8))
def test_bip21_round_trips_every_satoshi_amount_exactly(units: int) -> None:
    uri = bip21(BIP84_ADDRESS, units, label="Shop")
    assert parse_payment_uri(uri)["amount"] == units_to_decimal(units, 8)
    amount_text = uri.split("amount=")[1].split("&")[0]
    assert "e" not in amount_text.lower()
    assert "." not in amount_text or not amount_text.endswith(("0", "."))   # trailing zeros trimmed


@given(units=st.integers(min_value=1, max_value=2**256 - 1))
def test_eip681_round_trips_every_amount_exactly(units: int) -> None:
    assert parse_payment_uri(eip681_erc20(USDT, 1, DEAD, units))["uint256"] == units
    assert parse_payment_uri(eip681_native(DEAD, 1, units))["value"] == units
