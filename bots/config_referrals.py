"""``[referrals]`` in bot.toml: the coupon an inviter earns when a friend's first order is paid, and its rules
(docs/referrals.md). Off unless ``enabled = true``.

Amounts are exact decimals in quotes in the shop's currency ("500", "12.50"); the percentage too ("10", "7.5").
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

from bots.config_checks import exact_decimal, integer_between, minor_units, problem, show
from commerce.bill import CouponKind
from commerce.money import PRICE_MAX_MINOR
from commerce.referrals import ReferralRules

Percent = Annotated[Decimal, exact_decimal("10", Decimal(0), Decimal(100), "a percentage from 0 to 100")]
Amount = Annotated[Decimal, exact_decimal("500", Decimal(0), Decimal(PRICE_MAX_MINOR), "an amount of 0 or more")]


class ReferralsSection(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    enabled: bool = False
    reward: Literal["percent", "fixed"] = "percent"
    percent: Percent = Decimal(10)            # with reward = "percent": off the inviter's next order
    amount: Amount | None = None              # with reward = "fixed": required, in the shop's currency
    min_order: Amount = Decimal(0)            # the smallest order the reward applies to
    expires_days: Annotated[int, integer_between(1, 3650)] = 90
    max_per_inviter: Annotated[int, integer_between(1, 1_000_000)] | None = None  # None: no cap

    @model_validator(mode="after")
    def _reward_is_complete(self) -> Self:
        places = -int(self.percent.as_tuple().exponent)  # an int: exact_decimal refuses NaN and infinities
        if self.reward == "percent" and (self.percent <= 0 or places > 2):
            raise problem(f"expected a percentage above 0 with at most 2 decimals, such as \"10\", got "
                          f"{show(str(self.percent))}", key="percent")
        if self.reward == "fixed" and (self.amount is None or self.amount <= 0):
            raise problem('required when reward = "fixed": the amount off in the shop currency, such as "500"',
                          key="amount")
        return self


def referral_problems(section: ReferralsSection, currency: str) -> list[str]:
    """What the section can't say in this currency (an amount of "0.5" in yen)."""
    problems: list[str] = []
    build_referral_rules(section, currency, problems)
    return problems


def build_referral_rules(section: ReferralsSection, currency: str, problems: list[str] | None = None) -> ReferralRules:
    found = problems if problems is not None else []
    fixed = section.reward == "fixed"
    return ReferralRules(
        enabled=section.enabled,
        reward=CouponKind.FIXED if fixed else CouponKind.PERCENT,
        percent=section.percent,
        amount_minor=(minor_units(section.amount, currency, "referrals.amount", found)
                      if fixed and section.amount else 0),
        min_order_minor=minor_units(section.min_order, currency, "referrals.min_order", found),
        expires_after=timedelta(days=section.expires_days),
        max_per_inviter=section.max_per_inviter,
    )

