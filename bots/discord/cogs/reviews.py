"""Reviews on Discord: a delivered order's lines, each with a row of stars (1–5); the stars chosen, a modal asks
for a few optional words and the review is saved. `/reviews <product>` (autocomplete) and the card's Reviews
button show what buyers said. The star buttons carry ids and the stars only; the order, its status and its
owner are re-read from the core on every press, and the core has the last word when the review is saved."""

from __future__ import annotations

from typing import Any, Final

import discord
from discord import app_commands
from discord.ext import commands

from bots.common.presenters import label, shorten
from bots.discord.cogs.catalog import QUERY_MAX, find_product, product_choices
from bots.discord.command_translator import command_text
from bots.discord.context import identify, reply
from bots.discord.items_buyer import ReviewOrder, ReviewStars, ShopModal
from bots.discord.render import COLOUR, md
from bots.discord.services import ShopServices
from commerce.catalog import ProductDTO
from commerce.errors import NotFound
from commerce.reviews import REVIEWABLE, TEXT_MAX, check_review

SHOWN_REVIEWS: Final = 10
LINES_OFFERED: Final = 5  # one row of stars per line, and Discord allows five rows
ORDERS_OFFERED: Final = 20
REVIEW_PREVIEW: Final = 300


def star_bar(stars: int) -> str:
    return "★" * stars + "☆" * (5 - stars)


class ReviewModal(ShopModal):
    """The optional words; submitting it empty saves the stars alone."""

    def __init__(self, cog: Reviews, locale: str, line_id: int, stars: int, title: str) -> None:
        tr = cog.services.translator
        super().__init__(title=tr.text(locale, "discord.buyer.review.title", stars=star_bar(stars))[:45],
                         timeout=30 * 60)
        self.cog, self.line_id, self.stars = cog, line_id, stars
        self.words: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=label(tr.text(locale, "discord.buyer.review.text", title=title), 45),
            style=discord.TextStyle.paragraph, required=False, max_length=TEXT_MAX)
        self.add_item(self.words)

    async def submit(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.save(interaction, self.line_id, self.stars, str(self.words))


class Reviews(commands.Cog):
    def __init__(self, services: ShopServices) -> None:
        self.services = services
        services.handlers.reviews = self  # the buttons' clicks come here

    @app_commands.command(name=command_text("discord.command.review", "review"),
                          description=command_text("discord.command.review.description", "Review an order"))
    async def review_command(self, interaction: discord.Interaction[Any]) -> None:
        """The buyer's delivered orders to pick from."""
        buyer = await identify(interaction)
        tr = self.services.translator
        orders = [o for o in await self.services.shop.orders.history(buyer.customer.id) if o.status in REVIEWABLE]
        if not orders:
            await reply(interaction, content=tr.text(buyer.locale, "review.nothing_to_review"))
            return
        view = discord.ui.View(timeout=None)
        for order in orders[:ORDERS_OFFERED]:
            view.add_item(ReviewOrder(order.id, label(tr.text(
                buyer.locale, "review.order_button", order=order.id,
                title=order.lines[0].title if order.lines else ""), 80)))
        await reply(interaction, content=tr.text(buyer.locale, "review.choose_order"), view=view)

    @app_commands.command(name=command_text("discord.command.reviews", "reviews"),
                          description=command_text("discord.command.reviews.description", "Read a product's reviews"))
    @app_commands.rename(name=command_text("discord.option.reviews.name", "name"))
    @app_commands.describe(name=command_text("discord.option.reviews.name.description", "Start typing its name"))
    async def reviews_command(self, interaction: discord.Interaction[Any],
                              name: app_commands.Range[str, 1, QUERY_MAX]) -> None:
        await identify(interaction)
        await self._send_reviews(interaction, await find_product(self.services, name))

    @reviews_command.autocomplete("name")
    async def reviews_autocomplete(self, interaction: discord.Interaction[Any],
                                   current: str) -> list[app_commands.Choice[str]]:
        return await product_choices(self.services, interaction, current)

    # ---- clicks (from bots/discord/items_buyer.py) ----

    async def show_reviews(self, interaction: discord.Interaction[Any], product_id: int) -> None:
        await identify(interaction)
        await self._send_reviews(interaction, await self.services.shop.catalog.product(product_id))

    async def open_order(self, interaction: discord.Interaction[Any], order_id: int) -> None:
        """The order's lines, a row of stars under each; an order not delivered yet is explained."""
        buyer = await identify(interaction)
        tr = self.services.translator
        order = await self.services.shop.orders.get(buyer.customer.id, order_id)  # theirs, or "not found"
        if order.status not in REVIEWABLE:
            await reply(interaction, content=tr.text(buyer.locale, "review.not_delivered", order=order.id))
            return
        lines = order.lines[:LINES_OFFERED]
        view = discord.ui.View(timeout=None)
        for row, line in enumerate(lines):
            for stars in range(1, 6):
                item = ReviewStars(order.id, line.id, stars, f"{row + 1}. {stars}★" if len(lines) > 1 else f"{stars}★")
                item.row = row
                view.add_item(item)
        text = "\n".join(md(tr.text(buyer.locale, "review.rate_line", order=order.id, title=line.title))
                         if len(lines) == 1 else f"{number}. {md(line.title)}"
                         for number, line in enumerate(lines, start=1))
        embed = discord.Embed(title=md(tr.text(buyer.locale, "discord.buyer.review.heading", order=order.id)),
                              description=text[:4096], colour=COLOUR)
        await reply(interaction, embed=embed, view=view)

    async def choose_stars(self, interaction: discord.Interaction[Any], order_id: int, line_id: int,
                           stars: int) -> None:
        """Checked now, not after the buyer has typed their words: their order, delivered, 1–5 stars."""
        buyer = await identify(interaction)
        order = await self.services.shop.orders.get(buyer.customer.id, order_id)
        line = next((line for line in order.lines if line.id == line_id), None)
        if line is None:
            raise NotFound(entity="order_line", id=line_id)
        check_review(order.status, stars, "")
        await interaction.response.send_modal(ReviewModal(self, buyer.locale, line.id, stars, line.title))

    async def save(self, interaction: discord.Interaction[Any], line_id: int, stars: int, text: str) -> None:
        buyer = await identify(interaction)
        review = await self.services.shop.reviews.add(buyer.customer.id, line_id, stars, text)
        await reply(interaction, content=self.services.translator.text(buyer.locale, "review.thanks",
                                                                       stars=star_bar(review.stars)))

    async def _send_reviews(self, interaction: discord.Interaction[Any], product: ProductDTO) -> None:
        tr = self.services.translator
        locale = str(interaction.extras["locale"])
        reviews = await self.services.shop.reviews.for_product(product.id, limit=SHOWN_REVIEWS)
        entries = [f"{star_bar(r.stars)}  {md(tr.datetime(locale, r.created_at))}"
                   + (f"\n{md(shorten(r.text, REVIEW_PREVIEW))}" if r.text else "") for r in reviews]
        body = "\n\n".join(entries)[:4096] if entries else md(tr.text(locale, "reviews.none"))
        embed = discord.Embed(title=md(tr.text(locale, "reviews.heading", title=label(product.title, 200)))[:256],
                              description=body, colour=COLOUR)
        await reply(interaction, embed=embed)
