"""The catalog CSV format (described in catalog.py): its columns, the checked rows a reader makes of it
(catalog_reader.py), and writing the catalog back out.

Cells are exported spreadsheet-safe — a leading apostrophe before = + - @, tab or carriage return, so
a spreadsheet shows "=HYPERLINK(…)" as text instead of running it — and import reads them back without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from commerce.catalog import ProductDTO, ProductKind
from commerce.errors import InvalidAmount
from commerce.money import currency_exponent

COLUMNS: Final = ("product_ref", "title", "description", "kind", "category", "visible", "sku", "options",
                  "price", "stock", "photos")
REQUIRED_COLUMNS: Final = ("title", "price")
PRODUCT_COLUMNS: Final = ("title", "description", "kind", "category", "visible", "photos")


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    field: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.problem}"


class CatalogCsvError(Exception):
    """The CSV can't be imported; `problems` lists every bad field, in line order (`stopped`: the file was
    not read to its end, there were too many)."""

    def __init__(self, problems: Iterable[RowProblem], *, stopped: bool = False) -> None:
        self.problems = sorted(problems, key=lambda p: p.line)
        self.stopped = stopped
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True, slots=True)
class CsvVariant:
    line: int
    price_text: str
    price: Decimal
    sku: str | None
    options: dict[str, str]
    stock: int


@dataclass(frozen=True, slots=True)
class CsvProduct:
    """A product as its first row describes it."""

    line: int
    ref: str
    title: str
    description: str
    kind: ProductKind
    category: str | None
    visible: bool
    photos: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One checked row: a variant of the product `ref` (None: a product of its own), and on the product's
    first row, the product."""

    ref: str | None
    product: CsvProduct | None
    variant: CsvVariant

def amount_problem(error: InvalidAmount, currency: str) -> str:
    """The words for a price the core refused, by its reason (a decimal comma, too large, or not a number)."""
    raw = str(error.fields.get("value", "")).strip()
    reason = error.fields.get("reason")
    if reason == "too_large":
        return f'"{raw}" is more than the highest price allowed ({error.fields.get("maximum")} {currency})'
    if reason == "comma":
        return (f'"{raw}" is not a price in {currency}: write decimals with a point (12.50); '
                "a comma may only separate thousands (1,200)")
    if reason == "ambiguous_comma":
        return (f'"{raw}" is unclear in {currency} (a decimal comma or a thousands separator?): '
                "write it without commas, with a point for decimals")
    places = currency_exponent(currency)
    allowed = "a whole amount, no decimals" if places == 0 else f"at most {places} decimal places"
    return f'"{raw}" is not a price in {currency} (expected a number ≥ 0, {allowed})'

# ---- spreadsheet formulas ----

# A cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice and Google Sheets.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED: Final = (*FORMULA_STARTS, "'")


def spreadsheet_safe(cell: str) -> str:
    """The cell as export writes it: a leading apostrophe before anything a spreadsheet would run
    ("=HYPERLINK(…)" → "'=HYPERLINK(…)"), and before an apostrophe that such a cell would start with."""
    if cell.startswith(FORMULA_STARTS) or (cell.startswith("'") and cell[1:].startswith(_ESCAPED)):
        return "'" + cell
    return cell


def spreadsheet_text(cell: str) -> str:
    """What import reads from a cell export wrote: the one apostrophe spreadsheet_safe added comes off."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(_ESCAPED) else cell


def export_rows(products: Iterable[ProductDTO],
                category_names: Mapping[int, str]) -> Iterator[dict[str, str]]:
    """One row per variant, in the import format, formulas neutralised; reading them back gives the same
    catalog."""
    for product in sorted(products, key=lambda p: p.id):
        for variant in product.variants:
            row = {
                "product_ref": str(product.id),
                "title": product.title,
                "description": product.description,
                "kind": product.kind.value,
                "category": category_names.get(product.category_id, "") if product.category_id else "",
                "visible": "true" if product.visible else "false",
                "sku": variant.sku,
                "options": ";".join(f"{name}={value}" for name, value in variant.options),
                "price": format(variant.price.amount, "f"),
                "stock": str(variant.stock) if product.kind is ProductKind.PHYSICAL else "",
                "photos": ";".join(product.photos),
            }
            yield {column: spreadsheet_safe(value) for column, value in row.items()}
