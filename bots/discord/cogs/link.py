"""`/link`: one customer across Discord and Telegram. `/link` alone gives a one-time code to send to the shop's
Telegram bot; `/link code:…` takes a code the Telegram bot gave. Either way one cart and one order history
follow. The code, its expiry, wrong guesses and the merge are the core's (commerce/links.py); its refusals
reach the error handler with the same keys as on Telegram. Always ephemeral: a code is nobody else's business.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bots.discord.command_translator import command_text
from bots.discord.context import identify, reply
from bots.discord.services import ShopServices
from commerce.links import MAX_INPUT


class Link(commands.Cog):
    def __init__(self, services: ShopServices) -> None:
        self.services = services

    @app_commands.command(name=command_text("discord.command.link", "link"),
                          description=command_text("discord.command.link.description",
                                                   "Use the same cart and orders in Telegram"))
    @app_commands.rename(code=command_text("discord.option.link.code", "code"))
    @app_commands.describe(code=command_text("discord.option.link.code.description",
                                             "A code the shop's Telegram bot gave you (leave empty to get "
                                             "a code for Telegram)"))
    async def link_command(self, interaction: discord.Interaction[Any],
                           code: app_commands.Range[str, 1, MAX_INPUT] | None = None) -> None:
        buyer = await identify(interaction)
        tr, links = self.services.translator, self.services.shop.links
        if code is None:
            issued = await links.issue(buyer.customer.id)
            text = tr.text(buyer.locale, "discord.link.issued", code=issued.code, minutes=issued.minutes)
        else:
            await links.redeem(buyer.customer.id, code)
            text = tr.text(buyer.locale, "discord.link.linked")
        await reply(interaction, content=text, ephemeral=True)
