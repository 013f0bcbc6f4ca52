"""Coupons: codes the staff create, and the uses orders make of them (docs/bills.md#coupons).

A use is claimed in the checkout's transaction with one guarded UPDATE (`uses < max_uses`), so a code with N
uses discounts exactly N orders whatever the concurrency; an expired or cancelled order gives its use back.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from sqlalchemy import CursorResult, Row, bindparam, func, insert, select, update

from commerce.bill import CouponKind, Discount
from commerce.errors import CouponRejected, InvalidInput, NotFound
from commerce.events import Clock, actor_of, record, system_clock
from commerce.money import PRICE_MAX_MINOR, Money
from commerce.roles import Permission
from commerce.sellers import require_permission
from commerce.storage.db import Database, UnitOfWork
from commerce.storage.tables import Category, Coupon, CouponUse, Customer, Product

CODE: Final = re.compile(r"[A-Z0-9][A-Z0-9_-]{2,31}")
MAX_USES: Final = 1_000_000

# Checkout reads, claims and records a code on every order that has one, inside its write transaction: Core
# statements built once (the ORM's per-call statement building and flush cost more than the statements).
COUPONS: Final = Coupon.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes
COUPON_USES: Final = CouponUse.__table__  # type: ignore[attr-defined]
_BY_CODE: Final = select(COUPONS).where(COUPONS.c.code == bindparam("code"))
_USES_BY: Final = (select(func.count()).select_from(COUPON_USES)
                   .where(COUPON_USES.c.coupon_id == bindparam("coupon"),
                          COUPON_USES.c.customer_id == bindparam("buyer"), COUPON_USES.c.released_at.is_(None)))
_CLAIM: Final = (update(COUPONS)
                 .where(COUPONS.c.id == bindparam("coupon"),
                        COUPONS.c.max_uses.is_(None) | (COUPONS.c.uses < COUPONS.c.max_uses))
                 .values(uses=COUPONS.c.uses + 1))
_RECORD_USE: Final = insert(COUPON_USES)

CouponRow = Coupon | Row[Any]   # the ORM object, or the same columns read with Core (checkout)


def normalise_code(text: str) -> str:
    """What a person typed ("ｓｐｒｉｎｇ10 ") as a stored code ("SPRING10"); InvalidInput when it can't be one."""
    code = unicodedata.normalize("NFKC", text or "").strip().upper()
    if not CODE.fullmatch(code):
        raise InvalidInput(field="coupon_code", reason="format", limit=32)
    return code


@dataclass(frozen=True, slots=True)
class NewCoupon:
    code: str
    kind: CouponKind
    percent: Decimal = Decimal(0)
    amount: Money | None = None
    min_order: Money | None = None
    free_shipping: bool = False
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    max_uses: int | None = None
    per_customer: int | None = None
    product_ids: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CouponDTO:
    id: int
    code: str
    kind: CouponKind
    percent: Decimal
    amount: Money
    min_order: Money
    free_shipping: bool
    starts_at: datetime | None
    ends_at: datetime | None
    max_uses: int | None
    per_customer: int | None
    uses: int
    product_ids: tuple[int, ...]
    categories: tuple[str, ...]
    paused: bool
    source: str
    owner_id: int | None

    @property
    def uses_left(self) -> int | None:
        return None if self.max_uses is None else max(0, self.max_uses - self.uses)


def coupon_dto(row: CouponRow, currency: str) -> CouponDTO:
    assert row.id is not None
    return CouponDTO(row.id, row.code, CouponKind(row.kind), Decimal(row.percent),
                     Money.from_minor(row.amount_minor, currency), Money.from_minor(row.min_order_minor, currency),
                     row.free_shipping, row.starts_at, row.ends_at, row.max_uses, row.per_customer, row.uses,
                     tuple(row.product_ids), tuple(row.categories), row.paused, row.source, row.owner_id)


