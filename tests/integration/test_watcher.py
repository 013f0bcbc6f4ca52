"""The watcher against an in-memory chain: exact, under, over and late payments, reorgs, double spends,
restarts and leases — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from commerce.payment_records import PaymentRecords, RequestDraft, RequestDTO
from commerce.shop import Shop
from commerce.status import OrderStatus
from commerce.storage.tables import Order, OutboxMessage, Payment
from payments.watcher import ChainWatcher
from tests.conftest import FakeClock
from tests.support.factories import make_buyer, make_owner, make_product
from tests.support.fake_chain import FakeChain

DUE = 123_456


@pytest.fixture
def chain() -> FakeChain:
    return FakeChain()


@pytest.fixture
def records(shop: Shop, clock: FakeClock) -> PaymentRecords:
    return PaymentRecords(shop.db, clock)


def watcher_for(shop: Shop, chain: FakeChain, records: PaymentRecords, clock: FakeClock) -> ChainWatcher:
    return ChainWatcher(chain, records, shop.payments, clock=clock, start_behind=0)


async def new_request(shop: Shop, records: PaymentRecords, clock: FakeClock, *, confirmations: int = 2,
                      amount: int = DUE, tolerance: int = 0, derived: bool = True) -> RequestDTO:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, kind="digital", stock=0)
    await shop.catalog.add_digital_items(owner, product.variants[0].id, ["KEY-1"])
    buyer = await make_buyer(shop)
    order = await shop.orders.checkout(buyer, items=[(product.variants[0].id, 1)])
    index = await records.next_index("btc") if derived else None
    return await records.open_request(buyer, order.id, RequestDraft(
        method_id="btc", chain="fake:regtest", asset="BTC", token=None, decimals=8,
        address=f"bcrt1qtest{order.id}x{index}" if derived else "0xshared", amount_units=amount,
        price=Decimal("15000000"), uri="bitcoin:x", confirmations=confirmations,
        expires_at=order.expires_at, late_until=order.expires_at + timedelta(hours=24), tolerance_units=tolerance,
        due_minor=order.total.minor,
        derivation_index=index, uses_amount_slot=not derived))


async def status(shop: Shop, request: RequestDTO) -> OrderStatus:
    return (await PaymentRecords(shop.db).order_statuses([request.order_id]))[request.order_id]


async def topics(shop: Shop, order_id: int) -> list[str]:
    async with shop.db.uow(write=False) as uow:
        rows = (await uow.session.execute(select(OutboxMessage).where(OutboxMessage.audience == "customer")
                                          .order_by(OutboxMessage.id))).scalars()
        return [r.topic for r in rows if r.payload.get("order_id") == order_id]


async def test_exact_payment_is_seen_then_confirmed_then_paid(shop: Shop, chain: FakeChain, records: PaymentRecords,
                                                              clock: FakeClock) -> None:
    request = await new_request(shop, records, clock)
    watcher = watcher_for(shop, chain, records, clock)
    await watcher.step()
    chain.pay(request.address, DUE)
    await watcher.step()
    assert await status(shop, request) is OrderStatus.CONFIRMING
    chain.mine()
    await watcher.step()
    assert await status(shop, request) is OrderStatus.CONFIRMING
    chain.mine()
    await watcher.step()
    assert await status(shop, request) is OrderStatus.FULFILLED   # digital: keys delivered at once
    assert await topics(shop, request.order_id) == [
        "order.payment_seen", "order.confirmations", "order.payment_confirmed", "order.fulfil"]


async def test_underpaid_tells_the_remainder_and_a_top_up_completes_it(shop: Shop, chain: FakeChain,
                                                                       records: PaymentRecords,
                                                                       clock: FakeClock) -> None:
    request = await new_request(shop, records, clock, confirmations=1)
    watcher = watcher_for(shop, chain, records, clock)
    chain.pay(request.address, DUE - 456)
    chain.mine()
    await watcher.step()
    await watcher.step()   # nothing new: no second "underpaid" message
    assert await status(shop, request) is OrderStatus.AWAITING_PAYMENT
    async with shop.db.uow(write=False) as uow:
        underpaid = (await uow.session.execute(select(OutboxMessage.payload).where(
            OutboxMessage.topic == "order.underpaid"))).scalars().all()
    assert [m["remaining_units"] for m in underpaid] == [456]
    chain.pay(request.address, 456, index=1)
    chain.mine()
    await watcher.step()
    assert await status(shop, request) is OrderStatus.FULFILLED


async def test_tolerance_accepts_a_tiny_shortfall(shop: Shop, chain: FakeChain, records: PaymentRecords,
                                                  clock: FakeClock) -> None:
    request = await new_request(shop, records, clock, confirmations=1, tolerance=10)
    watcher = watcher_for(shop, chain, records, clock)
    chain.pay(request.address, DUE - 10)
    chain.mine()
    await watcher.step()
    assert await status(shop, request) is OrderStatus.FULFILLED


async def test_overpaid_marks_the_excess(shop: Shop, chain: FakeChain, records: PaymentRecords,
                                         clock: FakeClock) -> None:
    request = await new_request(shop, records, clock, confirmations=1)
    watcher = watcher_for(shop, chain, records, clock)
    chain.pay(request.address, DUE + 1_000)
    chain.mine()
    await watcher.step()
    async with shop.db.uow(write=False) as uow:
        buyer = (await uow.session.execute(select(Order.customer_id).where(Order.id == request.order_id))).scalar_one()
    order = await shop.orders.get(buyer, request.order_id)
    assert order.overpaid_units == 1_000
    assert order.status is OrderStatus.FULFILLED


async def test_payment_after_expiry_inside_the_late_window_is_paid_late(shop: Shop, chain: FakeChain,
                                                                        records: PaymentRecords,
                                                                        clock: FakeClock) -> None:
    request = await new_request(shop, records, clock, confirmations=1)
    watcher = watcher_for(shop, chain, records, clock)
    clock.advance(minutes=31)
    await shop.payments.expire_due()
    chain.pay(request.address, DUE)
    chain.mine()
    await watcher.step()
    assert await status(shop, request) is OrderStatus.PAID_LATE


async def test_reorg_unconfirms_and_reconfirms_without_double_counting(shop: Shop, chain: FakeChain,
                                                                       records: PaymentRecords,
                                                                       clock: FakeClock) -> None:
    request = await new_request(shop, records, clock, confirmations=3)
    watcher = watcher_for(shop, chain, records, clock)
    await watcher.step()
    chain.pay(request.address, DUE)
    chain.mine(2)
    await watcher.step()
    assert await status(shop, request) is OrderStatus.CONFIRMING
    chain.reorg(2)                      # the payment's block is orphaned; the tx returns to the mempool
    report = await watcher.step()
    assert report.reorg_depth == 2
    assert await status(shop, request) is OrderStatus.CONFIRMING   # still seen, in the mempool
    chain.mine(3)
    await watcher.step()
    assert await status(shop, request) is OrderStatus.FULFILLED
    async with shop.db.uow(write=False) as uow:
        assert (await uow.session.execute(select(func.count()).select_from(Payment))).scalar_one() == 1


async def test_double_spent_payment_vanishes_and_the_order_waits_again(shop: Shop, chain: FakeChain,
                                                                       records: PaymentRecords,
                                                                       clock: FakeClock) -> None:
    request = await new_request(shop, records, clock)
    watcher = watcher_for(shop, chain, records, clock)
    payment = chain.pay(request.address, DUE)
    await watcher.step()
    assert await status(shop, request) is OrderStatus.CONFIRMING
    chain.drop_from_mempool(payment)    # replaced by a conflicting transaction elsewhere
    await watcher.step()
    assert await status(shop, request) is OrderStatus.AWAITING_PAYMENT
    assert "order.payment_vanished" in await topics(shop, request.order_id)


async def test_a_restarted_watcher_resumes_and_counts_nothing_twice(shop: Shop, chain: FakeChain,
                                                                    records: PaymentRecords,
                                                                    clock: FakeClock) -> None:
    request = await new_request(shop, records, clock, confirmations=2)
    first = watcher_for(shop, chain, records, clock)
    await first.step()
    chain.pay(request.address, DUE)
    chain.mine()
    await first.step()
    chain.mine()
    second = watcher_for(shop, chain, records, clock)   # a new process: index and cursor from the database
    await second.step()
    await second.step()
    assert await status(shop, request) is OrderStatus.FULFILLED
    assert (await topics(shop, request.order_id)).count("order.payment_confirmed") == 1


async def test_amount_slots_match_a_shared_address_and_unknown_amounts_alert_sellers(
        shop: Shop, chain: FakeChain, records: PaymentRecords, clock: FakeClock) -> None:
    first = await new_request(shop, records, clock, confirmations=1, derived=False, amount=12_500_001)
    second = await new_request(shop, records, clock, confirmations=1, derived=False, amount=12_500_002)
    watcher = watcher_for(shop, chain, records, clock)
    chain.pay("0xshared", 12_500_002)
    chain.pay("0xshared", 12_000_000, index=1)      # matches no request
    chain.mine()
    await watcher.step()
    assert await status(shop, second) is OrderStatus.FULFILLED
    assert await status(shop, first) is OrderStatus.AWAITING_PAYMENT
    async with shop.db.uow(write=False) as uow:
        alerts = (await uow.session.execute(select(OutboxMessage.payload).where(
            OutboxMessage.topic == "payment.unmatched"))).scalars().all()
    assert [a["amount_units"] for a in alerts] == ["12000000"]


async def test_only_one_watcher_holds_a_chains_lease(shop: Shop, records: PaymentRecords, clock: FakeClock) -> None:
    assert await records.acquire_lease("fake:regtest", "a", timedelta(seconds=30))
    assert not await records.acquire_lease("fake:regtest", "b", timedelta(seconds=30))
    assert await records.acquire_lease("fake:regtest", "a", timedelta(seconds=30))   # renewal
    clock.advance(seconds=31)
    assert await records.acquire_lease("fake:regtest", "b", timedelta(seconds=30))   # a died: b takes over


async def test_backend_failure_marks_nothing_paid(shop: Shop, chain: FakeChain, records: PaymentRecords,
                                                  clock: FakeClock) -> None:
    from payments.backends.base import BackendError

    request = await new_request(shop, records, clock, confirmations=1)
    watcher = watcher_for(shop, chain, records, clock)
    chain.pay(request.address, DUE)
    chain.mine()
    chain.failing = "HTTP 502"
    with pytest.raises(BackendError):
        await watcher.step()
    assert await status(shop, request) is OrderStatus.AWAITING_PAYMENT
    chain.failing = None
    await watcher.step()
    assert await status(shop, request) is OrderStatus.FULFILLED


async def test_the_running_watcher_outlives_failures_and_logs_each_incident_once(
        shop: Shop, chain: FakeChain, records: PaymentRecords, clock: FakeClock,
        caplog: pytest.LogCaptureFixture) -> None:
    import asyncio

    from payments import watcher as watcher_module

    request = await new_request(shop, records, clock, confirmations=1)
    watcher = ChainWatcher(chain, records, shop.payments, clock=clock, start_behind=0, poll=timedelta(milliseconds=10))
    chain.pay(request.address, DUE)
    chain.mine()
    chain.failing = "HTTP 503"
    stop = asyncio.Event()
    original = watcher_module.MIN_BACKOFF
    watcher_module.MIN_BACKOFF = timedelta(milliseconds=10)
    try:
        task = asyncio.create_task(watcher.run(stop))
        await asyncio.sleep(0.3)
        assert await status(shop, request) is OrderStatus.AWAITING_PAYMENT   # failing: nothing marked paid
        chain.failing = None
        for _ in range(100):
            if await status(shop, request) is OrderStatus.FULFILLED:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(task, 5)
    finally:
        watcher_module.MIN_BACKOFF = original
    assert await status(shop, request) is OrderStatus.FULFILLED
    trouble = [r for r in caplog.records if "chain backend trouble" in r.getMessage()]
    assert len(trouble) == 1                                               # once per incident, not per retry


class Crash(BaseException):
    """The process dying: not an error anything in the watcher catches."""


@pytest.mark.parametrize("crash_at", ["after the payment is stored", "inside the decision, before its commit"])
async def test_a_crash_around_an_underpayment_decision_applies_it_once_after_restart(
        shop: Shop, chain: FakeChain, records: PaymentRecords, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
        crash_at: str) -> None:
    """One decision is one transaction: a crash leaves it either whole or not at all, and the restarted watcher
    neither loses it nor tells the buyer twice."""
    request = await new_request(shop, records, clock, confirmations=1)
    chain.pay(request.address, DUE - 456)
    chain.mine()
    with monkeypatch.context() as patch:
        if crash_at.startswith("after the payment"):
            async def crash_settling(*args: object, **kwargs: object) -> None:
                raise Crash
            patch.setattr(shop.payments, "settle", crash_settling)
        else:
            original = shop.payments._write

            async def crash_before_commit(*args: object, **kwargs: object) -> None:
                await original(*args, **kwargs)   # the transition, the running count and the notice: all written…
                raise Crash                       # …and the process dies before the commit
            patch.setattr(shop.payments, "_write", crash_before_commit)
        with pytest.raises(Crash):
            await watcher_for(shop, chain, records, clock).step()
    async with shop.db.uow(write=False) as uow:
        assert (await uow.session.scalar(select(func.count()).select_from(Payment))) == 1   # the transfer is kept
        assert (await uow.session.get(Order, request.order_id)).credited_minor == 0         # nothing half applied
    assert "order.underpaid" not in await topics(shop, request.order_id)

    restarted = watcher_for(shop, chain, records, clock)   # a new process
    await restarted.step()
    await restarted.step()
    assert await status(shop, request) is OrderStatus.AWAITING_PAYMENT
    assert (await topics(shop, request.order_id)).count("order.underpaid") == 1
    async with shop.db.uow(write=False) as uow:
        order = await uow.session.get(Order, request.order_id)
        assert order is not None and 0 < order.credited_minor < order.total_minor
