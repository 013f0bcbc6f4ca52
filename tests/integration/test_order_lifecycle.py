"""Every legal order transition through the services, with its stock move, audit event and outbox messages.

Illegal moves, the expiry sweep, replayed watcher events, late payments and digital delivery too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from commerce.errors import IllegalTransition, NotFound, OutOfStock, PermissionDenied
from commerce.privacy import ShippingAddress
from commerce.shop import Shop
from commerce.status import TRANSITIONS, OrderAction, OrderStatus
from commerce.storage.tables import AuditEvent, OutboxMessage, Variant
from tests.conftest import FakeClock
from tests.support.factories import make_buyer, make_owner, make_product, step_up

S, A = OrderStatus, OrderAction
HOME = ShippingAddress(name="Taro Sato", postal_code="150-0001", region="Tokyo", city="Shibuya", line1="2-2-2 Jingumae")
TELLS_SELLERS = {A.PAYMENT_CONFIRMED, A.NOTHING_DUE, A.LATE_PAYMENT, A.PAYMENT_INVALID, A.CANCEL}


@dataclass
class Ctx:
    shop: Shop
    clock: FakeClock
    owner: int
    buyer: int
    variant_id: int
    order_id: int


async def place(shop: Shop, clock: FakeClock, *, digital: bool = False, stock: int = 5,
                quantity: int = 2, price: str = "1200") -> Ctx:
    """An owner, a buyer and one order for `quantity` units of a fresh product (5 in stock, or 3 keys)."""
    owner = await make_owner(shop)
    buyer = await make_buyer(shop)
    if digital:
        variant_id = (await make_product(shop, owner, title="E-book", kind="digital", price=price)).variants[0].id
        await shop.catalog.add_digital_items(owner, variant_id, ["KEY-A", "KEY-B", "KEY-C"])
    else:
        variant_id = (await make_product(shop, owner, stock=stock, price=price)).variants[0].id
    order = await shop.orders.checkout(buyer, items=[(variant_id, quantity)], address=None if digital else HOME)
    return Ctx(shop, clock, owner, buyer, variant_id, order.id)


async def buckets(shop: Shop, variant_id: int) -> tuple[int, int, int]:
    """(stock, reserved, sold) from the Variant row."""
    async with shop.db.uow(write=False) as uow:
        row = await uow.session.get(Variant, variant_id)
        assert row is not None
        return row.stock, row.reserved, row.sold


async def audit(shop: Shop, order_id: int, after: int = 0) -> list[tuple[int, str, str, dict[str, Any]]]:
    """(id, actor, action, detail) of the order's audit events with id > `after`."""
    async with shop.db.uow(write=False) as uow:
        rows = await uow.session.execute(select(AuditEvent).where(
            AuditEvent.entity == "order", AuditEvent.entity_id == order_id, AuditEvent.id > after)
            .order_by(AuditEvent.id))
        return [(r.id or 0, r.actor, r.action, dict(r.detail)) for r in rows.scalars()]


async def outbox(shop: Shop, order_id: int, after: int = 0) -> list[tuple[int, str, int | None, str, dict[str, Any]]]:
    """(id, audience, customer_id, topic, payload) of the order's outbox messages with id > `after`."""
    async with shop.db.uow(write=False) as uow:
        rows = (await uow.session.execute(select(OutboxMessage).where(OutboxMessage.id > after)
                                          .order_by(OutboxMessage.id))).scalars()
        return [(r.id or 0, r.audience, r.customer_id, r.topic, dict(r.payload)) for r in rows
                if r.payload.get("order_id") == order_id]


async def last_ids(shop: Shop, order_id: int) -> tuple[int, int]:
    events, messages = await audit(shop, order_id), await outbox(shop, order_id)
    return (events[-1][0] if events else 0), (messages[-1][0] if messages else 0)


async def status_of(ctx: Ctx) -> OrderStatus:
    return (await ctx.shop.orders.get(ctx.buyer, ctx.order_id)).status


