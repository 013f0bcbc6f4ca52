"""A seller on Discord: /seller products new (form + attached photo) → the card a buyer opens has the photo;
the manage card edits, restocks, hides (buyers no longer see it) and deletes; digital items arrive as a file.
Broken uploads, non-sellers and someone else's product get a polite answer and change nothing."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import discord
import pytest
from PIL import Image

from commerce.errors import NotFound
from commerce.shop import Shop
from tests.discord.conftest import button_labels, embed_of
from tests.support.factories import make_owner, make_product


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 120)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
async def seller(simcord_env: Any, channel: Any, shop: Shop) -> Any:
    """A server member with Manage Server who owns the shop."""
    role = simcord_env.guild.create_role("Shopkeeper", permissions=discord.Permissions(manage_guild=True))
    member = simcord_env.guild.add_member(simcord_env.create_user("aya"), roles=[role])
    await shop.sellers.bootstrap_owners([f"discord:{member.id}"])
    return member


def _fields(modal: Any, **values: str) -> dict[str, str]:
    ids = [row["components"][0]["custom_id"] for row in modal.modal["components"]]
    return {custom_id: values.get(custom_id, "") for custom_id in ids}


async def _create(seller: Any, channel: Any, **values: str) -> Any:
    form = await seller.slash(channel, "seller products new", image=("cup.jpg", _jpeg()))
    assert form.modal is not None
    return await seller.submit_modal(form, _fields(form, **values))


async def test_create_with_photo_then_a_buyer_sees_it(simcord_env: Any, channel: Any, seller: Any, buyer: Any,
                                                      shop: Shop) -> None:
    created = await _create(seller, channel, title="Tea cup", description="Hand-made in Kyoto.", price="1500",
                            stock="3", category="Tableware")

    [answer] = [created.response, *created.followups][-1:]
    assert answer.ephemeral if hasattr(answer, "ephemeral") else created.ephemeral
    assert "Created product" in answer.content
    card = embed_of(answer)
    assert "Tea cup" in card.title and "Tableware" in card.description and "Photos: 1" in card.description
    [product] = (await shop.catalog.list_products()).items
    assert product.stock == 3 and len(product.photos) == 1

    shown = await buyer.slash(channel, "product", name="Tea cup")
    [attachment] = shown.response.attachments
    assert (await attachment.read())[:2] == b"\xff\xd8"


async def test_a_broken_image_creates_nothing(simcord_env: Any, channel: Any, seller: Any, shop: Shop) -> None:
    form = await seller.slash(channel, "seller products new", image=("cup.jpg", b"not a picture at all"))
    done = await seller.submit_modal(form, _fields(form, title="Tea cup", price="1500", stock="3"))

    answer = [done.response, *done.followups][-1]
    assert "image" in answer.content.lower() or "photo" in answer.content.lower()
    assert (await shop.catalog.list_products()).total == 0


async def test_edit_restock_hide_and_delete_from_the_manage_card(simcord_env: Any, channel: Any, seller: Any,
                                                                  buyer: Any, shop: Shop) -> None:
    owner = await shop.customers.identify("discord", seller.id)
    product = await make_product(shop, owner.id, title="Tea cup", stock=3)

    listed = await seller.slash(channel, "seller products list")
    assert listed.ephemeral
    opened = await seller.click(listed.response, label=f"#{product.id} Tea cup")
    assert "stock 3" in embed_of(opened.response).description

    form = await seller.click(opened.response, label="Title and description")
    edited = await seller.submit_modal(form, {"title": "Tea bowl", "description": "Glazed."})
    assert "Saved." in edited.response.content and "Tea bowl" in embed_of(edited.response).title

    form = await seller.click(edited.response, label="Stock")
    restocked = await seller.submit_modal(form, {"stock": "12"})
    assert "stock 12" in embed_of(restocked.response).description
    assert (await shop.catalog.product(product.id)).stock == 12

    hidden = await seller.click(restocked.response, label="Hide")
    assert "Hidden from buyers" in embed_of(hidden.response).description
    search = await buyer.slash(channel, "product", name="Tea bowl")
    assert not search.response.embeds or "Tea bowl" not in embed_of(search.response).title

    asked = await seller.click(hidden.response, label="Delete")
    gone = await seller.click(asked.response, label="Yes, delete it")
    assert f"#{product.id} deleted" in gone.response.content
    with pytest.raises(NotFound):
        await shop.catalog.product(product.id, include_hidden=False)


async def test_digital_items_file_gives_stock(simcord_env: Any, channel: Any, seller: Any, shop: Shop) -> None:
    owner = await shop.customers.identify("discord", seller.id)
    product = await make_product(shop, owner.id, title="E-book", kind="digital", price="900", stock=0)

    choices = await seller.autocomplete(channel, "seller products items", "product", "e-bo")
    assert [c["value"] for c in choices] == [product.id]
    done = await seller.slash(channel, "seller products items", product=product.id,
                              file=("codes.txt", b"code-1\ncode-2\n\ncode-2\n"))
    assert done.ephemeral
    assert "Added 2 items" in done.response.content and "Skipped 1 blank" in done.response.content
    assert (await shop.catalog.product(product.id)).stock == 2

    binary = await seller.slash(channel, "seller products items", product=product.id, file=("x.txt", b"\x00\x01"))
    assert "can't be read" in binary.response.content
    assert (await shop.catalog.product(product.id)).stock == 2


async def test_photo_command_adds_a_photo(simcord_env: Any, channel: Any, seller: Any, shop: Shop) -> None:
    owner = await shop.customers.identify("discord", seller.id)
    product = await make_product(shop, owner.id, title="Tea cup")
    done = await seller.slash(channel, "seller products photo", product=product.id, image=("a.png", _jpeg()))
    answer = [done.response, *done.followups][-1]
    assert "Photo added (1 of" in answer.content
    assert len((await shop.catalog.product(product.id)).photos) == 1


async def test_someone_elses_product_and_a_non_seller_are_refused(simcord_env: Any, channel: Any, seller: Any,
                                                                  shop: Shop) -> None:
    other_owner = await make_owner(shop)
    theirs = await make_product(shop, other_owner, title="Secret", kind="digital", price="900", stock=0)
    role = simcord_env.guild.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
    stranger = simcord_env.guild.add_member(simcord_env.create_user("ken"), roles=[role])

    refused = await stranger.slash(channel, "seller products list")
    assert refused.ephemeral and refused.response.content and not refused.response.embeds
    forged = await stranger.slash(channel, "seller products items", product=theirs.id, file=("c.txt", b"k-1"))
    assert forged.ephemeral and "Added" not in (forged.response.content or "")
    assert (await shop.catalog.product(theirs.id)).stock == 0


async def test_japanese_seller_sees_japanese(simcord_env: Any, channel: Any, seller: Any, shop: Shop,
                                             discord_locale: Callable[[int, str], None]) -> None:
    discord_locale(seller.id, "ja")
    owner = await shop.customers.identify("discord", seller.id)
    await make_product(shop, owner.id, title="湯呑み")
    listed = await seller.slash(channel, "seller products list")
    assert any("湯呑み" in label for label in button_labels(listed.response))
    assert "商品" in embed_of(listed.response).title or "ページ" in embed_of(listed.response).title
