"""A coupon code, described for the staff on any front-end (docs/coupons.md): what it gives, its minimum order,
when it is valid, how often it was used, who may use it how often, what it applies to, and whether it is on.

Telegram renders the view as HTML and buttons, Discord as an embed and buttons, the CLI as a table row; each
escapes the text on the way out, so nothing here is markup. The moves a seller may make (pause or resume,
delete, share the link) are named by `CouponMove`; every press re-reads the coupon and the core checks the
role again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any, Final
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton

from bots.common.bill_view import rate_text
from bots.i18n import SUPPORTED, Translator
from commerce.bill import CouponKind
from commerce.coupons import CouponDTO
from commerce.errors import CommerceError, InvalidInput

PAGE_SIZE: Final = 4  # coupons on one screen: each brings a row of buttons (Discord allows five rows)
SCOPE_SHOWN: Final = 10  # products and categories named in a description; a code may have 200, a screen can't


class CouponMove(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    DELETE = "delete"   # asks first
    SHARE = "share"


class CouponState(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    SCHEDULED = "scheduled"   # its first day has not come yet
    EXPIRED = "expired"
    USED_UP = "used_up"


@dataclass(frozen=True, slots=True)
class CouponButton:
    move: CouponMove
    code: str
    label: str


@dataclass(frozen=True, slots=True)
class CouponView:
    code: str
    gives: str                       # "10% off", "¥500 off", "Free shipping", "10% off + free shipping"
    state: CouponState
    status: str                      # the state in words
    min_order: str                   # "¥3,000", or "No minimum"
    window: str                      # "Valid Dec 1, 2026 – Dec 31, 2026", or "No end date"
    uses: str                        # "Used 3 of 100"
    per_customer: str                # "1 per customer", or "No limit per customer"
    scope: str                       # "Only: Food, product #12", or "Whole shop"
    lines: tuple[str, ...]           # the facts worth a line in a chat: the unset ones left out
    buttons: tuple[CouponButton, ...]

    @property
    def title(self) -> str:
        return f"{self.code} — {self.gives}"


@dataclass(frozen=True, slots=True)
class CouponListView:
    heading: str
    empty: str | None                # said instead of the list when there are no codes
    coupons: tuple[CouponView, ...]
    page: int
    previous: str | None             # the label of the way back a page, when there is one
    next: str | None
    new: str                         # the label of "new coupon"


@dataclass(frozen=True, slots=True)
class DeleteQuestion:
    code: str
    text: str
    confirm: str
    keep: str


def _date(tr: Translator, locale: str, when: datetime, timezone: str, *, with_time: bool) -> str:
    """ja "2026年12月31日", en "Dec 31, 2026"; with the time ("Dec 31, 2026, 18:00") when it is not the start
    of a day."""
    language = locale if locale in SUPPORTED else tr.default
    zone = ZoneInfo(timezone)
    day = format_skeleton("yMMMd", when, tzinfo=zone, locale=language)
    if not with_time:
        return day
    clock = format_skeleton("Hm", when, tzinfo=zone, locale=language)
    joiner = str(Locale.parse(language).datetime_formats["medium"])
    return joiner.replace("{1}", day).replace("{0}", clock)


def _midnight(when: datetime, timezone: str) -> bool:
    return when.astimezone(ZoneInfo(timezone)).time() == time(0)


def window_text(tr: Translator, locale: str, coupon: CouponDTO, timezone: str) -> str:
    """The days it is valid, both included; an end at midnight is shown as the day before (its last day)."""
    start = end = None
    if coupon.starts_at is not None:
        start = _date(tr, locale, coupon.starts_at, timezone, with_time=not _midnight(coupon.starts_at, timezone))
    if coupon.ends_at is not None:
        whole_days = _midnight(coupon.ends_at, timezone)
        last = coupon.ends_at - timedelta(days=1) if whole_days else coupon.ends_at
        end = _date(tr, locale, last, timezone, with_time=not whole_days)
    if start and end:
        return tr.text(locale, "coupons.window.between", start=start, end=end)
    if start:
        return tr.text(locale, "coupons.window.from", start=start)
    if end:
        return tr.text(locale, "coupons.window.until", end=end)
    return tr.text(locale, "coupons.window.always")


def gives_text(tr: Translator, locale: str, coupon: CouponDTO) -> str:
    if coupon.kind is CouponKind.FREE_SHIPPING:
        return tr.text(locale, "coupons.gives.free_shipping")
    if coupon.kind is CouponKind.PERCENT:
        gives = tr.text(locale, "coupons.gives.percent", percent=rate_text(coupon.percent))
    else:
        gives = tr.text(locale, "coupons.gives.fixed", amount=tr.money(locale, coupon.amount))
    return tr.text(locale, "coupons.gives.plus_free_shipping", gives=gives) if coupon.free_shipping else gives


def coupon_state(coupon: CouponDTO, now: datetime) -> CouponState:
    """What a buyer would meet today (the core decides at checkout; this only shows it)."""
    if coupon.paused:
        return CouponState.PAUSED
    if coupon.ends_at is not None and now >= coupon.ends_at:
        return CouponState.EXPIRED
    if coupon.starts_at is not None and now < coupon.starts_at:
        return CouponState.SCHEDULED
    if coupon.uses_left == 0:
        return CouponState.USED_UP
    return CouponState.ACTIVE


def present_coupon(tr: Translator, locale: str, coupon: CouponDTO, *, timezone: str, now: datetime) -> CouponView:
    t = tr.text
    state = coupon_state(coupon, now)
    has_minimum = coupon.min_order.minor > 0
    min_order = tr.money(locale, coupon.min_order) if has_minimum else t(locale, "coupons.no_minimum")
    window = window_text(tr, locale, coupon, timezone)
    uses = (t(locale, "coupons.uses.limited", uses=coupon.uses, max=coupon.max_uses) if coupon.max_uses is not None
            else t(locale, "coupons.uses.unlimited", uses=coupon.uses))
    per_customer = (t(locale, "coupons.per_customer", limit=coupon.per_customer) if coupon.per_customer is not None
                    else t(locale, "coupons.per_customer.none"))
    scoped = [*coupon.categories, *(t(locale, "coupons.scope.product", id=i) for i in coupon.product_ids)]
    if len(scoped) > SCOPE_SHOWN:
        scoped = [*scoped[:SCOPE_SHOWN], t(locale, "coupons.scope.more", count=len(scoped) - SCOPE_SHOWN)]
    scope = t(locale, "coupons.scope.only", items=", ".join(scoped)) if scoped else t(locale, "coupons.scope.all")
    lines = [*([t(locale, "coupons.min_order", amount=min_order)] if has_minimum else []), window, uses,
             *([per_customer] if coupon.per_customer is not None else []), scope]
    pause = ((CouponMove.RESUME, "coupons.button.resume") if coupon.paused
             else (CouponMove.PAUSE, "coupons.button.pause"))
    buttons = tuple(CouponButton(move, coupon.code, t(locale, key, code=coupon.code))
                    for move, key in (pause, (CouponMove.DELETE, "coupons.button.delete"),
                                      (CouponMove.SHARE, "coupons.button.share")))
    return CouponView(coupon.code, gives_text(tr, locale, coupon), state, t(locale, f"coupons.status.{state.value}"),
                      min_order, window, uses, per_customer, scope, tuple(lines), buttons)


def present_coupons(tr: Translator, locale: str, coupons: Sequence[CouponDTO], *, page: int, timezone: str,
                    now: datetime) -> CouponListView:
    """One page of the shop's codes; `coupons` may hold one more than a page (there is a next page then)."""
    shown = tuple(present_coupon(tr, locale, c, timezone=timezone, now=now) for c in coupons[:PAGE_SIZE])
    return CouponListView(
        heading=tr.text(locale, "coupons.list.heading"),
        empty=None if shown or page else tr.text(locale, "coupons.list.empty"),
        coupons=shown, page=page,
        previous=tr.text(locale, "coupons.button.previous") if page else None,
        next=tr.text(locale, "coupons.button.next") if len(coupons) > PAGE_SIZE else None,
        new=tr.text(locale, "coupons.button.new"))


