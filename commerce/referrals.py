"""Invite friends: a reward coupon for the inviter when an invited buyer's first order is paid (docs/referrals.md).

Every customer has a referral code; a newcomer who arrives with one carries it (`Customer.referred_by`), and
checkout copies it onto the order (`Order.referral_code`). This module decides what a paid or refunded order
means for the inviter, inside the transition's own unit of work (`after_move`, called by
`commerce.order_flow.apply_transition`):

- the buyer's FIRST paid order, carrying the code of another live customer, while the programme is on →
  a coupon only the inviter may use, once (`source="referral"`, `reward_for=order id`, UNIQUE), and a notice;
- that order refunded → the reward is withdrawn (marked deleted) and the inviter told; a reward already
  spent stays spent, and the audit log says so (`referral.reward_spent`);
- two accounts of one person joined by a link (`after_link`, called by the merge): a reward one of them
  earned from the other is withdrawn the same way — nobody earns from themselves — and so is a second
  reward for the same (now one) buyer, when both accounts had been invited.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

from sqlalchemy import func, select

from commerce.bill import CouponKind
from commerce.coupons import CouponDTO, CouponService
from commerce.customers import live_customer
from commerce.errors import InvalidInput
from commerce.events import SYSTEM, Clock, notify, record, system_clock
from commerce.money import Money
from commerce.status import OrderAction
from commerce.storage.db import Database, UnitOfWork
from commerce.storage.tables import Coupon, Customer, Order
from commerce.topics import Topic

REFERRAL: Final = "referral"  # Coupon.source of a reward
# The moves after which the buyer has paid for the order (and keeps it).
PAID_MOVES: Final = frozenset({OrderAction.PAYMENT_CONFIRMED, OrderAction.NOTHING_DUE, OrderAction.ACCEPT_LATE})
CODE_PREFIX: Final = "INV-"
CODE_ALPHABET: Final = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: typed from a phone
CODE_RANDOM: Final = 12  # 31^12 ≈ 8·10^17: unguessable, and only its owner may use it anyway
INVITE_CODE: Final = re.compile(r"[a-z0-9]{1,16}")  # what `Customer.referral_code` holds (lower-case hex today)


@dataclass(frozen=True, slots=True)
class ReferralRules:
    """The shop's invitation reward (`[referrals]` in bot.toml). Off unless `enabled`.

    `percent` (for `reward = percent`) or `amount_minor` (for `fixed`, in the shop currency's minor units) is
    what the coupon takes off; `min_order_minor` is the smallest order it applies to; it expires
    `expires_after` after it was earned. `max_per_inviter` caps the rewards one customer can earn (None: no cap).
    """

    enabled: bool = False
    reward: CouponKind = CouponKind.PERCENT
    percent: Decimal = Decimal(10)
    amount_minor: int = 0
    min_order_minor: int = 0
    expires_after: timedelta = timedelta(days=90)
    max_per_inviter: int | None = None


NO_REFERRALS: Final = ReferralRules()


@dataclass(frozen=True, slots=True)
class InviteDTO:
    """What `/invite` shows a customer: their code, the reward on offer, how it went, what they may still use."""

    code: str
    enabled: bool
    reward: CouponKind
    percent: Decimal
    amount: Money
    min_order: Money
    expires_days: int
    max_per_inviter: int | None
    joined: int                    # customers who arrived with this code
    rewarded: int                  # rewards earned (withdrawn ones not counted)
    rewards: tuple[CouponDTO, ...]  # earned rewards still usable
    invited_by: str | None         # the code this customer arrived with, if any
    invited_by_friend: bool        # ... and it is another live customer's

    @property
    def cap_reached(self) -> bool:
        return self.max_per_inviter is not None and self.rewarded >= self.max_per_inviter


def normalise_invite_code(text: str) -> str:
    """A code a person typed (" AB12cd34 ") as stored ("ab12cd34"); InvalidInput when it can't be one."""
    code = (text or "").strip().lower()
    if not INVITE_CODE.fullmatch(code):
        raise InvalidInput(field="invite_code", reason="format")
    return code


# ---- inside a transition's unit of work ----


async def after_move(uow: UnitOfWork, order: Order, action: OrderAction, *, rules: ReferralRules,
                     now: datetime) -> None:
    """What an order's move means for whoever invited its buyer. Called by `apply_transition` after the move."""
    if order.referral_code is None:
        return  # no invitation, no reward to give or take back (the common case costs nothing)
    if action in PAID_MOVES and rules.enabled:
        await _reward(uow, order, rules, now)
    elif action is OrderAction.REFUND:
        await _withdraw(uow, order, now, reason="refund")


async def after_link(uow: UnitOfWork, customer_id: int, now: datetime) -> None:
    """Two customers just became `customer_id` (`commerce.links`, after everything moved): a reward one earned
    from the other's order is now a reward earned from oneself, and a buyer whose two accounts both earned
    their inviters a reward is one buyer with one first order. Both are withdrawn like a refunded one's."""
    rows = (await uow.session.execute(
        select(Coupon, Order).join(Order, Order.id == Coupon.reward_for)
        .where(Coupon.source == REFERRAL, Coupon.deleted.is_(False),
               (Coupon.owner_id == customer_id) | (Order.customer_id == customer_id))
        .order_by(Order.paid_at, Order.id))).all()
    first_found = False
    for coupon, order in rows:
        if order.customer_id != customer_id:
            continue  # earned from someone else: theirs to keep
        if coupon.owner_id == customer_id or first_found:
            await _take_back(uow, coupon, order, now, reason="link")
        else:
            first_found = True


async def _reward(uow: UnitOfWork, order: Order, rules: ReferralRules, now: datetime) -> None:
    session = uow.session
    inviter_id = (await session.execute(select(Customer.id).where(
        Customer.referral_code == order.referral_code, Customer.erased_at.is_(None)))).scalar_one_or_none()
    if inviter_id is None or inviter_id == order.customer_id:
        return  # nobody's code (any more), or their own (e.g. two accounts linked since)
    # Buyer and inviter locked in id order: two first orders of one buyer, or two invitees of one capped
    # inviter, paid at the same moment, are decided one after the other.
    await session.execute(select(Customer.id).where(Customer.id.in_(sorted({inviter_id, order.customer_id})))
                          .order_by(Customer.id).with_for_update())
    earlier = (await session.execute(select(func.count()).select_from(Order).where(
        Order.customer_id == order.customer_id, Order.id != order.id, Order.paid_at.is_not(None)))).scalar_one()
    if earlier:
        return  # not their first paid order (a refunded first order counts as one: refund and rebuy earns nothing)
    if (await session.execute(select(Coupon.id).where(Coupon.reward_for == order.id))).first():
        return  # already rewarded
    if rules.max_per_inviter is not None and await _rewards_earned(uow, inviter_id) >= rules.max_per_inviter:
        record(session, actor=SYSTEM, action="referral.capped", entity="order", entity_id=order.id, at=now,
               inviter=inviter_id, cap=rules.max_per_inviter)
        return
    coupon = Coupon(code=_new_code(), kind=rules.reward.value,
                    percent=str(rules.percent) if rules.reward is CouponKind.PERCENT else "0",
                    amount_minor=rules.amount_minor if rules.reward is CouponKind.FIXED else 0,
                    min_order_minor=rules.min_order_minor, ends_at=now + rules.expires_after, max_uses=1,
                    per_customer=1, owner_id=inviter_id, source=REFERRAL, reward_for=order.id, created_at=now)
    session.add(coupon)
    await uow.flush()
    record(session, actor=SYSTEM, action="referral.reward", entity="coupon", entity_id=coupon.id, at=now,
           order_id=order.id, inviter=inviter_id, buyer=order.customer_id, code=coupon.code)
    notify(session, topic=Topic.REFERRAL_REWARD, at=now, customer_id=inviter_id, code=coupon.code,
           kind=coupon.kind, percent=coupon.percent, amount_minor=coupon.amount_minor,
           min_order_minor=coupon.min_order_minor, currency=order.currency,
           ends_at=coupon.ends_at.isoformat() if coupon.ends_at else None)


async def _withdraw(uow: UnitOfWork, order: Order, now: datetime, *, reason: str) -> None:
    coupon = (await uow.session.execute(select(Coupon).where(
        Coupon.reward_for == order.id, Coupon.deleted.is_(False)))).scalar_one_or_none()
    if coupon is not None:
        await _take_back(uow, coupon, order, now, reason=reason)


async def _take_back(uow: UnitOfWork, coupon: Coupon, order: Order, now: datetime, *, reason: str) -> None:
    """Withdraw a reward. Never usable again (a use given back by an expired order can't revive it); a use
    already counted (an order holds the discount, frozen in its bill) is not undone, only recorded."""
    coupon.deleted = True
    if coupon.uses > 0:
        record(uow.session, actor=SYSTEM, action="referral.reward_spent", entity="coupon", entity_id=coupon.id,
               at=now, order_id=order.id, inviter=coupon.owner_id, code=coupon.code, reason=reason)
        return
    record(uow.session, actor=SYSTEM, action="referral.withdraw", entity="coupon", entity_id=coupon.id, at=now,
           order_id=order.id, inviter=coupon.owner_id, code=coupon.code, reason=reason)
    notify(uow.session, topic=Topic.REFERRAL_WITHDRAWN, at=now, customer_id=coupon.owner_id, code=coupon.code,
           reason=reason)


async def _rewards_earned(uow: UnitOfWork, inviter_id: int) -> int:
    return int((await uow.session.execute(select(func.count()).select_from(Coupon).where(
        Coupon.source == REFERRAL, Coupon.owner_id == inviter_id, Coupon.deleted.is_(False)))).scalar_one())


def _new_code() -> str:
    """Two rewards drawing the same code (about 1 in 10^17 for a pair) would fail the payment's transaction on
    the UNIQUE code; the watcher tries it again, with a new code."""
    return CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_RANDOM))