async def expire(ctx: Ctx) -> Any:
    ctx.clock.advance(minutes=30)
    return await ctx.shop.payments.expire_due()


async def refund(ctx: Ctx) -> Any:
    await step_up(ctx.shop, ctx.owner)  # a refund needs a fresh two-factor code
    return await ctx.shop.fulfilment.refund(ctx.owner, ctx.order_id, "refund tx 0xabc")


STEPS: dict[str, Callable[[Ctx], Awaitable[Any]]] = {
    "seen": lambda c: c.shop.payments.payment_seen(c.order_id, txid="tx-1"),
    "confirmed": lambda c: c.shop.payments.payment_confirmed(c.order_id, txid="tx-1"),
    "underpaid": lambda c: c.shop.payments.underpaid(c.order_id, remaining_units=1234),
    "vanished": lambda c: c.shop.payments.payment_vanished(c.order_id),
    "invalid": lambda c: c.shop.payments.payment_invalid(c.order_id),
    "expire": expire,
    "late": lambda c: c.shop.payments.late_payment(c.order_id, txid="tx-late"),
    "accept": lambda c: c.shop.fulfilment.accept_late(c.owner, c.order_id),
    "refund": refund,
    "ship": lambda c: c.shop.fulfilment.ship(c.owner, c.order_id, "JP123456789"),
    "deliver": lambda c: c.shop.fulfilment.deliver(c.owner, c.order_id),
    "cancel": lambda c: c.shop.orders.cancel(c.buyer, c.order_id),
}

PAID_PHYS, OPEN_PHYS, FREE_PHYS = (3, 0, 2), (3, 2, 0), (5, 0, 0)
# (start status, action) → (digital?, steps to reach the start, the step that acts, buckets after it)
WALK: dict[tuple[OrderStatus, OrderAction], tuple[bool, list[str], str, tuple[int, int, int]]] = {
    (S.AWAITING_PAYMENT, A.PAYMENT_SEEN): (False, [], "seen", OPEN_PHYS),
    (S.AWAITING_PAYMENT, A.EXPIRE): (False, [], "expire", FREE_PHYS),
    (S.AWAITING_PAYMENT, A.CANCEL): (False, [], "cancel", FREE_PHYS),
    (S.AWAITING_PAYMENT, A.PAYMENT_CONFIRMED): (False, [], "confirmed", PAID_PHYS),
    (S.CONFIRMING, A.PAYMENT_CONFIRMED): (False, ["seen"], "confirmed", PAID_PHYS),
    (S.CONFIRMING, A.UNDERPAID): (False, ["seen"], "underpaid", OPEN_PHYS),
    (S.AWAITING_PAYMENT, A.UNDERPAID): (False, [], "underpaid", OPEN_PHYS),
    (S.CONFIRMING, A.PAYMENT_VANISHED): (False, ["seen"], "vanished", OPEN_PHYS),
    (S.CONFIRMING, A.PAYMENT_INVALID): (False, ["seen"], "invalid", FREE_PHYS),
    (S.EXPIRED, A.LATE_PAYMENT): (False, ["expire"], "late", FREE_PHYS),
    (S.PAID_LATE, A.ACCEPT_LATE): (False, ["expire", "late"], "accept", PAID_PHYS),
    (S.PAID_LATE, A.REFUND): (False, ["expire", "late"], "refund", FREE_PHYS),
    # FULFIL has no staff command: paying an all-digital order fulfils it in the same transaction.
    (S.PAID, A.FULFIL): (True, [], "confirmed", (1, 0, 2)),
    (S.PAID, A.SHIP): (False, ["confirmed"], "ship", PAID_PHYS),
    (S.SHIPPED, A.DELIVER): (False, ["confirmed", "ship"], "deliver", PAID_PHYS),
    (S.PAID, A.REFUND): (False, ["confirmed"], "refund", PAID_PHYS),
    (S.SHIPPED, A.REFUND): (False, ["confirmed", "ship"], "refund", PAID_PHYS),
    (S.DELIVERED, A.REFUND): (False, ["confirmed", "ship", "deliver"], "refund", PAID_PHYS),
    (S.FULFILLED, A.REFUND): (True, ["confirmed"], "refund", (1, 0, 2)),
}


