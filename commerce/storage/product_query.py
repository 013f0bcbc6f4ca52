"""One statement for a page of product cards: the page of products, their variants, ratings and the total.

Each statement costs a round trip through the async driver, so a page of ten cards is fetched in one:
a CTE picks the page (with the total as a scalar subquery), joined to variants and review ratings.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, RowMapping, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.storage.tables import Product, Review, Variant

PRODUCTS = Product.__table__  # type: ignore[attr-defined]
VARIANTS = Variant.__table__  # type: ignore[attr-defined]
REVIEWS = Review.__table__  # type: ignore[attr-defined]


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
    Returns the statement and its conditions, for `product_page(..., prepared=..., params=...)`."""
    found = _PREPARED.get(key)
    if found is None:
        where = conditions()
        found = _PREPARED[key] = (_page_statement(where, bindparam("page_offset", type_=Integer),
                                                        bindparam("page_limit", type_=Integer)), where)
    return found


async def product_page(connection: AsyncConnection, conditions: list[Any], *, offset: int, limit: int,
                       prepared: tuple[Select[Any], list[Any]] | None = None,
                       params: dict[str, Any] | None = None) -> tuple[list[ProductRows], int]:
    """Products matching `conditions` (newest first) with variants and ratings, and the total count.

    With `prepared` (from `prepared()`), its statement and conditions are used, with `params` bound."""
    bound: dict[str, Any] = {}
    if prepared is not None:
        query, conditions = prepared
        bound = {**(params or {}), "page_offset": offset, "page_limit": limit}
    else:
        query = _page_statement(conditions, offset, limit)
    rows = (await connection.execute(query, bound)).mappings().all()
    if not rows:
        total = 0 if offset == 0 else (await connection.execute(
            select(func.count()).select_from(PRODUCTS).where(*conditions), bound)).scalar_one()
        return [], total
    grouped: dict[int, ProductRows] = {}
    for row in rows:
        entry = grouped.get(row["p_id"])
        if entry is None:
            entry = grouped[row["p_id"]] = ProductRows(_prefixed(row, "p_"), [], row["avg"], row["n"] or 0)
        entry.variants.append(_prefixed(row, "v_"))
    return list(grouped.values()), rows[0]["total"]


def _page_statement(conditions: list[Any], offset: Any, limit: Any) -> Select[Any]:
    p, v, r = PRODUCTS.c, VARIANTS.c, REVIEWS.c
    # An uncorrelated count is computed once, from the index; a window count would materialise every match.
    total = select(func.count()).select_from(PRODUCTS).where(*conditions).scalar_subquery()
    page = (select(p.id.label("page_id"), total.label("total")).where(*conditions)
            .order_by(p.id.desc()).offset(offset).limit(limit).cte("page"))
    ratings = (select(r.product_id, func.avg(r.stars).label("avg"), func.count().label("n"))
               .where(r.product_id.in_(select(page.c.page_id))).group_by(r.product_id).subquery())
    return (select(page.c.total, *[c.label(f"p_{c.name}") for c in p], *[c.label(f"v_{c.name}") for c in v],
                    ratings.c.avg, ratings.c.n)
             .select_from(page.join(PRODUCTS, p.id == page.c.page_id).join(VARIANTS, v.product_id == p.id)
                          .outerjoin(ratings, ratings.c.product_id == p.id))
             .order_by(p.id.desc(), v.position, v.id))


def _prefixed(row: RowMapping, prefix: str) -> dict[str, Any]:
    return {key[len(prefix):]: value for key, value in row.items() if key.startswith(prefix)}
