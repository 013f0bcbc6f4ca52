"""`/help`, `/terms` and `/language`: about the shop, and the buyer's own language choice."""

from __future__ import annotations

from typing import Any, Final

import discord
from discord import app_commands
from discord.ext import commands

from bots.common.legal import pages, present_shop_terms
from bots.common.presenters import present_language_choice
from bots.discord.command_translator import command_text
from bots.discord.context import edit, identify, reply
from bots.discord.render import view_of
from bots.discord.services import ShopServices

MESSAGE_MAX: Final = 2000  # a Discord message's text


class ShopInfo(commands.Cog):
    def __init__(self, services: ShopServices) -> None:
        self.services = services
        services.handlers.shop_info = self  # the buttons' clicks come here

    @app_commands.command(name=command_text("discord.command.help", "help"),
                          description=command_text("discord.command.help.description", "How to shop here"))
    async def help_command(self, interaction: discord.Interaction[Any]) -> None:
        buyer = await identify(interaction)
        await reply(interaction, content=self.services.translator.text(buyer.locale, "discord.help"))

    @app_commands.command(name=command_text("discord.command.terms", "terms"),
                          description=command_text("discord.command.terms.description",
                                                   "Terms, returns and legal notice"))
    async def terms_command(self, interaction: discord.Interaction[Any]) -> None:
        buyer = await identify(interaction)
        text = present_shop_terms(self.services.translator, buyer.locale, self.services.terms,
                                  shop_name=self.services.shop_name)
        for page in pages(text, lambda part: len(discord.utils.escape_markdown(part)) <= MESSAGE_MAX):
            await reply(interaction, content=discord.utils.escape_markdown(page))  # the rest as follow-ups

    @app_commands.command(name=command_text("discord.command.language", "language"),
                          description=command_text("discord.command.language.description", "Change language"))
    async def language_command(self, interaction: discord.Interaction[Any]) -> None:
        buyer = await identify(interaction)
        menu = present_language_choice(self.services.translator, buyer.locale)
        await reply(interaction, content=menu.text, view=view_of(menu.rows))

    async def set_language(self, interaction: discord.Interaction[Any], locale: str) -> None:
        buyer = await identify(interaction)
        updated = await self.services.shop.customers.set_locale(buyer.customer.id, locale)
        chosen = updated.locale or locale
        interaction.extras["locale"] = chosen
        await edit(interaction, content=self.services.translator.text(chosen, "language.set"), view=None)