def actor_for(ctx: Ctx, action: OrderAction) -> str:
    if action in (A.PAYMENT_SEEN, A.PAYMENT_CONFIRMED, A.UNDERPAID, A.PAYMENT_VANISHED, A.PAYMENT_INVALID,
                  A.LATE_PAYMENT, A.FULFIL):
        return "watcher"
    if action is A.EXPIRE:
        return "system"
    return f"customer:{ctx.buyer if action is A.CANCEL else ctx.owner}"


@pytest.mark.parametrize("move", [m for m in TRANSITIONS if m in WALK], ids=lambda m: f"{m[0].value}-{m[1].value}")
async def test_every_legal_transition(shop: Shop, clock: FakeClock,
                                      move: tuple[OrderStatus, OrderAction]) -> None:
    start, action = move
    digital, path, act, after_buckets = WALK[move]
    ctx = await place(shop, clock, digital=digital)
    for step in path:
        await STEPS[step](ctx)
    if action is not A.FULFIL:
        assert await status_of(ctx) is start
    audit_mark, outbox_mark = await last_ids(shop, ctx.order_id)

    await STEPS[act](ctx)

    end = TRANSITIONS[move]
    assert await status_of(ctx) is end
    assert await buckets(shop, ctx.variant_id) == after_buckets
    moves = [(A.PAYMENT_CONFIRMED, S.AWAITING_PAYMENT, S.PAID), (A.FULFIL, S.PAID, S.FULFILLED)] \
        if action is A.FULFIL else [(action, start, end)]
    events = await audit(shop, ctx.order_id, audit_mark)
    assert [(actor, name, detail["from"], detail["to"]) for _, actor, name, detail in events] == [
        (actor_for(ctx, a), f"order.{a.value}", old.value, new.value) for a, old, new in moves]
    expected_messages = []
    for a, _, new in moves:
        expected_messages.append(("customer", ctx.buyer, f"order.{a.value}", new.value))
        if a in TELLS_SELLERS:
            expected_messages.append(("sellers", None, f"order.{a.value}", new.value))
    messages = await outbox(shop, ctx.order_id, outbox_mark)
    assert [(aud, cid, topic, payload["status"]) for _, aud, cid, topic, payload in messages] == expected_messages


def test_every_transition_is_walked_here_or_at_checkout() -> None:
    assert set(TRANSITIONS) - set(WALK) == {(S.AWAITING_PAYMENT, A.NOTHING_DUE)}   # below


async def test_a_free_order_is_paid_at_checkout_with_its_audit_and_notices(shop: Shop, clock: FakeClock) -> None:
    ctx = await place(shop, clock, price="0")
    assert await status_of(ctx) is S.PAID
    assert await buckets(shop, ctx.variant_id) == PAID_PHYS
    events = await audit(shop, ctx.order_id)
    assert [(actor, name, detail.get("to")) for _, actor, name, detail in events] == [
        (f"customer:{ctx.buyer}", "order.checkout", None), (f"customer:{ctx.buyer}", "order.nothing_due", "paid")]
    messages = await outbox(shop, ctx.order_id)
    assert [(aud, cid, topic) for _, aud, cid, topic, _ in messages] == [
        ("customer", ctx.buyer, "order.nothing_due"), ("sellers", None, "order.nothing_due")]
    digital = await place(shop, clock, digital=True, price="0")
    assert await status_of(digital) is S.FULFILLED


async def test_paid_order_records_when_and_ship_records_tracking(shop: Shop, clock: FakeClock) -> None:
    ctx = await place(shop, clock)
    clock.advance(minutes=3)
    paid = await shop.payments.payment_confirmed(ctx.order_id)
    assert paid.paid_at == clock.now
    shipped = await shop.fulfilment.ship(ctx.owner, ctx.order_id, "  JP 123  ")
    assert shipped.tracking == "JP 123"
    assert (await shop.orders.get(ctx.buyer, ctx.order_id)).tracking == "JP 123"


