"""`/share <product>`: a PUBLIC product card with a persistent Buy button posted into the channel; whoever
presses it gets their own ephemeral checkout. The Telegram deep link for the same product is shown too,
for cross-posting, when the Telegram bot's username is known."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bots.common.links import telegram_product_link
from bots.discord import items
from bots.discord.cogs.catalog import QUERY_MAX, Catalog, find_product, product_choices
from bots.discord.cogs.checkout import Checkout
from bots.discord.command_translator import command_text
from bots.discord.context import Buyer, identify, reply
from bots.discord.services import ShopServices
from commerce.catalog import ProductDTO


class Share(commands.Cog):
    def __init__(self, services: ShopServices, catalog: Catalog, checkout: Checkout) -> None:
        self.services = services
        services.handlers.share = self  # the buttons' clicks come here
        self.catalog = catalog
        self.checkout = checkout

    @app_commands.command(name=command_text("discord.command.share", "share"),
                          description=command_text("discord.command.share.description",
                                                   "Post a product into this channel"))
    @app_commands.rename(name=command_text("discord.option.share.name", "name"))
    @app_commands.describe(name=command_text("discord.option.share.name.description", "Start typing its name"))
    async def share_command(self, interaction: discord.Interaction[Any],
                            name: app_commands.Range[str, 1, QUERY_MAX]) -> None:
        buyer = await identify(interaction)
        product = await find_product(self.services, name)
        await self.post_card(interaction, buyer, product)

    async def share_product(self, interaction: discord.Interaction[Any], product_id: int) -> None:
        """The card's Share button: in a server, the same public card as /share; in a DM there is nobody to
        show it to, so the buyer is told how to share it instead."""
        buyer = await identify(interaction)
        product = await self.services.shop.catalog.product(product_id)  # deleted or hidden: "not found"
        if interaction.guild_id is None:
            await reply(interaction, content=self.services.translator.text(buyer.locale, "discord.buyer.share_dm"))
            return
        await self.post_card(interaction, buyer, product)

    async def post_card(self, interaction: discord.Interaction[Any], buyer: Buyer, product: ProductDTO) -> None:
        tr = self.services.translator
        # The card speaks the sharer's language; everyone else's checkout speaks theirs.
        embed, _, files = await self.catalog.card(buyer.locale, product)
        view = discord.ui.View(timeout=None)
        view.add_item(items.SharedBuy(product.id, tr.text(buyer.locale, "discord.share.buy")))
        content = None
        if self.services.telegram_username:
            link = telegram_product_link(self.services.telegram_username, product.id)
            view.add_item(discord.ui.Button(label=tr.text(buyer.locale, "discord.share.telegram_button"), url=link))
            content = tr.text(buyer.locale, "discord.share.telegram", link=link)
        await reply(interaction, content=content, embed=embed, view=view, files=files, ephemeral=False)

    @share_command.autocomplete("name")
    async def share_autocomplete(self, interaction: discord.Interaction[Any],
                                 current: str) -> list[app_commands.Choice[str]]:
        return await product_choices(self.services, interaction, current)

    async def buy_shared(self, interaction: discord.Interaction[Any], product_id: int) -> None:
        """One thing to buy: straight to checkout. Several variants: the buyer's own card to choose from."""
        await identify(interaction)
        product = await self.services.shop.catalog.product(product_id)  # deleted or hidden: "not found"
        if len(product.variants) == 1:  # sold out: the core's refusal is explained
            await self.checkout.buy_now(interaction, product.variants[0].id)
        else:
            await self.catalog.send_card(interaction, product, ephemeral=True)
