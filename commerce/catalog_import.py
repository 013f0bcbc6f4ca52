"""Many new products in one unit of work, a batch at a time: what `chatshop catalog import` writes.

Each product passes the same checks as `CatalogService.add_product` (`check_product`), and a batch is
written with a few Core INSERTs (the products with RETURNING, their variants, their audit events) inside a
savepoint. No ORM object is kept, so memory stays flat however long the file is. SKUs already in the shop
are found with one query and refused before anything is written. If the database still refuses a batch (a
generated SKU that collides, a row another process added meanwhile), the batch is rolled back to its
savepoint and added again one product at a time through `add_product`, which names the product at fault.

Nothing here commits: the caller commits once, after the last batch, or not at all — an import is all or
nothing however many batches it takes. Like `add_product`, the caller checks the actor's permission.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, TypeAlias

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.catalog import (
    VARIANTS_MAX,
    CatalogService,
    CheckedProduct,
    CheckedVariant,
    NewProduct,
    NewVariant,
    ProductKind,
    check_product,
    check_variant,
    generated_sku,
    search_key,
)
from commerce.errors import CommerceError, DuplicateSku, InvalidInput, NotFound
from commerce.events import AUDIT, actor_of, audit_row
from commerce.storage.db import UnitOfWork
from commerce.storage.tables import Category, Product, Variant

PRODUCT: Final = Product.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes
VARIANT: Final = Variant.__table__  # type: ignore[attr-defined]

Outcome: TypeAlias = int | CommerceError  # the new product's id, or why it was refused


class ProductImport:
    """Adds products (and more variants to the products it added) inside the caller's unit of work."""

    def __init__(self, catalog: CatalogService, uow: UnitOfWork, actor_id: int | None) -> None:
        self._catalog = catalog
        self._uow = uow
        self._actor_id = actor_id
        self._actor = actor_of(actor_id)

    async def add_products(self, products: Sequence[NewProduct]) -> list[Outcome]:
        """One outcome per product, in order: its id, or the error that refused it (the rest are still added)."""
        outcomes: dict[int, Outcome] = {}
        checked: dict[int, CheckedProduct] = {}
        for index, new in enumerate(products):
            try:
                checked[index] = check_product(new, self._catalog.currency)
            except CommerceError as error:
                outcomes[index] = error
        missing = await self._missing_categories({p.category_id for p in products if p.category_id is not None})
        taken = await self._taken_skus(v.sku for c in checked.values() for v in c.variants if v.sku)
        for index in list(checked):
            sku = next((v.sku for v in checked[index].variants if v.sku in taken), None)
            category_id = products[index].category_id
            if category_id in missing:
                outcomes[index] = NotFound(entity="category", id=category_id)
            elif sku is not None:
                outcomes[index] = DuplicateSku(sku=sku)
            if index in outcomes:
                del checked[index]
        if checked:
            try:
                async with (await self._uow.connection()).begin_nested():
                    outcomes.update(await self._write_products(products, checked))
            except IntegrityError:
                outcomes.update(await self._products_one_by_one(products, checked))
        return [outcomes[index] for index in range(len(products))]

    async def add_variants(self, additions: Mapping[int, Sequence[NewVariant]]) -> dict[int, CommerceError]:
        """More variants for products added earlier (a CSV may list a product's rows apart): by product id,
        why its new variants were refused (none of a refused product's are added)."""
        if not additions:
            return {}
        connection = await self._uow.connection()
        found = {row.id: (ProductKind(row.kind), int(row.count)) for row in await connection.execute(
            select(Product.id, Product.kind, func.count(Variant.id).label("count"))
            .outerjoin(Variant, Variant.product_id == Product.id)  # type: ignore[arg-type]
            .where(Product.id.in_(list(additions)))  # type: ignore[union-attr]
            .group_by(Product.id, Product.kind))}
        refused: dict[int, CommerceError] = {}
        checked: dict[int, tuple[int, list[CheckedVariant]]] = {}
        for product_id, variants in additions.items():
            try:
                if product_id not in found:
                    raise NotFound(entity="product", id=product_id)
                kind, count = found[product_id]
                if count + len(variants) > VARIANTS_MAX:
                    raise InvalidInput(field="variants", reason="too_many", limit=VARIANTS_MAX)
                checked[product_id] = (count, [check_variant(v, kind, self._catalog.currency) for v in variants])
            except CommerceError as error:
                refused[product_id] = error
        taken = await self._taken_skus(v.sku for _, variants in checked.values() for v in variants if v.sku)
        for product_id, (_, variants) in list(checked.items()):
            if sku := next((v.sku for v in variants if v.sku in taken), None):
                refused[product_id] = DuplicateSku(sku=sku)
                del checked[product_id]
        if checked:
            try:
                async with connection.begin_nested():
                    await self._write_variants(checked)
            except IntegrityError:
                refused.update(await self._variants_one_by_one(checked))
        return refused

    # ---- the fast path: a few statements per batch ----

    async def _write_products(self, products: Sequence[NewProduct],
                              checked: Mapping[int, CheckedProduct]) -> dict[int, Outcome]:
        connection = await self._uow.connection()
        now = self._catalog.clock()
        indexes = list(checked)
        ids = await _insert_products(connection, [_product_row(products[i], checked[i], self._actor_id, now)
                                                  for i in indexes])
        variants = {product_id: (0, list(checked[i].variants)) for i, product_id in zip(indexes, ids, strict=True)}
        await self._write_variants(variants, audit=False)
        await connection.execute(insert(AUDIT), [
            audit_row(actor=self._actor, action="product.create", entity="product", entity_id=product_id, at=now,
                      title=checked[i].title) for i, product_id in zip(indexes, ids, strict=True)])
        return dict(zip(indexes, ids, strict=True))

    async def _write_variants(self, variants: Mapping[int, tuple[int, list[CheckedVariant]]], *,
                              audit: bool = True) -> None:
        connection = await self._uow.connection()
        rows = [_variant_row(product_id, variant, first + offset)
                for product_id, (first, checked) in variants.items() for offset, variant in enumerate(checked)]
        if not audit:  # a new product's variants: its "product.create" event says it all
            await connection.execute(insert(VARIANT), rows)
            return
        result = await connection.execute(insert(VARIANT).returning(VARIANT.c.id, sort_by_parameter_order=True),
                                          rows)
        now = self._catalog.clock()
        await connection.execute(insert(AUDIT), [
            audit_row(actor=self._actor, action="variant.create", entity="variant", entity_id=int(variant_id),
                      at=now, sku=row["sku"]) for row, variant_id in zip(rows, result.scalars(), strict=True)])

    async def _taken_skus(self, skus: Iterable[str | None]) -> set[str]:
        wanted = sorted({sku for sku in skus if sku})
        if not wanted:
            return set()
        connection = await self._uow.connection()
        return set((await connection.execute(select(Variant.sku).where(Variant.sku.in_(wanted)))).scalars())  # type: ignore[attr-defined]

    async def _missing_categories(self, category_ids: set[int]) -> set[int]:
        if not category_ids:
            return set()
        connection = await self._uow.connection()
        found = set((await connection.execute(
            select(Category.id).where(Category.id.in_(sorted(category_ids))))).scalars())  # type: ignore[union-attr]
        return category_ids - found

    # ---- the slow path, only for a batch the database refused: one savepoint per product ----

    async def _products_one_by_one(self, products: Sequence[NewProduct],
                                   checked: Mapping[int, CheckedProduct]) -> dict[int, Outcome]:
        session = self._uow.session
        outcomes: dict[int, Outcome] = {}
        for index in checked:
            try:
                async with session.begin_nested():
                    outcomes[index] = await self._catalog.add_product(self._uow, self._actor_id, products[index])
            except CommerceError as error:
                outcomes[index] = error
        session.expunge_all()  # the rows are written; holding them would grow with every batch
        return outcomes

    async def _variants_one_by_one(self, variants: Mapping[int, tuple[int, list[CheckedVariant]]],
                                   ) -> dict[int, CommerceError]:
        session = self._uow.session
        refused: dict[int, CommerceError] = {}
        for product_id, (first, checked) in variants.items():
            try:
                async with session.begin_nested():
                    for offset, variant in enumerate(checked):
                        await self._catalog.insert_variant(self._uow, product_id, variant, first + offset)
            except CommerceError as error:
                refused[product_id] = error
        session.expunge_all()
        return refused


