"""Invite friends, on real storage (SQLite and PostgreSQL): the inviter's reward coupon for a friend's first paid
order, and every way it is refused or taken back — second orders, one's own code, linked accounts, refunds, the
cap — plus the coupon itself: only the inviter may use it, once, on a big enough order, before it expires."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from commerce.bill import CouponKind
from commerce.errors import CouponRejected, InvalidInput, NotFound
from commerce.money import Money
from commerce.privacy import PersonalDataCipher, ShippingAddress
from commerce.referrals import ReferralRules, normalise_invite_code
from commerce.shop import Shop, ShopRules
from commerce.status import OrderStatus
from commerce.storage.db import Database
from commerce.storage.tables import AuditEvent, Coupon, Customer, OutboxMessage
from tests.conftest import FakeClock
from tests.support.factories import make_buyer, make_owner, make_product, step_up

TEN_PERCENT = ReferralRules(enabled=True, reward=CouponKind.PERCENT, percent=Decimal(10), min_order_minor=1000,
                            expires_after=timedelta(days=30))
_next_user = iter(range(7_000_000, 8_000_000))
COUPONS = Coupon.__table__  # type: ignore[attr-defined]
HOME = ShippingAddress(name="山田花子", postal_code="150-0001", region="東京都", city="渋谷区", line1="神宮前1-1")


@pytest.fixture
def shop(db: Database, clock: FakeClock, data_key: str) -> Shop:
    return Shop(db, ShopRules(currency="JPY", referrals=TEN_PERCENT), PersonalDataCipher(data_key), clock)


@dataclass
class Scene:
    shop: Shop
    owner: int
    variant: int
    inviter: int
    code: str


@pytest.fixture
async def scene(shop: Shop) -> Scene:
    owner = await make_owner(shop)
    tea = await make_product(shop, owner, title="Sencha", price="2000", stock=50)
    inviter = await shop.customers.get(await make_buyer(shop))
    return Scene(shop, owner, tea.variants[0].id, inviter.id, inviter.referral_code)


async def invited_friend(scene: Scene, platform: str = "telegram", code: str | None = None) -> int:
    """A newcomer who arrived with the inviter's code (a Telegram `?start=r_<code>`, a Discord `/invite code:`)."""
    friend = await scene.shop.customers.identify(platform, next(_next_user), referral=code or scene.code)
    return friend.id


async def buy(scene: Scene, customer_id: int, *, quantity: int = 1, coupon: str | None = None) -> int:
    order = await scene.shop.orders.checkout(customer_id, items=[(scene.variant, quantity)], coupon=coupon,
                                             address=HOME)
    return order.id


async def pay(scene: Scene, order_id: int) -> None:
    assert (await scene.shop.payments.payment_confirmed(order_id, txid=f"tx-{order_id}")).status is OrderStatus.PAID


async def buy_and_pay(scene: Scene, customer_id: int, **kwargs: Any) -> int:
    order_id = await buy(scene, customer_id, **kwargs)
    await pay(scene, order_id)
    return order_id


async def rewards(shop: Shop, customer_id: int) -> list[Any]:
    """Every reward coupon the customer owns, withdrawn ones too (rows, read as they are stored)."""
    async with shop.db.uow(write=False) as uow:
        return list((await uow.session.execute(select(*COUPONS.c).where(
            COUPONS.c.owner_id == customer_id, COUPONS.c.source == "referral").order_by(COUPONS.c.id))).all())


async def notices(shop: Shop, customer_id: int) -> list[tuple[str, dict[str, Any]]]:
    async with shop.db.uow(write=False) as uow:
        rows = (await uow.session.execute(select(OutboxMessage).where(
            OutboxMessage.customer_id == customer_id, OutboxMessage.topic.startswith("referral."))
            .order_by(OutboxMessage.id))).scalars()
        return [(row.topic, dict(row.payload)) for row in rows]


async def audit_actions(shop: Shop) -> list[tuple[str, dict[str, Any]]]:
    async with shop.db.uow(write=False) as uow:
        rows = (await uow.session.execute(select(AuditEvent).where(AuditEvent.action.startswith("referral."))
                                          .order_by(AuditEvent.id))).scalars()
        return [(row.action, dict(row.detail)) for row in rows]


async def refund(scene: Scene, order_id: int) -> None:
    await step_up(scene.shop, scene.owner)  # a refund needs a fresh two-factor code
    await scene.shop.fulfilment.refund(scene.owner, order_id, "sent back")


# ---- earning ----


