"""Forged, stale and replayed interactions get a polite ephemeral answer and change nothing; buttons keep
working after a restart (a second bot over the same database)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simcord import actors as simcord_actors
from simcord.enums import ComponentType

from bots.discord.app import ShopBot
from commerce.shop import Shop
from commerce.status import OrderStatus
from tests.discord.conftest import button_labels, embed_of
from tests.support.factories import make_owner, make_product


async def press(actor: Any, message: Any, custom_id: str) -> Any:
    """A click the Discord client would never send: `custom_id` on `message`, as `actor`, whatever they can see."""
    stored = actor._env.backend.get_message(message.channel_id, message.id)
    return await simcord_actors._component_interaction(
        actor, stored, {"custom_id": custom_id, "component_type": ComponentType.BUTTON})


def custom_id_of(message: Any, label: str) -> str:
    for row in message.components:
        for child in row["components"]:
            if child.get("label") == label:
                return str(child["custom_id"])
    raise AssertionError(f"no button {label!r}")


async def make_ebook(shop: Shop, owner: int) -> None:
    product = await make_product(shop, owner, title="E-book", kind="digital", price="900")
    await shop.catalog.add_digital_items(owner, product.variants[0].id, ["code-1", "code-2"])


async def open_card(buyer: Any, channel: Any, title: str) -> Any:
    return (await buyer.slash(channel, "product", name=title)).response


async def pay_for_one(buyer: Any, channel: Any, title: str) -> Any:
    card = await open_card(buyer, channel, title)
    methods = await buyer.click(card, label="⚡ Buy now")
    summary = await buyer.select(methods.response, ["btc"])
    [payment] = (await buyer.click(summary.response, label="✅ Confirm and pay")).followups
    return payment


async def test_someone_elses_payment_buttons_change_nothing(simcord_env: Any, channel: Any, buyer: Any,
                                                            other_buyer: Any, shop: Shop) -> None:
    owner = await make_owner(shop)
    await make_ebook(shop, owner)
    payment = await pay_for_one(buyer, channel, "E-book")
    cancel = custom_id_of(payment, "✖ Cancel order")

    forged = await press(other_buyer, payment, cancel)

    assert forged.ephemeral and "couldn't find that order" in forged.response.content
    [order] = await shop.orders.history((await shop.customers.identify("discord", buyer.id)).id)
    assert order.status is OrderStatus.AWAITING_PAYMENT


async def test_a_stale_or_unknown_button_is_answered_politely(simcord_env: Any, channel: Any, buyer: Any,
                                                              shop: Shop) -> None:
    owner = await make_owner(shop)
    await make_product(shop, owner, title="Tea cup")
    card = await open_card(buyer, channel, "Tea cup")

    old_version = await press(buyer, card, "cs:wishlist:1")  # an item a later version dropped
    out_of_range = await press(buyer, card, "cs:add:9999999999")

    for answer in (old_version, out_of_range):
        assert answer.ephemeral and "no longer active" in answer.response.content
    cart = await shop.cart.view((await shop.customers.identify("discord", buyer.id)).id)
    assert cart.is_empty



async def test_a_deleted_product_is_explained_and_the_cart_stays_empty(simcord_env: Any, channel: Any, buyer: Any,
                                                                       shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title="Tea cup")
    card = await open_card(buyer, channel, "Tea cup")
    await shop.catalog.delete_product(owner, product.id)

    added = await buyer.click(card, label="🛒 Add to cart")

    assert added.ephemeral and "Sorry" in added.response.content
    assert (await shop.cart.view((await shop.customers.identify("discord", buyer.id)).id)).is_empty
    assert simcord_env.errors == []


async def test_confirming_twice_places_one_order(simcord_env: Any, channel: Any, buyer: Any, shop: Shop) -> None:
    owner = await make_owner(shop)
    await make_ebook(shop, owner)
    card = await open_card(buyer, channel, "E-book")
    methods = await buyer.click(card, label="⚡ Buy now")
    summary = await buyer.select(methods.response, ["btc"])
    confirm = custom_id_of(summary.response, "✅ Confirm and pay")
    await buyer.click(summary.response, label="✅ Confirm and pay")

    again = await press(buyer, summary.response, confirm)

    assert "no longer active" in again.response.content
    assert len(await shop.orders.history((await shop.customers.identify("discord", buyer.id)).id)) == 1


async def test_a_bad_address_is_explained_and_asked_again(simcord_env: Any, channel: Any, buyer: Any,
                                                          shop: Shop) -> None:
    owner = await make_owner(shop)
    await make_product(shop, owner, title="Tea cup")
    asked = await buyer.click(await open_card(buyer, channel, "Tea cup"), label="⚡ Buy now")
    modal = await buyer.click(asked.response, label="📮 Enter address")
    ids = [row["components"][0]["custom_id"] for row in modal.modal["components"]]

    typed = await buyer.submit_modal(modal, dict(zip(ids, ["Hana", "??-!!", "東京都渋谷区", "1-2-3", ""],
                                                     strict=True)))

    assert "postal code" in typed.response.content
    assert "📮 Enter address" in button_labels(typed.response)
    assert await shop.orders.history((await shop.customers.identify("discord", buyer.id)).id) == []


async def test_an_old_erase_button_cannot_erase_someone_else(simcord_env: Any, channel: Any, buyer: Any,
                                                             other_buyer: Any, shop: Shop) -> None:
    menu = await buyer.slash(channel, "privacy")
    confirm = await buyer.click(menu.response, label="🗑 Erase my data")
    yes = custom_id_of(confirm.response, "Yes, erase my data")

    forged = await press(other_buyer, confirm.response, yes)

    assert forged.ephemeral and "already been erased" in forged.response.content
    victim = await shop.customers.identify("discord", buyer.id)
    assert victim.identities == (f"discord:{buyer.id}",)  # still there


async def test_buttons_keep_working_after_a_restart(simcord_env: Any, channel: Any, buyer: Any, shop: Shop,
                                                    make_bot: Callable[[], ShopBot]) -> None:
    owner = await make_owner(shop)
    await make_product(shop, owner, title="Tea cup", price="1500")
    card = await open_card(buyer, channel, "Tea cup")
    shared = (await buyer.slash(channel, "share", name="Tea cup")).response

    await simcord_env.restart_bot(make_bot())  # a new process: nothing of the old bot in memory

    added = await buyer.click(card, label="🛒 Add to cart")
    assert "Tea cup" in added.response.content
    cart = await shop.cart.view((await shop.customers.identify("discord", buyer.id)).id)
    assert [line.title for line in cart.lines] == ["Tea cup"]
    bought = await buyer.click(shared, label="🛒 Buy")
    assert bought.ephemeral and "📮 Enter address" in button_labels(bought.response)
    assert embed_of(card).title == "Tea cup"


async def test_a_form_open_across_a_restart_is_answered_and_changes_nothing(
        simcord_env: Any, channel: Any, buyer: Any, shop: Shop, make_bot: Callable[[], ShopBot]) -> None:
    owner = await make_owner(shop)
    await make_product(shop, owner, title="Tea cup", price="1500")
    card = await open_card(buyer, channel, "Tea cup")
    asked = await buyer.click(card, label="⚡ Buy now")
    form = await buyer.click(asked.response, label="📮 Enter address")
    assert form.modal is not None

    await simcord_env.restart_bot(make_bot())  # the form is still open on the buyer's screen

    ids = [row["components"][0]["custom_id"] for row in form.modal["components"]]
    submitted = await buyer.submit_modal(form, dict.fromkeys(ids, "x"))
    assert submitted.ephemeral and "open it again" in submitted.response.content
    customer = await shop.customers.identify("discord", buyer.id)
    assert await shop.orders.history(customer.id) == [] and await shop.customers.addresses(customer.id) == []
