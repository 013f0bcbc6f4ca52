"""What the database holds sealed with the data key, and whether a key opens it: checked before a shop
starts, so a lost or changed key is found at once, not by the first buyer whose address can't be read."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from commerce.privacy import PersonalDataCipher
from commerce.storage.db import Database
from commerce.storage.tables import Address, Order, TwoFactorSecret

# What is sealed, where: (what it is, the column, the column to order by).
_SEALED: Final[tuple[tuple[str, Any, Any], ...]] = (
    ("saved addresses", Address.ciphertext, Address.id),
    ("order addresses", Order.shipping_ciphertext, Order.id),
    ("2FA enrolments", TwoFactorSecret.secret_ciphertext, TwoFactorSecret.customer_id),
)


async def sealed_samples(db: Database) -> dict[str, list[bytes]]:
    """The oldest and the newest sealed value of each kind (a key changed in between shows too). A table
    the database doesn't have yet (before its first migration) has none."""
    found: dict[str, list[bytes]] = {}
    for what, column, order in _SEALED:
        values: list[bytes] = []
        for direction in (order.asc(), order.desc()):
            try:
                async with db.uow(write=False) as uow:
                    value = (await uow.session.execute(
                        select(column).where(column.is_not(None)).order_by(direction).limit(1))).scalar()
            except DBAPIError:  # no such table yet
                break
            if value is not None and bytes(value) not in values:
                values.append(bytes(value))
        if values:
            found[what] = values
    return found


def unreadable(cipher: PersonalDataCipher, samples: dict[str, list[bytes]]) -> list[str]:
    """The kinds of sealed data `cipher` can't open (all of them when it has no key)."""
    return [what for what, values in samples.items() if not all(cipher.can_read(value) for value in values)]