# ---- what a customer reads ----


class ReferralService:
    def __init__(self, db: Database, rules: ReferralRules, coupons: CouponService, *, currency: str,
                 clock: Clock = system_clock) -> None:
        self._db = db
        self._rules = rules
        self._coupons = coupons
        self._currency = currency
        self._clock = clock

    @property
    def rules(self) -> ReferralRules:
        return self._rules

    async def invite(self, customer_id: int) -> InviteDTO:
        """The customer's code, the reward on offer, how many friends joined and were rewarded for, and the
        rewards they may still use."""
        async with self._db.uow(write=False) as uow:
            session = uow.session
            me = await live_customer(uow, customer_id)
            code, invited_by = me.referral_code, me.referred_by
            joined = (await session.execute(select(func.count()).select_from(Customer).where(
                Customer.referred_by == code, Customer.id != customer_id, Customer.erased_at.is_(None)))).scalar_one()
            rewarded = await _rewards_earned(uow, customer_id)
            friend = invited_by is not None and (await session.execute(select(Customer.id).where(
                Customer.referral_code == invited_by, Customer.id != customer_id,
                Customer.erased_at.is_(None)))).first() is not None
        rewards = [dto for dto in await self._coupons.rewards_of(customer_id) if dto.source == REFERRAL]
        rules = self._rules
        return InviteDTO(code, rules.enabled, rules.reward, rules.percent,
                         Money.from_minor(rules.amount_minor, self._currency),
                         Money.from_minor(rules.min_order_minor, self._currency),
                         rules.expires_after.days, rules.max_per_inviter, int(joined), rewarded, tuple(rewards),
                         invited_by, friend)
