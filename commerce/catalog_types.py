"""What the catalog speaks: its limits, the products and pages it hands out, a new product as typed, and
the checks every new product or variant passes."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final, Generic, TypeVar

from sqlalchemy import select

from commerce.errors import InvalidInput
from commerce.money import Money
from commerce.storage.tables import Category, Product, Review, Variant

CATEGORY_NAME_MAX: Final = 64
OPTIONS_MAX: Final = 3
TITLE_MAX: Final = 120
DESCRIPTION_MAX: Final = 4000
SKU_MAX: Final = 64
OPTION_MAX: Final = 40
PHOTOS_MAX: Final = 10
VARIANTS_MAX: Final = 20
STOCK_MAX: Final = 1_000_000
DIGITAL_ITEM_MAX: Final = 2000
DIGITAL_IMPORT_MAX: Final = 5000  # items in one uploaded file
DIGITAL_ITEM_LENGTH_MAX: Final = 2000
PAGE_MAX: Final = 50
TRIGRAM: Final = 3  # the search index finds substrings of at least this many characters


T = TypeVar("T")


class ProductKind(StrEnum):
    PHYSICAL = "physical"
    DIGITAL = "digital"


@dataclass(frozen=True, slots=True)
class CategoryDTO:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class VariantDTO:
    id: int
    sku: str
    options: tuple[tuple[str, str], ...]
    price: Money
    stock: int

    @property
    def sold_out(self) -> bool:
        return self.stock <= 0

    @property
    def label(self) -> str:
        return " / ".join(value for _, value in self.options)


@dataclass(frozen=True, slots=True)
class ProductDTO:
    id: int
    title: str
    description: str
    kind: ProductKind
    visible: bool
    category_id: int | None
    seller_id: int | None
    photos: tuple[str, ...]
    variants: tuple[VariantDTO, ...]
    rating: Decimal | None
    review_count: int

    @property
    def price_from(self) -> Money:
        return min(v.price for v in self.variants)

    @property
    def stock(self) -> int:
        return sum(v.stock for v in self.variants)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    page: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page + 1 < self.pages


@dataclass(frozen=True, slots=True)
class DigitalImport:
    """What an upload of digital items did: `added` new ones; blank lines and repeats were skipped."""

    added: int
    blank: int
    duplicates: int  # repeated inside the upload
    already_stored: int  # already waiting on this variant (a key must never be sold twice)
    stock: int


@dataclass(frozen=True, slots=True)
class NewVariant:
    price: Decimal | int | str
    stock: int = 0
    sku: str | None = None
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewProduct:
    title: str
    price: Decimal | int | str | None = None
    stock: int = 0
    description: str = ""
    kind: ProductKind | str = ProductKind.PHYSICAL
    category_id: int | None = None
    photos: Sequence[str] = ()
    visible: bool = True
    variants: Sequence[NewVariant] = ()
    category_name: str | None = None  # an existing category by name, or a new one (needs manage_categories)


def search_key(text: str) -> str:
    """Case- and width-folded text (ＡＢＣ → abc, ｶ → カ) so "tshirt" finds "T-Shirt" and ＴＥＥ finds tee."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split())


def bounded_text(value: str, field_name: str, limit: int, *, required: bool = False) -> str:
    """Stripped text within `limit`, without NUL; refused as `field_name` otherwise."""
    value = value.strip() if isinstance(value, str) else ""
    if required and not value:
        raise InvalidInput(field=field_name, reason="required")
    if len(value) > limit:
        raise InvalidInput(field=field_name, reason="too_long", limit=limit)
    if "\x00" in value:  # no text column takes a NUL on PostgreSQL; refused the same way on SQLite
        raise InvalidInput(field=field_name, reason="not_text")
    return value


@dataclass(frozen=True, slots=True)
class CheckedVariant:
    """A NewVariant that passed every check: what its row will hold (`sku` None: made from the product id)."""

    price_minor: int
    sku: str | None
    options: dict[str, str]
    stock: int


@dataclass(frozen=True, slots=True)
class CheckedProduct:
    title: str
    description: str
    kind: ProductKind
    photos: list[str]
    variants: tuple[CheckedVariant, ...]


def check_variant(new: NewVariant, kind: ProductKind, currency: str) -> CheckedVariant:
    price = Money.parse(new.price, currency)  # typed text, or a Decimal: bounded either way
    sku = bounded_text(new.sku, "sku", SKU_MAX, required=True) if new.sku else None
    stock = 0 if kind is ProductKind.DIGITAL else checked_stock(new.stock)
    return CheckedVariant(price.minor, sku, _options(new.options), stock)


def check_product(new: NewProduct, currency: str) -> CheckedProduct:
    """Every bound a new product must keep (the category's existence is the caller's to check)."""
    title = bounded_text(new.title, "title", TITLE_MAX, required=True)
    description = bounded_text(new.description, "description", DESCRIPTION_MAX)
    try:
        kind = ProductKind(new.kind)
    except ValueError:
        raise InvalidInput(field="kind", reason="choice", choices=[k.value for k in ProductKind]) from None
    if len(new.photos) > PHOTOS_MAX:
        raise InvalidInput(field="photos", reason="too_many", limit=PHOTOS_MAX)
    photos = list(new.photos)
    if any("\x00" in photo for photo in photos):
        raise InvalidInput(field="photos", reason="not_text")
    variants = list(new.variants) or [NewVariant(price=new.price if new.price is not None else "", stock=new.stock)]
    if len(variants) > VARIANTS_MAX:
        raise InvalidInput(field="variants", reason="too_many", limit=VARIANTS_MAX)
    return CheckedProduct(title, description, kind, photos,
                          tuple(check_variant(variant, kind, currency) for variant in variants))


def generated_sku(product_id: int, position: int) -> str:
    """The SKU of a variant added without one: P<product id>-<its number in the product>."""
    return f"P{product_id}-{position + 1}"


def checked_stock(value: int) -> int:
    """Units of stock a seller may set: 0–STOCK_MAX, an int."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= STOCK_MAX:
        raise InvalidInput(field="stock", reason="range", minimum=0, maximum=STOCK_MAX)
    return value


def _options(options: dict[str, str]) -> dict[str, str]:
    if len(options) > OPTIONS_MAX:
        raise InvalidInput(field="options", reason="too_many", limit=OPTIONS_MAX)
    return {bounded_text(k, "options", OPTION_MAX, required=True): bounded_text(v, "options", OPTION_MAX, required=True)
            for k, v in options.items()}


# What the cards, pages and category list are read from (a review moves a card's rating).
CARD_TABLES: Final = (str(Product.__tablename__), str(Variant.__tablename__), str(Review.__tablename__))
CATEGORY_TABLES: Final = (str(Category.__tablename__),)

CATEGORIES_QUERY: Final = select(Category.id, Category.name).order_by(Category.position, Category.id)  # type: ignore[arg-type]


def listed(include_hidden: bool) -> list[Any]:
    """Not deleted (and visible, for buyers). `= 0` uses the listing index, `IS 0` doesn't."""
    conditions: list[Any] = [Product.deleted == False]  # noqa: E712
    if not include_hidden:
        conditions.append(Product.visible == True)  # noqa: E712
    return conditions


def variant_dto(row: Variant, currency: str) -> VariantDTO:
    assert row.id is not None
    return VariantDTO(row.id, row.sku, tuple(sorted(row.options.items())), Money.from_minor(row.price_minor, currency),
                      row.stock)
