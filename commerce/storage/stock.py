"""Stock moves as single conditional UPDATEs: never negative, never sold twice, on SQLite and PostgreSQL.

A variant's units are always in exactly one bucket: `stock` (free to sell), `reserved` (held by an open
order) or `sold`. Every move shifts units between two buckets in one statement.
"""

from __future__ import annotations

from sqlalchemy import CursorResult, update

from commerce.storage.db import UnitOfWork
from commerce.storage.tables import Variant

# The Core table, not the ORM class: checkout is hot and the ORM's DML layer costs more than the UPDATE.
variants = Variant.__table__  # type: ignore[attr-defined]
col = variants.c


async def _move(uow: UnitOfWork, variant_id: int, guard: object, **values: object) -> bool:
    connection = await uow.connection()
    result = await connection.execute(update(variants).where(col.id == variant_id, guard).values(**values))
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def reserve(uow: UnitOfWork, variant_id: int, quantity: int) -> bool:
    """stock → reserved, only if that many are free. False means out of stock; nothing changed."""
    return await _move(uow, variant_id, col.stock >= quantity,
                       stock=col.stock - quantity, reserved=col.reserved + quantity)


async def release(uow: UnitOfWork, variant_id: int, quantity: int) -> None:
    """reserved → stock (expiry, cancel, a payment that turned out invalid)."""
    if not await _move(uow, variant_id, col.reserved >= quantity,
                       stock=col.stock + quantity, reserved=col.reserved - quantity):
        raise RuntimeError(f"variant {variant_id}: fewer than {quantity} reserved units to release")


async def sell(uow: UnitOfWork, variant_id: int, quantity: int) -> None:
    """reserved → sold (the order is paid)."""
    if not await _move(uow, variant_id, col.reserved >= quantity,
                       reserved=col.reserved - quantity, sold=col.sold + quantity):
        raise RuntimeError(f"variant {variant_id}: fewer than {quantity} reserved units to sell")


async def sell_from_stock(uow: UnitOfWork, variant_id: int, quantity: int) -> bool:
    """stock → sold directly (a late payment accepted after its reservation was released)."""
    return await _move(uow, variant_id, col.stock >= quantity,
                       stock=col.stock - quantity, sold=col.sold + quantity)
