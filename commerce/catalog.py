"""The catalog: categories, products, variants, digital items, listing and search."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final, Generic, TypeVar

from sqlalchemy import Select, bindparam, func, literal_column, select, table, update
from sqlalchemy.exc import IntegrityError

from commerce.errors import DuplicateSku, InvalidInput, NotFound, PermissionDenied
from commerce.events import Clock, actor_of, record, system_clock
from commerce.money import Money
from commerce.roles import Permission, Role
from commerce.sellers import require_permission
from commerce.storage.db import Database, UnitOfWork
from commerce.storage.product_query import ProductRows, prepared, prepared_page, product_page
from commerce.storage.recent_reads import RecentReads, Ticker
from commerce.storage.tables import Category, DigitalItem, Product, Review, Variant

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


def _bounded(value: str, field_name: str, limit: int, *, required: bool = False) -> str:
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
    sku = _bounded(new.sku, "sku", SKU_MAX, required=True) if new.sku else None
    stock = 0 if kind is ProductKind.DIGITAL else _stock(new.stock)
    return CheckedVariant(price.minor, sku, _options(new.options), stock)


def check_product(new: NewProduct, currency: str) -> CheckedProduct:
    """Every bound a new product must keep (the category's existence is the caller's to check)."""
    title = _bounded(new.title, "title", TITLE_MAX, required=True)
    description = _bounded(new.description, "description", DESCRIPTION_MAX)
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


def _stock(value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= STOCK_MAX:
        raise InvalidInput(field="stock", reason="range", minimum=0, maximum=STOCK_MAX)
    return value


def _options(options: dict[str, str]) -> dict[str, str]:
    if len(options) > OPTIONS_MAX:
        raise InvalidInput(field="options", reason="too_many", limit=OPTIONS_MAX)
    return {_bounded(k, "options", OPTION_MAX, required=True): _bounded(v, "options", OPTION_MAX, required=True)
            for k, v in options.items()}


# What the cards, pages and category list are read from (a review moves a card's rating).
CARD_TABLES: Final = (str(Product.__tablename__), str(Variant.__tablename__), str(Review.__tablename__))
CATEGORY_TABLES: Final = (str(Category.__tablename__),)

_CATEGORIES: Final = select(Category.id, Category.name).order_by(Category.position, Category.id)  # type: ignore[arg-type]


def _listed(include_hidden: bool) -> list[Any]:
    """Not deleted (and visible, for buyers). `= 0` uses the listing index, `IS 0` doesn't."""
    conditions: list[Any] = [Product.deleted == False]  # noqa: E712
    if not include_hidden:
        conditions.append(Product.visible == True)  # noqa: E712
    return conditions


def variant_dto(row: Variant, currency: str) -> VariantDTO:
    assert row.id is not None
    return VariantDTO(row.id, row.sku, tuple(sorted(row.options.items())), Money.from_minor(row.price_minor, currency),
                      row.stock)


