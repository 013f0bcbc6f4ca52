"""The cart: add from a card (an ephemeral notice), `/cart`, and −/+/remove edits of the cart in place."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bots.common.presenters import present_added, present_cart
from bots.discord.command_translator import command_text
from bots.discord.context import edit, identify, reply
from bots.discord.render import cart_message
from bots.discord.services import ShopServices


class Cart(commands.Cog):
    def __init__(self, services: ShopServices) -> None:
        self.services = services
        services.handlers.cart = self  # the buttons' clicks come here

    @app_commands.command(name=command_text("discord.command.cart", "cart"),
                          description=command_text("discord.command.cart.description", "Your cart"))
    async def cart_command(self, interaction: discord.Interaction[Any]) -> None:
        buyer = await identify(interaction)
        cart = await self.services.shop.cart.view(buyer.customer.id)
        embed, view = cart_message(present_cart(self.services.translator, buyer.locale, cart))
        await reply(interaction, embed=embed, view=view, ephemeral=True)

    async def add_to_cart(self, interaction: discord.Interaction[Any], variant_id: int) -> None:
        buyer = await identify(interaction)
        cart = await self.services.shop.cart.add(buyer.customer.id, variant_id)
        await reply(interaction, content=present_added(self.services.translator, buyer.locale, cart, variant_id),
                    ephemeral=True)

    async def set_quantity(self, interaction: discord.Interaction[Any], variant_id: int, quantity: int) -> None:
        buyer = await identify(interaction)
        cart = await self.services.shop.cart.set_quantity(buyer.customer.id, variant_id, quantity)
        embed, view = cart_message(present_cart(self.services.translator, buyer.locale, cart))
        await edit(interaction, embed=embed, view=view)

    async def remove_line(self, interaction: discord.Interaction[Any], variant_id: int) -> None:
        buyer = await identify(interaction)
        cart = await self.services.shop.cart.remove(buyer.customer.id, variant_id)
        embed, view = cart_message(present_cart(self.services.translator, buyer.locale, cart))
        await edit(interaction, embed=embed, view=view)
