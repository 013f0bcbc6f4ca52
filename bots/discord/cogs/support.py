"""`/support`: a modal; its text opens a ticket through the core support service (staff answer by DM)."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bots.discord.command_translator import command_text
from bots.discord.context import identify, reply
from bots.discord.errors import report_error
from bots.discord.services import ShopServices
from commerce.support import SUBJECT_MAX, TEXT_MAX


class SupportModal(discord.ui.Modal):
    def __init__(self, cog: Support, locale: str) -> None:
        tr = cog.services.translator
        super().__init__(title=tr.text(locale, "discord.support.title")[:45], timeout=30 * 60)
        self.cog = cog
        self.subject: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=tr.text(locale, "discord.support.subject")[:45], required=False, max_length=min(SUBJECT_MAX, 100))
        self.message: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=tr.text(locale, "discord.support.message")[:45], style=discord.TextStyle.paragraph,
            max_length=min(TEXT_MAX, 4000))
        self.add_item(self.subject)
        self.add_item(self.message)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.open_ticket(interaction, str(self.subject), str(self.message))

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception) -> None:
        await report_error(interaction, error)


class Support(commands.Cog):
    def __init__(self, services: ShopServices) -> None:
        self.services = services

    @app_commands.command(name=command_text("discord.command.support", "support"),
                          description=command_text("discord.command.support.description", "Write to the shop"))
    async def support_command(self, interaction: discord.Interaction[Any]) -> None:
        buyer = await identify(interaction)
        await interaction.response.send_modal(SupportModal(self, buyer.locale))

    async def open_ticket(self, interaction: discord.Interaction[Any], subject: str, text: str) -> None:
        buyer = await identify(interaction)
        ticket = await self.services.shop.support.open(buyer.customer.id, text, subject=subject)
        await reply(interaction, content=self.services.translator.text(buyer.locale, "discord.support.opened",
                                                                       ticket=ticket.id))