def discount_of(row: CouponRow) -> Discount:
    return Discount(row.code, CouponKind(row.kind), percent=Decimal(row.percent), amount_minor=row.amount_minor,
                    min_order_minor=row.min_order_minor, free_shipping=row.free_shipping,
                    product_ids=frozenset(row.product_ids), categories=frozenset(row.categories))


def _check_new(new: NewCoupon, currency: str) -> dict[str, object]:
    code = normalise_code(new.code)
    kind = CouponKind(new.kind)
    percent = Decimal(0)
    amount_minor = 0
    if kind is CouponKind.PERCENT:
        try:
            percent = Decimal(new.percent)
        except (InvalidOperation, TypeError, ValueError):
            raise InvalidInput(field="percent", reason="format") from None
        if not percent.is_finite() or not Decimal(0) < percent <= 100 or percent.as_tuple().exponent < -2:  # type: ignore[operator]
            raise InvalidInput(field="percent", reason="range", limit=100)
    elif kind is CouponKind.FIXED:
        if new.amount is None or new.amount.minor <= 0:
            raise InvalidInput(field="amount", reason="required")
        if new.amount.currency != currency:
            raise InvalidInput(field="amount", reason="currency")
        amount_minor = new.amount.minor
    min_order = new.min_order.minor if new.min_order is not None else 0
    if not 0 <= min_order <= PRICE_MAX_MINOR:
        raise InvalidInput(field="min_order", reason="range")
    if new.starts_at and new.ends_at and new.ends_at <= new.starts_at:
        raise InvalidInput(field="ends_at", reason="before_start")
    for name, value in (("max_uses", new.max_uses), ("per_customer", new.per_customer)):
        if value is not None and not 1 <= value <= MAX_USES:
            raise InvalidInput(field=name, reason="range", limit=MAX_USES)
    if len(new.product_ids) > 100 or len(new.categories) > 100:
        raise InvalidInput(field="scope", reason="too_long", limit=100)
    return {"code": code, "kind": kind.value, "percent": str(percent), "amount_minor": amount_minor,
            "min_order_minor": min_order, "free_shipping": new.free_shipping or kind is CouponKind.FREE_SHIPPING,
            "starts_at": new.starts_at, "ends_at": new.ends_at, "max_uses": new.max_uses,
            "per_customer": new.per_customer, "product_ids": sorted(set(new.product_ids)),
            "categories": sorted(set(new.categories))}


