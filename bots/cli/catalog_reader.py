"""Reading a catalog CSV as a stream, a row at a time, into checked rows (the format: catalog.py).

Every problem is collected, one per field, as `line N: field: problem`; the import that consumes the
rows (catalog_shop.py) commits nothing unless there was none. Memory grows with the number of products
(what later rows are checked against), never with the size of the file.
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Final, Protocol, TypeVar

from bots.cli.catalog_csv import (
    COLUMNS,
    PRODUCT_COLUMNS,
    REQUIRED_COLUMNS,
    CatalogCsvError,
    CsvProduct,
    CsvRow,
    CsvVariant,
    RowProblem,
    amount_problem,
    spreadsheet_text,
)
from commerce.catalog import DESCRIPTION_MAX, OPTION_MAX, PHOTOS_MAX, SKU_MAX, STOCK_MAX, TITLE_MAX, ProductKind
from commerce.errors import InvalidAmount
from commerce.money import Money

CATEGORY_MAX: Final = 64
OPTIONS_MAX: Final = 3
PROBLEMS_MAX: Final = 1000  # a file this wrong is the wrong file: reading stops here
_WHOLE: Final = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")  # a whole number grouped in threes
_TRUE: Final = frozenset({"true", "yes", "1", "y"})
_FALSE: Final = frozenset({"false", "no", "0", "n"})

T = TypeVar("T")


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
    except InvalidAmount as error:
        raise _Bad(amount_problem(error, currency)) from None

def _stock(raw: str, kind: ProductKind) -> int:
    value = raw.strip()
    if _WHOLE.fullmatch(value):  # "1,200" is twelve hundred; "1,5" is not a number of units
        value = value.replace(",", "")
    if kind is ProductKind.DIGITAL:
        if value not in ("", "0"):
            raise _Bad("digital products get their stock from the codes added in the bot; leave it empty")
        return 0
    if not value:
        return 0
    if not value.isascii() or not value.isdigit() or int(value) > STOCK_MAX:
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


@dataclass(slots=True)
class _Seen:
    """What later rows of a product are checked against, kept small (a long file has many products): the
    first row's product columns in PRODUCT_COLUMNS order, title and description as digests."""

    line: int
    first: tuple[object, ...]
    kind: ProductKind
    unreadable: frozenset[str]  # product columns whose first value was bad: not compared again
    broken: bool  # its first row had a problem: the product is never added, so neither are its variants
    options: str | dict[str, int]  # the first row's option set; from a second row on, every set -> its line


_NOTHING_UNREADABLE: Final[frozenset[str]] = frozenset()
_DIGESTED: Final = ("title", "description")


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _first_values(product: CsvProduct) -> tuple[object, ...]:
    return (_digest(product.title), _digest(product.description), product.kind, product.category or "",
            product.visible, product.photos)


def _option_set(options: Mapping[str, str]) -> str:
    return "\x00".join(f"{name}\x00{value}" for name, value in sorted(options.items())) if options else ""


