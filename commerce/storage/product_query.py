"""One statement for a page of product cards: the page of products, their variants, ratings and the total.

Each statement costs a round trip through the async driver, so a page of ten cards is fetched in one:
a CTE picks the page (with the total as a scalar subquery), joined to variants and review ratings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import RowMapping, func, select
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


async def product_page(connection: AsyncConnection, conditions: list[Any], *, offset: int,
                       limit: int) -> tuple[list[ProductRows], int]:
    """Products matching `conditions` (newest first) with variants and ratings, and the total count."""
    p, v, r = PRODUCTS.c, VARIANTS.c, REVIEWS.c
    # An uncorrelated count is computed once, from the index; a window count would materialise every match.
    total = select(func.count()).select_from(PRODUCTS).where(*conditions).scalar_subquery()
    page = (select(p.id.label("page_id"), total.label("total")).where(*conditions)
            .order_by(p.id.desc()).offset(offset).limit(limit).cte("page"))
    ratings = (select(r.product_id, func.avg(r.stars).label("avg"), func.count().label("n"))
               .where(r.product_id.in_(select(page.c.page_id))).group_by(r.product_id).subquery())
    query = (select(page.c.total, *[c.label(f"p_{c.name}") for c in p], *[c.label(f"v_{c.name}") for c in v],
                    ratings.c.avg, ratings.c.n)
             .select_from(page.join(PRODUCTS, p.id == page.c.page_id).join(VARIANTS, v.product_id == p.id)
                          .outerjoin(ratings, ratings.c.product_id == p.id))
             .order_by(p.id.desc(), v.position, v.id))
    rows = (await connection.execute(query)).mappings().all()
    if not rows:
        total = 0 if offset == 0 else (await connection.execute(
            select(func.count()).select_from(PRODUCTS).where(*conditions))).scalar_one()
        return [], total
    grouped: dict[int, ProductRows] = {}
    for row in rows:
        entry = grouped.get(row["p_id"])
        if entry is None:
            entry = grouped[row["p_id"]] = ProductRows(_prefixed(row, "p_"), [], row["avg"], row["n"] or 0)
        entry.variants.append(_prefixed(row, "v_"))
    return list(grouped.values()), rows[0]["total"]


def _prefixed(row: RowMapping, prefix: str) -> dict[str, Any]:
    return {key[len(prefix):]: value for key, value in row.items() if key.startswith(prefix)}
