"""Is a typed address one a payment method can send to? (docs/payments.md#addresses)

Refunds go to an address the buyer types, on the chain and asset they paid with; a mistyped address or one
of another network loses the money, so it is checked before anyone is asked to pay it:

- Bitcoin and Litecoin: native segwit (BIP173 bech32 for version 0, BIP350 bech32m for versions 1–16, with
  the network's prefix: bc / tb / bcrt, ltc / tltc / rltc) or base58check (P2PKH and P2SH with the network's
  version byte). Decoding is bip-utils'; only the network tables are ours.
- EVM: 0x and 40 hex digits; a mixed-case address must carry its EIP-55 checksum. The checksummed form is
  returned, so the refund QR shows what wallets expect.
"""

from __future__ import annotations

import re
from typing import Final

from commerce.errors import CommerceError
from payments.derive import NETWORKS
from payments.methods import BITCOIN_FAMILY, PaymentMethod
from payments.uri import checksum_address

MAX_TYPED: Final = 120   # longer than any address: refused without decoding

# network → base58 version bytes of P2PKH and P2SH addresses.
BASE58_VERSIONS: Final[dict[str, frozenset[int]]] = {
    "mainnet": frozenset({0x00, 0x05}),
    "testnet": frozenset({0x6F, 0xC4}),
    "regtest": frozenset({0x6F, 0xC4}),
    "litecoin": frozenset({0x30, 0x32, 0x05}),          # L…, M… and the older 3… P2SH
    "litecoin-testnet": frozenset({0x6F, 0x3A, 0xC4}),
    "litecoin-regtest": frozenset({0x6F, 0x3A, 0xC4}),
}
_BECH32: Final = re.compile(r"([a-z]{2,4})1[02-9ac-hj-np-z]{6,87}")
_EVM: Final = re.compile(r"0x[0-9a-fA-F]{40}")


class InvalidAddress(CommerceError):
    """`address` (shortened) can't receive `asset` on `network`: `reason` is format (not an address at all),
    checksum (a typo), network (an address of `found`, another network) or program (a malformed segwit
    program)."""

    code = "invalid_address"


def check_address(method: PaymentMethod, typed: str) -> str:
    """The address to send `method`'s asset to, in its canonical form, or InvalidAddress with the reason."""
    address = "".join(typed.split())[: MAX_TYPED + 1]
    fields = {"address": _shown(address), "asset": method.asset, "network": method.network_name}
    if not address or len(address) > MAX_TYPED:
        raise InvalidAddress(reason="format", **fields)
    if method.family == "evm":
        return _evm(address, fields)
    assert method.network is not None
    return _bitcoin(address, method.network, fields)


def _evm(address: str, fields: dict[str, str]) -> str:
    if not _EVM.fullmatch(address):
        other = _bitcoin_network_of(address)
        raise InvalidAddress(reason="network" if other else "format", found=_name(other), **fields)
    try:
        return checksum_address(address)
    except ValueError:
        raise InvalidAddress(reason="checksum", **fields) from None


def _bitcoin(address: str, network: str, fields: dict[str, str]) -> str:
    from bip_utils import (  # type: ignore[import-untyped]
        Base58ChecksumError,
        Base58Decoder,
        Bech32ChecksumError,
        SegwitBech32Decoder,
    )

    hrp = NETWORKS[network].hrp
    lowered = address.lower()
    if _BECH32.fullmatch(lowered) and (address == lowered or address == address.upper()):
        found_hrp = lowered.rpartition("1")[0]
        if found_hrp != hrp:
            other = next((name for name, n in NETWORKS.items() if n.hrp == found_hrp), None)
            raise InvalidAddress(reason="network" if other else "format", found=_name(other), **fields)
        try:
            SegwitBech32Decoder.Decode(hrp, lowered)
        except Bech32ChecksumError:
            raise InvalidAddress(reason="checksum", **fields) from None
        except ValueError:
            raise InvalidAddress(reason="program", **fields) from None
        return lowered
    if _EVM.fullmatch(address):
        raise InvalidAddress(reason="network", found="Ethereum (EVM)", **fields)
    try:
        decoded = Base58Decoder.CheckDecode(address)
    except Base58ChecksumError:
        raise InvalidAddress(reason="checksum", **fields) from None
    except ValueError:
        raise InvalidAddress(reason="format", **fields) from None
    if len(decoded) != 21:
        raise InvalidAddress(reason="format", **fields)
    if decoded[0] not in BASE58_VERSIONS[network]:
        other = next((name for name, versions in BASE58_VERSIONS.items() if decoded[0] in versions), None)
        raise InvalidAddress(reason="network" if other else "format", found=_name(other), **fields)
    return address


def _bitcoin_network_of(address: str) -> str | None:
    """The Bitcoin-family network a bech32 address names by its prefix (for "wrong network" on EVM)."""
    prefix = address.lower().rpartition("1")[0]
    return next((name for name, n in NETWORKS.items() if n.hrp == prefix), None) if prefix else None


def _name(network: str | None) -> str:
    return BITCOIN_FAMILY[network][2] if network else ""


def _shown(address: str) -> str:
    return address if len(address) <= 24 else f"{address[:12]}…{address[-8:]}"