async def _insert_products(connection: AsyncConnection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows in one statement (or a few) and return their ids, in order."""
    if connection.dialect.name != "sqlite":
        result = await connection.execute(insert(PRODUCT).returning(PRODUCT.c.id, sort_by_parameter_order=True),
                                          rows)
        return [int(product_id) for product_id in result.scalars()]
    # SQLite can't tie RETURNING rows to their VALUES except one row at a time (SQLAlchemy then sends one
    # INSERT per row). A writing unit of work holds SQLite's only write lock from BEGIN IMMEDIATE on, so the
    # ids after the highest one are ours to give, exactly as SQLite itself would give them.
    highest = (await connection.execute(select(func.coalesce(func.max(PRODUCT.c.id), 0)))).scalar_one()
    ids = list(range(int(highest) + 1, int(highest) + 1 + len(rows)))
    await connection.execute(insert(PRODUCT), [{"id": product_id, **row} for product_id, row in zip(ids, rows,
                                                                                                   strict=True)])
    return ids


def _product_row(new: NewProduct, checked: CheckedProduct, actor_id: int | None, now: Any) -> dict[str, Any]:
    return {"title": checked.title, "description": checked.description, "kind": checked.kind.value,
            "visible": new.visible, "deleted": False, "seller_id": actor_id, "category_id": new.category_id,
            "photos": checked.photos, "search_text": search_key(f"{checked.title} {checked.description}"),
            "created_at": now, "updated_at": now}


def _variant_row(product_id: int, variant: CheckedVariant, position: int) -> dict[str, Any]:
    return {"product_id": product_id, "sku": variant.sku or generated_sku(product_id, position),
            "options": variant.options, "price_minor": variant.price_minor, "stock": variant.stock, "reserved": 0,
            "sold": 0, "position": position}
