"""Browsing: `/shop` (categories → a page of products → a card, edited in place), `/product` with
autocomplete from the catalog search, and `/search`. All of it ephemeral: browsing is the buyer's own."""

from __future__ import annotations

from typing import Any, Final

import discord
from discord import app_commands
from discord.ext import commands

from bots.common.card_rules import card_rules
from bots.common.presenters import (
    label,
    present_categories,
    present_product_card,
    present_product_list,
    present_search_results,
)
from bots.common.views import ListView
from bots.discord.command_translator import command_text
from bots.discord.context import MAX_ID, edit, identify, reply
from bots.discord.errors import answer_stale
from bots.discord.render import card_message, list_message, photo_file
from bots.discord.services import ShopServices
from commerce.catalog import ProductDTO
from commerce.errors import NotFound

PAGE_SIZE: Final = 10  # one button per product, plus paging and back: well inside Discord's 25
CATEGORIES_MAX: Final = 24  # and "all products"
AUTOCOMPLETE_MAX: Final = 25  # Discord's limit
QUERY_MAX: Final = 100


class Catalog(commands.Cog):
    def __init__(self, services: ShopServices) -> None:
        self.services = services
        services.handlers.catalog = self  # the buttons' clicks come here

    # ---- commands ----

    @app_commands.command(name=command_text("discord.command.shop", "shop"),
                          description=command_text("discord.command.shop.description", "Browse the shop"))
    @app_commands.rename(code=command_text("discord.option.shop.code", "code"))
    @app_commands.describe(code=command_text("discord.option.shop.code.description",
                                             "A coupon code, applied at your next checkout"))
    async def shop_command(self, interaction: discord.Interaction[Any],
                           code: app_commands.Range[str, 1, 32] | None = None) -> None:
        notice = None
        if code is not None:
            notice = await self.services.handlers.checkout.keep_coupon(interaction, code)
        await self._send_list(interaction, await self._categories(interaction), notice=notice)

    @app_commands.command(name=command_text("discord.command.search", "search"),
                          description=command_text("discord.command.search.description", "Search products"))
    @app_commands.rename(text=command_text("discord.option.search.text", "text"))
    @app_commands.describe(text=command_text("discord.option.search.text.description", "Words from the product name"))
    async def search_command(self, interaction: discord.Interaction[Any],
                             text: app_commands.Range[str, 1, QUERY_MAX]) -> None:
        buyer = await identify(interaction)
        results = await self.services.shop.catalog.search(text, page_size=PAGE_SIZE)
        view = present_search_results(self.services.translator, buyer.locale, results)
        await self._send_list(interaction, view, tuple(a.label for row in view.rows for a in row))

    @app_commands.command(name=command_text("discord.command.product", "product"),
                          description=command_text("discord.command.product.description", "Show a product"))
    @app_commands.rename(name=command_text("discord.option.product.name", "name"))
    @app_commands.describe(name=command_text("discord.option.product.name.description", "Start typing its name"))
    async def product_command(self, interaction: discord.Interaction[Any],
                              name: app_commands.Range[str, 1, QUERY_MAX]) -> None:
        product = await find_product(self.services, name)
        await self.send_card(interaction, product, ephemeral=True)

    @product_command.autocomplete("name")
    async def product_autocomplete(self, interaction: discord.Interaction[Any],
                                   current: str) -> list[app_commands.Choice[str]]:
        return await product_choices(self.services, interaction, current)

    # ---- clicks (from bots/discord/items.py) ----

    async def show_categories(self, interaction: discord.Interaction[Any]) -> None:
        embed, view = list_message(await self._categories(interaction))
        await edit(interaction, embed=embed, view=view)

    async def show_products(self, interaction: discord.Interaction[Any], category_id: int | None, page: int) -> None:
        buyer = await identify(interaction)
        found = await self.services.shop.catalog.list_products(category_id=category_id, page=page,
                                                               page_size=PAGE_SIZE)
        view = present_product_list(self.services.translator, buyer.locale, found, category_id=category_id)
        embed, buttons = list_message(view)
        await edit(interaction, embed=embed, view=buttons)

    async def open_product(self, interaction: discord.Interaction[Any], product_id: int, category_id: int | None,
                           page: int, variant_id: int | None) -> None:
        buyer = await identify(interaction)
        product = await self.services.shop.catalog.product(product_id)
        embed, view, files = await self.card(buyer.locale, product, category_id=category_id, page=page,
                                             variant_id=variant_id)
        await edit(interaction, embed=embed, view=view, files=files)

    async def show_photo(self, interaction: discord.Interaction[Any], product_id: int, category_id: int | None,
                         page: int, photo: int) -> None:
        """The gallery: the same card with another of its photos, swapped in place."""
        buyer = await identify(interaction)
        product = await self.services.shop.catalog.product(product_id)
        if photo >= len(product.photos):  # no real button points past the photos there are
            await answer_stale(interaction)
            return
        embed, view, files = await self.card(buyer.locale, product, category_id=category_id, page=page, photo=photo)
        await edit(interaction, embed=embed, view=view, files=files)

    # ---- shared with /share ----

    async def card(self, locale: str, product: ProductDTO, *, category_id: int | None = None, page: int = 0,
                   variant_id: int | None = None, photo: int = 0
                   ) -> tuple[discord.Embed, discord.ui.View | None, list[discord.File]]:
        tr = self.services.translator
        card = present_product_card(tr, locale, product, await card_rules(self.services.shop),
                                    category_id=category_id, page=page, photo=photo)
        file = await photo_file(self.services.media_store, card.photo)
        embed, view = card_message(card, selected_variant=variant_id, category_id=category_id, page=page,
                                   photo=file is not None, choose_label=tr.text(locale, "discord.choose_variant"),
                                   add_label=tr.text(locale, "button.add_to_cart"))
        return embed, view, [file] if file else []

    async def send_card(self, interaction: discord.Interaction[Any], product: ProductDTO, *, ephemeral: bool) -> None:
        buyer = await identify(interaction)
        embed, view, files = await self.card(buyer.locale, product)
        await reply(interaction, embed=embed, view=view, files=files, ephemeral=ephemeral)

    async def _categories(self, interaction: discord.Interaction[Any]) -> ListView:
        buyer = await identify(interaction)
        categories = await self.services.shop.catalog.categories()
        return present_categories(self.services.translator, buyer.locale, categories[:CATEGORIES_MAX])

    @staticmethod
    async def _send_list(interaction: discord.Interaction[Any], view: ListView, lines: tuple[str, ...] = (),
                         notice: str | None = None) -> None:
        embed, buttons = list_message(view, lines)
        await reply(interaction, content=notice, embed=embed, view=buttons, ephemeral=True)


async def find_product(services: ShopServices, name: str) -> ProductDTO:
    """An autocomplete choice is the product id; typed words are searched and the best match is taken."""
    name = name.strip()
    if name.isdigit() and 0 < int(name) <= MAX_ID:
        return await services.shop.catalog.product(int(name))
    found = await services.shop.catalog.search(name[:QUERY_MAX], page_size=1)
    if not found.items:
        raise NotFound(entity="product", id=label(name, 40))
    return found.items[0]


async def product_choices(services: ShopServices, interaction: discord.Interaction[Any],
                          current: str) -> list[app_commands.Choice[str]]:
    """What the buyer has typed so far, searched; the value sent back is the product id."""
    buyer = await identify(interaction)
    current = current.strip()[:QUERY_MAX]
    catalog = services.shop.catalog
    found = (await catalog.search(current, page_size=AUTOCOMPLETE_MAX) if current
             else await catalog.list_products(page_size=AUTOCOMPLETE_MAX))
    tr = services.translator
    return [app_commands.Choice(name=label(f"{p.title} · {tr.money(buyer.locale, p.price_from)}", 100),
                                value=str(p.id)) for p in found.items]
