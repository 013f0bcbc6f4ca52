"""What `/invite` shows and what an inviter is told, for any chat platform (plain text: each front-end escapes it).

The words are in `locales/*/referrals.po`; the rules behind them in `commerce/referrals.py` (docs/referrals.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final

from bots.i18n import Translator
from commerce.bill import CouponKind
from commerce.coupons import CouponDTO
from commerce.money import Money
from commerce.referrals import InviteDTO

REWARDS_SHOWN: Final = 10  # the oldest (soonest to expire) first; a message stays short

@dataclass(frozen=True, slots=True)
class RewardLine:
    code: str
    terms: str  # what it takes off, from which order, until when


@dataclass(frozen=True, slots=True)
class InviteView:
    heading: str
    code: str                     # the customer's invite code
    link: str | None              # their Telegram invite link, where the bot's username is known
    offer: str                    # the reward a friend's first paid order earns, or that there is none now
    progress: str                 # friends joined, rewards earned
    rewards_heading: str | None   # None: no reward to use
    rewards: tuple[RewardLine, ...]
    more_rewards: str | None = None  # "and 3 more" past REWARDS_SHOWN


class JoinResult(StrEnum):
    """What typing a friend's code did (Discord `/invite code:`): counted only at the first contact."""

    JOINED = "joined"        # it is now this customer's inviter
    OWN = "own"              # their own code
    UNKNOWN = "unknown"      # nobody's code
    TOO_LATE = "too_late"    # they had been here before (or joined with another code)


def format_percent(percent: Decimal) -> str:
    """"10" not "10.00", "7.5" as typed."""
    return format(percent.normalize(), "f")


def describe_reward(tr: Translator, locale: str, kind: CouponKind | str, percent: Decimal, amount: Money,
                    min_order: Money) -> str:
    """"10% off" / "¥500 off", and the smallest order it applies to when there is one."""
    if CouponKind(kind) is CouponKind.FIXED:
        text = tr.text(locale, "referral.reward_fixed", amount=tr.money(locale, amount))
    else:
        text = tr.text(locale, "referral.reward_percent", percent=format_percent(percent))
    if min_order.minor > 0:
        text += tr.text(locale, "referral.min_order", amount=tr.money(locale, min_order))
    return text


def reward_line(tr: Translator, locale: str, coupon: CouponDTO, timezone: str) -> RewardLine:
    terms = describe_reward(tr, locale, coupon.kind, coupon.percent, coupon.amount, coupon.min_order)
    if coupon.ends_at is not None:
        terms = tr.text(locale, "referral.until", terms=terms, until=tr.datetime(locale, coupon.ends_at, timezone))
    return RewardLine(coupon.code, terms)


def present_invite(tr: Translator, locale: str, invite: InviteDTO, *, shop_name: str, link: str | None,
                   timezone: str) -> InviteView:
    if not invite.enabled:
        offer = tr.text(locale, "invite.no_reward")
    elif invite.cap_reached:
        offer = tr.text(locale, "invite.cap_reached", cap=invite.max_per_inviter)
    else:
        reward = describe_reward(tr, locale, invite.reward, invite.percent, invite.amount, invite.min_order)
        offer = tr.text(locale, "invite.offer", reward=reward, days=invite.expires_days)
    rewards = tuple(reward_line(tr, locale, coupon, timezone) for coupon in invite.rewards[:REWARDS_SHOWN])
    hidden = len(invite.rewards) - len(rewards)
    return InviteView(
        heading=tr.text(locale, "invite.heading", shop=shop_name), code=invite.code, link=link, offer=offer,
        progress=tr.text(locale, "invite.progress", joined=invite.joined, rewarded=invite.rewarded),
        rewards_heading=tr.text(locale, "invite.rewards_heading") if rewards else None, rewards=rewards,
        more_rewards=tr.text(locale, "invite.more_rewards", count=hidden) if hidden > 0 else None)


def join_result(invite: InviteDTO, typed: str) -> JoinResult:
    """After identifying with `typed` as the referral: did it count?"""
    if typed == invite.code:
        return JoinResult.OWN
    if invite.invited_by == typed:
        return JoinResult.JOINED if invite.invited_by_friend else JoinResult.UNKNOWN
    return JoinResult.TOO_LATE


def reward_notice_terms(tr: Translator, locale: str, payload: dict[str, object], timezone: str) -> str:
    """The terms of a reward as the outbox message recorded them when it was earned."""
    currency = str(payload.get("currency") or "JPY")
    terms = describe_reward(tr, locale, str(payload.get("kind") or CouponKind.PERCENT.value),
                            Decimal(str(payload.get("percent") or "0")),
                            Money.from_minor(_int(payload.get("amount_minor")), currency),
                            Money.from_minor(_int(payload.get("min_order_minor")), currency))
    ends_at = payload.get("ends_at")
    if isinstance(ends_at, str):
        terms = tr.text(locale, "referral.until", terms=terms,
                        until=tr.datetime(locale, datetime.fromisoformat(ends_at), timezone))
    return terms


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
