"""`/seller orders list` on Discord: staff open an order from the list, ship it with a tracking number (the buyer's
order carries it), refund it only with a fresh two-factor code, deliver/cancel in a click; buyers, forged and
stale buttons change nothing; Japanese staff read Japanese."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commerce.privacy import ShippingAddress
from commerce.roles import Role
from commerce.shop import Shop
from commerce.status import OrderStatus
from tests.conftest import FakeClock
from tests.discord.conftest import button_labels, embed_of
from tests.discord.seller_support import add_manager, make_discord_owner
from tests.discord.test_discord_safety import press
from tests.support.factories import make_buyer, make_product, step_up

ADDRESS = ShippingAddress(name="Hana Sato", postal_code="150-0001", region="Tokyo", city="Shibuya",
                          line1="1-2-3 Jingumae")


async def place_order(shop: Shop, owner_id: int, *, paid: bool = True) -> tuple[int, int]:
    product = await make_product(shop, owner_id, title="Tea cup")
    buyer = await make_buyer(shop)
    order = await shop.orders.checkout(buyer, items=[(product.variants[0].id, 2)], address=ADDRESS)
    if paid:
        await shop.payments.payment_confirmed(order.id)
    return order.id, buyer


async def open_order(member: Any, channel: Any, order_id: int, **options: Any) -> Any:
    listing = await member.slash(channel, "seller orders list", **options)
    assert listing.ephemeral
    return (await member.select(listing.response, [str(order_id)])).response


async def test_ship_with_tracking_from_the_list(simcord_env: Any, channel: Any, shop: Shop) -> None:
    owner = add_manager(simcord_env, "aiko")
    owner_id = await make_discord_owner(shop, owner)
    order_id, buyer_id = await place_order(shop, owner_id)

    listing = await owner.slash(channel, "seller orders list", status="paid")
    assert f"#{order_id}" in embed_of(listing.response).description
    detail = (await owner.select(listing.response, [str(order_id)])).response
    embed = embed_of(detail)
    fields = {field.name: field.value for field in embed.fields}
    assert "Tea cup × 2" in embed.description and "Jingumae" in fields["Ship to:"]
    assert "📦 Mark shipped" in button_labels(detail) and "Record refund" in button_labels(detail)
    asked = await owner.click(detail, label="📦 Mark shipped")
    assert asked.modal is not None
    shipped = await owner.submit_modal(asked, {"tracking": "  JP 1234 5678  "})

    assert "Tracking number: JP 1234 5678" in embed_of(shipped.response).description
    assert "Done" in shipped.response.content
    order = await shop.orders.get(buyer_id, order_id)
    assert order.status is OrderStatus.SHIPPED and order.tracking == "JP 1234 5678"
    back = await owner.click(shipped.response, label="« Orders")
    assert embed_of(back.response).title == "Orders: Paid"  # the list it came from, now without the order
    assert f"#{order_id}" not in (embed_of(back.response).description or "")


async def test_an_empty_tracking_number_is_refused_and_changes_nothing(simcord_env: Any, channel: Any,
                                                                       shop: Shop) -> None:
    owner = add_manager(simcord_env, "aiko")
    owner_id = await make_discord_owner(shop, owner)
    order_id, buyer_id = await place_order(shop, owner_id)
    detail = await open_order(owner, channel, order_id)

    refused = await owner.submit_modal(await owner.click(detail, label="📦 Mark shipped"), {"tracking": "   "})

    assert refused.ephemeral
    assert (await shop.orders.get(buyer_id, order_id)).status is OrderStatus.PAID


async def test_a_refund_needs_a_fresh_code_then_works(simcord_env: Any, channel: Any, shop: Shop) -> None:
    owner = add_manager(simcord_env, "aiko")
    owner_id = await make_discord_owner(shop, owner)
    order_id, buyer_id = await place_order(shop, owner_id)
    detail = await open_order(owner, channel, order_id)

    refused = await owner.submit_modal(await owner.click(detail, label="Record refund"), {"note": "tx 0xabc"})
    assert refused.ephemeral and "/seller 2fa" in refused.response.content
    assert (await shop.orders.get(buyer_id, order_id)).status is OrderStatus.PAID

    await step_up(shop, owner_id)
    refunded = await owner.submit_modal(await owner.click(detail, label="Record refund"), {"note": "tx 0xabc"})

    assert "Refunded" in embed_of(refunded.response).title
    assert (await shop.orders.get(buyer_id, order_id)).status is OrderStatus.REFUNDED


async def test_cancel_in_one_click_and_back_to_the_list(simcord_env: Any, channel: Any, shop: Shop) -> None:
    owner = add_manager(simcord_env, "aiko")
    owner_id = await make_discord_owner(shop, owner)
    order_id, buyer_id = await place_order(shop, owner_id, paid=False)
    detail = await open_order(owner, channel, order_id)

    cancelled = await owner.click(detail, label="Cancel order")
    back = await owner.click(cancelled.response, label="« Orders")

    assert (await shop.orders.get(buyer_id, order_id)).status is OrderStatus.CANCELLED
    assert f"#{order_id}" in embed_of(back.response).description


async def test_staff_see_no_refund_and_buyers_are_refused(simcord_env: Any, channel: Any, shop: Shop) -> None:
    owner_member, staff_member = add_manager(simcord_env, "aiko"), add_manager(simcord_env, "ken")
    stranger = add_manager(simcord_env, "mallory")
    owner_id = await make_discord_owner(shop, owner_member)
    staff_id = (await shop.customers.identify("discord", staff_member.id)).id
    await step_up(shop, owner_id)
    await shop.sellers.grant(owner_id, staff_id, Role.STAFF)
    order_id, buyer_id = await place_order(shop, owner_id)

    detail = await open_order(staff_member, channel, order_id)
    refused = await stranger.slash(channel, "seller orders list")

    assert "📦 Mark shipped" in button_labels(detail) and "Record refund" not in button_labels(detail)
    assert refused.ephemeral and "Sorry" in refused.response.content and not refused.response.embeds


async def test_forged_and_stale_order_buttons_change_nothing(simcord_env: Any, channel: Any, buyer: Any,
                                                             shop: Shop) -> None:
    owner = add_manager(simcord_env, "aiko")
    owner_id = await make_discord_owner(shop, owner)
    order_id, buyer_id = await place_order(shop, owner_id)
    await make_product(shop, owner_id, title="Mug")
    card = (await buyer.slash(channel, "product", name="Mug")).response

    forged = await press(buyer, card, f"cs:so:cancel:{order_id}")
    out_of_range = await press(buyer, card, "cs:so:cancel:9999999999")

    for answer in (forged, out_of_range):
        assert answer.ephemeral and "no longer active" in answer.response.content
    assert (await shop.orders.get(buyer_id, order_id)).status is OrderStatus.PAID


async def test_japanese_staff_read_japanese(simcord_env: Any, channel: Any, shop: Shop,
                                            discord_locale: Callable[[int, str], None]) -> None:
    owner = add_manager(simcord_env, "aiko")
    owner_id = await make_discord_owner(shop, owner)
    discord_locale(owner.id, "ja")
    order_id, _ = await place_order(shop, owner_id)

    detail = await open_order(owner, channel, order_id)

    assert "注文" in embed_of(detail).title and "購入者" in [f.name for f in embed_of(detail).fields]


async def test_a_late_payment_is_accepted_or_refunded(simcord_env: Any, channel: Any, shop: Shop,
                                                      clock: FakeClock) -> None:
    owner = add_manager(simcord_env, "aiko")
    owner_id = await make_discord_owner(shop, owner)
    order_id, buyer_id = await place_order(shop, owner_id, paid=False)
    clock.advance(minutes=31)
    await shop.payments.expire_due()
    await shop.payments.late_payment(order_id)

    detail = await open_order(owner, channel, order_id, status="paid_late")
    assert {"Accept late payment", "Refund late payment"} <= set(button_labels(detail))
    accepted = await owner.click(detail, label="Accept late payment")

    assert (await shop.orders.get(buyer_id, order_id)).status is OrderStatus.PAID
    assert "📦 Mark shipped" in button_labels(accepted.response)
