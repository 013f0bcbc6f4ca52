"""`OrderService.receipt`: a paid order's detail with the on-chain transfers that paid for it — only the part of
each transfer the order counted — and a polite refusal for an order that isn't paid (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from commerce.errors import NotFound, ReceiptUnavailable
from commerce.receipts import PaidTransfer
from commerce.status import OrderStatus
from tests.integration.test_money_accounting import Rig, an_order, mine
from tests.integration.test_money_accounting import rig as rig  # noqa: F401 — the fixture, shared
from tests.support.factories import make_buyer


async def test_the_receipt_names_the_transfer_that_paid(rig: Rig) -> None:
    buyer, order_id = await an_order(rig)
    view = await rig.service.request_payment(buyer, order_id, "btc")
    transfer = rig.btc.pay(view.request.address, 8_000)
    mine(rig)
    await rig.step()

    receipt = await rig.shop.orders.receipt(buyer, order_id)
    assert receipt.detail.order.status is OrderStatus.FULFILLED and receipt.detail.order.id == order_id
    assert receipt.detail.delivered == ()  # a receipt is not where keys are shown again
    assert receipt.transfers == (PaidTransfer("btc", "BTC", 8, transfer.txid, 8_000),)


async def test_an_overpayment_and_a_second_payment_are_not_on_the_receipt(rig: Rig) -> None:
    buyer, order_id = await an_order(rig)
    view = await rig.service.request_payment(buyer, order_id, "btc")
    first = rig.btc.pay(view.request.address, 8_000 + 1_234)
    mine(rig)
    await rig.step()
    rig.btc.pay(view.request.address, 8_000, index=1)  # the old QR scanned again: refund due, not a payment
    mine(rig)
    await rig.step(2)

    receipt = await rig.shop.orders.receipt(buyer, order_id)
    assert receipt.transfers == (PaidTransfer("btc", "BTC", 8, first.txid, 8_000),)


async def test_a_part_paid_in_each_of_two_methods_lists_both(rig: Rig) -> None:
    buyer, order_id = await an_order(rig)
    first = await rig.service.request_payment(buyer, order_id, "btc")
    half = rig.btc.pay(first.request.address, 4_000)
    mine(rig)
    await rig.step()
    second = await rig.service.request_payment(buyer, order_id, "usdt")
    rest = rig.evm.pay(second.request.address, second.request.amount_units, token=second.request.token)
    mine(rig, 2)
    await rig.step()

    receipt = await rig.shop.orders.receipt(buyer, order_id)
    assert [(t.method_id, t.txid, t.amount_units) for t in receipt.transfers] == [
        ("btc", half.txid, 4_000), ("usdt", rest.txid, second.request.amount_units)]


async def test_an_unpaid_order_has_no_receipt_and_someone_elses_is_not_found(rig: Rig) -> None:
    buyer, order_id = await an_order(rig)
    with pytest.raises(ReceiptUnavailable) as refused:
        await rig.shop.orders.receipt(buyer, order_id)
    assert refused.value.fields == {"order_id": order_id, "status": OrderStatus.AWAITING_PAYMENT}
    await rig.shop.orders.cancel(buyer, order_id)
    with pytest.raises(ReceiptUnavailable):
        await rig.shop.orders.receipt(buyer, order_id)
    with pytest.raises(NotFound):
        await rig.shop.orders.receipt(await make_buyer(rig.shop), order_id)
