"""Watch-only derivation against published vectors (BIP84; the "abandon … about" test mnemonic)."""

from __future__ import annotations

import pytest
from bip_utils import Base58Decoder, Base58Encoder, SegwitBech32Decoder

from payments.derive import AddressDeriver, EvmAddressDeriver
from payments.errors import ExtendedKeyError, WatchOnlyError

# BIP84's test vector: account 0 of "abandon abandon … about", m/84'/0'/0'.
BIP84_ZPUB = ("zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31"
              "mGDtKsAYz2oz2AGutZYs")
BIP84_RECEIVE = ["bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g"]
BIP84_CHANGE_0 = "bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el"
BIP84_ZPRV = ("zprvAdG4iTXWBoARxkkzNpNh8r6Qag3irQB8PzEMkAFeTRXxHpbF9z4QgEvBRmfvqWvGp42t42nvgGpNgYSJA9iefm1yY"
              "NZKEm7z6qUWCroSQnE")
# Same mnemonic, testnet account m/84'/1'/0' (as published with BIP84 implementations: vpub5Y6cjg…).
TESTNET_VPUB = ("vpub5Y6cjg78GGuNLsaPhmYsiw4gYX3HoQiRBiSwDaBXKUafCt9bNwWQiitDk5VZ5BVxYnQdwoTyXSs2JHRPAgjAvtbB"
                "rf8ZhDYe2jWAqvZVnsc")
TESTNET_RECEIVE_0 = "tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl"
# Same mnemonic, Ethereum account m/44'/60'/0' (MetaMask, ethers and hardware wallets agree on these).
ETH_XPUB = ("xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3y"
            "ZdUsT8ddYM3PwnATt")
ETH_RECEIVE = ["0x9858EfFD232B4033E47d90003D41EC34EcaEda94", "0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0",
               "0xb6716976A3ebe8D39aCEB04372f22Ff8e6802D7A"]


def reversion(key: str, version_hex: str) -> str:
    """The same key material under other version bytes, as another wallet would export it."""
    return Base58Encoder.CheckEncode(bytes.fromhex(version_hex) + Base58Decoder.CheckDecode(key)[4:])


def witness_program(address: str, hrp: str) -> bytes:
    version, program = SegwitBech32Decoder.Decode(hrp, address)
    assert version == 0
    return program


TPUB = reversion(TESTNET_VPUB, "043587cf")


def test_bip84_vectors_on_the_receive_chain() -> None:
    deriver = AddressDeriver.from_extended_key(BIP84_ZPUB, "mainnet")
    assert [deriver.address(0), deriver.address(1)] == BIP84_RECEIVE


def test_change_chain_is_never_handed_out() -> None:
    deriver = AddressDeriver.from_extended_key(BIP84_ZPUB, "mainnet")
    assert BIP84_CHANGE_0 not in {deriver.address(index) for index in range(50)}


@pytest.mark.parametrize("version", ["0488b21e", "049d7cb2"])   # xpub, ypub
def test_same_account_under_other_mainnet_prefixes_gives_the_same_addresses(version: str) -> None:
    deriver = AddressDeriver.from_extended_key(reversion(BIP84_ZPUB, version), "mainnet")
    assert [deriver.address(0), deriver.address(1)] == BIP84_RECEIVE


def test_testnet_vector() -> None:
    assert AddressDeriver.from_extended_key(TESTNET_VPUB, "testnet").address(0) == TESTNET_RECEIVE_0
    assert AddressDeriver.from_extended_key(TPUB, "testnet").address(0) == TESTNET_RECEIVE_0


@pytest.mark.parametrize(("network", "hrp"), [
    ("testnet", "tb"), ("regtest", "bcrt"), ("litecoin-testnet", "tltc"), ("litecoin-regtest", "rltc"),
])
def test_a_tpub_derives_the_same_key_with_each_test_networks_prefix(network: str, hrp: str) -> None:
    address = AddressDeriver.from_extended_key(TPUB, network).address(0)
    assert address.startswith(f"{hrp}1q")
    assert witness_program(address, hrp) == witness_program(TESTNET_RECEIVE_0, "tb")


@pytest.mark.parametrize("version", ["019da462", "01b26ef6", "04b24746", "0488b21e"])   # Ltub, Mtub, zpub, xpub
def test_litecoin_mainnet_accepts_its_prefixes_and_pays_native_segwit(version: str) -> None:
    address = AddressDeriver.from_extended_key(reversion(BIP84_ZPUB, version), "litecoin").address(0)
    assert address.startswith("ltc1q")
    assert witness_program(address, "ltc") == witness_program(BIP84_RECEIVE[0], "bc")


