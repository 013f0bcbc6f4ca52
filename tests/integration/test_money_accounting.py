"""Every unit of money that reaches an order ends in one visible place: counted toward it, or refund due and
announced to the staff — across several requests, two chains, expiry and closed orders (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from commerce.payment_records import PaymentRecords
from commerce.shop import Shop
from commerce.status import OrderStatus
from commerce.storage.tables import Order, OutboxMessage, Payment, RefundDue
from payments.derive import AddressDeriver
from payments.methods import bitcoin_method, evm_method
from payments.rates import FixedRates
from payments.requests import PaymentRequestView, PaymentService
from payments.watcher import ChainWatcher
from tests.conftest import FakeClock
from tests.support.factories import make_buyer, make_owner, make_product
from tests.support.fake_chain import FakeChain

ZPUB = ("zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz"
        "2AGutZYs")
SHOP_ADDRESS = "0x000000000000000000000000000000000000dEaD"
USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
PRICE = "1200"                       # ¥1,200: 8,000 sat at ¥15,000,000 per BTC, 8 USDT at ¥150


@dataclass
class Rig:
    shop: Shop
    clock: FakeClock
    service: PaymentService
    btc: FakeChain
    evm: FakeChain
    watchers: list[ChainWatcher]

    async def step(self, times: int = 1) -> None:
        for _ in range(times):
            for watcher in self.watchers:
                await watcher.step()


@pytest.fixture
def rig(shop: Shop, clock: FakeClock) -> Rig:
    methods = {
        "btc": bitcoin_method(id="btc", network="mainnet", asset="BTC", confirmations=1,
                              deriver=AddressDeriver.from_extended_key(ZPUB, "mainnet")),
        "usdt": evm_method(id="usdt", chain_id=1, asset="USDT", decimals=6, confirmations=2, token=USDT,
                           receive_address=SHOP_ADDRESS),
    }
    records = PaymentRecords(shop.db, clock)
    service = PaymentService(records, shop.orders, FixedRates({"BTC": Decimal("15000000"), "USDT": Decimal("150")}),
                             methods, shop_name="Sakura Goods", late_window=timedelta(hours=24), clock=clock)
    btc, evm = FakeChain(key="bitcoin:mainnet"), FakeChain(key="evm:1")
    watchers = [ChainWatcher(chain, records, shop.payments, clock=clock, start_behind=0) for chain in (btc, evm)]
    return Rig(shop, clock, service, btc, evm, watchers)


async def an_order(rig: Rig) -> tuple[int, int]:
    owner = await make_owner(rig.shop)
    product = await make_product(rig.shop, owner, kind="digital", stock=0, price=PRICE)
    await rig.shop.catalog.add_digital_items(owner, product.variants[0].id, ["KEY-1", "KEY-2"])
    buyer = await make_buyer(rig.shop)
    order = await rig.shop.orders.checkout(buyer, items=[(product.variants[0].id, 1)])
    await rig.step()    # the watchers take their place at the tips
    return buyer, order.id


def pay(rig: Rig, view: PaymentRequestView, units: int, *, index: int = 0) -> None:
    if view.request.token:
        rig.evm.pay(view.request.address, units, token=view.request.token, index=index)
    else:
        rig.btc.pay(view.request.address, units, index=index)


def mine(rig: Rig, blocks: int = 1) -> None:
    rig.btc.mine(blocks)
    rig.evm.mine(blocks)


async def status(rig: Rig, order_id: int) -> OrderStatus:
    return (await PaymentRecords(rig.shop.db).order_statuses([order_id]))[order_id]


async def messages(rig: Rig, order_id: int, audience: str) -> list[tuple[str, dict[str, Any]]]:
    async with rig.shop.db.uow(write=False) as uow:
        rows = (await uow.session.execute(select(OutboxMessage).where(OutboxMessage.audience == audience)
                                          .order_by(OutboxMessage.id))).scalars()
        return [(r.topic, r.payload) for r in rows if r.payload.get("order_id") == order_id]


async def refunds(rig: Rig, order_id: int) -> list[tuple[int, str, str, str]]:
    """(units, asset, reason, status) of each refund row, with the txid checked against the transfer."""
    async with rig.shop.db.uow(write=False) as uow:
        rows = (await uow.session.execute(select(RefundDue, Payment.txid).join(Payment, Payment.id ==
                                                                                RefundDue.payment_id)
                                          .where(RefundDue.order_id == order_id).order_by(RefundDue.id))).all()
        return [(row.amount_units, row.asset, row.reason, row.status) for row, _txid in rows]


async def received_units(rig: Rig, order_id: int) -> int:
    async with rig.shop.db.uow(write=False) as uow:
        return (await uow.session.execute(select(Order.credited_minor).where(Order.id == order_id))).scalar_one()


# --- 1. a second payment after the order is paid -----------------------------------------------------------


async def test_paying_a_paid_order_again_is_refund_due_and_told_to_staff_and_buyer(rig: Rig) -> None:
    buyer, order_id = await an_order(rig)
    view = await rig.service.request_payment(buyer, order_id, "btc")
    assert view.request.amount_units == 8_000
    pay(rig, view, 8_000)
    mine(rig)
    await rig.step()
    assert await status(rig, order_id) is OrderStatus.FULFILLED
    assert await refunds(rig, order_id) == []

    pay(rig, view, 8_000, index=1)      # the buyer scans the old QR again
    mine(rig)
    await rig.step(3)                   # looking again changes nothing
    assert await status(rig, order_id) is OrderStatus.FULFILLED
    assert await refunds(rig, order_id) == [(8_000, "BTC", "overpaid", "due")]
    staff = [p for t, p in await messages(rig, order_id, "sellers") if t == "payment.refund_due"]
    assert len(staff) == 1 and staff[0]["amount"] == "0.00008 BTC" and staff[0]["reason"] == "overpaid"
    assert staff[0]["txid"]
    assert [t for t, _ in await messages(rig, order_id, "customer")].count("payment.refund_due") == 1


async def test_paying_an_exact_amount_twice_on_a_shared_address_is_refund_due(rig: Rig) -> None:
    buyer, order_id = await an_order(rig)
    view = await rig.service.request_payment(buyer, order_id, "usdt")
    amount = view.request.amount_units
    pay(rig, view, amount)
    mine(rig, 2)
    await rig.step()
    assert await status(rig, order_id) is OrderStatus.FULFILLED
    pay(rig, view, amount, index=1)
    mine(rig, 2)
    await rig.step(2)
    assert await refunds(rig, order_id) == [(amount, "USDT", "overpaid", "due")]


async def test_an_overpayment_keeps_what_the_order_needed_and_owes_the_rest(rig: Rig) -> None:
    buyer, order_id = await an_order(rig)
    view = await rig.service.request_payment(buyer, order_id, "btc")
    pay(rig, view, 8_000 + 1_234)
    mine(rig)
    await rig.step(2)
    order = await rig.shop.orders.get(buyer, order_id)
    assert order.status is OrderStatus.FULFILLED and order.overpaid_units == 1_234
    assert await refunds(rig, order_id) == [(1_234, "BTC", "overpaid", "due")]


# --- 2. changing method after a partial payment ---------------------------------------------------------


async def test_a_new_method_asks_only_for_the_rest_and_a_late_top_up_of_the_old_one_is_refund_due(rig: Rig) -> None:
    buyer, order_id = await an_order(rig)
    first = await rig.service.request_payment(buyer, order_id, "btc")
    pay(rig, first, 4_000)              # half of ¥1,200
    mine(rig)
    await rig.step()
    assert await status(rig, order_id) is OrderStatus.AWAITING_PAYMENT
    assert await received_units(rig, order_id) == 600
    assert (await rig.shop.orders.outstanding(buyer, order_id)).minor == 600

    second = await rig.service.request_payment(buyer, order_id, "usdt")
    assert second.request.due_minor == 600
    assert 4_000_001 <= second.request.amount_units <= 4_000_999      # 4 USDT (¥600) plus its offset
    pay(rig, second, second.request.amount_units)
    mine(rig, 2)
    await rig.step()
    assert await status(rig, order_id) is OrderStatus.FULFILLED
    assert await refunds(rig, order_id) == []

    pay(rig, first, 4_000, index=1)     # the buyer also completes the first QR: the order needs none of it
    mine(rig)
    await rig.step(2)
    assert await refunds(rig, order_id) == [(4_000, "BTC", "overpaid", "due")]


async def test_completing_the_old_request_instead_of_the_new_one_pays_the_order(rig: Rig) -> None:
    buyer, order_id = await an_order(rig)
    first = await rig.service.request_payment(buyer, order_id, "btc")
    pay(rig, first, 3_000)
    mine(rig)
    await rig.step()
    await rig.service.request_payment(buyer, order_id, "usdt")     # then pays the rest on the old QR after all
    pay(rig, first, 5_000, index=1)
    mine(rig)
    await rig.step()
    assert await status(rig, order_id) is OrderStatus.FULFILLED
    assert await refunds(rig, order_id) == []


# --- 3. an underpayment after expiry --------------------------------------------------------------------


async def test_an_underpayment_after_expiry_is_refund_due_and_reaches_the_staff(rig: Rig) -> None:
    buyer, order_id = await an_order(rig)
    view = await rig.service.request_payment(buyer, order_id, "btc")
    rig.clock.advance(minutes=31)
    await rig.shop.payments.expire_due()
    pay(rig, view, 5_000)
    mine(rig)
    await rig.step(2)
    assert await status(rig, order_id) is OrderStatus.EXPIRED
    assert await refunds(rig, order_id) == [(5_000, "BTC", "expired", "due")]
    assert [t for t, _ in await messages(rig, order_id, "sellers")].count("payment.refund_due") == 1
    buyer_news = [p for t, p in await messages(rig, order_id, "customer") if t == "payment.refund_due"]
    assert [p["amount"] for p in buyer_news] == ["0.00005 BTC"]


async def test_a_partial_payment_completed_inside_the_late_window_is_a_late_payment(rig: Rig) -> None:
    buyer, order_id = await an_order(rig)
    view = await rig.service.request_payment(buyer, order_id, "btc")
    pay(rig, view, 5_000)
    mine(rig)
    await rig.step()
    rig.clock.advance(minutes=31)
    await rig.shop.payments.expire_due()
    await rig.step()
    assert await refunds(rig, order_id) == [(5_000, "BTC", "expired", "due")]   # the staff hear of it at once
    pay(rig, view, 3_000, index=1)      # … and the buyer completes it inside the late window
    mine(rig)
    await rig.step()
    assert await status(rig, order_id) is OrderStatus.PAID_LATE
    assert await refunds(rig, order_id) == [(5_000, "BTC", "expired", "void")]   # counted toward the order


async def test_a_payment_after_the_late_window_is_refund_due(rig: Rig) -> None:
    buyer, order_id = await an_order(rig)
    view = await rig.service.request_payment(buyer, order_id, "btc")
    rig.clock.advance(minutes=31)
    await rig.shop.payments.expire_due()
    await rig.step()
    rig.clock.advance(hours=25)         # the late window has passed: the shop keeps nothing it did not sell
    pay(rig, view, 8_000)
    mine(rig)
    await rig.step(2)
    assert await status(rig, order_id) is OrderStatus.EXPIRED
    assert await refunds(rig, order_id) == [(8_000, "BTC", "too_late", "due")]


async def test_money_for_a_cancelled_order_is_refund_due(rig: Rig) -> None:
    buyer, order_id = await an_order(rig)
    view = await rig.service.request_payment(buyer, order_id, "btc")
    await rig.shop.orders.cancel(buyer, order_id)
    pay(rig, view, 8_000)
    mine(rig)
    await rig.step(2)
    assert await status(rig, order_id) is OrderStatus.CANCELLED
    assert await refunds(rig, order_id) == [(8_000, "BTC", "closed_order", "due")]


# --- 4. no flip-flop while a payment is pending ---------------------------------------------------------


async def test_status_holds_while_the_rest_is_unconfirmed_and_the_order_does_not_expire(rig: Rig) -> None:
    buyer, order_id = await an_order(rig)
    first = await rig.service.request_payment(buyer, order_id, "btc")
    pay(rig, first, 4_000)
    mine(rig)
    await rig.step()
    second = await rig.service.request_payment(buyer, order_id, "usdt")
    pay(rig, second, second.request.amount_units)     # in the mempool: seen, not yet confirmed
    for _ in range(4):
        await rig.step()
        assert await status(rig, order_id) is OrderStatus.CONFIRMING
    rig.clock.advance(minutes=31)
    assert await rig.shop.payments.expire_due() == []
    await rig.step()
    assert await status(rig, order_id) is OrderStatus.CONFIRMING
    mine(rig, 2)
    await rig.step()
    assert await status(rig, order_id) is OrderStatus.FULFILLED
    told = [t for t, _ in await messages(rig, order_id, "customer")]
    assert told.count("order.payment_seen") == 1 and "order.payment_vanished" not in told
    assert told.count("order.underpaid") == 1
