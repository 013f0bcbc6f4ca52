"""Watch-only receive addresses: one fresh address per order, derived from the seller's account public key.

The server only ever holds the account-level extended PUBLIC key, so a stolen server cannot spend a
single satoshi. Anything that could spend (xprv, tprv, zprv, a WIF key, a seed phrase) is refused with
`WatchOnlyError` before it is used, and no error message repeats the key.

Bitcoin-like chains always pay to native segwit P2WPKH (BIP84) on the receive chain `<account>/0/i`.
Wallets label the same account key with different version bytes (xpub, zpub, Ltub, …); they are
re-interpreted rather than refused, because hardware wallets commonly export a native segwit account
as plain `xpub`. The change chain `<account>/1/i` is never used: the seller's wallet owns it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from bip_utils import (  # type: ignore[import-untyped]  # bip-utils ships no type hints
    Base58ChecksumError,
    Base58Decoder,
    Base58Encoder,
    Bip32KeyError,
    Bip32Secp256k1,
    EthAddrEncoder,
    P2WPKHAddrEncoder,
)

from payments.errors import ExtendedKeyError, WatchOnlyError

RECEIVE_CHAIN: Final = 0
MAX_INDEX: Final = 2**31 - 1   # above this an index is hardened, which a public key cannot derive
_CACHE_SIZE: Final = 1 << 16

_XPUB_VERSION: Final = bytes.fromhex("0488b21e")
_PUBLIC: Final[dict[bytes, str]] = {bytes.fromhex(hex_version): prefix for hex_version, prefix in (
    ("0488b21e", "xpub"), ("049d7cb2", "ypub"), ("04b24746", "zpub"),
    ("043587cf", "tpub"), ("044a5262", "upub"), ("045f1cf6", "vpub"),
    ("019da462", "Ltub"), ("01b26ef6", "Mtub"), ("0436f6e1", "ttub"),
)}
_MULTISIG: Final[dict[bytes, str]] = {bytes.fromhex(hex_version): prefix for hex_version, prefix in (
    ("0295b43f", "Ypub"), ("02aa7ed3", "Zpub"), ("024289ef", "Upub"), ("02575483", "Vpub"),
)}
_PRIVATE: Final[dict[bytes, str]] = {bytes.fromhex(hex_version): prefix for hex_version, prefix in (
    ("0488ade4", "xprv"), ("049d7878", "yprv"), ("04b2430c", "zprv"),
    ("04358394", "tprv"), ("044a4e28", "uprv"), ("045f18bc", "vprv"),
    ("019d9cfe", "Ltpv"), ("01b26792", "Mtpv"), ("0436ef7d", "ttpv"),
    ("0295b005", "Yprv"), ("02aa7a99", "Zprv"), ("024285b5", "Uprv"), ("02575048", "Vprv"),
)}
_MAINNET_KEYS: Final = frozenset({"xpub", "ypub", "zpub"})
_TESTNET_KEYS: Final = frozenset({"tpub", "upub", "vpub"})
_SERIALIZED_LENGTH: Final = 78
_KEY_BYTE: Final = 45          # first byte of the key field: 0x00 for a private key, 0x02/0x03 for a public one
_WIF_LENGTHS: Final = (33, 34)
_RAW_HEX_KEY: Final = re.compile(r"(0x)?[0-9a-fA-F]{64}")


@dataclass(frozen=True, slots=True)
class BitcoinNetwork:
    """A Bitcoin-family network: its bech32 prefix and the extended key prefixes that belong to it."""

    name: str
    hrp: str
    key_prefixes: frozenset[str]


NETWORKS: Final[dict[str, BitcoinNetwork]] = {network.name: network for network in (
    BitcoinNetwork("mainnet", "bc", _MAINNET_KEYS),
    BitcoinNetwork("testnet", "tb", _TESTNET_KEYS),
    BitcoinNetwork("regtest", "bcrt", _TESTNET_KEYS),
    BitcoinNetwork("litecoin", "ltc", _MAINNET_KEYS | {"Ltub", "Mtub"}),
    BitcoinNetwork("litecoin-testnet", "tltc", _TESTNET_KEYS | {"ttub"}),
    BitcoinNetwork("litecoin-regtest", "rltc", _TESTNET_KEYS | {"ttub"}),
)}


class AddressDeriver:
    """Native segwit receive addresses `<account>/0/index` for one Bitcoin-family account.

    The receive-chain node is derived once; each address costs one public child derivation and is
    remembered, so re-deriving the index of every open order (the watcher does) is a dictionary hit.
    """

    def __init__(self, receive_chain: Bip32Secp256k1, network: BitcoinNetwork) -> None:
        self.network = network
        self._receive_chain = receive_chain
        self._cached: Callable[[int], str] = lru_cache(maxsize=_CACHE_SIZE)(self._derive)

    @classmethod
    def from_extended_key(cls, key: str, network: str) -> AddressDeriver:
        """Build from an account-level extended public key for `network` (mainnet, testnet, regtest, litecoin…)."""
        chain = NETWORKS.get(network)
        if chain is None:
            raise ExtendedKeyError(f"unknown network {network!r}; expected one of {', '.join(NETWORKS)}")
        account = _public_node(key, accepted=chain.key_prefixes, where=f'network "{network}"')
        return cls(account.ChildKey(RECEIVE_CHAIN), chain)

    def address(self, index: int) -> str:
        """The bech32 P2WPKH address at `<account>/0/index`."""
        return self._cached(_checked_index(index))

    def _derive(self, index: int) -> str:
        public_key = self._receive_chain.ChildKey(index).PublicKey().KeyObject()
        address: str = P2WPKHAddrEncoder.EncodeKey(public_key, hrp=self.network.hrp, wit_ver=0)
        return address


class EvmAddressDeriver:
    """EIP-55 addresses `<account>/0/index` from an account-level xpub (m/44'/60'/0' in most wallets)."""

    def __init__(self, receive_chain: Bip32Secp256k1) -> None:
        self._receive_chain = receive_chain
        self._cached: Callable[[int], str] = lru_cache(maxsize=_CACHE_SIZE)(self._derive)

    @classmethod
    def from_extended_key(cls, key: str) -> EvmAddressDeriver:
        # EVM wallets have no version-byte convention of their own, so any single-signature public
        # version is accepted; only the key material matters.
        account = _public_node(key, accepted=frozenset(_PUBLIC.values()), where="an EVM chain")
        return cls(account.ChildKey(RECEIVE_CHAIN))

    def address(self, index: int) -> str:
        return self._cached(_checked_index(index))

    def _derive(self, index: int) -> str:
        address: str = EthAddrEncoder.EncodeKey(self._receive_chain.ChildKey(index).PublicKey().KeyObject())
        return address


def _checked_index(index: int) -> int:
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= MAX_INDEX:
        raise ValueError(f"address index must be an integer from 0 to {MAX_INDEX}, got {index!r}")
    return index


def _public_node(key: str, *, accepted: frozenset[str], where: str) -> Bip32Secp256k1:
    """Decode an extended public key whose version is one of `accepted`, refusing anything that can spend."""
    text = key.strip()
    _refuse_obvious_secrets(text)
    try:
        raw = Base58Decoder.CheckDecode(text)
    except (Base58ChecksumError, ValueError):
        raise ExtendedKeyError("not an extended public key (bad base58 or checksum)") from None
    _refuse_private_payload(raw)
    if len(raw) != _SERIALIZED_LENGTH:
        raise ExtendedKeyError("not an extended public key (wrong length)")
    version = raw[:4]
    if version in _MULTISIG:
        raise ExtendedKeyError(f"{_MULTISIG[version]} is a multisig key; give a single-signature account key")
    prefix = _PUBLIC.get(version)
    if prefix is None:
        raise ExtendedKeyError("not an extended public key (unknown version bytes)")
    if prefix not in accepted:
        raise ExtendedKeyError(f"a {prefix} key does not belong to {where}; expected {', '.join(sorted(accepted))}")
    try:
        # bip-utils checks the point is on the curve; the version is normalised so it parses every prefix.
        return Bip32Secp256k1.FromExtendedKey(Base58Encoder.CheckEncode(_XPUB_VERSION + raw[4:]))
    except Bip32KeyError:
        raise ExtendedKeyError("not an extended public key (invalid key data)") from None


def _refuse_obvious_secrets(text: str) -> None:
    """Checked before decoding, so even a mistyped private key is refused as a secret, not as garbage."""
    if text[:4] in _PRIVATE.values():
        raise WatchOnlyError(f"an extended private key ({text[:4]})")
    if len(text.split()) >= 12:
        raise WatchOnlyError("a seed phrase")
    if _RAW_HEX_KEY.fullmatch(text):
        raise WatchOnlyError("a raw private key")


def _refuse_private_payload(raw: bytes) -> None:
    if raw[:4] in _PRIVATE:
        raise WatchOnlyError(f"an extended private key ({_PRIVATE[raw[:4]]})")
    if len(raw) == _SERIALIZED_LENGTH and raw[_KEY_BYTE] == 0:
        raise WatchOnlyError("an extended private key")
    if len(raw) in _WIF_LENGTHS:
        raise WatchOnlyError("a private key (WIF)")