async def test_a_friends_first_paid_order_earns_the_inviter_a_coupon_and_a_notice(scene: Scene,
                                                                                  clock: FakeClock) -> None:
    shop = scene.shop
    friend = await invited_friend(scene)
    order_id = await buy(scene, friend)
    assert await rewards(shop, scene.inviter) == []  # ordered is not paid

    await pay(scene, order_id)

    [coupon] = await rewards(shop, scene.inviter)
    assert coupon.code.startswith("INV-") and len(coupon.code) == 16
    assert (coupon.kind, Decimal(coupon.percent), coupon.min_order_minor) == ("percent", Decimal(10), 1000)
    assert (coupon.max_uses, coupon.per_customer, coupon.uses, coupon.reward_for) == (1, 1, 0, order_id)
    assert coupon.ends_at == clock.now + timedelta(days=30) and not coupon.deleted
    assert await notices(shop, scene.inviter) == [("referral.reward", {
        "code": coupon.code, "kind": "percent", "percent": "10", "amount_minor": 0, "min_order_minor": 1000,
        "currency": "JPY", "ends_at": coupon.ends_at.isoformat()})]
    assert [action for action, _ in await audit_actions(shop)] == ["referral.reward"]
    assert await notices(shop, friend) == []  # the friend is told nothing about it

    invite = await shop.referrals.invite(scene.inviter)
    assert (invite.code, invite.enabled, invite.joined, invite.rewarded) == (scene.code, True, 1, 1)
    assert [reward.code for reward in invite.rewards] == [coupon.code]
    assert (invite.percent, invite.min_order, invite.expires_days) == (Decimal(10), Money.parse("1000", "JPY"), 30)
    friend_view = await shop.referrals.invite(friend)
    assert (friend_view.invited_by, friend_view.invited_by_friend, friend_view.rewards) == (scene.code, True, ())


async def test_the_second_paid_order_earns_nothing_and_a_replay_gives_nothing_twice(scene: Scene) -> None:
    friend = await invited_friend(scene)
    first = await buy_and_pay(scene, friend)
    await scene.shop.payments.payment_confirmed(first, txid="tx-again")  # a replayed watcher event
    await buy_and_pay(scene, friend)
    assert [coupon.reward_for for coupon in await rewards(scene.shop, scene.inviter)] == [first]


async def test_each_invited_friend_earns_a_reward_of_their_own(scene: Scene) -> None:
    orders = [await buy_and_pay(scene, await invited_friend(scene, platform)) for platform in ("telegram", "discord")]
    earned = await rewards(scene.shop, scene.inviter)
    assert [coupon.reward_for for coupon in earned] == orders and len({c.code for c in earned}) == 2


async def test_two_first_orders_paid_at_once_earn_one_reward(scene: Scene) -> None:
    friend = await invited_friend(scene)
    first, second = await buy(scene, friend), await buy(scene, friend)
    await asyncio.gather(pay(scene, first), pay(scene, second))
    assert len(await rewards(scene.shop, scene.inviter)) == 1


async def test_a_late_payment_accepted_by_the_staff_counts_as_paid(scene: Scene, clock: FakeClock) -> None:
    friend = await invited_friend(scene)
    order_id = await buy(scene, friend)
    clock.advance(minutes=31)
    assert await scene.shop.payments.expire_due() == [order_id]
    await scene.shop.payments.late_payment(order_id, txid="tx-late")
    assert await rewards(scene.shop, scene.inviter) == []
    await scene.shop.fulfilment.accept_late(scene.owner, order_id)
    assert [coupon.reward_for for coupon in await rewards(scene.shop, scene.inviter)] == [order_id]


async def test_nothing_is_earned_while_the_programme_is_off(scene: Scene, clock: FakeClock, data_key: str) -> None:
    off = Shop(scene.shop.db, ShopRules(currency="JPY"), PersonalDataCipher(data_key), clock)
    friend = await invited_friend(scene)
    order = await off.orders.checkout(friend, items=[(scene.variant, 1)], address=HOME)
    await off.payments.payment_confirmed(order.id, txid="tx-1")
    assert await rewards(off, scene.inviter) == []
    invite = await off.referrals.invite(scene.inviter)
    assert (invite.enabled, invite.joined, invite.rewarded) == (False, 1, 0)


