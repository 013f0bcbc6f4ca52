"""Storage for the payment side: requests, observed payments, address counters, block cursors, leases.

The payments package decides *what* to ask for and *what* a chain shows; this module keeps it, with
the guarantees that make the watcher safe to crash: a transfer is stored once (UNIQUE chain, txid,
output), addresses are never reused (a counter row), and amounts on a shared address never collide
(UNIQUE amount slots).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from commerce.errors import CommerceError, IllegalTransition, NotFound
from commerce.events import Clock, system_clock
from commerce.status import OrderStatus
from commerce.storage.db import Database
from commerce.storage.tables import (
    AmountSlot,
    ChainBlock,
    DerivationCounter,
    Order,
    Payment,
    PaymentRequest,
    WatcherLease,
)

NATIVE = "native"
KEEP_BLOCKS = 200  # how far back the watcher can follow a reorg
# A derived address belongs to one order for ever: money sent to it after the late window is still seen (and owed
# back) for this long. A shared address's amount slot is reused after the late window, so it is watched no longer.
AFTERCARE: Final = timedelta(days=30)


def watched_until(request: RequestDTO) -> datetime:
    """Until when the watcher matches transfers to this request."""
    return request.late_until + AFTERCARE if request.address_is_unique else request.late_until


class AmountTaken(CommerceError):
    """That exact amount is already expected by another open request on this address."""

    code = "amount_taken"


@dataclass(frozen=True, slots=True)
class RequestDraft:
    method_id: str
    chain: str
    asset: str
    token: str | None
    decimals: int
    address: str
    amount_units: int
    price: Decimal
    uri: str
    confirmations: int
    expires_at: datetime
    late_until: datetime
    due_minor: int                # the part of the order total (fiat minor units) this request asks for
    tolerance_units: int = 0
    derivation_index: int | None = None
    uses_amount_slot: bool = False


@dataclass(frozen=True, slots=True)
class RequestDTO:
    id: int
    order_id: int
    method_id: str
    chain: str
    asset: str
    token: str | None
    decimals: int
    address: str
    amount_units: int
    price: Decimal
    uri: str
    status: str
    confirmations: int
    tolerance_units: int
    due_minor: int
    created_at: datetime
    expires_at: datetime
    late_until: datetime
    address_is_unique: bool   # a derived address used by this request alone (else: matched by exact amount)


@dataclass(frozen=True, slots=True)
class PaymentDTO:
    id: int
    request_id: int
    txid: str
    output_index: int
    amount_units: int
    block_height: int | None
    gone: bool


def request_dto(row: PaymentRequest) -> RequestDTO:
    assert row.id is not None
    return RequestDTO(row.id, row.order_id, row.method_id, row.chain, row.asset, row.token, row.decimals, row.address,
                      row.amount_units, Decimal(row.price), row.uri, row.status, row.confirmations,
                      row.tolerance_units, row.due_minor, row.created_at, row.expires_at, row.late_until,
                      row.derivation_index is not None)


def _payment(row: Payment) -> PaymentDTO:
    assert row.id is not None
    return PaymentDTO(row.id, row.request_id, row.txid, row.output_index, row.amount_units, row.block_height,
                      row.gone_at is not None)


class PaymentRecords:
    def __init__(self, db: Database, clock: Clock = system_clock) -> None:
        self._db = db
        self._clock = clock

    # ---- requests ----

    async def next_index(self, method_id: str) -> int:
        """A fresh derivation index for `method_id`; never the same twice, even across processes.

        The first use of a counter inserts its row; when two processes insert it at once, the loser's insert
        fails on the primary key and it takes the next index from the row the winner made.
        """
        for _ in range(3):
            async with self._db.uow() as uow:
                session = uow.session
                result = await session.execute(
                    update(DerivationCounter).where(DerivationCounter.method_id == method_id)
                    .values(next_index=DerivationCounter.next_index + 1).returning(DerivationCounter.next_index))
                value = result.scalar_one_or_none()
                if value is None:
                    try:
                        async with session.begin_nested():
                            session.add(DerivationCounter(method_id=method_id, next_index=1))
                            await uow.flush()
                    except IntegrityError:
                        continue  # another process made the row a moment ago: count on it
                    value = 1
                await uow.commit()
                return value - 1
        raise RuntimeError(f"could not take an address index for {method_id}")

    async def open_request(self, customer_id: int, order_id: int, draft: RequestDraft) -> RequestDTO:
        """Store the request for an order awaiting payment, replacing the order's previous one.

        A replaced request stays watched until its late window ends: a buyer who pays the old QR
        is still credited.
        """
        async with self._db.uow() as uow:
            order = await uow.session.get(Order, order_id)
            if order is None or order.customer_id != customer_id:
                raise NotFound(entity="order", id=order_id)
            if order.status != OrderStatus.AWAITING_PAYMENT:
                raise IllegalTransition(order_id=order_id, status=order.status, action="request_payment")
            await uow.session.execute(update(PaymentRequest).where(PaymentRequest.order_id == order_id,
                                                                    PaymentRequest.status == "open")
                                      .values(status="replaced"))
            row = PaymentRequest(order_id=order_id, method_id=draft.method_id, chain=draft.chain, asset=draft.asset,
                                 token=draft.token, decimals=draft.decimals, address=draft.address,
                                 derivation_index=draft.derivation_index, amount_units=draft.amount_units,
                                 price=str(draft.price), uri=draft.uri, confirmations=draft.confirmations,
                                 tolerance_units=draft.tolerance_units, due_minor=draft.due_minor,
                                 created_at=self._clock(),
                                 expires_at=draft.expires_at, late_until=draft.late_until)
            uow.session.add(row)
            await uow.flush()
            if draft.uses_amount_slot:
                try:
                    async with uow.session.begin_nested():
                        uow.session.add(AmountSlot(request_id=row.id, chain=draft.chain, address=draft.address,
                                                   token_key=draft.token or NATIVE, amount_units=draft.amount_units,
                                                   free_after=draft.late_until))
                        await uow.flush()
                except IntegrityError:
                    raise AmountTaken(amount_units=draft.amount_units) from None
            await uow.commit()
            return request_dto(row)

    async def slots_in_use(self, chain: str, address: str, token: str | None, base_units: int,
                           width: int) -> set[int]:
        """Offsets (amount − base) already taken in [base, base + width) on this address and asset."""
        async with self._db.uow(write=False) as uow:
            rows = await uow.session.execute(select(AmountSlot.amount_units).where(
                AmountSlot.chain == chain, AmountSlot.address == address, AmountSlot.token_key == (token or NATIVE)))
            return {amount - base_units for amount in rows.scalars() if 0 <= amount - base_units < width}

    async def free_slots(self) -> int:
        """Return amounts to the pool once their request's late window has passed."""
        async with self._db.uow() as uow:
            result = await uow.session.execute(delete(AmountSlot).where(AmountSlot.free_after <= self._clock()))
            await uow.commit()
            assert isinstance(result, CursorResult)
            return result.rowcount

    async def open_request_for(self, order_id: int) -> RequestDTO | None:
        async with self._db.uow(write=False) as uow:
            row = (await uow.session.execute(select(PaymentRequest).where(
                PaymentRequest.order_id == order_id, PaymentRequest.status == "open"))).scalar_one_or_none()
            return request_dto(row) if row else None

    async def request(self, request_id: int) -> RequestDTO:
        async with self._db.uow(write=False) as uow:
            row = await uow.session.get(PaymentRequest, request_id)
            if row is None:
                raise NotFound(entity="payment_request", id=request_id)
            return request_dto(row)

    async def watched_requests(self, chain: str, *, after_id: int = 0) -> list[RequestDTO]:
        """Requests on `chain` still watched (replaced ones too; see `watched_until`): the watcher's index.

        `after_id` lets the watcher fetch only what was issued since its last look.
        """
        now = self._clock()
        async with self._db.uow(write=False) as uow:
            rows = await uow.session.execute(select(PaymentRequest).where(
                PaymentRequest.chain == chain, PaymentRequest.late_until > now - AFTERCARE,
                PaymentRequest.id > after_id).order_by(PaymentRequest.id))
            return [dto for dto in map(request_dto, rows.scalars()) if watched_until(dto) > now]

    # ---- payments ----

    async def record_payment(self, chain: str, request_id: int, txid: str, output_index: int, amount_units: int,
                             block_height: int | None, block_hash: str | None) -> bool:
        """Upsert one transfer. True when something changed (new, newly mined, moved by a reorg, reappeared)."""
        async with self._db.uow() as uow:
            row = (await uow.session.execute(select(Payment).where(
                Payment.chain == chain, Payment.txid == txid, Payment.output_index == output_index)))
            existing = row.scalar_one_or_none()
            if existing is None:
                uow.session.add(Payment(request_id=request_id, chain=chain, txid=txid, output_index=output_index,
                                        amount_units=amount_units, block_height=block_height, block_hash=block_hash,
                                        seen_at=self._clock()))
            elif block_height is None and existing.block_height is not None:
                return False  # a mempool sighting of a transfer we already saw mined tells us nothing new
            elif (existing.block_height, existing.block_hash, existing.gone_at) == (block_height, block_hash, None):
                return False
            else:
                existing.block_height, existing.block_hash, existing.gone_at = block_height, block_hash, None
            await uow.commit()
            return True

    async def payments_for(self, request_ids: list[int]) -> list[PaymentDTO]:
        async with self._db.uow(write=False) as uow:
            rows = await uow.session.execute(select(Payment).where(Payment.request_id.in_(request_ids))
                                             .order_by(Payment.id))
            return [_payment(row) for row in rows.scalars()]

    async def unconfirmed(self, chain: str) -> list[PaymentDTO]:
        async with self._db.uow(write=False) as uow:
            rows = await uow.session.execute(select(Payment).where(
                Payment.chain == chain, Payment.block_height.is_(None), Payment.gone_at.is_(None)))
            return [_payment(row) for row in rows.scalars()]

    async def mark_gone(self, payment_ids: list[int]) -> None:
        """Unconfirmed transfers that left the mempool without being mined (replaced or double-spent)."""
        if payment_ids:
            async with self._db.uow() as uow:
                await uow.session.execute(update(Payment).where(Payment.id.in_(payment_ids))
                                          .values(gone_at=self._clock()))
                await uow.commit()

    # ---- blocks, cursor and lease ----

    async def cursor(self, chain: str) -> tuple[int, str] | None:
        async with self._db.uow(write=False) as uow:
            row = (await uow.session.execute(select(ChainBlock).where(ChainBlock.chain == chain)
                                             .order_by(ChainBlock.height.desc()).limit(1))).scalar_one_or_none()
            return (row.height, row.hash) if row else None

    async def block_hash(self, chain: str, height: int) -> str | None:
        async with self._db.uow(write=False) as uow:
            row = await uow.session.get(ChainBlock, (chain, height))
            return row.hash if row else None

    async def advance(self, chain: str, height: int, block_hash: str) -> None:
        """Remember a processed block; the highest one is the cursor. Old ones are pruned."""
        async with self._db.uow() as uow:
            await uow.session.merge(ChainBlock(chain=chain, height=height, hash=block_hash))
            await uow.session.execute(delete(ChainBlock).where(ChainBlock.chain == chain,
                                                               ChainBlock.height < height - KEEP_BLOCKS))
            await uow.commit()

    async def rewind(self, chain: str, fork_height: int) -> list[int]:
        """A reorg: forget blocks above the fork and un-confirm their payments. Returns affected request ids."""
        async with self._db.uow() as uow:
            session = uow.session
            affected = list((await session.execute(select(Payment.request_id).where(
                Payment.chain == chain, Payment.block_height > fork_height))).scalars())
            await session.execute(update(Payment).where(Payment.chain == chain, Payment.block_height > fork_height)
                                  .values(block_height=None, block_hash=None))
            await session.execute(delete(ChainBlock).where(ChainBlock.chain == chain,
                                                           ChainBlock.height > fork_height))
            await uow.commit()
            return sorted(set(affected))

    async def acquire_lease(self, chain: str, holder: str, ttl: timedelta) -> bool:
        """Take or renew the chain's lease; False while another live holder has it."""
        now = self._clock()
        try:
            async with self._db.uow() as uow:
                row = await uow.session.get(WatcherLease, chain)
                if row is None:
                    uow.session.add(WatcherLease(chain=chain, holder=holder, expires_at=now + ttl))
                elif row.holder == holder or row.expires_at <= now:
                    result = await uow.session.execute(
                        update(WatcherLease).where(WatcherLease.chain == chain, WatcherLease.holder == row.holder,
                                                   WatcherLease.expires_at == row.expires_at)
                        .values(holder=holder, expires_at=now + ttl).execution_options(synchronize_session=False))
                    assert isinstance(result, CursorResult)
                    if result.rowcount != 1:
                        return False
                else:
                    return False
                await uow.commit()
                return True
        except IntegrityError:
            return False  # another process inserted the first lease at the same moment

    async def release_lease(self, chain: str, holder: str) -> None:
        async with self._db.uow() as uow:
            await uow.session.execute(delete(WatcherLease).where(WatcherLease.chain == chain,
                                                                 WatcherLease.holder == holder))
            await uow.commit()

    async def order_statuses(self, order_ids: list[int]) -> dict[int, OrderStatus]:
        async with self._db.uow(write=False) as uow:
            rows = await uow.session.execute(select(Order.id, Order.status).where(Order.id.in_(order_ids)))
            return {order_id: OrderStatus(status) for order_id, status in rows}

    async def count_payments(self, chain: str) -> int:
        async with self._db.uow(write=False) as uow:
            return (await uow.session.execute(select(func.count()).select_from(Payment)
                                              .where(Payment.chain == chain))).scalar_one()
