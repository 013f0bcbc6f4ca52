"""Message references (the payment card to edit later) and whether a buyer can still be reached."""

from __future__ import annotations

from commerce.message_refs import Contact
from commerce.shop import Shop
from tests.conftest import FakeClock
from tests.support.factories import make_buyer, make_owner, make_product


async def an_order(shop: Shop) -> tuple[int, int]:
    owner = await make_owner(shop)
    buyer = await make_buyer(shop)
    variant_id = (await make_product(shop, owner, title="E-book", kind="digital")).variants[0].id
    await shop.catalog.add_digital_items(owner, variant_id, ["KEY-1"])
    order = await shop.orders.checkout(buyer, items=[(variant_id, 1)], address=None)
    return buyer, order.id


async def test_remember_then_find_and_a_newer_card_replaces_the_old_one(shop: Shop) -> None:
    _, order_id = await an_order(shop)
    refs = shop.message_refs
    assert await refs.find(order_id, "telegram", "payment") is None

    await refs.remember(order_id=order_id, platform="telegram", chat_id=-1001234567890123, message_id=7,
                        kind="payment")
    found = await refs.find(order_id, "telegram", "payment")
    assert found is not None and (found.chat_id, found.message_id) == (-1001234567890123, 7)

    await refs.remember(order_id=order_id, platform="telegram", chat_id=42, message_id=8, kind="payment")
    found = await refs.find(order_id, "telegram", "payment")
    assert found is not None and (found.chat_id, found.message_id) == (42, 8)
    # other platforms and kinds are separate slots
    assert await refs.find(order_id, "discord", "payment") is None
    assert await refs.find(order_id, "telegram", "receipt") is None


async def test_a_blocked_buyer_is_unreachable_until_they_come_back(shop: Shop, clock: FakeClock) -> None:
    buyer = await make_buyer(shop)
    [identity] = (await shop.customers.get(buyer)).identities
    external_id = identity.split(":")[1]
    await shop.customers.set_locale(buyer, "en")
    assert await shop.message_refs.contact_on(buyer, "telegram") == Contact("telegram", external_id, "en")

    assert await shop.message_refs.mark_unreachable("telegram", external_id) is True
    assert await shop.message_refs.mark_unreachable("telegram", external_id) is False  # already marked
    assert await shop.message_refs.contact_on(buyer, "telegram") is None

    assert await shop.message_refs.mark_reachable("telegram", int(external_id)) is True
    assert await shop.message_refs.contact_on(buyer, "telegram") == Contact("telegram", external_id, "en")


async def test_no_contact_for_an_erased_customer_or_on_a_platform_they_are_not_on(shop: Shop) -> None:
    erased = await make_buyer(shop)
    await shop.customers.erase(erased)
    assert await shop.message_refs.contact_on(erased, "telegram") is None
    assert await shop.message_refs.contact_on(await make_buyer(shop, platform="discord"), "telegram") is None
