"""What a seller types about a new coupon, read into the core's `NewCoupon` (docs/coupons.md).

Shared by every front-end: the Telegram one-line form (`SPRING10 10% min=3000 uses=100 …`), Discord's slash
options and the CLI's flags all read a discount, a date or a product number the same way. Only the reading is
here; whether the terms make sense (a percentage above 100, an end before the start, a code already taken) is
the core's call, and both kinds of refusal are `InvalidInput`s that `coupon_view.coupon_problem` words.

Dates are the shop's calendar: `2026-12-01` as a start is the beginning of that day in the shop's time zone,
and as an end it is the last day the code works (it stops when that day is over). A full ISO date and time
(`2026-12-31T18:00`, with or without an offset) is taken as the exact moment, in the shop's time zone when
it has no offset.
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from commerce.bill import CouponKind
from commerce.coupons import MAX_USES, NewCoupon
from commerce.errors import InvalidInput
from commerce.money import Money

# The one-line form's options; a front-end's help lists them from here.
OPTIONS: Final = ("min", "uses", "per", "from", "to", "cat", "product")
FREE_SHIPPING_WORDS: Final = frozenset({"free_shipping", "free-shipping", "freeshipping", "送料無料"})
_REPEATABLE: Final = frozenset({"cat", "product"})
_VALUE_MAX: Final = 64  # characters of one typed value shown back in a message

_PERCENT: Final = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*%")
_AMOUNT: Final = re.compile(r"[0-9][0-9.,]*|\.[0-9]+")
_DAY: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WHOLE: Final = re.compile(r"[0-9]{1,9}")
_PRODUCT_ID: Final = re.compile(r"[1-9][0-9]{0,9}")


def _typed(text: str) -> str:
    """Full-width digits, signs and letters from a Japanese keyboard ("１０％") read as their ASCII twins."""
    return unicodedata.normalize("NFKC", text).strip()


def _shown(text: str) -> str:
    return text[:_VALUE_MAX]


@dataclass(frozen=True, slots=True)
class DiscountTerms:
    kind: CouponKind
    percent: Decimal = Decimal(0)
    amount: Money | None = None


def parse_discount(text: str, currency: str) -> DiscountTerms:
    """"10%" → 10 percent off, "500" → 500 of the shop's currency off (read by `Money.parse`), "free_shipping"."""
    typed = _typed(text)
    if typed.lower() in FREE_SHIPPING_WORDS:
        return DiscountTerms(CouponKind.FREE_SHIPPING)
    if not typed:
        raise InvalidInput(field="discount", reason="required")
    percent = _PERCENT.fullmatch(typed)
    if percent is not None:
        return DiscountTerms(CouponKind.PERCENT, percent=Decimal(percent.group(1)))
    if typed.endswith("%"):
        raise InvalidInput(field="percent", reason="format", value=_shown(text))
    if _AMOUNT.fullmatch(typed):
        return DiscountTerms(CouponKind.FIXED, amount=Money.parse(typed, currency))  # "12,50", "1.5" in JPY: refused
    raise InvalidInput(field="discount", reason="format", value=_shown(text))


def parse_when(text: str, timezone: str, *, end: bool = False, field_name: str = "starts_at") -> datetime:
    """A day or a moment in the shop's calendar (see the module's docstring). `end`: a day means "through it"."""
    typed = _typed(text)
    zone = ZoneInfo(timezone)
    try:
        if _DAY.fullmatch(typed):
            day = date.fromisoformat(typed) + timedelta(days=1 if end else 0)
            return datetime.combine(day, time(0), tzinfo=zone)
        if len(typed) > 40 or not typed[:4].isdigit():
            raise ValueError(typed)
        moment = datetime.fromisoformat(typed)
    except (ValueError, OverflowError):
        raise InvalidInput(field=field_name, reason="date", value=_shown(text)) from None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def parse_count(text: str | int, field_name: str) -> int:
    """A whole number of uses: 1 to MAX_USES (the core checks the range again)."""
    typed = _typed(str(text))
    if not _WHOLE.fullmatch(typed) or not 1 <= int(typed) <= MAX_USES:
        raise InvalidInput(field=field_name, reason="range", limit=MAX_USES, value=_shown(str(text)))
    return int(typed)


