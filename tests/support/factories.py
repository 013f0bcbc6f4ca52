"""Small builders for tests: an owner, a buyer, a product with stock."""

from __future__ import annotations

from commerce.catalog import NewProduct, NewVariant, ProductDTO
from commerce.shop import Shop

_next_user = iter(range(1000, 10**9))


async def make_owner(shop: Shop) -> int:
    [owner_id] = await shop.sellers.bootstrap_owners([f"telegram:{next(_next_user)}"])
    return owner_id


async def make_buyer(shop: Shop, platform: str = "telegram") -> int:
    return (await shop.customers.identify(platform, next(_next_user))).id


async def make_product(shop: Shop, owner_id: int, *, price: str = "1200", stock: int = 10, title: str = "Tea cup",
                       kind: str = "physical", variants: list[NewVariant] | None = None,
                       description: str = "") -> ProductDTO:
    return await shop.catalog.create_product(owner_id, NewProduct(
        title=title, price=price, stock=stock, kind=kind, variants=variants or [], description=description))