class CatalogReader:
    """Reads a catalog CSV a row at a time: `rows()` yields every row that passed its checks, and every
    problem is kept in `problems` (at most PROBLEMS_MAX) instead of stopping at the first.

    Only what later rows are compared with is remembered (SKUs, option sets, each product's first row), so
    memory grows with the number of products, not with the size of the file.
    """

    def __init__(self, lines: Iterable[str], currency: str) -> None:
        self.currency = currency
        self.problems: list[RowProblem] = []
        self.stopped = False  # True when reading stopped at PROBLEMS_MAX problems
        self._csv = csv.reader(iter(lines), strict=True)
        self.columns = self._header()
        self._products: dict[str, _Seen] = {}  # by product_ref (a row without one is a product of its own)
        self._skus: dict[str, int] = {}

    def _header(self) -> list[str]:
        try:
            header = next(self._csv, None)
        except csv.Error as error:
            raise CatalogCsvError([RowProblem(1, "header", f"not readable as CSV ({error})")]) from None
        if header is None:
            raise CatalogCsvError([RowProblem(1, "header", f"the file is empty; expected {','.join(COLUMNS)}")])
        columns = [name.strip().lower() for name in header]
        if problems := _header_problems(columns):
            raise CatalogCsvError(problems)
        return columns

    def rows(self) -> Iterator[CsvRow]:
        """Each checked row, in file order. When it ends, `problems` holds everything that was wrong."""
        width = len(self.columns)
        any_row = False
        for line, raw in _rows(self._csv, self.problems):
            if len(self.problems) >= PROBLEMS_MAX:
                self.stopped = True
                return
            cells = [spreadsheet_text(cell) for cell in raw]
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                self.problems.append(RowProblem(line, "row", f"{len(cells)} cells, but the header has {width} columns"))
            elif any(c.strip() for c in cells):
                any_row = True
                named = dict(zip(self.columns, cells, strict=False))
                if nul := [column for column, cell in named.items() if "\x00" in cell]:
                    self.problems += [RowProblem(line, column, "holds a NUL character (\\0), which no text may "
                                                 "contain; save the file as plain UTF-8 text") for column in nul]
                elif (row := self._row(line, named)) is not None:
                    yield row
        if not any_row:
            self.problems.append(RowProblem(2, "row", "no products in the file, only the header"))

    def cell(self, line: int, column: str, parse: Callable[[], T]) -> T | None:
        try:
            return parse()
        except _Bad as bad:
            self.problems.append(RowProblem(line, column, str(bad)))
            return None

    def _row(self, line: int, cells: Mapping[str, str]) -> CsvRow | None:
        before = len(self.problems)
        ref = cells.get("product_ref", "").strip()
        seen = self._products.get(ref) if ref else None
        product: CsvProduct | None = None
        if seen is None:
            product = self._new_product(line, ref, cells)
            unreadable = frozenset(p.field for p in self.problems[before:]) or _NOTHING_UNREADABLE
            seen = _Seen(line, _first_values(product), product.kind, unreadable, bool(unreadable), "")
            if ref:
                self._products[ref] = seen
        else:
            self._check_same(line, ref, seen, cells)
        variant = self._variant(line, seen, cells, first=product is not None)
        if len(self.problems) > before or variant is None:
            seen.broken = seen.broken or product is not None  # a bad first row: the product is never added
            return None
        return None if seen.broken else CsvRow(ref or None, product, variant)

    def _check_options(self, line: int, seen: _Seen, option_set: str, *, first: bool) -> None:
        """The variants of one product need different options (kept as one string until a second row)."""
        if first:
            seen.options = option_set
            return
        if isinstance(seen.options, str):
            seen.options = {seen.options: seen.line}
        if (used := seen.options.setdefault(option_set, line)) != line:
            self.problems.append(RowProblem(line, "options", (
                f"same options as line {used}; the variants of one product need different options")))

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
                          sys.intern(category) if category else None, True if visible is None else visible,
                          photos or ())

    def _check_same(self, line: int, ref: str, seen: _Seen, cells: Mapping[str, str]) -> None:
        """A variant row may leave product columns empty; if it fills one, it must match the first row."""
        parsers: dict[str, Callable[[str], object]] = {"kind": _kind, "visible": _visible, "photos": _photos}
        for column, first in zip(PRODUCT_COLUMNS, seen.first, strict=True):
            raw = cells.get(column, "").strip()
            if not raw or column in seen.unreadable:
                continue
            parse = _digest if column in _DIGESTED else parsers.get(column, str.strip)
            value = self.cell(line, column, partial(parse, raw))
            if value is not None and value != first:
                self.problems.append(RowProblem(line, column, (
                    f'differs from line {seen.line}, the first row of product_ref "{ref}" '
                    "(leave it empty or repeat the same value)")))

    def _variant(self, line: int, seen: _Seen, cells: Mapping[str, str], *, first: bool) -> CsvVariant | None:
        price_text = cells.get("price", "").strip()
        price = self.cell(line, "price", lambda: _price(price_text, self.currency))
        sku = self.cell(line, "sku", lambda: _text(cells.get("sku", ""), SKU_MAX))
        options = self.cell(line, "options", lambda: _options(cells.get("options", "")))
        stock = self.cell(line, "stock", lambda: _stock(cells.get("stock", ""), seen.kind))
        if sku and (used := self._skus.setdefault(sku, line)) != line:
            self.problems.append(RowProblem(line, "sku", f'"{sku}" is already used on line {used}'))
        if options is not None:
            self._check_options(line, seen, _option_set(options), first=first)
        if price is None or options is None or stock is None:
            return None
        return CsvVariant(line, price_text, price, sku or None, options, stock)


def _header_problems(columns: list[str]) -> list[RowProblem]:
    problems = [RowProblem(1, name, f"unknown column; the columns are {','.join(COLUMNS)}")
                for name in columns if name and name not in COLUMNS]
    problems += [RowProblem(1, name, "this column appears twice")
                 for index, name in enumerate(columns) if name in COLUMNS and name in columns[:index]]
    problems += [RowProblem(1, name, "missing column") for name in REQUIRED_COLUMNS if name not in columns]
    return problems


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
