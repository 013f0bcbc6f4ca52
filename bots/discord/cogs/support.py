"""`/support`: a modal; its text opens a ticket through the core support service (staff answer by DM). The
buyer's ticket is shown with Reply (a modal that adds a message) and Close; "Ask about this order" on an
order's detail opens the same modal with the order attached."""

from __future__ import annotations

from typing import Any, Final

import discord
from discord import app_commands
from discord.ext import commands

from bots.common.presenters import shorten
from bots.discord.command_translator import command_text
from bots.discord.context import Buyer, edit, identify, reply
from bots.discord.items_buyer import ShopModal, TicketAction
from bots.discord.render import COLOUR, md
from bots.discord.services import ShopServices
from bots.i18n import Translator
from commerce.errors import TicketClosed
from commerce.support import SUBJECT_MAX, TEXT_MAX, TicketDTO

MESSAGES_SHOWN: Final = 10  # the latest ones; an embed holds 4,096 characters
MESSAGE_PREVIEW: Final = 300
MODAL_TIMEOUT: Final = 30 * 60


class SupportModal(ShopModal):
    def __init__(self, cog: Support, locale: str, *, order_id: int | None = None) -> None:
        tr = cog.services.translator
        title = (tr.text(locale, "discord.buyer.support.order_title", order=order_id) if order_id is not None
                 else tr.text(locale, "discord.support.title"))
        super().__init__(title=title[:45], timeout=MODAL_TIMEOUT)
        self.cog, self.order_id = cog, order_id
        self.subject: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=tr.text(locale, "discord.support.subject")[:45], required=False, max_length=min(SUBJECT_MAX, 100))
        self.message: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=tr.text(locale, "discord.support.message")[:45], style=discord.TextStyle.paragraph,
            max_length=min(TEXT_MAX, 4000))
        self.add_item(self.subject)
        self.add_item(self.message)

    async def submit(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.open_ticket(interaction, str(self.subject), str(self.message), order_id=self.order_id)


class ReplyModal(ShopModal):
    """A message added to the buyer's own open ticket."""

    def __init__(self, cog: Support, locale: str, ticket_id: int) -> None:
        tr = cog.services.translator
        super().__init__(title=tr.text(locale, "discord.buyer.support.reply_title", ticket=ticket_id)[:45],
                         timeout=MODAL_TIMEOUT)
        self.cog, self.ticket_id = cog, ticket_id
        self.message: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=tr.text(locale, "discord.buyer.support.reply_label")[:45], style=discord.TextStyle.paragraph,
            max_length=min(TEXT_MAX, 4000))
        self.add_item(self.message)

    async def submit(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.add_message(interaction, self.ticket_id, str(self.message))


class Support(commands.Cog):
    def __init__(self, services: ShopServices) -> None:
        self.services = services
        services.handlers.support = self  # the buttons' clicks come here

    @app_commands.command(name=command_text("discord.command.support", "support"),
                          description=command_text("discord.command.support.description", "Write to the shop"))
    async def support_command(self, interaction: discord.Interaction[Any]) -> None:
        buyer = await identify(interaction)
        await self.ask(interaction, buyer)

    async def ask(self, interaction: discord.Interaction[Any], buyer: Buyer, *, order_id: int | None = None) -> None:
        """The modal; with `order_id` (already checked to be the buyer's) the ticket is about that order."""
        await interaction.response.send_modal(SupportModal(self, buyer.locale, order_id=order_id))

    async def open_ticket(self, interaction: discord.Interaction[Any], subject: str, text: str, *,
                          order_id: int | None = None) -> None:
        buyer = await identify(interaction)
        ticket = await self.services.shop.support.open(buyer.customer.id, text, subject=subject, order_id=order_id)
        embed, view = ticket_message(self.services.translator, buyer.locale, ticket)
        await reply(interaction, content=self.services.translator.text(buyer.locale, "discord.support.opened",
                                                                       ticket=ticket.id), embed=embed, view=view)

    # ---- the ticket's buttons (from bots/discord/items_buyer.py) ----

    async def ask_reply(self, interaction: discord.Interaction[Any], ticket_id: int) -> None:
        """Checked before the buyer types: their ticket (the core decides), and still open."""
        buyer = await identify(interaction)
        ticket = await self.services.shop.support.get(buyer.customer.id, ticket_id)
        if ticket.status != "open":
            raise TicketClosed(ticket_id=ticket.id)
        await interaction.response.send_modal(ReplyModal(self, buyer.locale, ticket.id))

    async def add_message(self, interaction: discord.Interaction[Any], ticket_id: int, text: str) -> None:
        buyer = await identify(interaction)
        ticket = await self.services.shop.support.reply(buyer.customer.id, ticket_id, text)
        embed, view = ticket_message(self.services.translator, buyer.locale, ticket)
        await reply(interaction, content=self.services.translator.text(buyer.locale, "support.added",
                                                                       ticket=ticket.id), embed=embed, view=view)

    async def close_ticket(self, interaction: discord.Interaction[Any], ticket_id: int) -> None:
        buyer = await identify(interaction)
        ticket = await self.services.shop.support.close(buyer.customer.id, ticket_id)
        embed, view = ticket_message(self.services.translator, buyer.locale, ticket)
        await edit(interaction, content=self.services.translator.text(buyer.locale, "support.closed",
                                                                      ticket=ticket.id), embed=embed, view=view)


def ticket_message(tr: Translator, locale: str, ticket: TicketDTO) -> tuple[discord.Embed, discord.ui.View | None]:
    """The ticket as its buyer sees it: subject, status, the latest messages; Reply and Close while open."""
    is_open = ticket.status == "open"
    lines = [md(tr.text(locale, "support.status_open" if is_open else "support.status_closed"))]
    for message in ticket.messages[-MESSAGES_SHOWN:]:
        who = tr.text(locale, "support.from_shop" if message.from_shop else "support.from_customer")
        lines += ["", f"**{md(who)}** · {md(tr.datetime(locale, message.created_at))}",
                  md(shorten(message.text, MESSAGE_PREVIEW))]
    embed = discord.Embed(title=md(tr.text(locale, "support.ticket_heading", ticket=ticket.id,
                                           subject=shorten(ticket.subject, 80)))[:256],
                          description="\n".join(lines)[:4096], colour=COLOUR)
    if not is_open:
        return embed, None
    view = discord.ui.View(timeout=None)
    view.add_item(TicketAction("r", ticket.id, tr.text(locale, "support.button_reply")))
    view.add_item(TicketAction("c", ticket.id, tr.text(locale, "support.button_close")))
    return embed, view
