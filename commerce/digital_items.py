"""Digital items: the keys or codes a digital variant sells, one unit of stock each, added by its seller
one by one or as an uploaded list (repeats and items already stored are skipped, so a key is never sold twice)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update

from commerce.catalog_edits import CatalogEdits
from commerce.catalog_types import (
    DIGITAL_IMPORT_MAX,
    DIGITAL_ITEM_LENGTH_MAX,
    DIGITAL_ITEM_MAX,
    DigitalImport,
    ProductKind,
)
from commerce.errors import InvalidInput, NotFound
from commerce.events import actor_of, record
from commerce.storage.db import UnitOfWork
from commerce.storage.tables import DigitalItem, Variant


class DigitalItemEdits(CatalogEdits):
    async def add_digital_items(self, actor_id: int, variant_id: int, contents: Sequence[str]) -> int:
        """Add keys/codes to a digital variant; each one adds a unit of stock. Returns the new stock."""
        items = [c.strip() for c in contents if c.strip()]
        if not items:
            raise InvalidInput(field="items", reason="required")
        if len(items) > DIGITAL_ITEM_MAX or any(len(c) > DIGITAL_ITEM_LENGTH_MAX for c in items):
            raise InvalidInput(field="items", reason="too_many", limit=DIGITAL_ITEM_MAX)
        async with self._db.uow() as uow:
            await self._digital_variant(uow, actor_id, variant_id)
            now = self._clock()
            uow.session.add_all([DigitalItem(variant_id=variant_id, content=c, created_at=now) for c in items])
            stock = (await uow.session.execute(
                update(Variant).where(Variant.id == variant_id).values(stock=Variant.stock + len(items))
                .returning(Variant.stock).execution_options(synchronize_session=False))).scalar_one()
            record(uow.session, actor=actor_of(actor_id), action="digital.add", entity="variant",
                   entity_id=variant_id, at=now, count=len(items))
            await uow.commit()
            return int(stock)

    async def import_digital_items(self, actor_id: int, variant_id: int, lines: Sequence[str]) -> DigitalImport:
        """Add the lines of an uploaded list as items of a digital variant: blank lines, repeats inside the
        list and items already stored on the variant are skipped and counted, so a key is never sold twice."""
        if len(lines) > DIGITAL_IMPORT_MAX:
            raise InvalidInput(field="items", reason="too_many", limit=DIGITAL_IMPORT_MAX)
        items: dict[str, None] = {}
        blank = duplicates = 0
        for line in lines:
            item = line.strip()
            if not item:
                blank += 1
            elif item in items:
                duplicates += 1
            elif len(item) > DIGITAL_ITEM_LENGTH_MAX:
                raise InvalidInput(field="items", reason="too_long", limit=DIGITAL_ITEM_LENGTH_MAX)
            else:
                items[item] = None
        if not items:
            raise InvalidInput(field="items", reason="required")
        async with self._db.uow() as uow:
            variant = await self._digital_variant(uow, actor_id, variant_id)
            wanted = list(items)
            stored: set[str] = set()
            for start in range(0, len(wanted), 500):  # bounded IN lists (SQLite's parameter limit)
                stored.update((await uow.session.execute(select(DigitalItem.content).where(
                    DigitalItem.variant_id == variant_id, DigitalItem.content.in_(wanted[start:start + 500])))
                ).scalars())
            new = [item for item in wanted if item not in stored]
            now = self._clock()
            stock = variant.stock
            if new:
                uow.session.add_all([DigitalItem(variant_id=variant_id, content=c, created_at=now) for c in new])
                stock = (await uow.session.execute(
                    update(Variant).where(Variant.id == variant_id).values(stock=Variant.stock + len(new))
                    .returning(Variant.stock).execution_options(synchronize_session=False))).scalar_one()
                record(uow.session, actor=actor_of(actor_id), action="digital.add", entity="variant",
                       entity_id=variant_id, at=now, count=len(new))
                await uow.commit()
        return DigitalImport(added=len(new), blank=blank, duplicates=duplicates, already_stored=len(stored),
                             stock=int(stock))

    async def _digital_variant(self, uow: UnitOfWork, actor_id: int, variant_id: int) -> Variant:
        """A variant of a digital product this person may edit."""
        variant = await uow.session.get(Variant, variant_id)
        if variant is None:
            raise NotFound(entity="variant", id=variant_id)
        product = await self._editable(uow, actor_id, variant.product_id)
        if product.kind != ProductKind.DIGITAL:
            raise InvalidInput(field="items", reason="not_digital")
        return variant