ILLEGAL = {
    "ship an unpaid order": ([], "ship", S.AWAITING_PAYMENT),
    "refund an awaiting order": ([], "refund", S.AWAITING_PAYMENT),
    "buyer cancels a paid order": (["confirmed"], "cancel", S.PAID),
    "seller cancels a paid order": (["confirmed"], "seller_cancel", S.PAID),
    "deliver a paid order": (["confirmed"], "deliver", S.PAID),
    "cancel while confirming": (["seen"], "cancel", S.CONFIRMING),
    "accept a late payment that never came": (["expire"], "accept", S.EXPIRED),
    "confirm an expired order": (["expire"], "confirmed", S.EXPIRED),
}


@pytest.mark.parametrize("case", list(ILLEGAL))
async def test_illegal_moves_change_nothing(shop: Shop, clock: FakeClock, case: str) -> None:
    path, act, status = ILLEGAL[case]
    ctx = await place(shop, clock)
    for step in path:
        await STEPS[step](ctx)
    before = (await buckets(shop, ctx.variant_id), await last_ids(shop, ctx.order_id))

    with pytest.raises(IllegalTransition) as caught:
        if act == "seller_cancel":
            await shop.fulfilment.cancel(ctx.owner, ctx.order_id, "changed my mind")
        else:
            await STEPS[act](ctx)
    assert caught.value.status == status.value
    order = await shop.orders.get(ctx.buyer, ctx.order_id)
    assert order.status is status
    assert order.tracking is None
    assert (await buckets(shop, ctx.variant_id), await last_ids(shop, ctx.order_id)) == before


