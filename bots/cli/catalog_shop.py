"""Moving checked CSV rows into the shop (one unit of work, in batches), and reading the whole catalog back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from bots.cli.catalog_csv import CatalogCsvError, CsvProduct, CsvRow, RowProblem, amount_problem, export_rows
from bots.cli.catalog_reader import CatalogReader
from bots.cli.common import describe_commerce_error, explain_reason
from commerce.catalog import PAGE_MAX, NewProduct, NewVariant, ProductDTO
from commerce.catalog_import import ProductImport
from commerce.errors import CommerceError, DuplicateSku, InvalidAmount, InvalidInput
from commerce.shop import Shop
from commerce.storage.db import UnitOfWork


@dataclass(frozen=True, slots=True)
class ImportSummary:
    products: int
    variants: int
    new_categories: tuple[str, ...]


BATCH_ROWS: Final = 500  # rows written per batch: a few INSERTs each, memory flat however long the file


@dataclass(slots=True)
class _Batch:
    """The rows of one batch: new products (with the variants this batch has of them), and variants of
    products an earlier batch added."""

    products: dict[str, list[CsvRow]] = field(default_factory=dict)  # key -> rows, the first one has the product
    more: dict[int, list[CsvRow]] = field(default_factory=dict)  # product id -> rows
    rows: int = 0


def _new_variants(rows: Sequence[CsvRow]) -> list[NewVariant]:
    return [NewVariant(price=r.variant.price, stock=r.variant.stock, sku=r.variant.sku, options=dict(r.variant.options))
            for r in rows]


def _new_product(product: CsvProduct, rows: Sequence[CsvRow], category_id: int | None) -> NewProduct:
    return NewProduct(title=product.title, description=product.description, kind=product.kind,
                      category_id=category_id, photos=product.photos, visible=product.visible,
                      variants=_new_variants(rows))


def core_problem(rows: Sequence[CsvRow], error: CommerceError, currency: str) -> RowProblem:
    """Put an error the core raised for a product (or for variants added to it) on the CSV line it came from."""
    line = rows[0].variant.line
    if isinstance(error, DuplicateSku):
        sku = error.fields.get("sku")
        line = next((r.variant.line for r in rows if r.variant.sku == sku), line)
        return RowProblem(line, "sku", f'"{sku}" is already used by a product in the shop')
    if isinstance(error, InvalidAmount):
        value = str(error.fields.get("value", ""))
        line = next((r.variant.line for r in rows if value in (r.variant.price_text, str(r.variant.price))), line)
        return RowProblem(line, "price", amount_problem(error, currency))
    if isinstance(error, InvalidInput):
        return RowProblem(line, str(error.fields.get("field", "row")), explain_reason(error.fields))
    return RowProblem(line, "row", describe_commerce_error(error))


class _Import:
    """One import's state across batches: what it added, by product_ref, and what the core refused."""

    def __init__(self, shop: Shop, uow: UnitOfWork, owner_id: int | None) -> None:
        self.shop = shop
        self.uow = uow
        self.owner_id = owner_id
        self.writer = ProductImport(shop.catalog, uow, owner_id)
        self.categories: dict[str, int] = {}
        self.added: dict[str, int | None] = {}  # product_ref -> its id (None: the core refused it)
        self.problems: list[RowProblem] = []
        self.products = self.variants = 0

    def take(self, batch: _Batch, row: CsvRow) -> None:
        batch.rows += 1
        key = row.ref if row.ref is not None else f"\0line {row.variant.line}"
        if row.ref is not None and row.ref in self.added:
            product_id = self.added[row.ref]
            if product_id is not None:
                batch.more.setdefault(product_id, []).append(row)
        elif row.product is not None or key in batch.products:
            batch.products.setdefault(key, []).append(row)

    async def write(self, batch: _Batch) -> None:
        currency = self.shop.catalog.currency
        groups = [(rows[0].product, rows) for rows in batch.products.values() if rows[0].product is not None]
        if wanted := {p.category for p, _ in groups if p.category and p.category not in self.categories}:
            self.categories |= await self.shop.catalog.ensure_categories(self.uow, self.owner_id, wanted)
        outcomes = await self.writer.add_products([
            _new_product(product, rows, self.categories[product.category] if product.category else None)
            for product, rows in groups])
        for (_, rows), outcome in zip(groups, outcomes, strict=True):
            if isinstance(outcome, CommerceError):
                self.problems.append(core_problem(rows, outcome, currency))
            else:
                self.products += 1
                self.variants += len(rows)
            if rows[0].ref is not None:
                self.added[rows[0].ref] = outcome if isinstance(outcome, int) else None
        refused = await self.writer.add_variants({product_id: _new_variants(rows)
                                                  for product_id, rows in batch.more.items()})
        for product_id, rows in batch.more.items():
            if product_id in refused:
                self.problems.append(core_problem(rows, refused[product_id], currency))
            else:
                self.variants += len(rows)


async def import_rows(shop: Shop, reader: CatalogReader, owner_id: int | None,
                      progress: Callable[[int], None] = lambda _rows: None) -> ImportSummary:
    """Add every product the reader yields, a batch at a time, in one unit of work committed only if no
    row had a problem and the core accepted them all: all or nothing. `progress` hears the rows read so far."""
    known = await _known_categories(shop)
    async with shop.db.uow() as uow:
        state = _Import(shop, uow, owner_id)
        batch, rows = _Batch(), 0
        for row in reader.rows():
            state.take(batch, row)
            if batch.rows >= BATCH_ROWS:
                await state.write(batch)
                batch, rows = _Batch(), rows + batch.rows
                progress(rows)
        await state.write(batch)
        progress(rows + batch.rows)
        if problems := [*reader.problems, *state.problems]:
            raise CatalogCsvError(problems, stopped=reader.stopped)
        await uow.commit()
    new_categories = tuple(sorted(name for name in state.categories if name not in known))
    return ImportSummary(state.products, state.variants, new_categories)


async def _known_categories(shop: Shop) -> set[str]:
    return {category.name for category in await shop.catalog.categories()}


async def all_products(shop: Shop, *, include_hidden: bool) -> list[ProductDTO]:
    """Every product (not deleted), oldest first, read page by page."""
    products: list[ProductDTO] = []
    page = 0
    while True:
        batch = await shop.catalog.list_products(page=page, page_size=PAGE_MAX, include_hidden=include_hidden)
        products.extend(batch.items)
        if not batch.has_next:
            break
        page += 1
    unique = {product.id: product for product in products}
    return sorted(unique.values(), key=lambda p: p.id)


async def export_catalog(shop: Shop) -> list[dict[str, str]]:
    names = {category.id: category.name for category in await shop.catalog.categories()}
    return list(export_rows(await all_products(shop, include_hidden=True), names))