class CatalogService:
    def __init__(self, db: Database, currency: str, clock: Clock = system_clock,
                 now_ns: Ticker = time.monotonic_ns) -> None:
        self._db = db
        self.currency = currency
        self._clock = clock
        # Every buyer browses the same few screens (commerce/storage/recent_reads.py).
        self._recent_categories: RecentReads[tuple[CategoryDTO, ...]] = RecentReads(
            db.committed, CATEGORY_TABLES, now_ns=now_ns)
        self._recent_cards: RecentReads[ProductDTO] = RecentReads(db.committed, CARD_TABLES, now_ns=now_ns)
        self._recent_pages: RecentReads[Page[ProductDTO]] = RecentReads(db.committed, CARD_TABLES, now_ns=now_ns)

    # ---- reading (buyers) ----

    async def categories(self) -> list[CategoryDTO]:
        found = self._recent_categories.get(None)
        if found is None:
            version = self._recent_categories.version()
            found = tuple(CategoryDTO(r.id, r.name) for r in await self._db.read(_CATEGORIES))
            self._recent_categories.put(None, found, version)
        return list(found)

    async def product(self, product_id: int, *, include_hidden: bool = False) -> ProductDTO:
        def conditions() -> list[Any]:
            return [Product.id == bindparam("product_id"), *_listed(include_hidden)]

        key = (product_id, include_hidden)
        dto = self._recent_cards.get(key)
        if dto is not None:
            return dto
        version = self._recent_cards.version()
        dto = await self._one(prepared(("product", include_hidden), conditions), {"product_id": product_id})
        if dto is None:
            raise NotFound(entity="product", id=product_id)
        self._recent_cards.put(key, dto, version)
        return dto

    async def variant(self, variant_id: int) -> tuple[ProductDTO, VariantDTO]:
        """A variant a buyer can buy now, with its product (for a button press carrying only the id)."""
        def conditions() -> list[Any]:
            owner = select(Variant.product_id).where(Variant.id == bindparam("variant_id")).scalar_subquery()
            return [Product.id == owner, *_listed(include_hidden=False)]

        dto = await self._one(prepared("variant", conditions), {"variant_id": variant_id})
        if dto is None:
            raise NotFound(entity="variant", id=variant_id)
        return dto, next(v for v in dto.variants if v.id == variant_id)

    async def list_products(self, *, category_id: int | None = None, page: int = 0, page_size: int = 10,
                            include_hidden: bool = False) -> Page[ProductDTO]:
        def conditions() -> list[Any]:
            in_category = [Product.category_id == bindparam("category_id")] if category_id is not None else []
            return [*_listed(include_hidden), *in_category]

        key = (category_id, page, page_size, include_hidden)
        found = self._recent_pages.get(key)
        if found is not None:
            return found
        version = self._recent_pages.version()
        statement = prepared(("list", include_hidden, category_id is not None), conditions)
        page_size = max(1, min(page_size, PAGE_MAX))
        page = max(0, page)
        rows, total = await prepared_page(self._db, statement, {"category_id": category_id},
                                          offset=page * page_size, limit=page_size)
        found = Page(tuple(self._dto(row) for row in rows), page, page_size, total)
        self._recent_pages.put(key, found, version)
        return found

    async def search(self, text: str, *, page: int = 0, page_size: int = 10) -> Page[ProductDTO]:
        """Products whose title or description contains every word of `text` (any language, no stemming)."""
        words = search_key(_bounded(text, "query", 100)).split()[:5]
        conditions: list[Any] = [Product.deleted == False, Product.visible == True]  # noqa: E712
        indexed = [word for word in words if len(word) >= TRIGRAM] if self._db.is_sqlite else []
        if indexed:
            # FTS5 trigram index (migration 0002): each quoted word matches as a substring.
            match = " AND ".join('"' + word.replace('"', '""') + '"' for word in indexed)
            conditions.append(Product.id.in_(
                select(literal_column("rowid")).select_from(table("product_fts"))
                .where(literal_column("product_fts").op("MATCH")(match))))
        for word in words:
            if word not in indexed:  # short words (and PostgreSQL, where pg_trgm indexes LIKE itself)
                escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                conditions.append(Product.search_text.like(f"%{escaped}%", escape="\\"))
        return await self._page(conditions, page, page_size)

    async def _page(self, conditions: list[Any], page: int, page_size: int) -> Page[ProductDTO]:
        page_size = max(1, min(page_size, PAGE_MAX))
        page = max(0, page)
        async with self._db.uow(write=False) as uow:
            found, total = await product_page(await uow.connection(), conditions, offset=page * page_size,
                                              limit=page_size)
        return Page(tuple(self._dto(rows) for rows in found), page, page_size, total)

    async def _one(self, statement: tuple[Select[Any], list[Any]], params: dict[str, Any]) -> ProductDTO | None:
        found, _ = await prepared_page(self._db, statement, params, offset=0, limit=1)
        return self._dto(found[0]) if found else None

    def _dto(self, rows: ProductRows) -> ProductDTO:
        p = rows.product
        rating = Decimal(str(rows.rating_avg)).quantize(Decimal("0.1")) if rows.rating_avg is not None else None
        variants = tuple(VariantDTO(v["id"], v["sku"], tuple(sorted(v["options"].items())),
                                    Money.from_minor(v["price_minor"], self.currency), v["stock"])
                         for v in rows.variants)
        return ProductDTO(p["id"], p["title"], p["description"], ProductKind(p["kind"]), p["visible"],
                          p["category_id"], p["seller_id"], tuple(p["photos"]), variants, rating, rows.rating_count)

    @property
    def clock(self) -> Clock:
        return self._clock

    # ---- managing (sellers) ----

    async def create_category(self, actor_id: int, name: str) -> CategoryDTO:
        async with self._db.uow() as uow:
            await require_permission(uow, actor_id, Permission.MANAGE_CATEGORIES)
            ids = await self.ensure_categories(uow, actor_id, [name])
            await uow.commit()
        [(name, category_id)] = ids.items()
        return CategoryDTO(category_id, name)

    async def ensure_categories(self, uow: UnitOfWork, actor_id: int | None, names: Iterable[str]) -> dict[str, int]:
        """Category ids by name, creating missing ones inside the caller's unit of work (no commit)."""
        wanted = {_bounded(name, "name", CATEGORY_NAME_MAX, required=True) for name in names}
        ids = {row.name: row.id for row in (await uow.session.execute(
            select(Category.name, Category.id).where(Category.name.in_(wanted))))}
        for name in sorted(wanted - ids.keys()):
            row = Category(name=name)
            uow.session.add(row)
            await uow.flush()
            assert row.id is not None
            ids[name] = row.id
            record(uow.session, actor=actor_of(actor_id), action="category.create", entity="category",
                   entity_id=row.id, at=self._clock(), name=name)
        return ids

    async def create_product(self, actor_id: int, new: NewProduct) -> ProductDTO:
        async with self._db.uow() as uow:
            await require_permission(uow, actor_id, Permission.MANAGE_OWN_PRODUCTS)
            if new.category_name is not None and new.category_id is None:
                new = replace(new, category_id=await self._category_named(uow, actor_id, new.category_name))
            product_id = await self.add_product(uow, actor_id, new)
            await uow.commit()
        return await self.product(product_id, include_hidden=True)

    async def add_product(self, uow: UnitOfWork, actor_id: int | None, new: NewProduct) -> int:
        """Insert a product and its variants inside the caller's unit of work (commerce/catalog_import.py
        adds many at a time)."""
        checked = check_product(new, self.currency)
        if new.category_id is not None and await uow.session.get(Category, new.category_id) is None:
            raise NotFound(entity="category", id=new.category_id)
        now = self._clock()
        row = Product(title=checked.title, description=checked.description, kind=checked.kind, visible=new.visible,
                      seller_id=actor_id, category_id=new.category_id, photos=checked.photos, created_at=now,
                      updated_at=now, search_text=search_key(f"{checked.title} {checked.description}"))
        uow.session.add(row)
        await uow.flush()
        assert row.id is not None
        for position, variant in enumerate(checked.variants):
            await self.insert_variant(uow, row.id, variant, position)
        record(uow.session, actor=actor_of(actor_id), action="product.create", entity="product",
               entity_id=row.id, at=now, title=checked.title)
        return row.id

    async def insert_variant(self, uow: UnitOfWork, product_id: int, variant: CheckedVariant,
                             position: int) -> Variant:
        """One checked variant, in a savepoint of the caller's unit of work; a taken SKU is DuplicateSku."""
        sku = variant.sku or generated_sku(product_id, position)
        row = Variant(product_id=product_id, sku=sku, options=variant.options, price_minor=variant.price_minor,
                      stock=variant.stock, position=position)
        try:
            async with uow.session.begin_nested():
                uow.session.add(row)
                await uow.flush()
        except IntegrityError:
            raise DuplicateSku(sku=sku) from None
        return row

    async def update_product(self, actor_id: int, product_id: int, *, title: str | None = None,
                             description: str | None = None, category_id: int | None = None,
                             photos: Sequence[str] | None = None, visible: bool | None = None,
                             category_name: str | None = None) -> ProductDTO:
        async with self._db.uow() as uow:
            row = await self._editable(uow, actor_id, product_id)
            changed: dict[str, object] = {}
            if category_name is not None and category_id is None:
                category_id = await self._category_named(uow, actor_id, category_name)
            if title is not None:
                row.title = changed["title"] = _bounded(title, "title", TITLE_MAX, required=True)
            if description is not None:
                row.description = changed["description"] = _bounded(description, "description", DESCRIPTION_MAX)
            if category_id is not None:
                if await uow.session.get(Category, category_id) is None:
                    raise NotFound(entity="category", id=category_id)
                row.category_id = changed["category_id"] = category_id
            if photos is not None:
                if len(photos) > PHOTOS_MAX:
                    raise InvalidInput(field="photos", reason="too_many", limit=PHOTOS_MAX)
                row.photos = list(photos)
                changed["photos"] = len(photos)
            if visible is not None:
                row.visible = changed["visible"] = visible
            row.search_text = search_key(f"{row.title} {row.description}")
            row.updated_at = self._clock()
            record(uow.session, actor=actor_of(actor_id), action="product.update", entity="product",
                   entity_id=product_id, at=row.updated_at, **changed)
            await uow.commit()
        return await self.product(product_id, include_hidden=True)

    async def delete_product(self, actor_id: int, product_id: int) -> None:
        """Hide for good; orders and reviews that mention it keep their snapshot."""
        async with self._db.uow() as uow:
            row = await self._editable(uow, actor_id, product_id)
            row.deleted, row.visible = True, False
            record(uow.session, actor=actor_of(actor_id), action="product.delete", entity="product",
                   entity_id=product_id, at=self._clock())
            await uow.commit()

    async def add_variant(self, actor_id: int, product_id: int, new: NewVariant) -> VariantDTO:
        async with self._db.uow() as uow:
            product = await self._editable(uow, actor_id, product_id)
            count = (await uow.session.execute(
                select(func.count()).select_from(Variant).where(Variant.product_id == product_id))).scalar_one()
            if count >= VARIANTS_MAX:
                raise InvalidInput(field="variants", reason="too_many", limit=VARIANTS_MAX)
            checked = check_variant(new, ProductKind(product.kind), self.currency)
            row = await self.insert_variant(uow, product_id, checked, count)
            record(uow.session, actor=actor_of(actor_id), action="variant.create", entity="variant",
                   entity_id=row.id, at=self._clock(), sku=row.sku)
            await uow.commit()
            return variant_dto(row, self.currency)

    async def set_price(self, actor_id: int, variant_id: int, price: Decimal | int | str) -> VariantDTO:
        money = Money.parse(price, self.currency)
        return await self._change_variant(actor_id, variant_id, "variant.price", price_minor=money.minor)

    async def set_stock(self, actor_id: int, variant_id: int, stock: int) -> VariantDTO:
        """Set the units on hand that are free to sell (reserved units are not counted)."""
        return await self._change_variant(actor_id, variant_id, "variant.stock", stock=_stock(stock))

    async def _change_variant(self, actor_id: int, variant_id: int, action: str, **values: int) -> VariantDTO:
        async with self._db.uow() as uow:
            variant = await uow.session.get(Variant, variant_id)
            if variant is None:
                raise NotFound(entity="variant", id=variant_id)
            product = await self._editable(uow, actor_id, variant.product_id)
            if "stock" in values and product.kind == ProductKind.DIGITAL:
                raise InvalidInput(field="stock", reason="digital_stock")
            for key, value in values.items():
                setattr(variant, key, value)
            record(uow.session, actor=actor_of(actor_id), action=action, entity="variant",
                   entity_id=variant_id, at=self._clock(), **values)
            await uow.commit()
            return variant_dto(variant, self.currency)

    async def add_digital_items(self, actor_id: int, variant_id: int, contents: Sequence[str]) -> int:
        """Add keys/codes to a digital variant; each one adds a unit of stock. Returns the new stock."""
        items = [c.strip() for c in contents if c.strip()]
        if not items:
            raise InvalidInput(field="items", reason="required")
        if len(items) > DIGITAL_ITEM_MAX or any(len(c) > 2000 for c in items):
            raise InvalidInput(field="items", reason="too_many", limit=DIGITAL_ITEM_MAX)
        async with self._db.uow() as uow:
            variant = await uow.session.get(Variant, variant_id)
            if variant is None:
                raise NotFound(entity="variant", id=variant_id)
            product = await self._editable(uow, actor_id, variant.product_id)
            if product.kind != ProductKind.DIGITAL:
                raise InvalidInput(field="items", reason="not_digital")
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
            variant = await uow.session.get(Variant, variant_id)
            if variant is None:
                raise NotFound(entity="variant", id=variant_id)
            product = await self._editable(uow, actor_id, variant.product_id)
            if product.kind != ProductKind.DIGITAL:
                raise InvalidInput(field="items", reason="not_digital")
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

    async def add_photos(self, actor_id: int, product_id: int, references: Sequence[str]) -> ProductDTO:
        """Append stored photos to a product (a photo it already has is not added twice)."""
        async with self._db.uow() as uow:
            row = await self._editable(uow, actor_id, product_id)
            photos = list(dict.fromkeys([*row.photos, *references]))
            if len(photos) > PHOTOS_MAX:
                raise InvalidInput(field="photos", reason="too_many", limit=PHOTOS_MAX)
            row.photos = photos
            row.updated_at = self._clock()
            record(uow.session, actor=actor_of(actor_id), action="product.update", entity="product",
                   entity_id=product_id, at=row.updated_at, photos=len(photos))
            await uow.commit()
        return await self.product(product_id, include_hidden=True)

    # ---- reading (sellers) ----

    async def managed_product(self, actor_id: int, product_id: int) -> ProductDTO:
        """A product as its seller (or staff) sees it: hidden ones too, someone else's refused."""
        async with self._db.uow(write=False) as uow:
            await self._editable(uow, actor_id, product_id)
        return await self.product(product_id, include_hidden=True)

    async def managed_products(self, actor_id: int, *, page: int = 0, page_size: int = 10) -> Page[ProductDTO]:
        """The products a person manages, hidden ones included: a seller's own; every product for staff."""
        page_size = max(1, min(page_size, PAGE_MAX))
        page = max(0, page)
        async with self._db.uow(write=False) as uow:
            role = await require_permission(uow, actor_id, Permission.MANAGE_OWN_PRODUCTS)
            conditions: list[Any] = [Product.deleted == False]  # noqa: E712
            if role is Role.SELLER:
                conditions.append(Product.seller_id == actor_id)
            found, total = await product_page(await uow.connection(), conditions, offset=page * page_size,
                                              limit=page_size)
        return Page(tuple(self._dto(rows) for rows in found), page, page_size, total)

    async def _category_named(self, uow: UnitOfWork, actor_id: int, name: str) -> int:
        """An existing category's id by its name (ignoring case and width), else a new one (a permission)."""
        name = _bounded(name, "category", CATEGORY_NAME_MAX, required=True)
        for row in (await uow.session.execute(select(Category.id, Category.name))).all():
            if search_key(row.name) == search_key(name):
                return int(row.id)
        await require_permission(uow, actor_id, Permission.MANAGE_CATEGORIES)
        return (await self.ensure_categories(uow, actor_id, [name]))[name]

    async def _editable(self, uow: UnitOfWork, actor_id: int, product_id: int) -> Product:
        role = await require_permission(uow, actor_id, Permission.MANAGE_OWN_PRODUCTS)
        row = await uow.session.get(Product, product_id)
        if row is None or row.deleted:
            raise NotFound(entity="product", id=product_id)
        if role is Role.SELLER and row.seller_id != actor_id:
            raise PermissionDenied(permission=Permission.MANAGE_ALL_PRODUCTS.value, role=role.value)
        return row
