"""Catalog of N products: median time for a page of 10 product cards and for a text search.

Usage: python -m bench.catalog [sqlite|postgres ...] [--products 10000] [--repeat 200]
Products are inserted in one unit of work; each has 1–3 variants. `fill` can also sort them into
categories and give them photos (bench/telegram_shop.py does, for the Telegram benchmark).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Callable, Sequence

from sqlalchemy import text

from bench._common import fresh_shop, median_ms
from commerce.catalog import NewProduct, NewVariant
from commerce.shop import Shop
from tests.support.factories import make_owner

# Broad words: each lands in about half of all products (the worst case for search).
WORDS = ["tea", "cup", "kyoto", "matcha", "bowl", "cotton", "shirt", "print", "poster", "sticker", "湯呑み",
         "有田焼", "手ぬぐい", "浴衣", "linen", "indigo", "ceramic", "vintage", "handmade", "gift"]


# Specific words: product names and makers, each in about 1% of products (a typical buyer's query).
SPECIFIC = [f"{stem}{suffix}" for stem in ("sakura", "fuji", "hana", "yama", "kawa", "mori", "tsuki", "kaze",
                                           "umi", "sora") for suffix in ("ware", "craft", "works", "ya", "do",
                                                                          "an", "tei", "kan", "bo", "ten")]


async def fill(shop: Shop, products: int, *, categories: Sequence[str] = (),
               photos: Callable[[int], Sequence[str]] | None = None) -> int:
    """PRODUCTS products, each in one of `categories` (none if empty), with `photos(i)` as the photos of the
    i-th (media references). Returns the owner's customer id."""
    owner = await make_owner(shop)
    rng = random.Random(7)
    async with shop.db.uow() as uow:
        category_ids = list((await shop.catalog.ensure_categories(uow, owner, categories)).values())
        for i in range(products):
            title = " ".join([rng.choice(SPECIFIC), *rng.sample(WORDS, 2)]) + f" #{i}"
            sizes = rng.choice([[], ["S", "M"], ["S", "M", "L"]])
            variants = [NewVariant(price=str(rng.randint(300, 30000)), stock=rng.randint(0, 50),
                                   sku=f"SKU-{i}-{s}", options={"size": s}) for s in sizes]
            await shop.catalog.add_product(uow, owner, NewProduct(
                title=title, description=" ".join(rng.sample(WORDS, 8)), price=str(rng.randint(300, 30000)),
                stock=rng.randint(0, 50), variants=variants, photos=photos(i) if photos else (),
                category_id=rng.choice(category_ids) if category_ids else None))
        await uow.commit()
    return owner


async def measure(shop: Shop, products: int, repeat: int) -> tuple[float, ...]:
    rng = random.Random(1)
    pages = (products + 9) // 10
    return (
        await median_ms(lambda: shop.catalog.list_products(page=rng.randrange(pages)), repeat),
        await median_ms(lambda: shop.catalog.search(rng.choice(SPECIFIC)), repeat),
        await median_ms(lambda: shop.catalog.search(f"{rng.choice(SPECIFIC)} {rng.choice(WORDS)}"), repeat),
        await median_ms(lambda: shop.catalog.search(rng.choice(WORDS)), repeat),
        await median_ms(lambda: shop.catalog.product(rng.randint(1, products)), repeat),
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backends", nargs="*", default=["sqlite", "postgres"])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    for backend in args.backends:
        async with fresh_shop(backend) as shop:
            start = time.perf_counter()
            await fill(shop, args.products)
            filled = time.perf_counter() - start
            if not shop.db.is_sqlite:  # what autovacuum does in steady state after a bulk load
                async with shop.db.engine.connect() as conn:
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                    await conn.execute(text("VACUUM ANALYZE"))
            page, search, search2, broad, product = await measure(shop, args.products, args.repeat)
        print(f"{backend:9} {args.products:,} products (filled in {filled:.1f} s): page of 10 {page:.2f} ms, "
              f"search {search:.2f} ms, 2 words {search2:.2f} ms, a word in half the catalog {broad:.2f} ms, "
              f"one card {product:.2f} ms (medians)")


if __name__ == "__main__":
    asyncio.run(main())
