"""/share posts a public card with a Buy button anyone can press; Japanese and English; /search and
/product autocomplete; /privacy export and erase; /support opens a ticket; /terms, /help, /orders."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from commerce.catalog import NewVariant
from commerce.shop import Shop
from tests.discord.conftest import TELEGRAM_BOT, button_labels, decode_qr, embed_of
from tests.support.factories import make_owner, make_product


async def test_shared_card_is_public_and_anyone_can_buy_from_it(simcord_env: Any, channel: Any, buyer: Any,
                                                                other_buyer: Any, shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title="E-book", kind="digital", price="900")
    await shop.catalog.add_digital_items(owner, product.variants[0].id, ["code-1"])

    shared = await buyer.slash(channel, "share", name=str(product.id))

    assert not shared.ephemeral
    post = channel.last_message
    assert post.embeds[0].title == "E-book"
    assert f"https://t.me/{TELEGRAM_BOT}?start=p_{product.id}" in post.content
    assert "🛒 Buy" in button_labels(post)

    checkout = await other_buyer.click(post, label="🛒 Buy")  # someone else in the channel
    assert checkout.ephemeral
    summary = await other_buyer.select(checkout.response, ["usdt-eth"])
    [payment] = (await other_buyer.click(summary.response, label="✅ Confirm and pay")).followups
    assert payment.ephemeral
    uri = decode_qr(await payment.attachments[0].read())
    assert uri.startswith("ethereum:0xdAC17F958D2ee523a2206206994597C13D831ec7@1/transfer?address=0x")
    ken = await shop.customers.identify("discord", other_buyer.id)
    hana = await shop.customers.identify("discord", buyer.id)
    assert len(await shop.orders.history(ken.id)) == 1 and await shop.orders.history(hana.id) == []
    assert channel.last_message.id == post.id  # nothing private was posted in the channel


async def test_a_product_with_variants_offers_a_select(simcord_env: Any, channel: Any, buyer: Any,
                                                       shop: Shop) -> None:
    owner = await make_owner(shop)
    await make_product(shop, owner, title="T-shirt", variants=[
        NewVariant(sku="TS-S", price="2000", stock=2, options={"size": "S"}),
        NewVariant(sku="TS-L", price="2400", stock=2, options={"size": "L"})])
    card = (await buyer.slash(channel, "product", name="T-shirt")).response
    chosen = await buyer.select(card, [str(_variant_id(card, "L"))])

    await buyer.click(chosen.response, label="🛒 Add to cart")

    [line] = (await shop.cart.view((await shop.customers.identify("discord", buyer.id)).id)).lines
    assert line.options == (("size", "L"),) or dict(line.options) == {"size": "L"}


def _variant_id(card: Any, name: str) -> int:
    for row in card.components:
        for child in row["components"]:
            for option in child.get("options", []):
                if option["label"].startswith(name):
                    return int(option["value"])
    raise AssertionError(name)


async def test_japanese_from_the_discord_locale_and_english_by_choice(
        simcord_env: Any, channel: Any, buyer: Any, shop: Shop, discord_locale: Callable[[int, str], None]) -> None:
    owner = await make_owner(shop)
    await make_product(shop, owner, title="湯呑み", price="1500")
    discord_locale(buyer.id, "ja")

    card = (await buyer.slash(channel, "product", name="湯呑み")).response
    assert "価格" in embed_of(card).description and "🛒 カートに入れる" in button_labels(card)

    menu = await buyer.slash(channel, "language")
    chosen = await buyer.click(menu.response, label="English")
    assert chosen.response.content == "Language set to English."
    help_text = (await buyer.slash(channel, "help")).response.content
    assert "How to shop here" in help_text  # the stored choice beats the Discord client's language


async def test_search_and_autocomplete_find_products(simcord_env: Any, channel: Any, buyer: Any,
                                                     shop: Shop) -> None:
    owner = await make_owner(shop)
    cup = await make_product(shop, owner, title="Tea cup", price="1500")
    await make_product(shop, owner, title="Rice bowl", price="2000")

    choices = await buyer.autocomplete(channel, "product", "name", "tea")
    assert [(c["name"], c["value"]) for c in choices] == [("Tea cup · ¥1,500", str(cup.id))]

    found = await buyer.slash(channel, "search", text="bowl")
    assert any(label.startswith("Rice bowl") for label in button_labels(found.response))
    nothing = await buyer.slash(channel, "product", name="no such thing")
    assert nothing.ephemeral and "couldn't find" in nothing.response.content


async def test_privacy_export_and_erase(simcord_env: Any, channel: Any, buyer: Any, shop: Shop) -> None:
    menu = await buyer.slash(channel, "privacy")
    exported = await buyer.click(menu.response, label="📄 Export my data")
    [document] = exported.response.attachments  # the "thinking…" answer, replaced by the file
    data = json.loads(await document.read())
    assert data["identities"] == [{"platform": "discord", "id": str(buyer.id), "name": "hana"}]

    confirm = await buyer.click(menu.response, label="🗑 Erase my data")
    erased = await buyer.click(confirm.response, label="Yes, erase my data")
    assert "erased" in erased.response.content
    fresh = await shop.customers.identify("discord", buyer.id)
    assert fresh.id != data["customer"]["id"]  # met again as someone new


async def test_support_modal_opens_a_ticket(simcord_env: Any, channel: Any, buyer: Any, shop: Shop) -> None:
    modal = await buyer.slash(channel, "support")
    ids = [row["components"][0]["custom_id"] for row in modal.modal["components"]]
    done = await buyer.submit_modal(modal, {ids[0]: "Order 1", ids[1]: "Where is my parcel?"})
    assert done.ephemeral and "#" in done.response.content
    owner = await make_owner(shop)
    [ticket] = await shop.support.open_tickets(owner)
    assert ticket.subject == "Order 1" and ticket.messages[0].text == "Where is my parcel?"


async def test_terms_help_and_orders(simcord_env: Any, channel: Any, buyer: Any) -> None:
    terms = await buyer.slash(channel, "terms")
    assert terms.ephemeral and r"\*\*特定商取引法に基づく表記\*\*" in terms.response.content
    assert "/shop" in (await buyer.slash(channel, "help")).response.content
    assert embed_of((await buyer.slash(channel, "orders")).response).title == "You have no orders yet."