def parse_product_ids(text: str) -> tuple[int, ...]:
    """"12", "12,15" or "12、15" → product numbers."""
    ids = []
    for part in re.split(r"[,、\s]+", _typed(text)):
        if not part:
            continue
        if not _PRODUCT_ID.fullmatch(part) or int(part) > 2**31 - 1:
            raise InvalidInput(field="product", reason="format", value=_shown(part))
        ids.append(int(part))
    return tuple(ids)


def parse_categories(text: str) -> tuple[str, ...]:
    """"Food, Tea" → category names (each as the seller spelled it, spaces tidied)."""
    return tuple(name for name in (" ".join(part.split()) for part in re.split(r"[,、]", text)) if name)


@dataclass(slots=True)
class _Form:
    code: str
    discount: DiscountTerms
    free_shipping: bool = False
    values: dict[str, str] = field(default_factory=dict)
    products: list[int] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


def parse_coupon_line(text: str, currency: str, timezone: str) -> NewCoupon:
    """The Telegram one-line form: `CODE DISCOUNT [free_shipping] [min=…] [uses=…] [per=…] [from=…] [to=…]
    [cat=… …] [product=… …]`. A name with spaces goes in quotes: `cat="Green tea"`."""
    try:
        words = shlex.split(text.replace("＝", "="))
    except ValueError:
        raise InvalidInput(field="form", reason="quotes") from None
    if not words:
        raise InvalidInput(field="coupon_code", reason="required")
    if len(words) < 2 or "=" in words[1]:
        raise InvalidInput(field="discount", reason="required")
    form = _Form(words[0], parse_discount(words[1], currency))
    for word in words[2:]:
        name, equals, value = word.partition("=")
        key = _typed(name).lower()
        if not equals:
            if key not in FREE_SHIPPING_WORDS:
                raise InvalidInput(field="option", reason="unknown", value=_shown(name))
            form.free_shipping = True
            continue
        if key not in OPTIONS:
            raise InvalidInput(field="option", reason="unknown", value=_shown(name))
        if not value.strip():
            raise InvalidInput(field="option", reason="required", value=key)
        if key == "product":
            form.products += parse_product_ids(value)
        elif key == "cat":
            form.categories += parse_categories(value)
        elif key in form.values:
            raise InvalidInput(field="option", reason="repeated", value=key)
        else:
            form.values[key] = value
    return new_coupon(form.code, form.discount, currency, timezone, free_shipping=form.free_shipping,
                      min_order=form.values.get("min"), starts=form.values.get("from"),
                      ends=form.values.get("to"), uses=form.values.get("uses"), per_customer=form.values.get("per"),
                      product_ids=tuple(form.products), categories=tuple(form.categories))


def new_coupon(code: str, discount: DiscountTerms, currency: str, timezone: str, *, free_shipping: bool = False,
               min_order: str | None = None, starts: str | None = None, ends: str | None = None,
               uses: str | int | None = None, per_customer: str | int | None = None,
               product_ids: tuple[int, ...] = (), categories: tuple[str, ...] = ()) -> NewCoupon:
    """The core's request from what was typed (each piece read here; the terms as a whole checked by the core)."""
    return NewCoupon(
        code=code, kind=discount.kind, percent=discount.percent, amount=discount.amount,
        min_order=Money.parse(_typed(min_order), currency) if min_order else None,
        free_shipping=free_shipping or discount.kind is CouponKind.FREE_SHIPPING,
        starts_at=parse_when(starts, timezone, field_name="starts_at") if starts else None,
        ends_at=parse_when(ends, timezone, end=True, field_name="ends_at") if ends else None,
        max_uses=parse_count(uses, "max_uses") if uses is not None and uses != "" else None,
        per_customer=parse_count(per_customer, "per_customer") if per_customer is not None and per_customer != ""
        else None,
        product_ids=tuple(dict.fromkeys(product_ids)), categories=tuple(dict.fromkeys(categories)))
