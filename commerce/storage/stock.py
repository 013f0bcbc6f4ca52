"""Stock moves as single conditional UPDATEs: never negative, never sold twice, on SQLite and PostgreSQL.

A variant's units are always in exactly one bucket: `stock` (free to sell), `reserved` (held by an open
order) or `sold`. Every move shifts units between two buckets in one statement.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import CursorResult, Update, bindparam, update

from commerce.storage.db import UnitOfWork
from commerce.storage.tables import Variant

# The Core table, not the ORM class: checkout is hot and the ORM's DML layer costs more than the UPDATE.
variants = Variant.__table__  # type: ignore[attr-defined]
col = variants.c


def _move_statement(source: str, target: str) -> Update:
    """`units` from bucket `source` to bucket `target` of one variant, only if `source` holds that many. Built
    once per move: building the statement (and its cache key) per call cost about as much as running it."""
    units = bindparam("units")
    return (update(variants).where(col.id == bindparam("variant"), col[source] >= units)
            .values({source: col[source] - units, target: col[target] + units}))


_RESERVE: Final = _move_statement("stock", "reserved")
_RELEASE: Final = _move_statement("reserved", "stock")
_SELL: Final = _move_statement("reserved", "sold")
_SELL_FROM_STOCK: Final = _move_statement("stock", "sold")


async def _move(uow: UnitOfWork, statement: Update, variant_id: int, quantity: int) -> bool:
    connection = await uow.connection()
    result = await connection.execute(statement, {"variant": variant_id, "units": quantity})
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def reserve(uow: UnitOfWork, variant_id: int, quantity: int) -> bool:
    """stock → reserved, only if that many are free. False means out of stock; nothing changed."""
    return await _move(uow, _RESERVE, variant_id, quantity)


async def release(uow: UnitOfWork, variant_id: int, quantity: int) -> None:
    """reserved → stock (expiry, cancel, a payment that turned out invalid)."""
    if not await _move(uow, _RELEASE, variant_id, quantity):
        raise RuntimeError(f"variant {variant_id}: fewer than {quantity} reserved units to release")


async def sell(uow: UnitOfWork, variant_id: int, quantity: int) -> None:
    """reserved → sold (the order is paid)."""
    if not await _move(uow, _SELL, variant_id, quantity):
        raise RuntimeError(f"variant {variant_id}: fewer than {quantity} reserved units to sell")


async def sell_from_stock(uow: UnitOfWork, variant_id: int, quantity: int) -> bool:
    """stock → sold directly (a late payment accepted after its reservation was released)."""
    return await _move(uow, _SELL_FROM_STOCK, variant_id, quantity)
