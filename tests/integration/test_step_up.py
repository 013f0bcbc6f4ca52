"""Sensitive actions need a two-factor code from the last ten minutes, enforced in the core whatever the
front-end did: refunds (also of a late payment), granting and revoking roles, broadcasts. Owners from bot.toml
too. A refusal changes nothing; the same action works right after a code."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pyotp
import pytest
from sqlalchemy import func, select

from commerce.errors import PermissionDenied
from commerce.privacy import ShippingAddress
from commerce.roles import Role
from commerce.shop import Shop
from commerce.status import OrderStatus
from commerce.storage.tables import AuditEvent, Broadcast
from commerce.two_factor import TwoFactorRequired
from tests.conftest import FakeClock
from tests.support.factories import make_buyer, make_owner, make_product, step_up

HOME = ShippingAddress(name="Taro Sato", postal_code="150-0001", region="Tokyo", city="Shibuya", line1="2-2-2 Jingumae")


async def paid_order(shop: Shop, owner: int) -> int:
    product = await make_product(shop, owner)
    order = await shop.orders.checkout(await make_buyer(shop), items=[(product.variants[0].id, 1)], address=HOME)
    await shop.payments.payment_confirmed(order.id)
    return order.id


async def late_order(shop: Shop, owner: int, clock: FakeClock) -> int:
    product = await make_product(shop, owner)
    order = await shop.orders.checkout(await make_buyer(shop), items=[(product.variants[0].id, 1)], address=HOME)
    clock.advance(minutes=31)
    await shop.payments.expire_due()
    await shop.payments.late_payment(order.id)
    return order.id


async def audit_count(shop: Shop) -> int:
    async with shop.db.uow(write=False) as uow:
        return (await uow.session.execute(select(func.count()).select_from(AuditEvent))).scalar_one()


async def order_status(shop: Shop, owner: int, order_id: int) -> OrderStatus:
    [order] = [o for o in await shop.orders.orders_by_status(owner, limit=50) if o.id == order_id]
    return order.status


async def refund_paid(shop: Shop, owner: int, clock: FakeClock) -> Callable[[], Awaitable[Any]]:
    order_id = await paid_order(shop, owner)
    return lambda: shop.fulfilment.refund(owner, order_id, "tx 0xabc")


async def refund_late(shop: Shop, owner: int, clock: FakeClock) -> Callable[[], Awaitable[Any]]:
    order_id = await late_order(shop, owner, clock)
    return lambda: shop.fulfilment.refund(owner, order_id, "sent back")


async def grant(shop: Shop, owner: int, clock: FakeClock) -> Callable[[], Awaitable[Any]]:
    person = await make_buyer(shop)
    return lambda: shop.sellers.grant(owner, person, Role.STAFF)


async def revoke(shop: Shop, owner: int, clock: FakeClock) -> Callable[[], Awaitable[Any]]:
    person = await make_buyer(shop)
    await step_up(shop, owner)
    await shop.sellers.grant(owner, person, Role.SELLER)
    clock.advance(minutes=11)  # the step-up for the setup has gone stale
    return lambda: shop.sellers.revoke(owner, person)


async def broadcast(shop: Shop, owner: int, clock: FakeClock) -> Callable[[], Awaitable[Any]]:
    await shop.customers.set_marketing_opt_in(await make_buyer(shop), True)
    return lambda: shop.broadcasts.create(owner, "Spring sale")


ACTIONS = {"refund": refund_paid, "refund_late": refund_late, "grant": grant, "revoke": revoke,
           "broadcast": broadcast}


@pytest.mark.parametrize("action", ACTIONS)
async def test_a_sensitive_action_needs_a_fresh_code(shop: Shop, clock: FakeClock, action: str) -> None:
    owner = await make_owner(shop)  # bootstrapped from bot.toml: no exception for owners
    act = await ACTIONS[action](shop, owner, clock)
    unchanged = await audit_count(shop)

    with pytest.raises(TwoFactorRequired) as refused:
        await act()
    assert refused.value.reason == ("stale" if action == "revoke" else "not_enrolled")
    assert await audit_count(shop) == unchanged
    app = await step_up(shop, owner)
    clock.advance(minutes=10, seconds=1)
    unchanged = await audit_count(shop)
    with pytest.raises(TwoFactorRequired) as stale:
        await act()
    assert (stale.value.reason, stale.value.minutes) == ("stale", 10)
    assert await audit_count(shop) == unchanged  # refused: nothing happened, nothing recorded

    await shop.two_factor.verify(owner, app.at(clock()))
    clock.advance(minutes=9, seconds=59)
    await act()  # still inside the ten minutes
    assert await audit_count(shop) > unchanged


async def test_refused_refunds_leave_the_order_as_it_was(shop: Shop, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    paid, late = await paid_order(shop, owner), await late_order(shop, owner, clock)
    for order_id in (paid, late):
        with pytest.raises(TwoFactorRequired):
            await shop.fulfilment.refund(owner, order_id, "tx")
    assert (await order_status(shop, owner, paid), await order_status(shop, owner, late)) == (
        OrderStatus.PAID, OrderStatus.PAID_LATE)
    await step_up(shop, owner)
    for order_id in (paid, late):
        assert (await shop.fulfilment.refund(owner, order_id, "tx")).status is OrderStatus.REFUNDED


async def test_no_broadcast_is_stored_without_a_fresh_code(shop: Shop, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    with pytest.raises(TwoFactorRequired):
        await shop.broadcasts.create(owner, "hello")
    async with shop.db.uow(write=False) as uow:
        assert (await uow.session.execute(select(func.count()).select_from(Broadcast))).scalar_one() == 0


async def test_the_role_is_checked_before_two_factor(shop: Shop, clock: FakeClock) -> None:
    """A buyer or a seller is told they may not, not invited to set up two-factor."""
    owner = await make_owner(shop)
    buyer = await make_buyer(shop)
    seller = await make_buyer(shop)
    await step_up(shop, owner)
    await shop.sellers.grant(owner, seller, Role.SELLER)
    order_id = await paid_order(shop, owner)
    for person in (buyer, seller):
        with pytest.raises(PermissionDenied):
            await shop.fulfilment.refund(person, order_id, "tx")
        with pytest.raises(PermissionDenied):
            await shop.sellers.grant(person, buyer, Role.STAFF)
        with pytest.raises(PermissionDenied):
            await shop.broadcasts.create(person, "hi")


async def test_each_persons_step_up_is_their_own(shop: Shop, clock: FakeClock) -> None:
    first, second = await make_owner(shop), await make_owner(shop)
    await step_up(shop, first)
    await shop.two_factor.enrol(second)
    app = pyotp.TOTP(await shop.two_factor._secret(second))
    # enrolled but never confirmed: still "not enrolled" for a sensitive action
    with pytest.raises(TwoFactorRequired) as pending:
        await shop.sellers.revoke(second, first)
    assert pending.value.reason == "not_enrolled"
    await shop.two_factor.confirm_enrolment(second, app.at(clock()))
    await shop.sellers.grant(second, first, Role.STAFF)
    assert await shop.sellers.role_of(first) is Role.STAFF
