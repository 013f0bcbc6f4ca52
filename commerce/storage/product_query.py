"""One statement for a page of product cards: the page of products, their variants, ratings and the total.

Each statement costs a round trip through the async driver, so a page of ten cards is fetched in one:
a CTE picks the page (with the total as a scalar subquery), joined to variants and review ratings.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.storage.db import Database
from commerce.storage.tables import Product, Review, Variant

PRODUCTS = Product.__table__  # type: ignore[attr-defined]
VARIANTS = Variant.__table__  # type: ignore[attr-defined]
REVIEWS = Review.__table__  # type: ignore[attr-defined]


# What a card shows, and nothing else: each column read is converted
# (JSON, timestamps), so the others are left in the table.
PRODUCT_FIELDS: Final = ("id", "title", "description", "kind", "visible", "category_id", "seller_id", "photos")
VARIANT_FIELDS: Final = ("id", "sku", "options", "price_minor", "stock")
_PRODUCT_KEYS: Final = tuple((name, f"p_{name}") for name in PRODUCT_FIELDS)
_VARIANT_KEYS: Final = tuple((name, f"v_{name}") for name in VARIANT_FIELDS)


def _page_statement(conditions: list[Any], offset: Any, limit: Any) -> Select[Any]:
    p, v, r = PRODUCTS.c, VARIANTS.c, REVIEWS.c
    # An uncorrelated count is computed once, from the index; a window count would materialise every match.
    total = select(func.count()).select_from(PRODUCTS).where(*conditions).scalar_subquery()
    page = (select(p.id.label("page_id"), total.label("total")).where(*conditions)
            .order_by(p.id.desc()).offset(offset).limit(limit).cte("page"))
    ratings = (select(r.product_id, func.avg(r.stars).label("avg"), func.count().label("n"))
               .where(r.product_id.in_(select(page.c.page_id))).group_by(r.product_id).subquery())
    return (select(page.c.total, *[p[name].label(key) for name, key in _PRODUCT_KEYS],
                   *[v[name].label(key) for name, key in _VARIANT_KEYS], ratings.c.avg, ratings.c.n)
             .select_from(page.join(PRODUCTS, p.id == page.c.page_id).join(VARIANTS, v.product_id == p.id)
                          .outerjoin(ratings, ratings.c.product_id == p.id))
             .order_by(p.id.desc(), v.position, v.id))


@dataclass(slots=True)
class ProductRows:
    product: dict[str, Any]
    variants: list[dict[str, Any]] = field(default_factory=list)
    rating_avg: Any = None
    rating_count: int = 0


# Statements for the hot shapes (a card by id, a page of a category), built once with bound parameters:
# building this statement and its cache key costs more than running it.
_PREPARED: dict[Hashable, tuple[Select[Any], list[Any]]] = {}


def prepared(key: Hashable, conditions: Callable[[], list[Any]]) -> tuple[Select[Any], list[Any]]:
    """The page statement for `key`, whose `conditions()` use `bindparam`s (offset and limit are bound too).
    Returns the statement and its conditions, for `prepared_page`."""
    found = _PREPARED.get(key)
    if found is None:
        where = conditions()
        found = _PREPARED[key] = (_page_statement(where, bindparam("page_offset", type_=Integer),
                                                        bindparam("page_limit", type_=Integer)), where)
    return found


async def product_page(connection: AsyncConnection, conditions: list[Any], *, offset: int,
                       limit: int) -> tuple[list[ProductRows], int]:
    """Products matching `conditions` (newest first) with variants and ratings, and the total count."""
    rows = (await connection.execute(_page_statement(conditions, offset, limit))).all()
    if not rows and offset > 0:
        return [], (await connection.execute(_count(conditions))).scalar_one()
    return _grouped(rows)


async def prepared_page(db: Database, prepared: tuple[Select[Any], list[Any]], params: dict[str, Any], *,
                        offset: int, limit: int) -> tuple[list[ProductRows], int]:
    """`product_page` for a statement from `prepared()`, its `bindparam`s bound from `params`: a hot read
    (`Database.read`)."""
    query, conditions = prepared
    bound = {**params, "page_offset": offset, "page_limit": limit}
    rows = await db.read(query, bound)
    if not rows and offset > 0:  # past the end: how many there are, to say so
        async with db.uow(write=False) as uow:
            return [], (await (await uow.connection()).execute(_count(conditions), bound)).scalar_one()
    return _grouped(rows)


def _count(conditions: list[Any]) -> Select[Any]:
    return select(func.count()).select_from(PRODUCTS).where(*conditions)


def _grouped(rows: Sequence[Any]) -> tuple[list[ProductRows], int]:
    """Rows of `_page_statement` (a product's variants in a row each) → one ProductRows per product."""
    if not rows:
        return [], 0
    grouped: dict[int, ProductRows] = {}
    for row in rows:
        entry = grouped.get(row.p_id)
        if entry is None:
            entry = grouped[row.p_id] = ProductRows({name: getattr(row, key) for name, key in _PRODUCT_KEYS}, [],
                                                    row.avg, row.n or 0)
        entry.variants.append({name: getattr(row, key) for name, key in _VARIANT_KEYS})
    return list(grouped.values()), rows[0].total
