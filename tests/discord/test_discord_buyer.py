"""A buyer in a Discord server: /shop → category → product card (embed + photo) → add to cart → /cart →
checkout (address modal, method select, confirm) → the ephemeral payment message whose QR decodes."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bots.common.media_store import MediaStore
from commerce.shop import Shop
from commerce.status import OrderStatus
from commerce.storage.tables import ConversationState
from media.photos import process_photo
from tests.discord.conftest import button_labels, decode_qr, embed_of
from tests.support.factories import make_owner, make_product


async def test_browse_card_cart_checkout_and_pay(simcord_env: Any, channel: Any, buyer: Any, shop: Shop,
                                                 media_store: MediaStore) -> None:
    owner = await make_owner(shop)
    category = await shop.catalog.create_category(owner, "Tableware")
    photo = await media_store.save(process_photo(_jpeg()))
    product = await make_product(shop, owner, title="Tea cup **limited**", price="1500", stock=3,
                                 description="Hand-made in Kyoto.")
    await shop.catalog.update_product(owner, product.id, category_id=category.id, photos=[photo])

    shown = await buyer.slash(channel, "shop")
    assert shown.ephemeral
    assert "Tableware" in button_labels(shown.response)

    listed = await buyer.click(shown.response, label="Tableware")
    [product_button] = [label for label in button_labels(listed.response) if label.startswith("Tea cup")]
    assert "¥1,500" in product_button

    card = await buyer.click(listed.response, label=product_button)
    embed = embed_of(card.response)
    assert embed.title == r"Tea cup \*\*limited\*\*"  # markdown in a title is shown, not applied
    assert "¥1,500" in embed.description and "Hand-made in Kyoto." in embed.description
    assert "3" in embed.description  # in stock
    [attachment] = card.response.attachments
    assert embed.image.url == f"attachment://{attachment.filename}"
    assert (await attachment.read())[:2] == b"\xff\xd8"  # the processed JPEG itself

    added = await buyer.click(card.response, label="🛒 Add to cart")
    assert added.ephemeral and "Tea cup" in added.response.content

    cart = await buyer.slash(channel, "cart")
    assert "× 1" in embed_of(cart.response).description
    plus = await buyer.click(cart.response, label="+")
    assert "× 2" in embed_of(plus.response).description

    asked = await buyer.click(plus.response, label="✅ Check out")
    modal = await buyer.click(asked.response, label="📮 Enter address")
    assert modal.modal is not None
    typed = await buyer.submit_modal(modal, _address_values(modal))
    assert "Hana Sato" in typed.response.content
    methods = await buyer.click(typed.response, label="💾 Save and continue")
    summary = await buyer.select(methods.response, ["btc"])
    assert "Tea cup" in summary.response.content and "BTC" in summary.response.content

    paid = await buyer.click(summary.response, label="✅ Confirm and pay")
    [payment] = paid.followups
    assert payment.ephemeral
    [order] = await shop.orders.history((await shop.customers.identify("discord", buyer.id)).id)
    assert order.status is OrderStatus.AWAITING_PAYMENT and order.total.amount == 3000
    [card_png] = payment.attachments
    uri = decode_qr(await card_png.read())
    assert uri.startswith("bitcoin:bc1q") and "amount=0.0002" in uri
    address = uri.removeprefix("bitcoin:").split("?")[0]
    assert f"```\n{address}\n```" in payment.content  # copyable
    assert "```\n0.0002\n```" in payment.content
    assert {"🔄 Check status", "💱 Change payment method", "✖ Cancel order"} <= set(button_labels(payment))

    status = await buyer.click(payment, label="🔄 Check status")
    assert f"#{order.id}" in status.response.content and status.ephemeral

    cancelled = await buyer.click(payment, label="✖ Cancel order")
    assert "cancelled" in cancelled.response.content
    [order] = await shop.orders.history(order.customer_id)
    assert order.status is OrderStatus.CANCELLED


def _address_values(modal: Any) -> dict[str, str]:
    values = ["Hana Sato", "150-0001", "東京都渋谷区", "神宮前1-2-3 Sakura Bldg 101", "03-1234-5678"]
    ids = [row["components"][0]["custom_id"] for row in modal.modal["components"]]
    return dict(zip(ids, values, strict=True))


def _jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 120)).save(out, "JPEG")
    return out.getvalue()


async def test_the_typed_address_waits_sealed_in_the_conversation_and_goes_with_an_erase(
        simcord_env: Any, channel: Any, buyer: Any, shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title="Tea cup", price="1500", stock=3)
    customer = await shop.customers.identify("discord", buyer.id)
    await shop.cart.add(customer.id, product.variants[0].id)
    cart = await buyer.slash(channel, "cart")
    asked = await buyer.click(cart.response, label="✅ Check out")
    modal = await buyer.click(asked.response, label="📮 Enter address")
    await buyer.submit_modal(modal, _address_values(modal))

    [(key, data)] = await _conversations(shop)
    assert key == f"discord:{buyer.id}"
    assert not [value for value in _address_values(modal).values() if value in data]
    assert shop.customers.unseal_address(json.loads(data)["address"]).name == "Hana Sato"

    await shop.customers.erase(customer.id)  # e.g. asked for on Telegram, after linking the two accounts
    assert await _conversations(shop) == []


async def _conversations(shop: Shop) -> list[tuple[str, str]]:
    async with shop.db.uow(write=False) as uow:
        rows = (await uow.session.execute(select(ConversationState))).scalars()
        return [(row.key, json.dumps(row.data, ensure_ascii=False)) for row in rows]


async def test_free_goods_are_ordered_without_a_payment_step(simcord_env: Any, channel: Any, buyer: Any,
                                                             shop: Shop) -> None:
    owner = await make_owner(shop)
    sample = await make_product(shop, owner, title="Free sample", price="0", kind="digital", stock=0)
    await shop.catalog.add_digital_items(owner, sample.variants[0].id, ["SAMPLE-KEY"])
    await shop.cart.add((await shop.customers.identify("discord", buyer.id)).id, sample.variants[0].id)

    cart = await buyer.slash(channel, "cart")
    summary = await buyer.click(cart.response, label="✅ Check out")
    assert "Nothing to pay" in summary.response.content and "Free sample" in summary.response.content
    placed = await buyer.click(summary.response, label="✅ Confirm and pay")
    assert placed.followups == []                                   # no payment message: nothing to pay
    [order] = await shop.orders.history((await shop.customers.identify("discord", buyer.id)).id)
    assert order.status is OrderStatus.FULFILLED
    assert f"#{order.id}" in placed.response.content and "nothing to pay" in placed.response.content
