"""The shop the Telegram benchmark's buyers walk through: categories, products with photos, and customers
who have bought here before.

Photos are real files: small JPEGs drawn with Pillow, stored in a `MediaStore` as the seller intake stores
them. Nothing is shown to Telegram beforehand, so the first card with a photo uploads it, and later ones
send the file_id Telegram gave it, as in a new shop.
"""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from bench.catalog import fill
from bots.common.media_store import MediaStore
from bots.telegram.handlers.buyer.catalog import PAGE_SIZE
from commerce.shop import Shop
from media.photos import ProcessedPhoto

CATEGORIES = ("湯呑み・茶碗", "Tea", "Tenugui", "T-shirts", "Prints & posters", "Stickers", "Yukata", "Ceramics",
              "Bags", "Stationery", "Gifts", "Vintage")
NO_PHOTO_SHARE = 0.1  # some products have no photo yet: their card is a text message
FIRST_BUYER = 100_000  # Telegram user ids of the customers the shop already has


@dataclass(frozen=True, slots=True)
class Listed:
    """A product where a buyer finds it: on page `page` of its category's list, `position` from the top."""

    id: int
    category_id: int
    page: int
    position: int
    photos: int
    buyable: tuple[tuple[int, int], ...]  # (variant id, stock) of the variants in stock


@dataclass(frozen=True, slots=True)
class World:
    categories: tuple[int, ...]  # category ids, the order buyers favour them in (the first most)
    pages: dict[int, tuple[tuple[Listed, ...], ...]]  # category id → its list pages, as buyers see them
    buyers: tuple[int, ...]  # Telegram user ids of customers who have been here before

    @property
    def products(self) -> int:
        return sum(len(page) for pages in self.pages.values() for page in pages)


def photo(rng: random.Random, side: int = 320) -> ProcessedPhoto:
    """A photo of a few coloured shapes (~8 KB of JPEG; the size matters only to the first upload)."""
    image = Image.new("RGB", (side, side), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(side), rng.randrange(side)
        draw.ellipse((x, y, x + rng.randrange(20, 200), y + rng.randrange(20, 200)),
                     fill=tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    jpeg = out.getvalue()
    return ProcessedPhoto(jpeg, side, side, hashlib.sha256(jpeg).hexdigest())


async def photos_for(store: MediaStore, products: int, seed: int = 11) -> list[list[str]]:
    """Media references for each product: none for a few, else 1–4 (every photo a different file)."""
    rng = random.Random(seed)
    found = []
    for _ in range(products):
        count = 0 if rng.random() < NO_PHOTO_SHARE else rng.randint(1, 4)
        found.append([await store.save(photo(rng)) for _ in range(count)])
    return found


async def build_world(shop: Shop, media_dir: Path, *, products: int, buyers: int, seed: int = 5) -> World:
    """Fill the shop (products in CATEGORIES, with photos; BUYERS earlier customers) and say where things are."""
    store = MediaStore(media_dir)
    photos = await photos_for(store, products)
    await fill(shop, products, categories=CATEGORIES, photos=lambda i: photos[i])
    for user_id in range(FIRST_BUYER, FIRST_BUYER + buyers):
        await shop.customers.identify("telegram", user_id, locale="en" if user_id % 2 else "ja")
    categories = [category.id for category in await shop.catalog.categories()]
    random.Random(seed).shuffle(categories)  # which one is the favourite has nothing to do with its name
    pages = {}
    for category_id in categories:
        listed, page, has_next = [], 0, True
        while has_next:
            found = await shop.catalog.list_products(category_id=category_id, page=page, page_size=PAGE_SIZE)
            listed.append(tuple(Listed(p.id, category_id, page, position, len(p.photos),
                                       tuple((v.id, v.stock) for v in p.variants if v.stock > 0))
                                for position, p in enumerate(found.items)))
            page, has_next = page + 1, found.has_next
        pages[category_id] = tuple(listed)
    return World(tuple(categories), pages, tuple(range(FIRST_BUYER, FIRST_BUYER + buyers)))
