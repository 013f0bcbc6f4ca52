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
from bots.common.views import (
    Action,
    ActionKind,
    CartView,
    ListView,
    OrderButton,
    OrderButtonKind,
    OrderDetailView,
    OrderListView,
    OrderRows,
    ProductCardView,
    Rows,
)
from bots.discord import items, items_buyer

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
        case ActionKind.SHARE if action.id is not None:
            return items_buyer.ProductAction("s", action.id, label)
        case ActionKind.REVIEWS if action.id is not None:
            return items_buyer.ProductAction("r", action.id, label)
    return None


def gallery_item(action: Action, slot: int) -> discord.ui.Item[discord.ui.View] | None:
    if action.id is None:
        return None
    return items_buyer.GalleryPhoto(action.id, action.category_id, action.page, action.photo, slot, action.label)


def view_of(rows: Rows, *, extra: tuple[discord.ui.Item[discord.ui.View], ...] = (),
            gallery: tuple[Action, ...] = ()) -> discord.ui.View | None:
    """The actions laid out by discord.py (five to a row), at most 25; None when there is nothing to press.
    The `gallery` row (◀ 2/3 ▶) swaps the card's photo rather than opening the card afresh."""
    view = discord.ui.View(timeout=None)
    for item in extra:
        view.add_item(item)
    for row in rows:
        for slot, action in enumerate(row):
            item = gallery_item(action, slot) if gallery and row == gallery else item_for(action)
            if item is not None and len(view.children) < MAX_ITEMS:
                view.add_item(item)
    return view if view.children else None


def list_message(view: ListView, lines: tuple[str, ...] = ()) -> tuple[discord.Embed, discord.ui.View | None]:
    embed = discord.Embed(title=md(view.heading), colour=COLOUR,
                          description="\n".join(md(line) for line in lines) or None)
    if view.footer:
        embed.set_footer(text=view.footer)
    return embed, view_of(view.rows)


async def photo_file(media_store: MediaStore | None, photo: str | None) -> discord.File | None:
    """The card's photo from the media folder; a missing or foreign file just means no photo."""
    if media_store is None or not photo:
        return None
    try:
        data = await media_store.read(photo)
    except (OSError, ValueError):
        log.warning("product photo %s could not be read", photo[:80])
        return None
    return discord.File(io.BytesIO(data), filename=PHOTO_NAME)


def card_message(view: ProductCardView, *, selected_variant: int | None, category_id: int | None, page: int,
                 photo: bool, choose_label: str, add_label: str) -> tuple[discord.Embed, discord.ui.View | None]:
    """Title, description, price, shipping, stock or "sold out", rating; the photo when attached. With several
    variants a select picks one and Add to cart / Buy now act on it."""
    details = [f"**{md(view.price)}**", *([md(view.shipping)] if view.shipping else []), md(view.availability)]
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
    return embed, view_of(rows, extra=tuple(extra), gallery=view.gallery)


def cart_message(view: CartView) -> tuple[discord.Embed, discord.ui.View | None]:
    lines = [md(line.text) for line in view.lines]
    if view.total:
        lines += ["", f"**{md(view.total)}**"]
    embed = discord.Embed(title=md(view.heading), description="\n".join(lines) or None, colour=COLOUR)
    return embed, view_of(view.rows)


# ---- the buyer's orders ----

def order_item(button: OrderButton) -> discord.ui.Item[discord.ui.View] | None:
    order_id, page, text = button.order_id, button.page, button.label
    match button.kind:
        case OrderButtonKind.LIST:
            return items_buyer.OrdersPage(page, text)
        case OrderButtonKind.REVIEW if order_id is not None:
            return items_buyer.ReviewOrder(order_id, text)
        case kind if order_id is not None:
            action = {OrderButtonKind.DETAIL: "d", OrderButtonKind.SHOW_PAYMENT: "p", OrderButtonKind.CANCEL: "x",
                      OrderButtonKind.SUPPORT: "s", OrderButtonKind.RECEIPT: "r"}[kind]
            return items_buyer.OrderAction(action, order_id, page, text)
    return None


def order_buttons(rows: OrderRows) -> discord.ui.View | None:
    """The rows as laid out when they fit Discord's five; else five to a row (a page of eight orders)."""
    view = discord.ui.View(timeout=None)
    fits = len(rows) <= 5 and all(len(row) <= 5 for row in rows)
    for number, row in enumerate(rows):
        for button in row:
            item = order_item(button)
            if item is not None and len(view.children) < MAX_ITEMS:
                if fits:
                    item.row = number
                view.add_item(item)
    return view if view.children else None


def order_list_message(view: OrderListView) -> tuple[discord.Embed, discord.ui.View | None]:
    embed = discord.Embed(title=md(view.heading), description=md(view.hint) if view.hint else None, colour=COLOUR)
    if view.footer:
        embed.set_footer(text=view.footer)
    return embed, order_buttons(view.rows)


def _code(text: str) -> str:
    """Inline code for a key or code the buyer copies; a backtick in it can't close the span early."""
    return f"`{text.replace('`', 'ˋ')}`"


def order_detail_message(view: OrderDetailView) -> tuple[discord.Embed, discord.ui.View | None]:
    """Status and times, the itemised bill and total, a partial address, and the digital items again."""
    bill = [*(md(line) for line in view.lines), *(("", *map(md, view.bill)) if view.bill else ()),
            f"**{md(view.total)}**", *map(md, view.tax_notes)]
    blocks = ["\n".join(md(fact) for fact in view.facts), "\n".join(bill)]
    if view.address:
        blocks.append("\n".join(md(line) for line in view.address))
    if view.items_heading:
        blocks.append("\n".join([f"**{md(view.items_heading)}**",
                                 *(f"{md(title)}\n{_code(content)}" for title, content in view.digital_items)]))
    embed = discord.Embed(title=md(view.heading), description="\n\n".join(blocks)[:4096], colour=COLOUR)
    return embed, order_buttons(view.rows)
