"""Payment URIs for the QR code and the copyable text block: BIP21 (Bitcoin, Litecoin) and EIP-681 (EVM).

Amounts are written as plain decimals or integers, never with an exponent: several wallet parsers reject
`2.014e18` or `1E-8`, and a buyer whose wallet misreads the amount pays the wrong sum. Everything here is
a pure function of exact inputs (integer base units), so the URI in the QR is exactly the quoted amount.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Final
from urllib.parse import quote, unquote

from commerce.money import EXACT, format_units

BIP21_MAX_PLACES: Final = 8
UINT256_MAX: Final = 2**256 - 1

_SCHEME: Final = re.compile(r"[a-z][a-z0-9+.-]*")
# ASCII digits only: `\d` would also accept other scripts' digits, which Decimal would happily read.
_BIP21_AMOUNT: Final = re.compile(r"[0-9]*(\.[0-9]*)?")
_EIP681_NUMBER: Final = re.compile(r"\+?[0-9]+(\.[0-9]+)?([eE][0-9]+)?")
_CHAIN_ID: Final = re.compile(r"[0-9]+")
_EVM_ADDRESS: Final = re.compile(r"0x[0-9a-fA-F]{40}")
# Characters that would split or corrupt the URI if they appeared in an address.
_ADDRESS_BREAKERS: Final = frozenset("?&=#/%: \t\r\n")
_EIP681_NUMBERS: Final = frozenset({"value", "uint256", "gas", "gasLimit", "gasPrice"})


def checksum_address(address: str) -> str:
    """The EIP-55 mixed-case form of an EVM address.

    Wallets verify the case; a mixed-case input whose case does not match is refused because it is
    almost certainly mistyped, and paying a mistyped address loses the money.
    """
    if not _EVM_ADDRESS.fullmatch(address):
        raise ValueError("an EVM address is 0x followed by 40 hexadecimal digits")
    # bip-utils (no type hints) costs ~0.2 s to import: only a shop with an EVM method gets here.
    from bip_utils import Kekkak256  # type: ignore[import-untyped]

    body = address[2:]
    digest = Kekkak256.QuickDigest(body.lower()).hex()
    encoded = "".join(char.upper() if int(nibble, 16) >= 8 else char
                      for char, nibble in zip(body.lower(), digest, strict=False))
    mixed_case = body not in (body.lower(), body.upper())
    if mixed_case and body != encoded:
        raise ValueError("EVM address has a wrong EIP-55 checksum (mistyped?)")
    return "0x" + encoded


def bip21(
    address: str,
    amount_units: int,
    *,
    decimals: int = 8,
    scheme: str = "bitcoin",
    label: str | None = None,
    message: str | None = None,
) -> str:
    """`bitcoin:<address>?amount=<coins>&label=…&message=…`; `amount_units` are satoshi (litoshi for LTC)."""
    _require_positive(amount_units, "amount_units")
    if not _SCHEME.fullmatch(scheme):
        raise ValueError(f"not a URI scheme: {scheme!r}")
    _require_plain_address(address)
    amount = format_units(amount_units, decimals)
    _, _, places = amount.partition(".")
    if len(places) > BIP21_MAX_PLACES:
        raise ValueError(f"BIP21 amounts carry at most {BIP21_MAX_PLACES} decimal places, got {amount}")
    params = [("amount", amount)]
    params += [(key, quote(text, safe="")) for key, text in (("label", label), ("message", message)) if text]
    return f"{scheme}:{address}?" + "&".join(f"{key}={value}" for key, value in params)


def eip681_native(address: str, chain_id: int, wei: int) -> str:
    """`ethereum:<address>@<chainId>?value=<wei>`: the chain id is always written so no wallet guesses it."""
    _require_chain_id(chain_id)
    _require_positive(wei, "wei")
    return f"ethereum:{checksum_address(address)}@{chain_id}?value={wei}"


def eip681_erc20(token: str, chain_id: int, recipient: str, units: int) -> str:
    """`ethereum:<token>@<chainId>/transfer?address=<recipient>&uint256=<units>` for an ERC-20 transfer."""
    _require_chain_id(chain_id)
    _require_positive(units, "units")
    return (f"ethereum:{checksum_address(token)}@{chain_id}/transfer"
            f"?address={checksum_address(recipient)}&uint256={units}")


def parse_payment_uri(uri: str) -> dict[str, Any]:
    """Read a BIP21 or EIP-681 URI back into its parts; used to check what a QR code really says.

    BIP21 gives `scheme`, `address`, and when present `amount` (exact Decimal coins), `label`, `message`.
    EIP-681 gives `scheme`, `target`, `chain_id` (None when absent), `function` (None for a plain payment)
    and the parameters, with `value`/`uint256` as exact ints and `address` in EIP-55 case.
    Unknown optional parameters land in `params`; an unknown required (`req-`) one is refused.
    """
    scheme, colon, rest = uri.partition(":")
    scheme = scheme.lower()
    if not colon or not _SCHEME.fullmatch(scheme):
        raise ValueError("not a payment URI: expected <scheme>:<target>")
    if scheme == "ethereum":
        return _parse_eip681(rest)
    return _parse_bip21(scheme, rest)


def _parse_bip21(scheme: str, rest: str) -> dict[str, Any]:
    address, _, query = rest.partition("?")
    _require_plain_address(address)
    parsed: dict[str, Any] = {"scheme": scheme, "address": address}
    extra: dict[str, str] = {}
    for key, value in _query(query).items():
        if key == "amount":
            parsed["amount"] = _bip21_amount(value)
        elif key in ("label", "message"):
            parsed[key] = value
        elif key.startswith("req-"):
            raise ValueError(f"required parameter {key!r} is not understood")
        else:
            extra[key] = value
    if extra:
        parsed["params"] = extra
    return parsed


def _parse_eip681(rest: str) -> dict[str, Any]:
    path, _, query = rest.partition("?")
    path = path.removeprefix("pay-")
    target_and_chain, _, function = path.partition("/")
    target, at, chain = target_and_chain.partition("@")
    if at and not _CHAIN_ID.fullmatch(chain):
        raise ValueError(f"chain id must be a decimal integer, got {chain!r}")
    parsed: dict[str, Any] = {
        "scheme": "ethereum",
        "target": checksum_address(target),
        "chain_id": int(chain) if at else None,
        "function": function or None,
    }
    extra: dict[str, str] = {}
    for key, value in _query(query).items():
        if key in _EIP681_NUMBERS:
            parsed[key] = _eip681_number(key, value)
        elif key == "address":
            parsed[key] = checksum_address(value)
        else:
            extra[key] = value
    if extra:
        parsed["params"] = extra
    return parsed


def _query(query: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in filter(None, query.split("&")):
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise ValueError(f"malformed parameter {item!r}")
        if key in pairs:
            raise ValueError(f"parameter {key!r} appears twice")
        pairs[key] = unquote(value, errors="strict")
    return pairs


def _bip21_amount(text: str) -> Decimal:
    """BIP21's `*digit [ "." *digit ]`: a plain decimal, so `1e-8`, `-1` or `0x10` are refused."""
    if not text.strip(".") or not _BIP21_AMOUNT.fullmatch(text):
        raise ValueError(f"BIP21 amount must be a plain decimal, got {text!r}")
    return Decimal(text)


def _eip681_number(key: str, text: str) -> int:
    """Other wallets may write `2.014e18`; read it exactly, and refuse fractions, negatives and overflow."""
    if not _EIP681_NUMBER.fullmatch(text):
        raise ValueError(f"{key} is not a number: {text!r}")
    number = EXACT.create_decimal(text)
    if number > UINT256_MAX or number != number.to_integral_value(context=EXACT):
        raise ValueError(f"{key} must be a whole number of base units within uint256, got {text!r}")
    return int(number)


def _require_positive(amount: int, name: str) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError(f"{name} must be an int of base units, not {type(amount).__name__}")
    if amount <= 0:
        raise ValueError(f"{name} must be above 0, got {amount}")
    if amount > UINT256_MAX:
        raise ValueError(f"{name} does not fit in uint256")


def _require_chain_id(chain_id: int) -> None:
    if not isinstance(chain_id, int) or isinstance(chain_id, bool) or chain_id < 1:
        raise ValueError(f"chain id must be a positive integer, got {chain_id!r}")


def _require_plain_address(address: str) -> None:
    if not address or _ADDRESS_BREAKERS.intersection(address):
        raise ValueError("address is empty or contains characters that would break the URI")
