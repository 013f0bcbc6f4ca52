"""Small builders for tests: an owner, a buyer, a product with stock, a seller's fresh two-factor step-up."""

from __future__ import annotations

import pyotp

from commerce.catalog import NewProduct, NewVariant, ProductDTO
from commerce.shop import Shop
from commerce.two_factor import STEP_UP_WINDOW

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


async def step_up(shop: Shop, seller_id: int) -> pyotp.TOTP:
    """What a seller does before a sensitive action (refund, roles, broadcast): enrol in two-factor on first
    use, else send a code from the app. Returns the authenticator app. A step-up still fresh is kept as it is
    (sending the same time-step's code twice would be refused as a replay)."""
    now = shop.clock()
    status = await shop.two_factor.status(seller_id)
    if not status.enrolled:
        await shop.two_factor.enrol(seller_id)
        app = pyotp.TOTP(await shop.two_factor._secret(seller_id))
        await shop.two_factor.confirm_enrolment(seller_id, app.at(now))
        return app
    app = pyotp.TOTP(await shop.two_factor._secret(seller_id))
    if status.verified_at is None or now - status.verified_at >= STEP_UP_WINDOW:
        await shop.two_factor.verify(seller_id, app.at(now))
    return app
