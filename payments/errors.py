"""Errors raised by `payments`.

`RateUnavailable` reaches buyers, so it is a `CommerceError` with a stable `code` that each front-end
translates ("payment is briefly unavailable"). Key errors are configuration problems found at start-up
and read by a person fixing `bot.toml`; their messages never repeat the key itself.
"""

from __future__ import annotations

from commerce.errors import CommerceError


class RateUnavailable(CommerceError):
    """No trustworthy price for `asset` in `fiat` right now; `reason` is for the logs, never a guess."""

    code = "rate_unavailable"

    def __init__(self, *, asset: str, fiat: str, reason: str) -> None:
        super().__init__(asset=asset, fiat=fiat, reason=reason)


class AbsurdRate(RateUnavailable):
    """The source answered a price no one can believe (out of range, or a sudden jump): refused, with what it
    `answered` (as short text) for the log and the staff. Buyers see the same "briefly unavailable"."""

    def __init__(self, *, asset: str, fiat: str, reason: str, answered: str) -> None:
        CommerceError.__init__(self, asset=asset, fiat=fiat, reason=reason, answered=answered)


class ExtendedKeyError(ValueError):
    """The configured extended key cannot be used to derive receive addresses (wrong kind or network)."""


class WatchOnlyError(ExtendedKeyError):
    """A private key (xprv, tprv, zprv, …) was given where only a public key may live: the shop is watch-only."""

    def __init__(self, what: str = "an extended private key") -> None:
        super().__init__(
            f"refused {what}: the shop is watch-only and never holds a private key or seed. "
            "Give the account's extended public key (xpub/zpub, tpub/vpub, Ltub/Mtub) instead."
        )