async def test_a_fixed_reward_and_the_cap_per_inviter(db: Database, clock: FakeClock, data_key: str) -> None:
    rules = replace(TEN_PERCENT, reward=CouponKind.FIXED, amount_minor=500, min_order_minor=0, max_per_inviter=1)
    capped = Scene(Shop(db, ShopRules(currency="JPY", referrals=rules), PersonalDataCipher(data_key), clock),
                   0, 0, 0, "")
    capped.owner = await make_owner(capped.shop)
    capped.variant = (await make_product(capped.shop, capped.owner, price="2000")).variants[0].id
    inviter = await capped.shop.customers.get(await make_buyer(capped.shop))
    capped.inviter, capped.code = inviter.id, inviter.referral_code

    first = await buy_and_pay(capped, await invited_friend(capped))
    await buy_and_pay(capped, await invited_friend(capped))

    [coupon] = await rewards(capped.shop, capped.inviter)
    assert (coupon.kind, coupon.amount_minor, coupon.reward_for) == ("fixed", 500, first)
    [(_, _), (action, detail)] = await audit_actions(capped.shop)
    assert (action, detail["cap"], detail["inviter"]) == ("referral.capped", 1, capped.inviter)
    invite = await capped.shop.referrals.invite(capped.inviter)
    assert invite.cap_reached and invite.amount == Money.parse("500", "JPY")


# ---- earning nothing ----


async def test_ones_own_code_earns_nothing(scene: Scene) -> None:
    shop = scene.shop
    # Opening one's own invite link later changes nothing: a code counts only at the first contact.
    [identity] = (await shop.customers.get(scene.inviter)).identities
    platform, _, external = identity.partition(":")
    assert (await shop.customers.identify(platform, external, referral=scene.code)).referred_by is None
    await buy_and_pay(scene, scene.inviter)
    # Even an order that carries the buyer's own code (as one written by hand, or by an older version).
    async with shop.db.uow() as uow:
        await uow.session.execute(update(Customer).where(Customer.id == scene.inviter)
                                  .values(referred_by=scene.code))
        await uow.commit()
    other = await make_buyer(shop)  # a first order of someone else with no code: nothing either
    await buy_and_pay(scene, other)
    await buy_and_pay(scene, scene.inviter)
    assert await rewards(shop, scene.inviter) == [] and await audit_actions(shop) == []


async def test_an_unknown_code_and_an_erased_inviter_earn_nobody_anything(scene: Scene) -> None:
    stranger = await invited_friend(scene, code="nobody99")  # not hex: nobody's code
    await buy_and_pay(scene, stranger)
    friend = await invited_friend(scene)
    await scene.shop.customers.erase(scene.inviter)
    await buy_and_pay(scene, friend)
    async with scene.shop.db.uow(write=False) as uow:
        assert (await uow.session.execute(select(Coupon.id).where(Coupon.source == "referral"))).all() == []


async def test_a_second_account_linked_before_paying_earns_nothing(scene: Scene, clock: FakeClock) -> None:
    """The inviter's own Discord account, arriving with their own code, then linked to them: one person."""
    shop = scene.shop
    clock.advance(minutes=1)
    alt = await invited_friend(scene, "discord")
    order_id = await buy(scene, alt)
    code = (await shop.links.issue(alt)).code
    linked = await shop.links.redeem(scene.inviter, code)
    assert linked.survivor_id == scene.inviter
    await pay(scene, order_id)
    assert await rewards(shop, scene.inviter) == []


async def test_a_reward_earned_from_an_account_linked_later_is_withdrawn(scene: Scene, clock: FakeClock) -> None:
    shop = scene.shop
    clock.advance(minutes=1)
    alt = await invited_friend(scene, "discord")
    await buy_and_pay(scene, alt)
    [coupon] = await rewards(shop, scene.inviter)

    await shop.links.redeem(alt, (await shop.links.issue(scene.inviter)).code)  # either side may type the code

    [withdrawn] = await rewards(shop, scene.inviter)
    assert withdrawn.deleted and withdrawn.code == coupon.code
    assert await shop.coupons.rewards_of(scene.inviter) == []
    with pytest.raises(CouponRejected) as refused:
        await shop.coupons.check(scene.inviter, coupon.code)
    assert refused.value.reason == "unknown"
    assert (await notices(shop, scene.inviter))[-1] == ("referral.withdrawn", {"code": coupon.code, "reason": "link"})
    assert [a for a, _ in await audit_actions(shop)] == ["referral.reward", "referral.withdraw"]
    invite = await shop.referrals.invite(scene.inviter)
    assert (invite.joined, invite.rewarded, invite.rewards) == (0, 0, ())  # the "friend" was themselves


async def test_a_friend_with_two_accounts_earns_their_inviter_one_reward(scene: Scene, clock: FakeClock) -> None:
    friend = await invited_friend(scene, "telegram")
    clock.advance(minutes=1)
    friend_on_discord = await invited_friend(scene, "discord")
    first = await buy_and_pay(scene, friend)
    clock.advance(minutes=1)
    second = await buy_and_pay(scene, friend_on_discord)
    assert len(await rewards(scene.shop, scene.inviter)) == 2

    await scene.shop.links.redeem(friend_on_discord, (await scene.shop.links.issue(friend)).code)

    assert [(c.reward_for, c.deleted) for c in await rewards(scene.shop, scene.inviter)] == [
        (first, False), (second, True)]
    assert len(await scene.shop.coupons.rewards_of(scene.inviter)) == 1


