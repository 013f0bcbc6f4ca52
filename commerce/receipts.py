"""What a receipt needs beyond the order's detail: the transfers that paid for it (docs/receipts.md).

A transfer counts on the receipt for the part of it the order counted, by the same rule settlement applies
(`commerce/settlement.py`, `cover`): transfers in the order they were seen, until the total is covered; what a
transfer carried beyond that, and a transfer that was orphaned or double-spent, is not the buyer's payment for
this order (it is refund due, or nothing) and is left off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from commerce.order_money import load_order_money
from commerce.settlement import cover
from commerce.storage.db import UnitOfWork
from commerce.storage.tables import Order, Payment

if TYPE_CHECKING:  # orders.py reads receipts through here
    from commerce.orders import OrderDetailDTO


@dataclass(frozen=True, slots=True)
class PaidTransfer:
    """One on-chain transfer counted toward the order."""

    method_id: str
    asset: str
    decimals: int
    txid: str
    amount_units: int  # the part of the transfer the order counted, in base units of `asset`


@dataclass(frozen=True, slots=True)
class ReceiptDTO:
    """A paid order as its receipt shows it. `transfers` is empty for an order with nothing to pay."""

    detail: OrderDetailDTO
    transfers: tuple[PaidTransfer, ...]


async def paid_transfers(uow: UnitOfWork, order: Order) -> tuple[PaidTransfer, ...]:
    money = await load_order_money(uow, order, {})
    live = [flow for flow in money.inflows if flow.live]
    surplus = cover(money.total_minor, money.requests, live).surplus
    counted = [(flow, flow.units - surplus.get(flow.payment_id, 0)) for flow in live]
    counted = [(flow, units) for flow, units in counted if units > 0]
    if not counted:
        return ()
    rows = await uow.session.execute(select(Payment.id, Payment.txid).where(
        Payment.id.in_([flow.payment_id for flow, _ in counted])))
    txids: dict[int, str] = {payment_id: txid for payment_id, txid in rows}
    transfers = []
    for flow, units in counted:
        request = money.requests[flow.request_id]
        transfers.append(PaidTransfer(request.method_id, request.asset, request.decimals, txids[flow.payment_id],
                                      units))
    return tuple(transfers)
