"""Moving checked CSV products into the shop (one unit of work), and reading the whole catalog back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bots.cli.catalog_csv import CatalogCsvError, CsvProduct, RowProblem, amount_problem, export_rows
from bots.cli.common import describe_commerce_error, explain_reason
from commerce.catalog import PAGE_MAX, NewProduct, NewVariant, ProductDTO
from commerce.errors import CommerceError, DuplicateSku, InvalidAmount, InvalidInput
from commerce.shop import Shop


@dataclass(frozen=True, slots=True)
class ImportSummary:
    products: int
    variants: int
    new_categories: tuple[str, ...]


def _new_product(product: CsvProduct, category_id: int | None) -> NewProduct:
    variants = [NewVariant(price=v.price, stock=v.stock, sku=v.sku, options=dict(v.options))
                for v in product.variants]
    return NewProduct(title=product.title, description=product.description, kind=product.kind,
                      category_id=category_id, photos=product.photos, visible=product.visible,
                      variants=variants)


def core_problem(product: CsvProduct, error: CommerceError, currency: str) -> RowProblem:
    """Put an error the core raised for `product` on the CSV line it came from."""
    if isinstance(error, DuplicateSku):
        sku = error.fields.get("sku")
        line = next((v.line for v in product.variants if v.sku == sku), product.line)
        return RowProblem(line, "sku", f'"{sku}" is already used by a product in the shop')
    if isinstance(error, InvalidAmount):
        value = str(error.fields.get("value", ""))
        line = next((v.line for v in product.variants if value in (v.price_text, str(v.price))), product.line)
        return RowProblem(line, "price", amount_problem(value, currency))
    if isinstance(error, InvalidInput):
        return RowProblem(product.line, str(error.fields.get("field", "row")), explain_reason(error.fields))
    return RowProblem(product.line, "row", describe_commerce_error(error))


async def import_products(shop: Shop, products: Sequence[CsvProduct], owner_id: int | None,
                          advance: Callable[[], None] = lambda: None) -> ImportSummary:
    """Add every product, or none: one unit of work, committed only if the core accepted them all."""
    currency = shop.catalog.currency
    problems: list[RowProblem] = []
    known = await _known_categories(shop)
    async with shop.db.uow() as uow:
        categories = await shop.catalog.ensure_categories(uow, owner_id, (p.category for p in products if p.category))
        for product in products:
            category_id = categories[product.category] if product.category else None
            try:
                async with uow.session.begin_nested():
                    await shop.catalog.add_product(uow, owner_id, _new_product(product, category_id))
            except CommerceError as error:
                problems.append(core_problem(product, error, currency))
            advance()
        if problems:
            raise CatalogCsvError(problems)
        await uow.commit()
    new_categories = tuple(name for name in categories if name not in known)
    return ImportSummary(len(products), sum(len(p.variants) for p in products), new_categories)


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
