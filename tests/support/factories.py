"""Small builders for tests: an owner, a buyer, a product with stock, a seller's fresh two-factor step-up, a sale
with a discount, shipping and two tax rates."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Final

import pyotp

from commerce.bill import CouponKind, Pricing, ShippingRules, TaxMode, TaxRules, Zone
from commerce.catalog import NewProduct, NewVariant, ProductDTO
from commerce.coupons import NewCoupon
from commerce.orders import OrderDTO
from commerce.privacy import PersonalDataCipher, ShippingAddress
from commerce.shop import Shop, ShopRules
from commerce.two_factor import STEP_UP_WINDOW
from tests.conftest import FakeClock

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


# Tax-inclusive at 10 %, food at the reduced 8 %; 600 shipping in Japan, free from 5,000.
HONSHU: Final = Zone("honshu", "本州", frozenset({"JP"}), fee_minor=600, free_over_minor=5000)
JAPAN_PRICING: Final = Pricing("JPY", TaxRules(TaxMode.INCLUSIVE, Decimal(10), {"食品": Decimal(8)}),
                               ShippingRules((HONSHU,)))


async def a_taxed_sale(shop: Shop, clock: FakeClock, data_key: str, owner_id: int, address: ShippingAddress, *,
                       ago: timedelta) -> OrderDTO:
    """An order paid `ago` before the clock's present (the clock comes back to it after), billed by a tax-inclusive
    shop with shipping: a second `Shop` on the same database (the bill is frozen on the order, so `shop` reads it
    whatever its own rules).

    2 matcha (food, 8 %) and a tea cup (10 %) with 10 % off: subtotal 5,460 − 546 + 600 shipping = 5,514;
    8 %: 1,944 (tax 144 inside); 10 %: 2,970 + 600 = 3,570 (tax 324 inside); net before tax 5,046."""
    japan = Shop(shop.db, ShopRules(currency="JPY", pricing=JAPAN_PRICING), PersonalDataCipher(data_key), clock)
    tea = await japan.catalog.create_product(owner_id, NewProduct(title="Matcha", price="1080", stock=9,
                                                                  category_name="食品"))
    cup = await make_product(japan, owner_id, title="Tea cup", price="3300", stock=9)
    code = f"SPRING{next(_next_user)}"
    await japan.coupons.create(owner_id, NewCoupon(code, CouponKind.PERCENT, percent=Decimal(10)))
    present = clock.now
    clock.now = present - ago
    try:
        order = await japan.orders.checkout(await make_buyer(japan), items=[(tea.variants[0].id, 2),
                                                                            (cup.variants[0].id, 1)],
                                            address=replace(address, country="JP"), coupon=code)
        return await japan.payments.payment_confirmed(order.id)
    finally:
        clock.now = present
