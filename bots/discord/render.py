"""Platform-neutral views (bots/common) drawn as Discord messages: embeds, attachments and item views.

Discord markdown in shop text (a product title with `**`, a buyer's name with `@everyone`) is escaped here,
once, on the way out; mentions are never pinged by the bot's messages (allowed_mentions is none).
"""

from __future__ import annotations

import io
import logging
from typing import Final

import discord
from discord.utils import escape_markdown

from bots.common.media_store import MediaStore
from bots.common.views import Action, ActionKind, CartView, ListView, OrdersView, ProductCardView, Rows
from bots.discord import items

log = logging.getLogger(__name__)

COLOUR: Final = discord.Colour(0xE86A92)  # sakura pink
MAX_ITEMS: Final = 25  # Discord: 5 rows of 5
PHOTO_NAME: Final = "product.jpg"


def md(text: str) -> str:
    return escape_markdown(text)


def item_for(action: Action) -> discord.ui.Item[discord.ui.View] | None:
    """The Discord item for an action; None for an action this front-end doesn't offer (yet)."""
    kind, label = action.kind, action.label
    match kind:
        case ActionKind.CATEGORIES | ActionKind.BROWSE:
            return items.ShowCategories(label)
        case ActionKind.PRODUCTS:
            return items.ShowProducts(action.category_id, action.page, label)
        case ActionKind.PRODUCT if action.id is not None:
            return items.OpenProduct(action.id, action.category_id, action.page, label)
        case ActionKind.ADD_TO_CART if action.id is not None:
            return items.AddToCart(action.id, label)
        case ActionKind.BUY_NOW if action.id is not None:
            return items.BuyNow(action.id, label)
        case ActionKind.CART_SET_QUANTITY if action.id is not None:
            return items.SetQuantity(action.id, action.quantity, label)
        case ActionKind.CART_REMOVE if action.id is not None:
            return items.RemoveLine(action.id, label)
        case ActionKind.CHECKOUT:
            return items.CheckOutCart(label)
        case ActionKind.SET_LANGUAGE if action.value in ("ja", "en"):
            return items.SetLanguage(action.value, label)
    return None


def view_of(rows: Rows, *, extra: tuple[discord.ui.Item[discord.ui.View], ...] = ()) -> discord.ui.View | None:
    """The actions laid out by discord.py (five to a row), at most 25; None when there is nothing to press."""
    view = discord.ui.View(timeout=None)
    for item in extra:
        view.add_item(item)
    for row in rows:
        for action in row:
            item = item_for(action)
            if item is not None and len(view.children) < MAX_ITEMS:
                view.add_item(item)
    return view if view.children else None


def list_message(view: ListView, lines: tuple[str, ...] = ()) -> tuple[discord.Embed, discord.ui.View | None]:
    embed = discord.Embed(title=md(view.heading), colour=COLOUR,
                          description="\n".join(md(line) for line in lines) or None)
    if view.footer:
        embed.set_footer(text=view.footer)
    return embed, view_of(view.rows)


async def photo_file(media_store: MediaStore | None, photos: tuple[str, ...]) -> discord.File | None:
    """The card's first photo from the media folder; a missing or foreign file just means no photo."""
    if media_store is None or not photos:
        return None
    try:
        data = await media_store.read(photos[0])
    except (OSError, ValueError):
        log.warning("product photo %s could not be read", photos[0][:80])
        return None
    return discord.File(io.BytesIO(data), filename=PHOTO_NAME)


def card_message(view: ProductCardView, *, selected_variant: int | None, category_id: int | None, page: int,
                 photo: bool, choose_label: str, add_label: str) -> tuple[discord.Embed, discord.ui.View | None]:
    """Title, description, price, stock or "sold out", rating; the photo when attached. With several variants
    a select picks one and Add to cart / Buy now act on it."""
    details = [f"**{md(view.price)}**", md(view.availability)]
    if view.rating:
        details.append(md(view.rating))
    description = "\n\n".join(part for part in (md(view.description), "\n".join(details)) if part)
    embed = discord.Embed(title=md(view.title), description=description[:4096], colour=COLOUR)
    if photo:
        embed.set_image(url=f"attachment://{PHOTO_NAME}")
    choices = view.variant_choices
    extra: list[discord.ui.Item[discord.ui.View]] = []
    rows: Rows = view.rows
    if len(choices) > 1:
        chosen = next((c for c in choices if c.id == selected_variant), choices[0])
        options = [discord.SelectOption(label=c.label[:100], value=str(c.id), default=c.id == chosen.id)
                   for c in choices[:25]]
        extra.append(items.ChooseVariant(view.product_id, category_id, page, options, placeholder=choose_label))
        # The first row of actions (Add to cart / Buy now) now acts on the chosen variant.
        first = next(row for row in rows if row and row[0].kind is ActionKind.ADD_TO_CART)
        add, buy = first[0], first[1] if len(first) > 1 else None
        acting = tuple(a for a in (add, buy) if a is not None)
        relabelled = tuple(Action(a.kind, add_label if a.kind is ActionKind.ADD_TO_CART else a.label,
                                  id=chosen.id) for a in acting)
        rows = (relabelled, *(row for row in rows if not row or row[0].kind is not ActionKind.ADD_TO_CART))
    return embed, view_of(rows, extra=tuple(extra))


def cart_message(view: CartView) -> tuple[discord.Embed, discord.ui.View | None]:
    lines = [md(line.text) for line in view.lines]
    if view.total:
        lines += ["", f"**{md(view.total)}**"]
    embed = discord.Embed(title=md(view.heading), description="\n".join(lines) or None, colour=COLOUR)
    return embed, view_of(view.rows)


def orders_embed(view: OrdersView) -> discord.Embed:
    return discord.Embed(title=md(view.heading), description="\n".join(md(line) for line in view.lines) or None,
                         colour=COLOUR)
