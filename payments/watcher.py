"""The payment watcher: one loop per chain backend, cost per block rather than per order.

Each step: read the tip; if it moved, walk forward block by block from the stored cursor, checking
each block's parent against the stored hash (a mismatch is a reorg: rewind to the fork point and
un-confirm the orphaned payments); match every transfer against the in-memory index; store payments
under their UNIQUE (chain, txid, output) key; then settle the affected orders. The cursor lives in
the database and is advanced only after a block's payments are stored, so a crash at any point
re-reads at most one block and counts nothing twice. A lease row keeps it to one watcher per chain.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

from commerce.events import Clock, system_clock
from commerce.payment_events import PaymentEvents
from commerce.payment_records import PaymentRecords
from commerce.settlement import Decision, Settlement
from commerce.status import OrderStatus
from payments.backends.base import BackendError, Block, ChainBackend, Tip, Transfer
from payments.backends.identity import ChainMismatch
from payments.matching import TargetIndex

log = logging.getLogger(__name__)

MIN_LEASE: Final = timedelta(seconds=5)
ORPHAN_GRACE: Final = 6  # blocks an orphaned payment may take to be mined again where there is no mempool
MAX_BACKOFF: Final = timedelta(seconds=60)
MIN_BACKOFF: Final = timedelta(seconds=1)


@dataclass(slots=True)
class StepReport:
    blocks: int = 0
    payments: int = 0
    reorg_depth: int = 0
    decisions: list[tuple[int, Decision]] = field(default_factory=list)


class ChainWatcher:
    def __init__(self, backend: ChainBackend, records: PaymentRecords, events: PaymentEvents, *,
                 clock: Clock = system_clock, poll: timedelta = timedelta(seconds=5), start_behind: int = 6,
                 holder: str | None = None) -> None:
        self.backend = backend
        self.chain = backend.key
        self._records = records
        self._events = events
        self._clock = clock
        self._poll = poll
        # Renewed every poll; a crashed holder's lease lapses after a few missed polls.
        self._lease_ttl = max(MIN_LEASE, poll * 6)
        self._start_behind = start_behind
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.index = TargetIndex()
        self._pending: set[int] = set()       # requests whose orders may still move
        self._progress: dict[int, int] = {}   # order → confirmations last announced
        self._orphaned: dict[int, int] = {}   # payment → tip height when first seen unconfirmed (no mempool)

    async def refresh_index(self) -> None:
        """Add requests issued since the last look; forget those past their late window."""
        starting = self.index.last_id == 0
        for request in await self._records.watched_requests(self.chain, after_id=self.index.last_id):
            self.index.add(request)
        self.index.drop_expired(self._clock())
        if starting and self.index.requests:
            # After a restart, settle again whatever already has payments: a crash may have come between
            # storing a payment and moving its order.
            paid = await self._records.payments_for(sorted(self.index.requests))
            self._pending |= {p.request_id for p in paid}

    async def step(self) -> StepReport:
        """One pass: new blocks, mempool, settlement. Raises BackendError on chain trouble (caller retries)."""
        report = StepReport()
        await self.refresh_index()
        tip = await self.backend.tip()
        cursor = await self._records.cursor(self.chain)
        if cursor is None:
            cursor = (max(-1, tip.height - self._start_behind - 1), "")
        height, known_hash = cursor
        touched: set[int] = set()
        if tip.height < height or (tip.height == height and tip.hash != known_hash and known_hash):
            touched |= await self._rewind(report, tip.height)
            height, known_hash = await self._records.cursor(self.chain) or (tip.height - 1, "")
        while height < tip.height:
            block = await self._block(height + 1, tip)
            if known_hash and block.parent_hash != known_hash:
                touched |= await self._rewind(report, tip.height)
                height, known_hash = await self._records.cursor(self.chain) or (block.height - 1, "")
                continue
            touched |= await self._store(block.transfers, block.height, block.hash, report)
            await self._records.advance(self.chain, block.height, block.hash)
            height, known_hash = block.height, block.hash
            report.blocks += 1
        touched |= await self._scan_mempool(report, tip.height)
        self._pending |= touched
        await self._settle(tip.height, report)
        return report

    async def _block(self, height: int, tip: Tip) -> Block:
        # The tip's own block can be fetched by hash in one call where the backend offers it.
        by_hash = getattr(self.backend, "block_by_hash", None)
        if by_hash is not None and tip.height == height:
            block: Block = await by_hash(tip.hash, self.index.watch())
            return block
        return await self.backend.block(height, self.index.watch())

    async def _store(self, transfers: tuple[Transfer, ...] | list[Transfer], height: int | None,
                     block_hash: str | None, report: StepReport) -> set[int]:
        touched = set()
        for transfer in transfers:
            request_id = self.index.match(transfer)
            if request_id is None:
                if height is not None and self.index.watches(transfer):
                    await self._events.unmatched_payment(chain=self.chain, txid=transfer.txid,
                                                         address=transfer.address, amount_units=transfer.amount,
                                                         token=transfer.token)
                continue
            if await self._records.record_payment(self.chain, request_id, transfer.txid, transfer.index,
                                                  transfer.amount, height, block_hash):
                report.payments += 1
                touched.add(request_id)
        return touched

    async def _rewind(self, report: StepReport, tip_height: int) -> set[int]:
        """Walk back until our stored hash matches the chain's, then forget everything above it.

        Heights above the tip no longer exist (a reorg to a shorter chain): they are orphaned outright.
        """
        cursor = await self._records.cursor(self.chain)
        if cursor is None:
            return set()
        height = min(cursor[0], tip_height)
        while height >= 0:
            stored = await self._records.block_hash(self.chain, height)
            if stored is None or stored == await self.backend.block_hash(height):
                break
            height -= 1
        report.reorg_depth = cursor[0] - height
        log.warning("%s: reorg of %d block(s) above height %d", self.chain, report.reorg_depth, height)
        return set(await self._records.rewind(self.chain, height))

    async def _scan_mempool(self, report: StepReport, tip_height: int) -> set[int]:
        """Record 0-conf sightings, and find unconfirmed payments that will never be mined.

        With a mempool, an unconfirmed payment that is neither in it nor mined was replaced or double-spent.
        Without one (EVM), a payment orphaned by a reorg usually comes back in a later block, so it stays
        counted for ORPHAN_GRACE blocks before it is given up.
        """
        touched: set[int] = set()
        unconfirmed = await self._records.unconfirmed(self.chain)
        if self._mempool_supported():
            seen = await self.backend.mempool(self.index.watch())
            touched |= await self._store(seen, None, None, report)
            in_pool = {(t.txid, t.index) for t in seen}
            gone = [p for p in unconfirmed if (p.txid, p.output_index) not in in_pool]
        else:
            live = {p.id for p in unconfirmed}
            self._orphaned = {pid: h for pid, h in self._orphaned.items() if pid in live}
            gone = [p for p in unconfirmed if tip_height - self._orphaned.setdefault(p.id, tip_height) >= ORPHAN_GRACE]
        if gone:
            await self._records.mark_gone([p.id for p in gone])
            touched |= {p.request_id for p in gone}
        return touched

    def _mempool_supported(self) -> bool:
        return getattr(self.backend, "has_mempool", True)

    async def _settle(self, tip_height: int, report: StepReport) -> None:
        """Settle every order with a pending request: one decision and one transaction per order."""
        if not self._pending:
            return
        order_of = {}
        for request_id in self._pending:
            request = self.index.requests.get(request_id) or await self._records.request(request_id)
            order_of[request_id] = request.order_id
        settled = await self._events.settle(sorted(set(order_of.values())), {self.chain: tip_height})
        for order_id, settlement in settled.items():
            if settlement.decision is not Decision.NOTHING:
                report.decisions.append((order_id, settlement.decision))
            await self._announce_progress(order_id, settlement)
            if not settlement.waiting:
                self._pending -= {rid for rid, oid in order_of.items() if oid == order_id}

    async def _announce_progress(self, order_id: int, settlement: Settlement) -> None:
        """"Seen, 1/2 confirmations": once per change, while the order is confirming."""
        if settlement.progress is None or settlement.status is not OrderStatus.CONFIRMING:
            return
        confirmations, required = settlement.progress
        if 0 < confirmations < required and self._progress.get(order_id) != confirmations:
            self._progress[order_id] = confirmations
            await self._events.confirmation_progress(order_id, confirmations=confirmations, required=required)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set: lease first, then steps, with backoff on backend trouble."""
        backoff = timedelta(0)
        failing: type[Exception] | None = None   # the kind of trouble last logged: logged again only when it changes
        while not stop.is_set():
            if not await self._records.acquire_lease(self.chain, self.holder, self._lease_ttl):
                await _sleep(stop, self._poll)
                continue
            try:
                await self.step()
                await self._events.expire_due()
                await self._records.free_slots()
                if failing:
                    log.info("%s: backend answering again", self.chain)
                failing, backoff = None, timedelta(0)
                await _sleep(stop, self._poll)
            except Exception as exc:  # noqa: BLE001 — a watcher must outlive any one bad moment
                trouble = _kind_of_trouble(exc)
                if trouble is not failing:
                    if trouble is ChainMismatch:
                        log.error("%s: refusing to watch: %s", self.chain, exc)
                    elif trouble is BackendError:
                        log.warning("%s: chain backend trouble, retrying with backoff: %s", self.chain, exc)
                    else:
                        log.exception("%s: unexpected error in the watcher, retrying with backoff", self.chain)
                failing = trouble
                backoff = min(MAX_BACKOFF, max(MIN_BACKOFF, backoff * 2))
                await _sleep(stop, backoff)
        await self._records.release_lease(self.chain, self.holder)


def _kind_of_trouble(exc: Exception) -> type[Exception]:
    """A node on the wrong chain, a node that can't be reached, or a surprise: each is logged once per incident."""
    for kind in (ChainMismatch, BackendError):
        if isinstance(exc, kind):
            return kind
    return Exception


async def _sleep(stop: asyncio.Event, delay: timedelta) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=delay.total_seconds())
