"""The product card on Discord: the photo gallery (◀ 2/3 ▶, swapped in place), Share (the public card, as /share)
and Reviews; a gallery position past the photos there are is refused politely."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from PIL import Image

from bots.common.media_store import MediaStore
from commerce.shop import Shop
from media.photos import process_photo
from tests.discord.conftest import button_labels, embed_of
from tests.support.factories import make_owner, make_product

COLOURS = ((200, 80, 120), (40, 160, 90), (30, 60, 200))


def jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


async def photographed(shop: Shop, media_store: MediaStore, count: int = 3) -> int:
    owner = await make_owner(shop)
    photos = [await media_store.save(process_photo(jpeg(colour))) for colour in COLOURS[:count]]
    product = await make_product(shop, owner, title="Tea cup", price="1500")
    await shop.catalog.update_product(owner, product.id, photos=photos)
    return product.id


async def shown_colour(message: Any) -> tuple[int, int, int]:
    [attachment] = message.attachments
    assert embed_of(message).image.url == f"attachment://{attachment.filename}"
    red, green, blue = Image.open(io.BytesIO(await attachment.read())).convert("RGB").getpixel((32, 24))
    return min(COLOURS, key=lambda c: abs(c[0] - red) + abs(c[1] - green) + abs(c[2] - blue))


async def test_the_gallery_swaps_the_photo_in_place_and_goes_round(simcord_env: Any, channel: Any, buyer: Any,
                                                                   shop: Shop, media_store: MediaStore) -> None:
    product_id = await photographed(shop, media_store)
    card = (await buyer.slash(channel, "product", name=str(product_id))).response
    assert {"◀", "1/3", "▶"} <= set(button_labels(card))
    assert await shown_colour(card) == COLOURS[0]

    second = await buyer.click(card, label="▶")
    assert second.response.id == card.id  # the same message, edited
    assert "2/3" in button_labels(second.response) and await shown_colour(second.response) == COLOURS[1]
    back = await buyer.click(second.response, label="◀")
    wrapped = await buyer.click(back.response, label="◀")
    assert "3/3" in button_labels(wrapped.response) and await shown_colour(wrapped.response) == COLOURS[2]
    assert "🛒 Add to cart" in button_labels(wrapped.response) and embed_of(wrapped.response).title == "Tea cup"


async def test_a_position_past_the_photos_is_refused(simcord_env: Any, channel: Any, buyer: Any, shop: Shop,
                                                     media_store: MediaStore) -> None:
    product_id = await photographed(shop, media_store)
    card = (await buyer.slash(channel, "product", name=str(product_id))).response
    product = await shop.catalog.product(product_id)
    await shop.catalog.update_product(await make_owner(shop), product_id, photos=list(product.photos[:1]))

    stale = await buyer.click(card, label="◀")  # points at the third photo, which is gone

    assert stale.ephemeral and "no longer active" in stale.response.content
    assert "1/3" in button_labels(card)


async def test_a_single_photo_has_no_gallery(simcord_env: Any, channel: Any, buyer: Any, shop: Shop,
                                             media_store: MediaStore) -> None:
    product_id = await photographed(shop, media_store, count=1)
    card = (await buyer.slash(channel, "product", name=str(product_id))).response
    assert not {"◀", "▶"} & set(button_labels(card))
    assert "⭐ Reviews" not in button_labels(card)  # none yet


async def test_share_button_posts_the_public_card_in_a_server(simcord_env: Any, channel: Any, buyer: Any,
                                                              other_buyer: Any, shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title="Tea cup", price="1500")
    card = (await buyer.slash(channel, "product", name=str(product.id))).response

    shared = await buyer.click(card, label="↗️ Share")

    assert not shared.ephemeral
    post = channel.last_message
    assert post.embeds[0].title == "Tea cup" and "🛒 Buy" in button_labels(post)
    bought = await other_buyer.click(post, label="🛒 Buy")
    assert bought.ephemeral and "📮 Enter address" in button_labels(bought.response)


async def test_share_in_a_dm_explains_where_to_share(simcord_env: Any, channel: Any, shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title="Tea cup", price="1500")
    user = simcord_env.create_user("yuki")
    card = (await user.slash("product", name=str(product.id))).response

    told = await user.click(card, label="↗️ Share")

    assert "server channel" in told.response.content


async def test_card_buttons_in_japanese(simcord_env: Any, channel: Any, buyer: Any, shop: Shop,
                                        media_store: MediaStore, discord_locale: Callable[[int, str], None]) -> None:
    discord_locale(buyer.id, "ja")
    product_id = await photographed(shop, media_store, count=2)
    card = (await buyer.slash(channel, "product", name=str(product_id))).response
    labels = button_labels(card)
    assert "1/2" in labels and "↗️ Share" not in labels
    moved = await buyer.click(card, label="▶")
    assert "2/2" in button_labels(moved.response)
