"""`/start` payloads of shared links: `p_<product id>` opens a product, `r_<code>` credits a referrer,
`c_<CODE>` brings a coupon code to the buyer's next checkout."""

from __future__ import annotations

import re
from typing import Final

from bots.telegram.callbacks import MAX_ID

_PRODUCT: Final = re.compile(r"p_([1-9][0-9]{0,9})")
_REFERRAL: Final = re.compile(r"r_([A-Za-z0-9]{1,16})")
_COUPON: Final = re.compile(r"c_([A-Za-z0-9][A-Za-z0-9_-]{2,31})")
_START: Final = re.compile(r"/start(?:@\w+)?\s+(\S+)\s*")


def product_link(bot_username: str, product_id: int) -> str:
    return f"https://t.me/{bot_username}?start=p_{product_id}"


def product_id_in(payload: str | None) -> int | None:
    match = _PRODUCT.fullmatch(payload or "")
    product_id = int(match.group(1)) if match else None
    return product_id if product_id is not None and product_id <= MAX_ID else None


def referral_in(payload: str | None) -> str | None:
    match = _REFERRAL.fullmatch(payload or "")
    return match.group(1) if match else None


def coupon_in(payload: str | None) -> str | None:
    match = _COUPON.fullmatch(payload or "")
    return match.group(1) if match else None


def start_payload(text: str | None) -> str | None:
    """`"/start r_ab12"` → `"r_ab12"`; anything that is not a /start with a payload → None."""
    match = _START.fullmatch(text or "")
    return match.group(1) if match else None