# ---- refunds ----


async def test_a_refunded_first_order_withdraws_the_unused_reward_and_tells_the_inviter(scene: Scene) -> None:
    shop = scene.shop
    friend = await invited_friend(scene)
    order_id = await buy_and_pay(scene, friend)
    [coupon] = await rewards(shop, scene.inviter)

    await refund(scene, order_id)

    [withdrawn] = await rewards(shop, scene.inviter)
    assert withdrawn.deleted
    assert await shop.coupons.rewards_of(scene.inviter) == []
    with pytest.raises(CouponRejected):
        await buy(scene, scene.inviter, coupon=coupon.code)
    told = await notices(shop, scene.inviter)
    assert [topic for topic, _ in told] == ["referral.reward", "referral.withdrawn"]
    assert told[-1][1] == {"code": coupon.code, "reason": "refund"}
    assert [a for a, _ in await audit_actions(shop)] == ["referral.reward", "referral.withdraw"]
    # Refund and buy again: the refunded order was the first paid one, so nothing is earned.
    await buy_and_pay(scene, friend)
    assert len(await rewards(shop, scene.inviter)) == 1


async def test_a_reward_already_spent_stays_spent_and_the_audit_log_says_so(scene: Scene) -> None:
    shop = scene.shop
    order_id = await buy_and_pay(scene, await invited_friend(scene))
    [coupon] = await rewards(shop, scene.inviter)
    spent = await buy_and_pay(scene, scene.inviter, coupon=coupon.code)

    await refund(scene, order_id)

    [kept] = await rewards(shop, scene.inviter)
    assert kept.deleted and kept.uses == 1  # never usable again, the discount given stays given
    assert (await shop.orders.get(scene.inviter, spent)).bill.discount_minor == 200
    assert [topic for topic, _ in await notices(shop, scene.inviter)] == ["referral.reward"]
    [(_, _), (action, detail)] = await audit_actions(shop)
    assert action == "referral.reward_spent" and (detail["order_id"], detail["code"]) == (order_id, coupon.code)


# ---- the coupon itself ----


async def test_only_the_inviter_may_use_the_reward_once_on_a_big_enough_order_before_it_expires(
        scene: Scene, clock: FakeClock) -> None:
    shop = scene.shop
    friend = await invited_friend(scene)
    await buy_and_pay(scene, friend)
    [coupon] = await rewards(shop, scene.inviter)
    for someone_else in (friend, await make_buyer(shop)):
        with pytest.raises(CouponRejected) as refused:
            await buy(scene, someone_else, coupon=coupon.code)
        assert refused.value.reason == "unknown"  # not even told it exists
    cheap = (await make_product(shop, scene.owner, title="Candy", price="300")).variants[0].id
    with pytest.raises(CouponRejected) as refused:
        await shop.orders.checkout(scene.inviter, items=[(cheap, 1)], coupon=coupon.code, address=HOME)
    assert refused.value.reason == "minimum"

    order = await shop.orders.checkout(scene.inviter, items=[(scene.variant, 2)], coupon=coupon.code.lower(),
                                       address=HOME)
    assert (order.bill.discount_minor, order.total) == (400, Money.parse("3600", "JPY"))
    with pytest.raises(CouponRejected) as refused:
        await buy(scene, scene.inviter, coupon=coupon.code)
    assert refused.value.reason in ("used_up", "used_by_you")
    await shop.orders.cancel(scene.inviter, order.id)  # the use comes back with the cancelled order

    clock.advance(days=30)
    with pytest.raises(CouponRejected) as refused:
        await buy(scene, scene.inviter, coupon=coupon.code)
    assert refused.value.reason == "expired"
    assert await shop.coupons.rewards_of(scene.inviter) == []


async def test_rewards_are_not_the_staffs_codes(scene: Scene) -> None:
    await buy_and_pay(scene, await invited_friend(scene))
    [coupon] = await rewards(scene.shop, scene.inviter)
    assert await scene.shop.coupons.list(scene.owner) == []
    with pytest.raises(NotFound):
        await scene.shop.coupons.get(scene.owner, coupon.code)


def test_an_invite_code_is_read_as_typed_or_refused() -> None:
    assert normalise_invite_code(" AB12cd34 ") == "ab12cd34"
    for bad in ("", "ab-12", "x" * 17, "<b>"):
        with pytest.raises(InvalidInput):
            normalise_invite_code(bad)