class CouponService:
    def __init__(self, db: Database, currency: str, clock: Clock = system_clock) -> None:
        self._db = db
        self._currency = currency
        self._clock = clock

    async def create(self, actor_id: int | None, new: NewCoupon) -> CouponDTO:
        """A new code (owner or staff). A code that exists, even deleted, is refused: old orders name it."""
        values = _check_new(new, self._currency)
        now = self._clock()
        async with self._db.uow() as uow:
            if actor_id is not None:
                await require_permission(uow, actor_id, Permission.MANAGE_COUPONS)
            if (await uow.session.execute(select(Coupon.id).where(Coupon.code == values["code"]))).first():
                raise InvalidInput(field="coupon_code", reason="taken")
            await _check_scope(uow, values["product_ids"], values["categories"])  # type: ignore[arg-type]
            row = Coupon(**values, created_by=actor_id, created_at=now)  # type: ignore[arg-type]
            uow.session.add(row)
            await uow.flush()
            record(uow.session, actor=actor_of(actor_id), action="coupon.create", entity="coupon", entity_id=row.id,
                   at=now, code=row.code)
            dto = coupon_dto(row, self._currency)
            await uow.commit()
            return dto

    async def list(self, actor_id: int | None, *, limit: int = 50, offset: int = 0) -> list[CouponDTO]:
        """The shop's codes, newest first (rewards earned by invitations are the inviters', not listed)."""
        async with self._db.uow(write=False) as uow:
            if actor_id is not None:
                await require_permission(uow, actor_id, Permission.MANAGE_COUPONS)
            rows = (await uow.session.execute(
                select(Coupon).where(Coupon.deleted.is_(False), Coupon.source == "seller")
                .order_by(Coupon.id.desc()).offset(offset).limit(min(limit, 100)))).scalars()
            return [coupon_dto(row, self._currency) for row in rows]

    async def get(self, actor_id: int | None, code: str) -> CouponDTO:
        async with self._db.uow(write=False) as uow:
            if actor_id is not None:
                await require_permission(uow, actor_id, Permission.MANAGE_COUPONS)
            return coupon_dto(await _by_code(uow, code), self._currency)

    async def set_paused(self, actor_id: int | None, code: str, paused: bool) -> CouponDTO:
        return await self._change(actor_id, code, "coupon.pause" if paused else "coupon.resume", paused=paused)

    async def delete(self, actor_id: int | None, code: str) -> CouponDTO:
        """Gone from the list and no longer accepted; orders that used it keep their discount."""
        return await self._change(actor_id, code, "coupon.delete", deleted=True)

    async def _change(self, actor_id: int | None, code: str, action: str, **values: bool) -> CouponDTO:
        now = self._clock()
        async with self._db.uow() as uow:
            if actor_id is not None:
                await require_permission(uow, actor_id, Permission.MANAGE_COUPONS)
            row = await _by_code(uow, code)
            for key, value in values.items():
                setattr(row, key, value)
            record(uow.session, actor=actor_of(actor_id), action=action, entity="coupon", entity_id=row.id, at=now,
                   code=row.code)
            dto = coupon_dto(row, self._currency)
            await uow.commit()
            return dto

    async def check(self, customer_id: int, code: str) -> CouponDTO:
        """May this buyer use this code now? CouponRejected with the reason if not (nothing is claimed)."""
        async with self._db.uow(write=False) as uow:
            row, _ = await usable(uow, code, customer_id, self._clock())
            return coupon_dto(row, self._currency)

    async def rewards_of(self, customer_id: int) -> list[CouponDTO]:
        """Codes only this buyer may use (earned by inviting others), still usable."""
        now = self._clock()
        async with self._db.uow(write=False) as uow:
            rows = (await uow.session.execute(
                select(Coupon).where(Coupon.owner_id == customer_id, Coupon.deleted.is_(False),
                                     Coupon.paused.is_(False), (Coupon.ends_at.is_(None)) | (Coupon.ends_at > now),
                                     (Coupon.max_uses.is_(None)) | (Coupon.uses < Coupon.max_uses))
                .order_by(Coupon.id))).scalars()
            return [coupon_dto(row, self._currency) for row in rows]


async def _check_scope(uow: UnitOfWork, product_ids: list[int], categories: list[str]) -> None:
    """A scope names products and categories the shop has: a typo would make a code that applies to nothing."""
    if product_ids:
        found = set((await uow.session.execute(select(Product.id).where(
            Product.id.in_(product_ids), Product.deleted.is_(False)))).scalars())
        if missing := [str(product_id) for product_id in product_ids if product_id not in found]:
            raise InvalidInput(field="product", reason="unknown", value=", ".join(missing)[:64])
    if categories:
        found_names = set((await uow.session.execute(select(Category.name).where(
            Category.name.in_(categories)))).scalars())
        if missing := [name for name in categories if name not in found_names]:
            raise InvalidInput(field="category", reason="unknown", value=", ".join(missing)[:64])


async def _by_code(uow: UnitOfWork, code: str) -> Coupon:
    try:
        normal = normalise_code(code)
    except InvalidInput:
        raise NotFound(entity="coupon", id=str(code)[:32]) from None
    row = (await uow.session.execute(select(Coupon).where(Coupon.code == normal, Coupon.deleted.is_(False),
                                                          Coupon.source == "seller"))).scalar_one_or_none()
    if row is None:
        raise NotFound(entity="coupon", id=normal)
    return row


