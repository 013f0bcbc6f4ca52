"""/orders on Discord: a button per order, paged; the detail in place with what its status allows (show the
payment again, cancel, review, ask the shop about it) and Back; someone else's order is "not found"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bots.discord.app import ShopBot
from commerce.shop import Shop
from commerce.status import OrderStatus
from tests.discord.conftest import button_labels, embed_of
from tests.discord.test_discord_safety import custom_id_of, make_ebook, pay_for_one, press
from tests.integration.test_order_lifecycle import HOME
from tests.support.factories import make_owner, make_product


async def customer_id(shop: Shop, user: Any) -> int:
    return (await shop.customers.identify("discord", user.id)).id


async def shipped_order(shop: Shop, user: Any, *, title: str = "Tea cup **limited**") -> int:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title=title, price="1500", stock=5)
    order = await shop.orders.checkout(await customer_id(shop, user), items=[(product.variants[0].id, 2)],
                                       address=HOME)
    await shop.payments.payment_confirmed(order.id)
    await shop.fulfilment.ship(owner, order.id, "JP123")
    return order.id


def order_button(message: Any, order_id: int) -> str:
    labels = button_labels(message)
    found = [label for label in labels if f"#{order_id} " in label]
    assert len(found) == 1, labels
    return found[0]


async def test_list_detail_and_back(simcord_env: Any, channel: Any, buyer: Any, shop: Shop) -> None:
    order_id = await shipped_order(shop, buyer)

    listed = await buyer.slash(channel, "orders")
    assert listed.ephemeral and embed_of(listed.response).title == "📦 Your orders"
    detail = await buyer.click(listed.response, label=order_button(listed.response, order_id))

    embed = embed_of(detail.response)
    assert embed.title == f"Order #{order_id}"
    assert r"Tea cup \*\*limited\*\*" in embed.description  # markdown in a title is shown, not applied
    assert "× 2" in embed.description and "¥3,000" in embed.description
    assert "Tracking number: JP123" in embed.description
    assert "2-2-2 Jingumae" not in embed.description  # the street is never shown in full
    labels = button_labels(detail.response)
    assert "💬 Ask about this order" in labels and "↩ Back" in labels
    assert "💳 Show payment" not in labels and "⭐ Write a review" not in labels  # paid, not delivered yet

    back = await buyer.click(detail.response, label="↩ Back")
    assert order_button(back.response, order_id)


async def test_orders_are_paged(simcord_env: Any, channel: Any, buyer: Any, shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title="Sticker", price="100", stock=50)
    me = await customer_id(shop, buyer)
    ids = [(await shop.orders.checkout(me, items=[(product.variants[0].id, 1)], address=HOME)).id
           for _ in range(9)]

    first = await buyer.slash(channel, "orders")
    assert len([label for label in button_labels(first.response) if label.startswith("#")]) == 8
    second = await buyer.click(first.response, label="Next ▶")

    assert [label for label in button_labels(second.response) if label.startswith("#")] == [
        order_button(second.response, ids[0])]
    assert embed_of(second.response).footer.text


async def test_show_payment_again_and_cancel_from_the_detail(simcord_env: Any, channel: Any, buyer: Any,
                                                             shop: Shop) -> None:
    owner = await make_owner(shop)
    await make_ebook(shop, owner)
    await pay_for_one(buyer, channel, "E-book")
    [order] = await shop.orders.history(await customer_id(shop, buyer))
    listed = await buyer.slash(channel, "orders")
    detail = await buyer.click(listed.response, label=order_button(listed.response, order.id))

    shown = await buyer.click(detail.response, label="💳 Show payment")
    payment = shown.response  # the deferred answer, filled in
    assert payment.ephemeral and payment.attachments and "```" in payment.content
    assert "✖ Cancel order" in button_labels(payment)

    cancelled = await buyer.click(detail.response, label="✖ Cancel order")
    assert f"Order #{order.id} was cancelled." in cancelled.response.content
    assert "💳 Show payment" not in button_labels(cancelled.response)
    [order] = await shop.orders.history(order.customer_id)
    assert order.status is OrderStatus.CANCELLED


async def test_a_fulfilled_digital_order_shows_its_items_again(simcord_env: Any, channel: Any, buyer: Any,
                                                               shop: Shop) -> None:
    owner = await make_owner(shop)
    await make_ebook(shop, owner)
    await pay_for_one(buyer, channel, "E-book")
    [order] = await shop.orders.history(await customer_id(shop, buyer))
    await shop.payments.payment_confirmed(order.id)

    listed = await buyer.slash(channel, "orders")
    detail = await buyer.click(listed.response, label=order_button(listed.response, order.id))

    assert "`code-" in embed_of(detail.response).description
    assert "⭐ Write a review" in button_labels(detail.response)


async def test_someone_elses_order_is_not_found(simcord_env: Any, channel: Any, buyer: Any, other_buyer: Any,
                                                shop: Shop) -> None:
    owner = await make_owner(shop)
    await make_ebook(shop, owner)
    await pay_for_one(buyer, channel, "E-book")
    [order] = await shop.orders.history(await customer_id(shop, buyer))
    listed = await buyer.slash(channel, "orders")
    open_it = custom_id_of(listed.response, order_button(listed.response, order.id))
    peek = await press(other_buyer, listed.response, open_it)
    detail = await buyer.click(listed.response, label=order_button(listed.response, order.id))

    cancel = await press(other_buyer, detail.response, custom_id_of(detail.response, "✖ Cancel order"))
    forged = await press(buyer, listed.response, "cs:oa:d:99999999999:0")  # an id no real button carries

    for answer in (peek, cancel):
        assert answer.ephemeral and "couldn't find that order" in answer.response.content
    assert forged.ephemeral and "no longer active" in forged.response.content
    [order] = await shop.orders.history(order.customer_id)
    assert order.status is OrderStatus.AWAITING_PAYMENT


async def test_ask_about_an_order_opens_a_ticket_with_reply_and_close(simcord_env: Any, channel: Any, buyer: Any,
                                                                      shop: Shop) -> None:
    order_id = await shipped_order(shop, buyer)
    listed = await buyer.slash(channel, "orders")
    detail = await buyer.click(listed.response, label=order_button(listed.response, order_id))

    modal = await buyer.click(detail.response, label="💬 Ask about this order")
    assert modal.modal is not None and f"#{order_id}" in modal.modal["title"]
    subject, message = [row["components"][0]["custom_id"] for row in modal.modal["components"]]
    opened = await buyer.submit_modal(modal, {subject: "", message: "Where is my parcel?"})

    assert opened.ephemeral and {"Reply", "Close"} <= set(button_labels(opened.response))
    assert "Where is my parcel?" in embed_of(opened.response).description
    owner = await make_owner(shop)
    [ticket] = await shop.support.open_tickets(owner)
    assert ticket.order_id == order_id


async def test_orders_in_japanese(simcord_env: Any, channel: Any, buyer: Any, shop: Shop,
                                  discord_locale: Callable[[int, str], None]) -> None:
    discord_locale(buyer.id, "ja")
    order_id = await shipped_order(shop, buyer)

    listed = await buyer.slash(channel, "orders")
    assert embed_of(listed.response).title == "📦 ご注文履歴"
    detail = await buyer.click(listed.response, label=order_button(listed.response, order_id))
    assert "JP123" in embed_of(detail.response).description
    assert "↩ 戻る" in button_labels(detail.response)


async def test_order_buttons_keep_working_after_a_restart(simcord_env: Any, channel: Any, buyer: Any, shop: Shop,
                                                          make_bot: Callable[[], ShopBot]) -> None:
    order_id = await shipped_order(shop, buyer)
    listed = await buyer.slash(channel, "orders")

    await simcord_env.restart_bot(make_bot())

    detail = await buyer.click(listed.response, label=order_button(listed.response, order_id))
    assert embed_of(detail.response).title == f"Order #{order_id}"
