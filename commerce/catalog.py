"""The catalog: categories, products, variants, digital items, listing and search.

`CatalogService` is what the shop holds (`shop.catalog`); it is built from three parts, each in its own
file: what buyers read (`catalog_reads.py`), what sellers change (`catalog_edits.py`) and digital items
(`digital_items.py`). The types and limits they share are in `catalog_types.py`; those the rest of the
shop uses are importable from here.
"""

from __future__ import annotations

from commerce.catalog_types import (
    CATEGORY_NAME_MAX,
    DESCRIPTION_MAX,
    DIGITAL_IMPORT_MAX,
    OPTION_MAX,
    OPTIONS_MAX,
    PAGE_MAX,
    PHOTOS_MAX,
    SKU_MAX,
    STOCK_MAX,
    TITLE_MAX,
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
    check_product,
    check_variant,
    generated_sku,
    search_key,
)
from commerce.digital_items import DigitalItemEdits

__all__ = [
    "CATEGORY_NAME_MAX",
    "DESCRIPTION_MAX",
    "DIGITAL_IMPORT_MAX",
    "OPTIONS_MAX",
    "OPTION_MAX",
    "PAGE_MAX",
    "PHOTOS_MAX",
    "SKU_MAX",
    "STOCK_MAX",
    "TITLE_MAX",
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
    "check_product",
    "check_variant",
    "generated_sku",
    "search_key",
]


class CatalogService(DigitalItemEdits):
    """The whole catalog: buyers' reads, sellers' changes, digital items."""
