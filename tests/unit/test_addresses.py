"""Addresses typed for a refund: published BIP173/BIP350 and EIP-55 vectors, and each wrong network named."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bots.i18n import Translator
from payments.addresses import InvalidAddress, check_address
from payments.methods import PaymentMethod, bitcoin_method, evm_method


class NoDeriver:
    def address(self, index: int) -> str:
        raise AssertionError("not used")


def btc(network: str = "mainnet") -> PaymentMethod:
    asset = "LTC" if network.startswith("litecoin") else "BTC"
    return bitcoin_method(id="m", network=network, asset=asset, confirmations=1, deriver=NoDeriver())


USDT = evm_method(id="usdt", chain_id=1, asset="USDT", decimals=6, confirmations=12,
                  token="0xdAC17F958D2ee523a2206206994597C13D831ec7",
                  receive_address="0x000000000000000000000000000000000000dEaD")


@pytest.mark.parametrize(("network", "typed", "expected"), [
    # BIP173 valid vectors (v0, bech32), upper case accepted and returned in lower case.
    ("mainnet", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
    ("testnet", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
     "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7"),
    # BIP350 valid vector (v1, bech32m).
    ("mainnet", "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
     "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y"),
    # BIP84 test vector receive address; base58 P2PKH / P2SH on mainnet, testnet and Litecoin.
    ("mainnet", " bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu\n", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"),
    ("mainnet", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
    ("mainnet", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"),
    ("regtest", "mfWyW5fc9NUj75YAnFgoRLrjxgLDn2MMth", "mfWyW5fc9NUj75YAnFgoRLrjxgLDn2MMth"),
    ("litecoin", "LKDyUEtTR1HXamkiEphisSiBJu6o3ZPE34", "LKDyUEtTR1HXamkiEphisSiBJu6o3ZPE34"),
    ("litecoin", "M7uBSTV2qNDHDe2tHfNMqhFkZucgRMpJQk", "M7uBSTV2qNDHDe2tHfNMqhFkZucgRMpJQk"),
    ("litecoin-regtest", "QLc1KKsLWovHm79aV22uihS3bwgECPid8z", "QLc1KKsLWovHm79aV22uihS3bwgECPid8z"),
])
def test_addresses_of_the_network_are_accepted(network: str, typed: str, expected: str) -> None:
    assert check_address(btc(network), typed) == expected


@pytest.mark.parametrize(("network", "typed", "reason", "found"), [
    # BIP350: a v1 program with a bech32 (not bech32m) checksum is invalid.
    ("mainnet", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", "checksum", None),
    ("mainnet", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "checksum", None),          # last character changed
    ("mainnet", "bc1qr508d6qejxtdg4y5r3zarvaryv98gj9p", "program", None),                  # BIP173: 16-byte v0 program
    ("mainnet", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", "network", "Bitcoin testnet"),
    ("litecoin", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", "network", "Bitcoin"),
    ("mainnet", "LKDyUEtTR1HXamkiEphisSiBJu6o3ZPE34", "network", "Litecoin"),
    ("mainnet", "0x52908400098527886E0F7030069857D2E4169EE7", "network", "Ethereum (EVM)"),
    ("mainnet", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", "checksum", None),
    ("mainnet", "hello", "format", None),
    ("mainnet", "", "format", None),
    ("mainnet", "bc1" + "q" * 200, "format", None),
])
def test_a_wrong_address_is_refused_with_the_reason(network: str, typed: str, reason: str, found: str | None) -> None:
    with pytest.raises(InvalidAddress) as refused:
        check_address(btc(network), typed)
    assert refused.value.reason == reason
    if found is not None:
        assert refused.value.found == found


def test_evm_addresses_carry_their_eip55_checksum() -> None:
    # EIP-55's own examples: accepted mixed-case, all-lower and all-upper, returned checksummed.
    for address in ("0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
                    "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26"):
        assert check_address(USDT, address).lower() == address.lower()
    assert check_address(USDT, "0x52908400098527886e0f7030069857d2e4169ee7") == \
        "0x52908400098527886E0F7030069857D2E4169EE7"
    with pytest.raises(InvalidAddress) as typo:
        check_address(USDT, "0x52908400098527886E0F7030069857D2E4169Ee7")
    assert typo.value.reason == "checksum"
    with pytest.raises(InvalidAddress) as bitcoin:
        check_address(USDT, "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu")
    assert (bitcoin.value.reason, bitcoin.value.found) == ("network", "Bitcoin")


def test_the_refusal_reads_well_in_both_languages() -> None:
    tr = Translator.load()
    with pytest.raises(InvalidAddress) as refused:
        check_address(btc("mainnet"), "LKDyUEtTR1HXamkiEphisSiBJu6o3ZPE34")
    assert tr.error("en", refused.value) == ("“LKDyUEtTR1HX…6o3ZPE34” is a Litecoin address, but the refund is BTC on "
                                             "Bitcoin. Please give a Bitcoin address.")
    assert "Litecoin のアドレスです" in tr.error("ja", refused.value)


@given(st.text(max_size=150))
def test_nothing_typed_raises_anything_but_a_refusal(typed: str) -> None:
    for method in (btc("mainnet"), btc("litecoin"), USDT):
        with contextlib.suppress(InvalidAddress):
            check_address(method, typed)
