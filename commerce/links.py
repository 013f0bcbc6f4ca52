"""One customer across chat apps (`/link`): a one-time code joins a Telegram and a Discord identity.

One app asks for a code (`issue`), the other app types it (`redeem`); either direction works. The two
customers become one in a single unit of work: the older one survives and takes over everything the other
owned — identities, cart (quantities summed, within the cart's limits), orders, saved addresses, reviews,
support tickets, roles and two-factor (never from both sides), broadcasts, pending notifications, coupons
(rewards, uses, the codes staff created) — then the absorbed customer row is deleted. Opt-ins are OR-ed; the
survivor's locale wins, else the absorbed one's. A reward one of them earned for inviting the other is
withdrawn (`commerce.referrals.after_link`): nobody earns from themselves.

Every column that references `customer.id` is named in `CUSTOMER_COLUMNS`; a test fails when a table adds
one that isn't. Message refs and conversation state need nothing: they belong to orders and chats.

Codes are 8 characters from an alphabet without look-alikes, valid `CODE_TTL`, stored as SHA-256 only,
one live code per customer. `MAX_FAILURES` wrong codes within `FAILURE_WINDOW` lock redeeming for `LOCKOUT`.
Callers that cache customers per platform user learn of a merge from the returned `LinkResult` (and
listeners registered with `on_linked`, called after the commit).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from commerce.cart import MAX_LINES, MAX_QUANTITY
from commerce.customers import CustomerDTO, _to_dto, live_customer
from commerce.errors import CommerceError, CustomerErased, NotFound
from commerce.events import Clock, actor_of, record, system_clock
from commerce.referrals import after_link as referrals_after_link
from commerce.storage.db import Database, UnitOfWork
from commerce.storage.tables import (
    Address,
    Broadcast,
    BroadcastRecipient,
    CartLine,
    Coupon,
    CouponUse,
    Customer,
    Identity,
    LinkCode,
    Order,
    OutboxMessage,
    Product,
    Review,
    Seller,
    SupportMessage,
    SupportTicket,
    TwoFactorSecret,
)

logger = logging.getLogger(__name__)

CODE_ALPHABET: Final = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud or typed from a phone
CODE_LENGTH: Final = 8
CODE_TTL: Final = timedelta(minutes=10)
MAX_FAILURES: Final = 5
FAILURE_WINDOW: Final = timedelta(minutes=10)
LOCKOUT: Final = timedelta(minutes=15)
MAX_INPUT: Final = 64

# Columns moved to the survivor with a plain UPDATE.
MOVED: Final = (
    Identity.customer_id, Address.customer_id, Seller.granted_by, Product.seller_id, Order.customer_id,
    Review.customer_id, SupportTicket.customer_id, SupportMessage.author_id, OutboxMessage.customer_id,
    Broadcast.author_id, Coupon.owner_id, Coupon.created_by, CouponUse.customer_id,
)
# Moved too, but at most one of the two customers may have a row (a role, a two-factor secret).
SOLE: Final = {"roles": Seller.customer_id, "two_factor": TwoFactorSecret.customer_id}
# Merged by their own step below.
MERGED_BY_STEP: Final = (CartLine.customer_id, BroadcastRecipient.customer_id, LinkCode.customer_id)


def _name(column: Any) -> tuple[str, str]:
    return column.table.name, column.name


CUSTOMER_COLUMNS: Final = frozenset(_name(c) for c in (*MOVED, *SOLE.values(), *MERGED_BY_STEP))


class LinkInvalid(CommerceError):
    """No such code (`reason="unknown"`, with `attempts_left`), not a code at all (`"format"`), or used (`"used"`)."""

    code = "link.invalid"


class LinkExpired(CommerceError):
    """The code is older than `minutes` minutes: ask for a fresh one."""

    code = "link.expired"


class LinkSelf(CommerceError):
    """The code belongs to this very customer (`reason="own"`), or it already linked them (`"linked"`)."""

    code = "link.self"


class LinkLocked(CommerceError):
    """Too many wrong codes: redeeming is refused for `minutes` more minutes."""

    code = "link.locked"


class LinkConflict(CommerceError):
    """Both customers have a seller role (`reason="roles"`) or both have two-factor (`"two_factor"`)."""

    code = "link.conflict"


@dataclass(frozen=True, slots=True)
class LinkCodeDTO:
    code: str
    expires_at: datetime
    minutes: int


@dataclass(frozen=True, slots=True)
class LinkResult:
    """The merged customer. `absorbed_id` no longer exists: drop anything cached under it."""

    customer: CustomerDTO
    survivor_id: int
    absorbed_id: int

    @property
    def identities(self) -> tuple[str, ...]:
        return self.customer.identities


LinkListener = Callable[[LinkResult], None]


def normalize_code(text: str) -> str:
    """What a person typed → the code: case, spaces and dashes don't matter. LinkInvalid("format") otherwise."""
    code = "".join(ch for ch in text[:MAX_INPUT] if ch not in " -\t\n").upper()
    if len(text) > MAX_INPUT or len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        raise LinkInvalid(reason="format")
    return code


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, -(-int((until - now).total_seconds()) // 60))


class LinkService:
    def __init__(self, db: Database, clock: Clock = system_clock) -> None:
        self._db = db
        self._clock = clock
        self._listeners: list[LinkListener] = []

    def on_linked(self, listener: LinkListener) -> None:
        """Call `listener` after every committed merge in this process (e.g. to drop a per-user cache)."""
        self._listeners.append(listener)

    async def issue(self, customer_id: int) -> LinkCodeDTO:
        """A fresh one-time code for this customer; any earlier code of theirs stops working."""
        now = self._clock()
        for _ in range(3):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            try:
                async with self._db.uow() as uow:
                    await live_customer(uow, customer_id)
                    row = await uow.session.get(LinkCode, customer_id, with_for_update=True)
                    if row is None:
                        row = LinkCode(customer_id=customer_id)
                        uow.session.add(row)
                    row.code_hash, row.expires_at, row.used_at = _digest(code), now + CODE_TTL, None
                    record(uow.session, actor=actor_of(customer_id), action="link.issue", entity="customer",
                           entity_id=customer_id, at=now)
                    await uow.commit()
                return LinkCodeDTO(code, now + CODE_TTL, int(CODE_TTL.total_seconds() // 60))
            except IntegrityError:
                continue  # the same code is live elsewhere (1 in 8·10¹¹), or a concurrent first issue: again
        raise RuntimeError("could not issue a link code")  # pragma: no cover

    async def redeem(self, customer_id: int, code: str) -> LinkResult:
        """Join the customer who issued `code` and this one; returns the survivor (the older of the two)."""
        digest = _digest(normalize_code(code))
        now = self._clock()
        refusal: CommerceError | None = None
        result: LinkResult | None = None
        async with self._db.uow() as uow:
            session = uow.session
            holder = (await session.execute(
                select(LinkCode.customer_id).where(LinkCode.code_hash == digest))).scalar_one_or_none()
            # Both customers locked in id order: two redeems touching the same people queue, never deadlock.
            customers = await self._lock(uow, {customer_id} | ({holder} if holder is not None else set()))
            redeemer = customers.get(customer_id)
            if redeemer is None:
                raise NotFound(entity="customer", id=customer_id)
            if redeemer.erased_at is not None:
                raise CustomerErased(id=customer_id)
            attempts = await self._attempts(uow, customer_id)
            if attempts.locked_until is not None and attempts.locked_until > now:
                raise LinkLocked(minutes=_minutes_left(attempts.locked_until, now))
            row = (await session.execute(
                select(LinkCode).where(LinkCode.code_hash == digest).with_for_update())).scalar_one_or_none()
            if row is None:
                refusal = self._fail(uow, attempts, now)
            elif row.customer_id == customer_id:
                raise LinkSelf(reason="linked" if row.used_at is not None else "own")
            elif row.used_at is not None:
                raise LinkInvalid(reason="used")
            elif row.expires_at is None or row.expires_at <= now:
                raise LinkExpired(minutes=int(CODE_TTL.total_seconds() // 60))
            else:
                if row.customer_id not in customers:  # a new code replaced the one read above
                    customers |= await self._lock(uow, {row.customer_id})
                issuer = customers[row.customer_id]
                if issuer.erased_at is not None:
                    raise LinkInvalid(reason="unknown", attempts_left=MAX_FAILURES)
                survivor, absorbed = sorted((issuer, redeemer), key=lambda c: (c.created_at, c.id))
                await self._merge(uow, survivor, absorbed)
                assert survivor.id is not None and absorbed.id is not None
                await referrals_after_link(uow, survivor.id, now)
                await self._mark_used(uow, survivor, absorbed, digest, row.expires_at, now)
                identities = list((await session.execute(select(Identity).where(
                    Identity.customer_id == survivor.id).order_by(Identity.id))).scalars())
                record(session, actor=actor_of(customer_id), action="customer.link", entity="customer",
                       entity_id=survivor.id, at=now, absorbed=absorbed.id, issuer=issuer.id,
                       identities=[f"{i.platform}:{i.external_id}" for i in identities])
                result = LinkResult(_to_dto(survivor, identities), survivor.id, absorbed.id)
            await uow.commit()
        if refusal is not None:
            raise refusal
        assert result is not None
        for listener in self._listeners:
            try:
                listener(result)
            except Exception:  # a cache's bug must not undo what the customer just did
                logger.exception("link listener failed")
        return result

    # ---- inside redeem's unit of work ----

    @staticmethod
    async def _lock(uow: UnitOfWork, ids: set[int]) -> dict[int, Customer]:
        rows = (await uow.session.execute(
            select(Customer).where(Customer.id.in_(sorted(ids))).order_by(Customer.id).with_for_update())).scalars()
        return {row.id: row for row in rows if row.id is not None}

    @staticmethod
    async def _attempts(uow: UnitOfWork, customer_id: int) -> LinkCode:
        """The redeemer's row (their wrong-code counter), created on their first attempt."""
        row = await uow.session.get(LinkCode, customer_id)
        if row is None:
            row = LinkCode(customer_id=customer_id)
            uow.session.add(row)
        return row

    @staticmethod
    def _fail(uow: UnitOfWork, attempts: LinkCode, now: datetime) -> CommerceError:
        """Count a wrong code; the error to raise once the count is committed."""
        if attempts.failures_since is None or now - attempts.failures_since > FAILURE_WINDOW:
            attempts.failures, attempts.failures_since = 0, now
        attempts.failures += 1
        if attempts.failures < MAX_FAILURES:
            return LinkInvalid(reason="unknown", attempts_left=MAX_FAILURES - attempts.failures)
        failures, attempts.failures, attempts.failures_since = attempts.failures, 0, None
        attempts.locked_until = now + LOCKOUT
        record(uow.session, actor=actor_of(attempts.customer_id), action="link.lockout", entity="customer",
               entity_id=attempts.customer_id, at=now, failures=failures, until=attempts.locked_until.isoformat())
        return LinkLocked(minutes=int(LOCKOUT.total_seconds() // 60))

    @staticmethod
    async def _merge(uow: UnitOfWork, survivor: Customer, absorbed: Customer) -> None:
        session = uow.session
        await session.flush()  # the redeemer's new counter row, before statements that bypass the ORM
        keep, gone = survivor.id, absorbed.id
        assert keep is not None and gone is not None
        for reason, column in SOLE.items():
            both = (await session.execute(select(func.count()).select_from(column.table)
                                          .where(column.in_([keep, gone])))).scalar_one()
            if both > 1:
                raise LinkConflict(reason=reason)
        for column in (*MOVED, *SOLE.values()):
            await session.execute(update(column.table).where(column == gone).values({column.name: keep}))
        await LinkService._merge_cart(uow, keep, gone)
        # A broadcast both received stays one delivery.
        already = select(BroadcastRecipient.broadcast_id).where(BroadcastRecipient.customer_id == keep)
        await session.execute(delete(BroadcastRecipient).where(
            BroadcastRecipient.customer_id == gone, BroadcastRecipient.broadcast_id.in_(already)))
        await session.execute(update(BroadcastRecipient).where(BroadcastRecipient.customer_id == gone)
                              .values(customer_id=keep))
        # Whoever was referred by either code now counts for the survivor's.
        await session.execute(update(Customer).where(Customer.referred_by == absorbed.referral_code,
                                                     Customer.id != keep, Customer.id != gone)
                              .values(referred_by=survivor.referral_code))
        await session.execute(update(Order).where(Order.referral_code == absorbed.referral_code)
                              .values(referral_code=survivor.referral_code))
        own_codes = {survivor.referral_code, absorbed.referral_code}
        survivor.referred_by = next((code for code in (survivor.referred_by, absorbed.referred_by)
                                     if code and code not in own_codes), None)
        survivor.marketing_opt_in = survivor.marketing_opt_in or absorbed.marketing_opt_in
        survivor.locale = survivor.locale or absorbed.locale

    @staticmethod
    async def _merge_cart(uow: UnitOfWork, keep: int, gone: int) -> None:
        """Same product in both carts: one line, quantities summed up to the cart's maximum."""
        session = uow.session
        kept = {line.variant_id: line for line in (await session.execute(
            select(CartLine).where(CartLine.customer_id == keep))).scalars()}
        moving = list((await session.execute(
            select(CartLine).where(CartLine.customer_id == gone).order_by(CartLine.id))).scalars())
        for line in moving:
            same = kept.get(line.variant_id)
            if same is not None:
                same.quantity = min(same.quantity + line.quantity, MAX_QUANTITY)
                await session.delete(line)
            elif len(kept) < MAX_LINES:
                line.customer_id = keep
                kept[line.variant_id] = line
            else:
                await session.delete(line)  # a full cart can't take more lines; the rest is dropped
        await session.flush()

    @staticmethod
    async def _mark_used(uow: UnitOfWork, survivor: Customer, absorbed: Customer, digest: str,
                         expires_at: datetime | None, now: datetime) -> None:
        """The absorbed customer's row goes; the survivor keeps the used code, so a retry reads "already linked"."""
        session = uow.session
        gone = await session.get(LinkCode, absorbed.id)
        if gone is not None:
            await session.delete(gone)
            await session.flush()  # frees the code's UNIQUE hash before the survivor takes it
        row = await session.get(LinkCode, survivor.id)
        if row is None:
            row = LinkCode(customer_id=survivor.id)
            session.add(row)
        row.code_hash, row.expires_at, row.used_at = digest, expires_at, now
        row.failures, row.failures_since, row.locked_until = 0, None, None
        await session.delete(absorbed)
        await session.flush()
