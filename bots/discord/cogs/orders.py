"""`/orders`: the buyer's own orders and where each one stands."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bots.common.presenters import present_orders
from bots.discord.command_translator import command_text
from bots.discord.context import identify, reply
from bots.discord.render import orders_embed
from bots.discord.services import ShopServices


class Orders(commands.Cog):
    def __init__(self, services: ShopServices) -> None:
        self.services = services

    @app_commands.command(name=command_text("discord.command.orders", "orders"),
                          description=command_text("discord.command.orders.description", "Your orders"))
    async def orders_command(self, interaction: discord.Interaction[Any]) -> None:
        buyer = await identify(interaction)
        orders = await self.services.shop.orders.history(buyer.customer.id)
        await reply(interaction, embed=orders_embed(present_orders(self.services.translator, buyer.locale, orders)))