async def test_expiry_sweep_expires_exactly_the_due_orders(shop: Shop, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    buyer = await make_buyer(shop)
    cup = (await make_product(shop, owner, stock=10)).variants[0].id
    first = (await shop.orders.checkout(buyer, items=[(cup, 2)], address=HOME)).id
    confirming = (await shop.orders.checkout(buyer, items=[(cup, 1)], address=HOME)).id
    await shop.payments.payment_seen(confirming)
    clock.advance(minutes=20)
    second = (await shop.orders.checkout(buyer, items=[(cup, 3)], address=HOME)).id
    assert await buckets(shop, cup) == (4, 6, 0)

    clock.advance(minutes=9, seconds=59)
    assert await shop.payments.expire_due() == []
    clock.advance(seconds=1)
    assert await shop.payments.expire_due() == [first]
    assert await buckets(shop, cup) == (6, 4, 0)
    assert await shop.payments.expire_due() == []
    clock.advance(minutes=20)
    assert await shop.payments.expire_due() == [second]
    assert await buckets(shop, cup) == (9, 1, 0)
    statuses = {o.id: o.status for o in await shop.orders.history(buyer)}
    assert statuses == {first: S.EXPIRED, second: S.EXPIRED, confirming: S.CONFIRMING}


async def test_replayed_watcher_events_are_no_ops(shop: Shop, clock: FakeClock) -> None:
    ctx = await place(shop, clock)
    await shop.payments.payment_seen(ctx.order_id, txid="tx-1")
    assert (await shop.payments.payment_seen(ctx.order_id, txid="tx-1")).status is S.CONFIRMING
    await shop.payments.payment_confirmed(ctx.order_id, txid="tx-1")
    assert (await shop.payments.payment_confirmed(ctx.order_id, txid="tx-1")).status is S.PAID
    assert (await shop.payments.payment_seen(ctx.order_id, txid="tx-1")).status is S.PAID

    assert await buckets(shop, ctx.variant_id) == PAID_PHYS
    actions = [name for _, _, name, _ in await audit(shop, ctx.order_id)]
    assert actions == ["order.checkout", "order.payment_seen", "order.payment_confirmed"]
    topics = [(aud, topic) for _, aud, _, topic, _ in await outbox(shop, ctx.order_id)]
    assert topics == [("sellers", "order.created"), ("customer", "order.payment_seen"),
                      ("customer", "order.payment_confirmed"), ("sellers", "order.payment_confirmed")]


async def test_replayed_invalid_and_late_payments_are_no_ops(shop: Shop, clock: FakeClock) -> None:
    void = await place(shop, clock)
    await shop.payments.payment_seen(void.order_id)
    await shop.payments.payment_invalid(void.order_id)
    assert (await shop.payments.payment_invalid(void.order_id)).status is S.INVALID
    assert await buckets(shop, void.variant_id) == FREE_PHYS  # released once, not twice

    late = await place(shop, clock)
    await expire(late)
    await shop.payments.late_payment(late.order_id)
    assert (await shop.payments.late_payment(late.order_id)).status is S.PAID_LATE
    for ctx, action in ((void, "order.payment_invalid"), (late, "order.late_payment")):
        assert [name for _, _, name, _ in await audit(shop, ctx.order_id)].count(action) == 1
        assert [topic for _, _, _, topic, _ in await outbox(shop, ctx.order_id)].count(action) == 2


async def test_accepting_a_late_digital_payment_delivers_the_keys(shop: Shop, clock: FakeClock) -> None:
    ctx = await place(shop, clock, digital=True)
    await expire(ctx)
    assert await buckets(shop, ctx.variant_id) == (3, 0, 0)
    await shop.payments.late_payment(ctx.order_id)

    accepted = await shop.fulfilment.accept_late(ctx.owner, ctx.order_id)
    assert accepted.status is S.FULFILLED
    assert await buckets(shop, ctx.variant_id) == (1, 0, 2)
    assert [i.content for i in await shop.fulfilment.delivered_items(ctx.buyer, ctx.order_id)] == ["KEY-A", "KEY-B"]


async def test_accept_late_when_the_stock_is_gone(shop: Shop, clock: FakeClock) -> None:
    ctx = await place(shop, clock, stock=2, quantity=2)
    await expire(ctx)
    rival = await make_buyer(shop)
    theirs = await shop.orders.checkout(rival, items=[(ctx.variant_id, 2)], address=HOME)
    await shop.payments.payment_confirmed(theirs.id)
    await shop.payments.late_payment(ctx.order_id)
    before = (await buckets(shop, ctx.variant_id), await last_ids(shop, ctx.order_id))
    assert before[0] == (0, 0, 2)

    with pytest.raises(OutOfStock) as caught:
        await shop.fulfilment.accept_late(ctx.owner, ctx.order_id)
    assert (caught.value.requested, caught.value.available) == (2, 0)
    assert await status_of(ctx) is S.PAID_LATE
    assert (await buckets(shop, ctx.variant_id), await last_ids(shop, ctx.order_id)) == before

    await step_up(shop, ctx.owner)
    assert (await shop.fulfilment.refund(ctx.owner, ctx.order_id, "sent back")).status is S.REFUNDED


async def test_paid_digital_order_delivers_keys_and_is_fulfilled(shop: Shop, clock: FakeClock) -> None:
    ctx = await place(shop, clock, digital=True)
    assert await shop.fulfilment.delivered_items(ctx.buyer, ctx.order_id) == []

    paid = await shop.payments.payment_confirmed(ctx.order_id)
    assert paid.status is S.FULFILLED
    items = await shop.fulfilment.delivered_items(ctx.buyer, ctx.order_id)
    assert [(i.title, i.content) for i in items] == [("E-book", "KEY-A"), ("E-book", "KEY-B")]
    assert {i.order_line_id for i in items} == {paid.lines[0].id}
    with pytest.raises(NotFound):
        await shop.fulfilment.delivered_items(await make_buyer(shop), ctx.order_id)

    # the third key is still for sale and goes to the next buyer
    other = await make_buyer(shop)
    order = await shop.orders.checkout(other, items=[(ctx.variant_id, 1)])
    await shop.payments.payment_confirmed(order.id)
    assert [i.content for i in await shop.fulfilment.delivered_items(other, order.id)] == ["KEY-C"]


async def test_overpayment_is_recorded(shop: Shop, clock: FakeClock) -> None:
    ctx = await place(shop, clock)
    mark = (await last_ids(shop, ctx.order_id))[1]
    paid = await shop.payments.payment_confirmed(ctx.order_id, overpaid_units=1500)
    assert paid.overpaid_units == 1500
    assert (await shop.orders.get(ctx.buyer, ctx.order_id)).overpaid_units == 1500
    customer_message = (await outbox(shop, ctx.order_id, mark))[0]
    assert customer_message[4]["overpaid_units"] == 1500


async def test_underpayment_keeps_the_order_open_and_tells_the_remainder(shop: Shop, clock: FakeClock) -> None:
    ctx = await place(shop, clock)
    await shop.payments.payment_seen(ctx.order_id)
    mark = (await last_ids(shop, ctx.order_id))[1]

    order = await shop.payments.underpaid(ctx.order_id, remaining_units=4321)
    assert order.status is S.AWAITING_PAYMENT
    assert await buckets(shop, ctx.variant_id) == OPEN_PHYS
    [(_, audience, customer, topic, payload)] = await outbox(shop, ctx.order_id, mark)
    assert (audience, customer, topic) == ("customer", ctx.buyer, "order.underpaid")
    assert payload["remaining_units"] == 4321


@pytest.mark.parametrize("by", ["buyer", "seller"])
async def test_cancel_puts_the_reservation_back_on_sale(shop: Shop, clock: FakeClock, by: str) -> None:
    ctx = await place(shop, clock, stock=2, quantity=2)
    if by == "buyer":
        await shop.orders.cancel(ctx.buyer, ctx.order_id)
    else:
        await shop.fulfilment.cancel(ctx.owner, ctx.order_id, "no longer made")
    assert await status_of(ctx) is S.CANCELLED
    assert await buckets(shop, ctx.variant_id) == (2, 0, 0)
    rival = await make_buyer(shop)
    assert (await shop.orders.checkout(rival, items=[(ctx.variant_id, 2)], address=HOME)).total.minor == 2400


async def test_buyer_cannot_cancel_someone_elses_order(shop: Shop, clock: FakeClock) -> None:
    ctx = await place(shop, clock)
    stranger = await make_buyer(shop)
    with pytest.raises(NotFound):
        await shop.orders.cancel(stranger, ctx.order_id)
    with pytest.raises(NotFound):
        await shop.orders.get(stranger, ctx.order_id)
    assert await status_of(ctx) is S.AWAITING_PAYMENT
    assert await buckets(shop, ctx.variant_id) == OPEN_PHYS


@pytest.mark.parametrize("role", ["seller", "staff"])
async def test_only_an_owner_can_refund(shop: Shop, clock: FakeClock, role: str) -> None:
    ctx = await place(shop, clock)
    await shop.payments.payment_confirmed(ctx.order_id)
    helper = await make_buyer(shop)
    await step_up(shop, ctx.owner)
    await shop.sellers.grant(ctx.owner, helper, role)
    await step_up(shop, helper)  # a fresh code doesn't make up for a missing permission
    mark = await last_ids(shop, ctx.order_id)

    with pytest.raises(PermissionDenied):
        await shop.fulfilment.refund(helper, ctx.order_id, "nope")
    with pytest.raises(PermissionDenied):
        await shop.fulfilment.refund(ctx.buyer, ctx.order_id, "nope")
    assert await status_of(ctx) is S.PAID
    assert await last_ids(shop, ctx.order_id) == mark

    assert (await shop.fulfilment.refund(ctx.owner, ctx.order_id, "tx 0xdef")).status is S.REFUNDED
