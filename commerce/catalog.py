"""The catalog: categories, products, variants, digital items, listing and search.

`CatalogService` is what the shop holds (`shop.catalog`); it is built from three parts, each in its own
file: what buyers read (`catalog_reads.py`), what sellers change (`catalog_edits.py`) and digital items
(`digital_items.py`). The types and limits they share are in `catalog_types.py`, and importable from here.
"""

from __future__ import annotations

from commerce.catalog_types import (
    CARD_TABLES,
    CATEGORIES_QUERY,
    CATEGORY_NAME_MAX,
    CATEGORY_TABLES,
    DESCRIPTION_MAX,
    DIGITAL_IMPORT_MAX,
    DIGITAL_ITEM_LENGTH_MAX,
    DIGITAL_ITEM_MAX,
    OPTION_MAX,
    OPTIONS_MAX,
    PAGE_MAX,
    PHOTOS_MAX,
    SKU_MAX,
    STOCK_MAX,
    TITLE_MAX,
    TRIGRAM,
    VARIANTS_MAX,
    CategoryDTO,
    CheckedProduct,
    CheckedVariant,
    DigitalImport,
    NewProduct,
    NewVariant,
    Page,
    ProductDTO,
    ProductKind,
    VariantDTO,
    bounded_text,
    check_product,
    check_variant,
    checked_stock,
    generated_sku,
    listed,
    search_key,
    variant_dto,
)
from commerce.digital_items import DigitalItemEdits

__all__ = [
    "CARD_TABLES",
    "CATEGORIES_QUERY",
    "CATEGORY_NAME_MAX",
    "CATEGORY_TABLES",
    "DESCRIPTION_MAX",
    "DIGITAL_IMPORT_MAX",
    "DIGITAL_ITEM_LENGTH_MAX",
    "DIGITAL_ITEM_MAX",
    "OPTIONS_MAX",
    "OPTION_MAX",
    "PAGE_MAX",
    "PHOTOS_MAX",
    "SKU_MAX",
    "STOCK_MAX",
    "TITLE_MAX",
    "TRIGRAM",
    "VARIANTS_MAX",
    "CatalogService",
    "CategoryDTO",
    "CheckedProduct",
    "CheckedVariant",
    "DigitalImport",
    "NewProduct",
    "NewVariant",
    "Page",
    "ProductDTO",
    "ProductKind",
    "VariantDTO",
    "bounded_text",
    "check_product",
    "check_variant",
    "checked_stock",
    "generated_sku",
    "listed",
    "search_key",
    "variant_dto",
]


class CatalogService(DigitalItemEdits):
    """The whole catalog: buyers' reads, sellers' changes, digital items."""