def present_delete_question(tr: Translator, locale: str, code: str) -> DeleteQuestion:
    return DeleteQuestion(code, tr.text(locale, "coupons.delete.question", code=code),
                          tr.text(locale, "coupons.button.confirm_delete", code=code),
                          tr.text(locale, "coupons.button.keep"))


def moved_notice(tr: Translator, locale: str, move: CouponMove, code: str) -> str:
    """What a pause, a resume or a delete did, in a word."""
    key = {CouponMove.PAUSE: "coupons.paused", CouponMove.RESUME: "coupons.resumed",
           CouponMove.DELETE: "coupons.deleted"}[move]
    return tr.text(locale, key, code=code)


def share_lines(tr: Translator, locale: str, code: str, telegram_link: str | None) -> list[str]:
    """How buyers get the code: the Telegram deep link (when the Telegram bot is known) and Discord's /shop."""
    lines = [tr.text(locale, "coupons.share.telegram", code=code, link=telegram_link)] if telegram_link else []
    return [*lines, tr.text(locale, "coupons.share.discord", code=code)]


def coupon_problem(tr: Translator, locale: str, error: CommerceError, *, code: str = "") -> str:
    """A refused coupon form in the seller's words: `coupons.error.<field>.<reason>`, then the shared wording.
    `code`: the code the seller typed, for messages that name it."""
    if isinstance(error, InvalidInput):
        fields: dict[str, Any] = error.fields
        catalog = tr.catalogs.get(locale) or tr.catalogs[tr.default]
        key = f"coupons.error.{fields.get('field')}.{fields.get('reason')}"
        if key in catalog:
            limit = fields.get("limit")
            return tr.text(locale, key, code=code, value=str(fields.get("value", "")),
                           limit=f"{limit:,}" if isinstance(limit, int) else "")
    return tr.error(locale, error)
