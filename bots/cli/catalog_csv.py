"""Reading a catalog CSV into checked products, and writing the catalog back out (format: catalog.py).

Reading is all-or-nothing: every row is checked and every problem is collected, one per field, as
`line N: field: problem`, before anything touches the database.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Final, Protocol, TypeVar

from commerce.catalog import (
    DESCRIPTION_MAX,
    OPTION_MAX,
    PHOTOS_MAX,
    SKU_MAX,
    STOCK_MAX,
    TITLE_MAX,
    ProductDTO,
    ProductKind,
)
from commerce.errors import InvalidAmount
from commerce.money import Money, currency_exponent

COLUMNS: Final = ("product_ref", "title", "description", "kind", "category", "visible", "sku", "options",
                  "price", "stock", "photos")
REQUIRED_COLUMNS: Final = ("title", "price")
PRODUCT_COLUMNS: Final = ("title", "description", "kind", "category", "visible", "photos")
CATEGORY_MAX: Final = 64
OPTIONS_MAX: Final = 3
_TRUE: Final = frozenset({"true", "yes", "1", "y"})
_FALSE: Final = frozenset({"false", "no", "0", "n"})

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    field: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.problem}"


class CatalogCsvError(Exception):
    """The CSV can't be imported; `problems` lists every bad field, in line order."""

    def __init__(self, problems: Iterable[RowProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True, slots=True)
class CsvVariant:
    line: int
    price_text: str
    price: Decimal
    sku: str | None
    options: dict[str, str]
    stock: int


@dataclass(slots=True)
class CsvProduct:
    line: int
    ref: str
    title: str
    description: str
    kind: ProductKind
    category: str | None
    visible: bool
    photos: tuple[str, ...]
    variants: list[CsvVariant] = field(default_factory=list)


class _CsvReader(Protocol):
    line_num: int

    def __next__(self) -> list[str]: ...


class _Bad(Exception):
    """One cell's problem, in words."""


def _text(raw: str, limit: int, *, required: bool = False) -> str:
    value = raw.strip()
    if required and not value:
        raise _Bad("required, but empty")
    if len(value) > limit:
        raise _Bad(f"too long ({len(value)} characters, at most {limit})")
    return value


def _kind(raw: str) -> ProductKind:
    try:
        return ProductKind(raw.strip().lower() or ProductKind.PHYSICAL)
    except ValueError:
        raise _Bad(f'expected physical or digital, got "{raw.strip()}"') from None


def _visible(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE or not value:
        return True
    if value in _FALSE:
        return False
    raise _Bad(f'expected true or false, got "{raw.strip()}"')


def _photos(raw: str) -> tuple[str, ...]:
    photos = tuple(part.strip() for part in raw.split(";") if part.strip())
    if len(photos) > PHOTOS_MAX:
        raise _Bad(f"{len(photos)} photos, at most {PHOTOS_MAX}")
    return photos


def _price(raw: str, currency: str) -> Decimal:
    if not raw.strip():
        raise _Bad(f"required, but empty (a price in {currency} such as \"1200\")")
    try:
        return Money.parse(raw, currency).amount
    except InvalidAmount:
        raise _Bad(amount_problem(raw.strip(), currency)) from None


def amount_problem(raw: str, currency: str) -> str:
    places = currency_exponent(currency)
    allowed = "a whole amount, no decimals" if places == 0 else f"at most {places} decimal places"
    return f'"{raw}" is not a price in {currency} (expected a number ≥ 0, {allowed})'


def _stock(raw: str, kind: ProductKind) -> int:
    value = raw.strip().replace(",", "").replace("_", "")
    if kind is ProductKind.DIGITAL:
        if value not in ("", "0"):
            raise _Bad("digital products get their stock from the codes added in the bot; leave it empty")
        return 0
    if not value:
        return 0
    if not value.isdigit() or int(value) > STOCK_MAX:
        raise _Bad(f'expected a whole number from 0 to {STOCK_MAX}, got "{raw.strip()}"')
    return int(value)


def _options(raw: str) -> dict[str, str]:
    options: dict[str, str] = {}
    for part in (p.strip() for p in raw.split(";")):
        if not part:
            continue
        name, equals, value = (s.strip() for s in part.partition("="))
        if not equals or not name or not value:
            expected = 'name=value pairs separated by ";" such as "size=M;colour=red"'
            raise _Bad(f'expected {expected}, got "{part}"')
        if len(name) > OPTION_MAX or len(value) > OPTION_MAX:
            raise _Bad(f'"{part}" is too long (names and values have at most {OPTION_MAX} characters)')
        if name in options:
            raise _Bad(f'"{name}" is given twice')
        options[name] = value
    if len(options) > OPTIONS_MAX:
        raise _Bad(f"{len(options)} options, at most {OPTIONS_MAX}")
    return options


class _Reader:
    """Turns rows into products, remembering every problem instead of stopping at the first."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self.problems: list[RowProblem] = []
        self.products: dict[str, CsvProduct] = {}
        self._unreadable: dict[str, set[str]] = {}  # product key -> columns whose first value was bad
        self._skus: dict[str, int] = {}
        self._options: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}

    def cell(self, line: int, column: str, parse: Callable[[], T]) -> T | None:
        try:
            return parse()
        except _Bad as bad:
            self.problems.append(RowProblem(line, column, str(bad)))
            return None

    def add_row(self, line: int, cells: Mapping[str, str]) -> None:
        ref = cells.get("product_ref", "").strip()
        key = ref or f"\0line {line}"
        product = self.products.get(key)
        if product is None:
            before = len(self.problems)
            product = self.products[key] = self._new_product(line, ref, cells)
            self._unreadable[key] = {p.field for p in self.problems[before:]}
        else:
            self._check_same(line, product, cells, skip=self._unreadable[key])
        self._add_variant(line, product, cells)

    def _new_product(self, line: int, ref: str, cells: Mapping[str, str]) -> CsvProduct:
        """The product from its first row; a bad cell is reported and replaced by a stand-in value."""
        def get(column: str) -> str:
            return cells.get(column, "")
        title = self.cell(line, "title", lambda: _text(get("title"), TITLE_MAX, required=True))
        description = self.cell(line, "description", lambda: _text(get("description"), DESCRIPTION_MAX))
        kind = self.cell(line, "kind", lambda: _kind(get("kind")))
        category = self.cell(line, "category", lambda: _text(get("category"), CATEGORY_MAX))
        visible = self.cell(line, "visible", lambda: _visible(get("visible")))
        photos = self.cell(line, "photos", lambda: _photos(get("photos")))
        return CsvProduct(line, ref, title or "", description or "", kind or ProductKind.PHYSICAL,
                          category or None, True if visible is None else visible, photos or ())

    def _check_same(self, line: int, product: CsvProduct, cells: Mapping[str, str], *,
                    skip: set[str]) -> None:
        """A variant row may leave product columns empty; if it fills one, it must match the first row."""
        first: dict[str, object] = {
            "title": product.title, "description": product.description, "kind": product.kind,
            "category": product.category or "", "visible": product.visible, "photos": product.photos,
        }
        parsers: dict[str, Callable[[str], object]] = {"kind": _kind, "visible": _visible, "photos": _photos}
        for column in PRODUCT_COLUMNS:
            raw = cells.get(column, "").strip()
            if not raw or column in skip:
                continue
            parse = parsers.get(column, str.strip)
            value = self.cell(line, column, partial(parse, raw))
            if value is not None and value != first[column]:
                self.problems.append(RowProblem(line, column, (
                    f'differs from line {product.line}, the first row of product_ref "{product.ref}" '
                    "(leave it empty or repeat the same value)")))

    def _add_variant(self, line: int, product: CsvProduct, cells: Mapping[str, str]) -> None:
        before = len(self.problems)
        price_text = cells.get("price", "").strip()
        price = self.cell(line, "price", lambda: _price(price_text, self.currency))
        sku = self.cell(line, "sku", lambda: _text(cells.get("sku", ""), SKU_MAX))
        options = self.cell(line, "options", lambda: _options(cells.get("options", "")))
        stock = self.cell(line, "stock", lambda: _stock(cells.get("stock", ""), product.kind))
        if sku and (first := self._skus.setdefault(sku, line)) != line:
            self.problems.append(RowProblem(line, "sku", f'"{sku}" is already used on line {first}'))
        if options is not None and product.ref:
            signature = (product.ref, tuple(sorted(options.items())))
            if (first := self._options.setdefault(signature, line)) != line:
                self.problems.append(RowProblem(line, "options", (
                    f"same options as line {first}; the variants of one product need different options")))
        if len(self.problems) == before:
            assert price is not None and options is not None and stock is not None
            product.variants.append(CsvVariant(line, price_text, price, sku or None, options, stock))


def _header_problems(columns: list[str]) -> list[RowProblem]:
    problems = [RowProblem(1, name, f"unknown column; the columns are {','.join(COLUMNS)}")
                for name in columns if name and name not in COLUMNS]
    problems += [RowProblem(1, name, "this column appears twice")
                 for index, name in enumerate(columns) if name in COLUMNS and name in columns[:index]]
    problems += [RowProblem(1, name, "missing column") for name in REQUIRED_COLUMNS if name not in columns]
    return problems


def read_catalog(lines: Iterable[str], currency: str) -> list[CsvProduct]:
    """Parse and check a whole catalog CSV; raise `CatalogCsvError` listing every problem found."""
    reader = csv.reader(iter(lines), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise CatalogCsvError([RowProblem(1, "header", f"not readable as CSV ({error})")]) from None
    if header is None:
        raise CatalogCsvError([RowProblem(1, "header", f"the file is empty; expected {','.join(COLUMNS)}")])
    columns = [name.strip().lower() for name in header]
    if problems := _header_problems(columns):
        raise CatalogCsvError(problems)
    rows = _Reader(currency)
    for line, cells in _rows(reader, rows.problems):
        if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns):]):
            extra = f"{len(cells)} cells, but the header has {len(columns)} columns"
            rows.problems.append(RowProblem(line, "row", extra))
        elif any(c.strip() for c in cells):
            rows.add_row(line, dict(zip(columns, cells, strict=False)))
    if rows.problems:
        raise CatalogCsvError(rows.problems)
    if not rows.products:
        raise CatalogCsvError([RowProblem(2, "row", "no products in the file, only the header")])
    return list(rows.products.values())


def _rows(reader: _CsvReader, problems: list[RowProblem]) -> Iterator[tuple[int, list[str]]]:
    """Rows with the line each one starts on (a quoted cell may span several lines)."""
    line = 2
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            problems.append(RowProblem(line, "row", f"not readable as CSV ({error})"))
            return
        yield line, cells
        line = reader.line_num + 1


def export_rows(products: Iterable[ProductDTO],
                category_names: Mapping[int, str]) -> Iterator[dict[str, str]]:
    """One row per variant, in the import format; reading them back gives the same catalog."""
    for product in sorted(products, key=lambda p: p.id):
        for variant in product.variants:
            yield {
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
