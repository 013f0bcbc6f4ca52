"""`OrderService.staff_detail`: one order on the staff screen. Staff see the shipping address; a `seller` sees only
orders holding their products, without the address; a buyer is refused, even for their own order."""

from __future__ import annotations

import pytest

from commerce.errors import NotFound, PermissionDenied
from commerce.privacy import ShippingAddress
from commerce.roles import Role
from commerce.shop import Shop
from tests.support.factories import make_buyer, make_owner, make_product, step_up

HOME = ShippingAddress(name="Taro Sato", postal_code="150-0001", region="Tokyo", city="Shibuya", line1="2-2-2 Jingumae")


async def test_staff_see_the_address_sellers_only_their_orders_buyers_nothing(shop: Shop) -> None:
    owner, staff, seller = await make_owner(shop), await make_buyer(shop), await make_buyer(shop)
    await step_up(shop, owner)
    await shop.sellers.grant(owner, staff, Role.STAFF)
    await shop.sellers.grant(owner, seller, Role.SELLER)
    mine = await make_product(shop, seller, title="Seller's mug")
    shops = await make_product(shop, owner, title="Owner's cup")
    buyer = await make_buyer(shop)
    with_mine = await shop.orders.checkout(buyer, items=[(mine.variants[0].id, 1)], address=HOME)
    without = await shop.orders.checkout(buyer, items=[(shops.variants[0].id, 1)], address=HOME)

    for_staff = await shop.orders.staff_detail(staff, with_mine.id)
    for_seller = await shop.orders.staff_detail(seller, with_mine.id)

    assert for_staff.address == HOME and for_staff.order.lines[0].title == "Seller's mug"
    assert for_seller.address is None and for_seller.order.id == with_mine.id
    with pytest.raises(NotFound):
        await shop.orders.staff_detail(seller, without.id)
    with pytest.raises(PermissionDenied):
        await shop.orders.staff_detail(buyer, with_mine.id)
    with pytest.raises(NotFound):
        await shop.orders.staff_detail(owner, 999_999)
