"""Support on Discord: the buyer's ticket with Reply (a modal adding a message) and Close; a closed ticket takes
no more messages; someone else's ticket can't be read or written to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commerce.shop import Shop
from tests.discord.conftest import button_labels, embed_of
from tests.discord.test_discord_orders import customer_id
from tests.discord.test_discord_safety import custom_id_of, press
from tests.support.factories import make_owner


def field_ids(result: Any) -> list[str]:
    return [row["components"][0]["custom_id"] for row in result.modal["components"]]


async def open_ticket(buyer: Any, channel: Any, text: str = "Is the cup dishwasher safe?") -> Any:
    modal = await buyer.slash(channel, "support")
    subject, message = field_ids(modal)
    return (await buyer.submit_modal(modal, {subject: "Tea cup", message: text})).response


async def test_reply_adds_to_the_ticket_and_close_ends_it(simcord_env: Any, channel: Any, buyer: Any,
                                                          shop: Shop) -> None:
    ticket_view = await open_ticket(buyer, channel)
    assert {"Reply", "Close"} <= set(button_labels(ticket_view))
    owner = await make_owner(shop)
    [ticket] = await shop.support.open_tickets(owner)
    await shop.support.reply(owner, ticket.id, "Yes, it is **safe**.")

    modal = await buyer.click(ticket_view, label="Reply")
    assert modal.modal is not None and f"#{ticket.id}" in modal.modal["title"]
    [message] = field_ids(modal)
    added = await buyer.submit_modal(modal, {message: "Thanks! And the microwave?"})

    assert added.ephemeral and f"Added to your support request #{ticket.id}." in added.response.content
    description = embed_of(added.response).description
    assert r"Yes, it is \*\*safe\*\*." in description and "Thanks! And the microwave?" in description
    assert "**Shop**" in description
    ticket = await shop.support.get(owner, ticket.id)
    assert [m.text for m in ticket.messages][-1] == "Thanks! And the microwave?"

    closed = await buyer.click(added.response, label="Close")
    assert f"Support request #{ticket.id} is closed." in closed.response.content
    assert button_labels(closed.response) == []
    again = await buyer.click(ticket_view, label="Reply")  # the first view's button, still on screen
    assert again.modal is None and "support request is closed" in again.response.content
    assert (await shop.support.get(owner, ticket.id)).status == "closed"


async def test_an_empty_reply_changes_nothing(simcord_env: Any, channel: Any, buyer: Any,
                                                          shop: Shop) -> None:
    ticket_view = await open_ticket(buyer, channel)
    owner = await make_owner(shop)
    [ticket] = await shop.support.open_tickets(owner)

    modal = await buyer.click(ticket_view, label="Reply")
    [message] = field_ids(modal)
    blank = await buyer.submit_modal(modal, {message: "   "})

    assert blank.ephemeral and "can't be empty" in blank.response.content
    assert len((await shop.support.get(owner, ticket.id)).messages) == 1
    assert simcord_env.errors == []


async def test_someone_elses_ticket_cannot_be_written_to_or_closed(simcord_env: Any, channel: Any, buyer: Any,
                                                                   other_buyer: Any, shop: Shop) -> None:
    ticket_view = await open_ticket(buyer, channel)
    await customer_id(shop, other_buyer)

    write = await press(other_buyer, ticket_view, custom_id_of(ticket_view, "Reply"))
    close = await press(other_buyer, ticket_view, custom_id_of(ticket_view, "Close"))

    for answer in (write, close):
        assert answer.modal is None and answer.ephemeral and "Sorry" in answer.response.content
    owner = await make_owner(shop)
    [ticket] = await shop.support.open_tickets(owner)
    assert ticket.status == "open" and len(ticket.messages) == 1


async def test_ticket_in_japanese(simcord_env: Any, channel: Any, buyer: Any, shop: Shop,
                                  discord_locale: Callable[[int, str], None]) -> None:
    discord_locale(buyer.id, "ja")
    ticket_view = await open_ticket(buyer, channel, "食洗機は使えますか？")
    assert "お問い合わせ" in embed_of(ticket_view).title
    modal = await buyer.click(ticket_view, label=button_labels(ticket_view)[0])
    assert "返信" in modal.modal["title"]