def test_ttub_is_accepted_on_litecoin_test_networks() -> None:
    address = AddressDeriver.from_extended_key(reversion(TESTNET_VPUB, "0436f6e1"), "litecoin-regtest").address(0)
    assert witness_program(address, "rltc") == witness_program(TESTNET_RECEIVE_0, "tb")


@pytest.mark.parametrize(("key", "network"), [
    (TPUB, "mainnet"), (BIP84_ZPUB, "regtest"), (reversion(BIP84_ZPUB, "019da462"), "mainnet"),
])
def test_a_key_from_another_network_is_refused(key: str, network: str) -> None:
    # Addresses from the wrong network's account would not show up in the seller's wallet.
    with pytest.raises(ExtendedKeyError, match="does not belong to"):
        AddressDeriver.from_extended_key(key, network)


@pytest.mark.parametrize("version", ["0488ade4", "04b2430c", "04358394", "045f18bc", "019d9cfe"])
def test_private_extended_keys_are_refused_as_not_watch_only(version: str) -> None:
    private = reversion(BIP84_ZPRV, version)
    with pytest.raises(WatchOnlyError, match="watch-only") as refused:
        AddressDeriver.from_extended_key(private, "mainnet")
    assert private not in str(refused.value)   # a secret never lands in a log through an error message


@pytest.mark.parametrize("secret", [
    BIP84_ZPRV[:-1] + ("a" if BIP84_ZPRV[-1] != "a" else "b"),   # a mistyped xprv is still a secret
    "abandon " * 11 + "about",
    "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ",     # WIF
    "0c28fca386c7a227600b2fe50b7cae11ec86d3bf1fbe471be89827e19d72aa1d",
])
def test_other_secrets_are_refused_as_not_watch_only(secret: str) -> None:
    with pytest.raises(WatchOnlyError, match="watch-only"):
        AddressDeriver.from_extended_key(secret, "mainnet")
    with pytest.raises(WatchOnlyError):
        EvmAddressDeriver.from_extended_key(secret)


def test_private_key_under_a_public_version_is_still_refused() -> None:
    disguised = reversion(BIP84_ZPRV, "04b24746")
    with pytest.raises(WatchOnlyError):
        AddressDeriver.from_extended_key(disguised, "mainnet")


@pytest.mark.parametrize("garbage", ["", "zpub-not-really", BIP84_ZPUB[:-1] + "t", reversion(BIP84_ZPUB, "02aa7ed3")])
def test_garbage_and_multisig_keys_are_refused(garbage: str) -> None:
    with pytest.raises(ExtendedKeyError):
        AddressDeriver.from_extended_key(garbage, "mainnet")


def test_unknown_network_is_refused() -> None:
    with pytest.raises(ExtendedKeyError, match="unknown network"):
        AddressDeriver.from_extended_key(BIP84_ZPUB, "dogecoin")


def test_surrounding_whitespace_from_an_env_file_is_ignored() -> None:
    assert AddressDeriver.from_extended_key(f"  {BIP84_ZPUB}\n", "mainnet").address(0) == BIP84_RECEIVE[0]


@pytest.mark.parametrize("index", [-1, 2**31, True])
def test_hardened_or_negative_indexes_are_refused(index: int) -> None:
    with pytest.raises(ValueError, match="index"):
        AddressDeriver.from_extended_key(BIP84_ZPUB, "mainnet").address(index)


def test_a_thousand_addresses_are_distinct_and_stable() -> None:
    deriver = AddressDeriver.from_extended_key(BIP84_ZPUB, "mainnet")
    first = [deriver.address(index) for index in range(1000)]
    assert len(set(first)) == 1000 and first[:2] == BIP84_RECEIVE
    assert [deriver.address(index) for index in range(1000)] == first


def test_evm_addresses_from_the_account_xpub() -> None:
    deriver = EvmAddressDeriver.from_extended_key(ETH_XPUB)
    assert [deriver.address(index) for index in range(3)] == ETH_RECEIVE


def test_evm_refuses_the_account_private_key() -> None:
    with pytest.raises(WatchOnlyError, match="watch-only"):
        EvmAddressDeriver.from_extended_key(reversion(BIP84_ZPRV, "0488ade4"))