async def usable(uow: UnitOfWork, code: str, customer_id: int, now: datetime) -> tuple[Row[Any], Discount]:
    """The coupon behind `code` if this buyer may use it at `now`, else CouponRejected with the reason."""
    try:
        normal = normalise_code(code)
    except InvalidInput:
        raise CouponRejected(code=str(code)[:32], reason="unknown") from None
    connection = await uow.connection()
    row = (await connection.execute(_BY_CODE, {"code": normal})).one_or_none()
    if row is None or row.deleted or (row.owner_id is not None and row.owner_id != customer_id):
        raise CouponRejected(code=normal, reason="unknown")
    if row.paused:
        raise CouponRejected(code=normal, reason="paused")
    if row.starts_at is not None and now < row.starts_at:
        raise CouponRejected(code=normal, reason="not_started", starts_at=row.starts_at.isoformat())
    if row.ends_at is not None and now >= row.ends_at:
        raise CouponRejected(code=normal, reason="expired")
    if row.max_uses is not None and row.uses >= row.max_uses:
        raise CouponRejected(code=normal, reason="used_up")
    if row.per_customer is not None and await _uses_by(uow, row.id, customer_id) >= row.per_customer:
        raise CouponRejected(code=normal, reason="used_by_you")
    return row, discount_of(row)


async def _uses_by(uow: UnitOfWork, coupon_id: int, customer_id: int) -> int:
    connection = await uow.connection()
    return int((await connection.execute(_USES_BY, {"coupon": coupon_id, "buyer": customer_id})).scalar_one())


async def claim(uow: UnitOfWork, row: CouponRow, *, order_id: int, customer_id: int, now: datetime) -> None:
    """Count one use for `order_id`, or CouponRejected(used_up) when the last one went to someone else first."""
    connection = await uow.connection()
    if row.per_customer is not None:
        # Two checkouts of one buyer wait for each other here, so the per-buyer count is exact too.
        await connection.execute(select(Customer.id).where(Customer.id == customer_id).with_for_update())
        if await _uses_by(uow, row.id, customer_id) >= row.per_customer:
            raise CouponRejected(code=row.code, reason="used_by_you")
    result = await connection.execute(_CLAIM, {"coupon": row.id})
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        raise CouponRejected(code=row.code, reason="used_up")
    await connection.execute(_RECORD_USE, {"coupon_id": row.id, "order_id": order_id, "customer_id": customer_id,
                                           "created_at": now, "released_at": None})


async def give_back(uow: UnitOfWork, order_id: int, now: datetime) -> None:
    """The order will not be paid (expired, cancelled, invalid): its use of a coupon counts no more."""
    coupon_id = (await uow.session.execute(
        update(CouponUse).where(CouponUse.order_id == order_id, CouponUse.released_at.is_(None))
        .values(released_at=now).returning(CouponUse.coupon_id))).scalar_one_or_none()
    if coupon_id is not None:
        await uow.session.execute(update(Coupon).where(Coupon.id == coupon_id, Coupon.uses > 0)
                                  .values(uses=Coupon.uses - 1).execution_options(synchronize_session=False))


async def take_again(uow: UnitOfWork, order_id: int) -> None:
    """A late payment for an expired order was accepted: its discount stands, so its use counts again (even
    past the limit — the bill was frozen when the order was placed)."""
    coupon_id = (await uow.session.execute(
        update(CouponUse).where(CouponUse.order_id == order_id, CouponUse.released_at.is_not(None))
        .values(released_at=None).returning(CouponUse.coupon_id))).scalar_one_or_none()
    if coupon_id is not None:
        await uow.session.execute(update(Coupon).where(Coupon.id == coupon_id).values(uses=Coupon.uses + 1)
                                  .execution_options(synchronize_session=False))
