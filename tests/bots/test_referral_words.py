"""What an inviter reads, in both languages: the reward's terms, the notices of a reward earned and withdrawn, and
what typing a friend's code did (the words every front-end shows, from bots/common)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from bots.common.notices import NoticeWriter
from bots.common.referrals import JoinResult, describe_reward, join_result, present_invite
from bots.common.rich_text import to_html
from bots.i18n import SUPPORTED, Translator
from commerce.bill import CouponKind
from commerce.money import Money
from commerce.outbox import OutboxItem
from commerce.referrals import InviteDTO
from commerce.shop import Shop
from commerce.topics import Topic

YEN = "JPY"


def yen(amount: str) -> Money:
    return Money.parse(amount, YEN)


@pytest.mark.parametrize(("locale", "percent", "fixed"), [
    ("en", "7.5% off orders of ¥3,000 or more", "¥500 off"),
    ("ja", "7.5%オフ（￥3,000以上のご注文）", "￥500引き"),
])
def test_the_terms_of_a_reward(translator: Translator, locale: str, percent: str, fixed: str) -> None:
    assert describe_reward(translator, locale, CouponKind.PERCENT, Decimal("7.50"), yen("0"), yen("3000")) == percent
    assert describe_reward(translator, locale, CouponKind.FIXED, Decimal(0), yen("500"), yen("0")) == fixed
    assert describe_reward(translator, "en", "percent", Decimal("10.00"), yen("0"), yen("0")) == "10% off"


def item(topic: Topic, **payload: Any) -> OutboxItem:
    return OutboxItem(1, 7, "customer", topic.value, payload, 0, datetime(2026, 11, 23, tzinfo=UTC))


@pytest.mark.parametrize(("locale", "expected"), [
    ("en", "🎁 A friend you invited has paid for their first order — thank you! Your coupon <code>INV-ABC</code>: "
           "¥500 off orders of ¥3,000 or more, until Dec 23, 21:00. Only you can use it, once: enter it at checkout."),
    ("ja", "🎁 招待した友だちが初めてのご注文のお支払いを済ませました。ありがとうございます！"
           "クーポン <code>INV-ABC</code>：￥500引き（￥3,000以上のご注文）・12月23日 21:00まで。"
           "ご本人のみ1回ご利用いただけます。お会計時に入力してください。"),
])
async def test_the_notice_of_a_reward(shop: Shop, translator: Translator, locale: str, expected: str) -> None:
    reward = item(Topic.REFERRAL_REWARD, code="INV-ABC", kind="fixed", percent="0", amount_minor=500,
                  min_order_minor=3000, currency=YEN, ends_at="2026-12-23T12:00:00+00:00")
    notice = await NoticeWriter(shop, translator).for_buyer(reward, locale)
    assert notice is not None and notice.order_id is None and not notice.edits_card
    assert [to_html(text) for text in notice.texts] == [expected]


@pytest.mark.parametrize("locale", SUPPORTED)
async def test_the_notices_of_a_withdrawn_reward_say_why(shop: Shop, translator: Translator, locale: str) -> None:
    writer = NoticeWriter(shop, translator)
    for reason in ("refund", "link"):
        notice = await writer.for_buyer(item(Topic.REFERRAL_WITHDRAWN, code="INV-<X>", reason=reason), locale)
        assert notice is not None
        [text] = [to_html(t) for t in notice.texts]
        assert text == translator.text(locale, f"notify.referral_withdrawn.{reason}", code="INV-&lt;X&gt;")


def invite(**changes: Any) -> InviteDTO:
    values: dict[str, Any] = dict(code="ab12cd34", enabled=True, reward=CouponKind.PERCENT, percent=Decimal(10),
                                  amount=yen("0"), min_order=yen("0"), expires_days=90, max_per_inviter=None,
                                  joined=0, rewarded=0, rewards=(), invited_by=None, invited_by_friend=False)
    return InviteDTO(**(values | changes))


def test_what_typing_a_code_did() -> None:
    assert join_result(invite(invited_by="ff00ff00", invited_by_friend=True), "ff00ff00") is JoinResult.JOINED
    assert join_result(invite(invited_by="ff00ff00"), "ff00ff00") is JoinResult.UNKNOWN
    assert join_result(invite(), "ab12cd34") is JoinResult.OWN
    assert join_result(invite(invited_by="0000aaaa", invited_by_friend=True), "ff00ff00") is JoinResult.TOO_LATE


@pytest.mark.parametrize("locale", SUPPORTED)
def test_every_outcome_and_state_has_words(translator: Translator, locale: str) -> None:
    for result in JoinResult:
        assert translator.text(locale, f"invite.join.{result}")
    capped = present_invite(translator, locale, invite(max_per_inviter=3, rewarded=3), shop_name="S", link=None,
                            timezone="Asia/Tokyo")
    assert capped.offer == translator.text(locale, "invite.cap_reached", cap=3)
    off = present_invite(translator, locale, invite(enabled=False), shop_name="S", link=None, timezone="Asia/Tokyo")
    assert off.offer == translator.text(locale, "invite.no_reward") and off.rewards_heading is None


def test_a_long_list_of_rewards_is_cut_short(translator: Translator) -> None:
    from commerce.coupons import CouponDTO

    coupons = tuple(CouponDTO(n, f"INV-{n:012d}", CouponKind.FIXED, Decimal(0), yen("500"), yen("0"), False, None,
                              datetime(2027, 1, 1, tzinfo=UTC), 1, 1, 0, (), (), False, "referral", 9)
                    for n in range(12))
    view = present_invite(translator, "en", invite(rewards=coupons), shop_name="S", link=None, timezone="Asia/Tokyo")
    assert [line.code for line in view.rewards] == [f"INV-{n:012d}" for n in range(10)]
    assert view.rewards[0].terms == "¥500 off, until Jan 1, 09:00" and view.more_rewards == "…and 2 more"
