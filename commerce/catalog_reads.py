"""The catalog as buyers read it: categories, a product card, a page of a category, search. The screens
every buyer sees are kept for a few seconds (`commerce/storage/recent_reads.py`)."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, bindparam, literal_column, select, table

from commerce.catalog_types import (
    CARD_TABLES,
    CATEGORIES_QUERY,
    CATEGORY_TABLES,
    PAGE_MAX,
    TRIGRAM,
    CategoryDTO,
    Page,
    ProductDTO,
    ProductKind,
    VariantDTO,
    bounded_text,
    listed,
    search_key,
)
from commerce.errors import NotFound
from commerce.events import Clock, system_clock
from commerce.money import Money
from commerce.storage.db import Database
from commerce.storage.product_query import ProductRows, prepared, prepared_page, product_page
from commerce.storage.recent_reads import RecentReads, Ticker
from commerce.storage.tables import Product, Variant


class CatalogReads:
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

    async def categories(self) -> list[CategoryDTO]:
        found = self._recent_categories.get(None)
        if found is None:
            version = self._recent_categories.version()
            found = tuple(CategoryDTO(r.id, r.name) for r in await self._db.read(CATEGORIES_QUERY))
            self._recent_categories.put(None, found, version)
        return list(found)

    async def product(self, product_id: int, *, include_hidden: bool = False) -> ProductDTO:
        def conditions() -> list[Any]:
            return [Product.id == bindparam("product_id"), *listed(include_hidden)]

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
            return [Product.id == owner, *listed(include_hidden=False)]

        dto = await self._one(prepared("variant", conditions), {"variant_id": variant_id})
        if dto is None:
            raise NotFound(entity="variant", id=variant_id)
        return dto, next(v for v in dto.variants if v.id == variant_id)

    async def list_products(self, *, category_id: int | None = None, page: int = 0, page_size: int = 10,
                            include_hidden: bool = False) -> Page[ProductDTO]:
        def conditions() -> list[Any]:
            in_category = [Product.category_id == bindparam("category_id")] if category_id is not None else []
            return [*listed(include_hidden), *in_category]

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
        words = search_key(bounded_text(text, "query", 100)).split()[:5]
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
