"""Reviews on Discord: from a delivered order's detail, stars (1–5) then optional words in a modal; /reviews with
autocomplete and the card's Reviews button; forged stars, someone else's order and undelivered orders refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commerce.shop import Shop
from tests.discord.conftest import button_labels, embed_of
from tests.discord.test_discord_orders import customer_id, order_button, shipped_order
from tests.discord.test_discord_safety import custom_id_of, press
from tests.support.factories import make_owner


async def delivered_order(shop: Shop, user: Any, title: str = "Tea cup **limited**") -> int:
    order_id = await shipped_order(shop, user, title=title)
    await shop.fulfilment.deliver(await make_owner(shop), order_id)
    return order_id


async def stars_for(buyer: Any, channel: Any, order_id: int) -> Any:
    listed = await buyer.slash(channel, "orders")
    detail = await buyer.click(listed.response, label=order_button(listed.response, order_id))
    return (await buyer.click(detail.response, label="⭐ Write a review")).response


async def test_a_buyer_rates_a_delivered_order_with_words(simcord_env: Any, channel: Any, buyer: Any,
                                                          shop: Shop) -> None:
    order_id = await delivered_order(shop, buyer)
    [product_id] = [line.product_id for line in (await shop.orders.get(await customer_id(shop, buyer),
                                                                       order_id)).lines]

    stars = await stars_for(buyer, channel, order_id)
    assert button_labels(stars) == ["1★", "2★", "3★", "4★", "5★"]
    modal = await buyer.click(stars, label="4★")
    assert modal.modal is not None and "★★★★☆" in modal.modal["title"]
    [words] = [row["components"][0]["custom_id"] for row in modal.modal["components"]]
    saved = await buyer.submit_modal(modal, {words: "Lovely **glaze** @everyone"})

    assert saved.ephemeral and "Thank you for your review! ★★★★☆" in saved.response.content
    [review] = await shop.reviews.for_product(product_id)
    assert (review.stars, review.text) == (4, "Lovely **glaze** @everyone")

    shown = await buyer.slash(channel, "reviews", name=str(product_id))
    embed = embed_of(shown.response)
    assert shown.ephemeral and r"Lovely \*\*glaze\*\*" in embed.description and "★★★★☆" in embed.description

    card = (await buyer.slash(channel, "product", name=str(product_id))).response
    assert "reviews: 1" in embed_of(card).description
    from_card = await buyer.click(card, label="⭐ Reviews")
    assert from_card.ephemeral and "★★★★☆" in embed_of(from_card.response).description

    second = await buyer.click(stars, label="5★")
    [words] = [row["components"][0]["custom_id"] for row in second.modal["components"]]
    again = await buyer.submit_modal(second, {words: ""})
    assert "already reviewed" in again.response.content
    assert len(await shop.reviews.for_product(product_id)) == 1


async def test_stars_alone_are_enough(simcord_env: Any, channel: Any, buyer: Any, shop: Shop) -> None:
    order_id = await delivered_order(shop, buyer)
    stars = await stars_for(buyer, channel, order_id)
    modal = await buyer.click(stars, label="5★")
    [words] = [row["components"][0]["custom_id"] for row in modal.modal["components"]]

    saved = await buyer.submit_modal(modal, {words: ""})

    assert "★★★★★" in saved.response.content
    [line] = (await shop.orders.get(await customer_id(shop, buyer), order_id)).lines
    [review] = await shop.reviews.for_product(line.product_id)
    assert (review.stars, review.text) == (5, "")


async def test_forged_stars_and_someone_elses_order_are_refused(simcord_env: Any, channel: Any, buyer: Any,
                                                                other_buyer: Any, shop: Shop) -> None:
    order_id = await delivered_order(shop, buyer)
    stars = await stars_for(buyer, channel, order_id)
    five = custom_id_of(stars, "5★")

    nine = await press(buyer, stars, five[:-1] + "9")
    theirs = await press(other_buyer, stars, five)

    assert nine.modal is None and "no longer active" in nine.response.content
    assert theirs.modal is None and "couldn't find that order" in theirs.response.content
    [line] = (await shop.orders.get(await customer_id(shop, buyer), order_id)).lines
    assert await shop.reviews.for_product(line.product_id) == []


async def test_a_paid_but_undelivered_order_offers_no_review(simcord_env: Any, channel: Any, buyer: Any,
                                                             shop: Shop) -> None:
    await shipped_order(shop, buyer)

    offered = await buyer.slash(channel, "review")

    assert "no delivered orders" in offered.response.content and not button_labels(offered.response)


async def test_review_command_and_reviews_in_japanese(simcord_env: Any, channel: Any, buyer: Any, shop: Shop,
                                                      discord_locale: Callable[[int, str], None]) -> None:
    discord_locale(buyer.id, "ja")
    order_id = await delivered_order(shop, buyer, title="湯呑み")

    offered = await buyer.slash(channel, "review")
    [button] = button_labels(offered.response)
    assert f"#{order_id}" in button and "湯呑み" in button
    stars = await buyer.click(offered.response, label=button)
    assert "湯呑み" in embed_of(stars.response).description

    [line] = (await shop.orders.get(await customer_id(shop, buyer), order_id)).lines
    none = await buyer.slash(channel, "reviews", name=str(line.product_id))
    assert "湯呑み" in embed_of(none.response).title
    choices = await buyer.autocomplete(channel, "reviews", "name", "湯")
    assert [c["value"] for c in choices] == [str(line.product_id)]
