"""Stock moves as single conditional UPDATEs: never negative, never sold twice, on SQLite and PostgreSQL.

A variant's units are always in exactly one bucket: `stock` (free to sell), `reserved` (held by an open
order) or `sold`. Every move shifts units between two buckets in one statement.
"""

from __future__ import annotations

from sqlalchemy import CursorResult, update

from commerce.storage.db import UnitOfWork
from commerce.storage.tables import Variant


async def _move(uow: UnitOfWork, variant_id: int, guard: object, **values: object) -> bool:
    result = await uow.session.execute(update(Variant).where(Variant.id == variant_id, guard).values(**values))
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def reserve(uow: UnitOfWork, variant_id: int, quantity: int) -> bool:
    """stock → reserved, only if that many are free. False means out of stock; nothing changed."""
    return await _move(uow, variant_id, Variant.stock >= quantity,
                       stock=Variant.stock - quantity, reserved=Variant.reserved + quantity)


async def release(uow: UnitOfWork, variant_id: int, quantity: int) -> None:
    """reserved → stock (expiry, cancel, a payment that turned out invalid)."""
    if not await _move(uow, variant_id, Variant.reserved >= quantity,
                       stock=Variant.stock + quantity, reserved=Variant.reserved - quantity):
        raise RuntimeError(f"variant {variant_id}: fewer than {quantity} reserved units to release")


async def sell(uow: UnitOfWork, variant_id: int, quantity: int) -> None:
    """reserved → sold (the order is paid)."""
    if not await _move(uow, variant_id, Variant.reserved >= quantity,
                       reserved=Variant.reserved - quantity, sold=Variant.sold + quantity):
        raise RuntimeError(f"variant {variant_id}: fewer than {quantity} reserved units to sell")


async def sell_from_stock(uow: UnitOfWork, variant_id: int, quantity: int) -> bool:
    """stock → sold directly (a late payment accepted after its reservation was released)."""
    return await _move(uow, variant_id, Variant.stock >= quantity,
                       stock=Variant.stock - quantity, sold=Variant.sold + quantity)
