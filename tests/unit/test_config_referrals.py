"""`[referrals]` in bot.toml: what loads into the core's ReferralRules, and what each mistake says."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bots.app import shop_rules
from bots.config import ConfigError, Settings, parse_settings
from commerce.bill import CouponKind
from commerce.referrals import ReferralRules

SHOP = '[shop]\nname = "Sakura Goods"\n'


def load(text: str, currency: str = "JPY") -> Settings:
    return parse_settings(SHOP + f'currency = "{currency}"\n' + text, Path("/srv/shop"), {})


def problems_of(text: str, currency: str = "JPY") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(text, currency)
    return caught.value.problems


def test_left_out_the_programme_is_off() -> None:
    assert shop_rules(load("")).referrals == ReferralRules()
    assert ReferralRules().enabled is False


def test_a_fixed_reward_with_every_rule() -> None:
    settings = load('[referrals]\nenabled = true\nreward = "fixed"\namount = "500"\nmin_order = "3000"\n'
                    "expires_days = 30\nmax_per_inviter = 20\n")
    assert shop_rules(settings).referrals == ReferralRules(
        enabled=True, reward=CouponKind.FIXED, percent=Decimal(10), amount_minor=500, min_order_minor=3000,
        expires_after=timedelta(days=30), max_per_inviter=20)


def test_a_percentage_in_a_currency_with_cents() -> None:
    rules = shop_rules(load('[referrals]\nenabled = true\npercent = "7.5"\nmin_order = "12.50"\n', "USD")).referrals
    assert (rules.reward, rules.percent, rules.min_order_minor, rules.amount_minor) == (
        CouponKind.PERCENT, Decimal("7.5"), 1250, 0)
    assert rules.expires_after == timedelta(days=90) and rules.max_per_inviter is None


@pytest.mark.parametrize(("section", "problem"), [
    ('percent = 10.5', 'referrals.percent: expected a decimal number in quotes like "10", got 10.5'),
    ('percent = "0"', 'referrals.percent: expected a percentage above 0 with at most 2 decimals, such as "10", '
                      'got "0"'),
    ('percent = "12.345"', 'referrals.percent: expected a percentage above 0 with at most 2 decimals, such as "10", '
                           'got "12.345"'),
    ('percent = "150"', 'referrals.percent: expected a percentage from 0 to 100, got "150"'),
    ('reward = "fixed"', 'referrals.amount: required when reward = "fixed": the amount off in the shop currency, '
                         'such as "500"'),
    ('reward = "fixed"\namount = "0.5"', 'referrals.amount: "0.5" has more decimals than JPY has'),
    ('min_order = "-1"', 'referrals.min_order: expected an amount of 0 or more, got "-1"'),
    ('reward = "free_shipping"', 'referrals.reward: expected one of "percent", "fixed", got "free_shipping"'),
    ('enabled = "yes"', 'referrals.enabled: expected true or false, got "yes"'),
    ('expires_days = 0', "referrals.expires_days: expected an integer 1–3650, got 0"),
    ('max_per_inviter = 0', "referrals.max_per_inviter: expected an integer 1–1000000, got 0"),
    ('rewards = "percent"', 'referrals.rewards: unknown key (did you mean "reward"?)'),
])
def test_each_mistake_names_the_key_and_what_is_expected(section: str, problem: str) -> None:
    switched_on = "" if section.startswith("enabled") else "enabled = true\n"
    assert problems_of(f"[referrals]\n{switched_on}{section}\n") == [problem]


def test_the_commented_example_in_bot_example_toml_loads_when_switched_on() -> None:
    """The block `chatshop init` writes works as soon as its "# " are removed."""
    template = (Path(__file__).resolve().parents[2] / "bots" / "bot.example.toml").read_text(encoding="utf-8")
    block = template.split("# [referrals]\n", 1)[1]
    lines = ["[referrals]", *(line.removeprefix("# ") for line in block.splitlines() if line.startswith("# "))]
    rules = shop_rules(load("\n".join(lines) + "\n")).referrals
    assert rules == ReferralRules(enabled=True, reward=CouponKind.PERCENT, percent=Decimal(10), amount_minor=0,
                                  min_order_minor=3000, expires_after=timedelta(days=90), max_per_inviter=20)
