"""The buyer's newer buttons, as persistent `DynamicItem`s: order list and detail, reviews, the card's photo
gallery, Share and Reviews, and the support ticket's Reply / Close.

As in items.py, a custom_id holds ids only, each bounded by its template; an id out of range (or a gallery
position or star count a real button never carries) gets the polite "stale" answer and nothing changes. The
order, line, ticket and product are re-read — and their owner checked — in the core by the cog.
"""

from __future__ import annotations

import re
from typing import Any, Final

import discord
from discord.ui import Button, DynamicItem

from bots.discord.errors import answer_stale, report_error
from bots.discord.items import ShopItem, handlers_of, optional_id

_ID: Final = r"[1-9][0-9]{0,9}"
_OPTIONAL_ID: Final = r"(?:[1-9][0-9]{0,9})?"
_PAGE: Final = r"[0-9]{1,4}"
PHOTOS_MAX: Final = 10  # a product holds at most this many photos; a position past it is forged
Style = discord.ButtonStyle


def _button(custom_id: str, label: str, style: Style = Style.secondary) -> Button[Any]:
    return Button(label=label[:80], custom_id=custom_id, style=style)


class ShopModal(discord.ui.Modal):
    """A modal whose refusals (a core error: a closed ticket, a second review) are answered like a click's:
    in the buyer's words, privately, and nothing changes."""

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self.submit(interaction)
        except Exception as exc:  # noqa: BLE001 — every failure is reported to the user and logged
            await report_error(interaction, exc)

    async def submit(self, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError


# ---- orders ----

class OrdersPage(ShopItem, DynamicItem[Button[Any]], template=rf"cs:ol:(?P<page>{_PAGE})"):
    def __init__(self, page: int, label: str = "") -> None:
        self.page = page
        super().__init__(_button(f"cs:ol:{page}", label))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> OrdersPage:
        return cls(int(match["page"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await handlers_of(interaction).orders.show_page(interaction, self.page)


class OrderAction(ShopItem, DynamicItem[Button[Any]],
                  template=rf"cs:oa:(?P<action>[dpxsr]):(?P<order>{_ID}):(?P<page>{_PAGE})"):
    """d: open the detail, p: show the payment again, x: cancel, s: ask the shop about it, r: the receipt."""

    STYLES: Final = {"d": Style.secondary, "p": Style.primary, "x": Style.danger, "s": Style.secondary,
                     "r": Style.secondary}

    def __init__(self, action: str, order_id: int, page: int, label: str = "") -> None:
        self.action, self.order_id, self.page = action, order_id, page
        self.ids = (order_id,)
        super().__init__(_button(f"cs:oa:{action}:{order_id}:{page}", label, self.STYLES[action]))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> OrderAction:
        return cls(match["action"], int(match["order"]), int(match["page"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        orders = handlers_of(interaction).orders
        act = {"d": orders.open_order, "p": orders.show_payment, "x": orders.cancel_order,
               "s": orders.ask_support, "r": orders.send_receipt}[self.action]
        await act(interaction, self.order_id, self.page)


# ---- reviews ----

class ReviewOrder(ShopItem, DynamicItem[Button[Any]], template=rf"cs:rv:o:(?P<order>{_ID})"):
    """The lines of a delivered order, each with a row of stars."""

    def __init__(self, order_id: int, label: str = "") -> None:
        self.order_id = order_id
        self.ids = (order_id,)
        super().__init__(_button(f"cs:rv:o:{order_id}", label, Style.primary))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> ReviewOrder:
        return cls(int(match["order"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await handlers_of(interaction).reviews.open_order(interaction, self.order_id)


class ReviewStars(ShopItem, DynamicItem[Button[Any]],
                  template=rf"cs:rv:s:(?P<order>{_ID}):(?P<line>{_ID}):(?P<stars>[0-9])"):
    """One digit, so a forged "9" still parses and the core's own rule refuses it in the buyer's words."""

    def __init__(self, order_id: int, line_id: int, stars: int, label: str = "") -> None:
        self.order_id, self.line_id, self.stars = order_id, line_id, stars
        self.ids = (order_id, line_id)
        super().__init__(_button(f"cs:rv:s:{order_id}:{line_id}:{stars}", label))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> ReviewStars:
        return cls(int(match["order"]), int(match["line"]), int(match["stars"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await handlers_of(interaction).reviews.choose_stars(interaction, self.order_id, self.line_id,
                                                                  self.stars)


# ---- product card ----

class GalleryPhoto(ShopItem, DynamicItem[Button[Any]],
                   template=(rf"cs:gal:(?P<product>{_ID}):(?P<category>{_OPTIONAL_ID}):(?P<page>{_PAGE})"
                             r":(?P<photo>[0-9]{1,2}):(?P<slot>[0-2])")):
    """◀ / "2/3" / ▶: the card again with another photo, swapped in place. `slot` (the button's place in the
    row) only keeps custom_ids apart: with two photos ◀ and ▶ lead to the same one."""

    def __init__(self, product_id: int, category_id: int | None, page: int, photo: int, slot: int,
                 label: str = "") -> None:
        self.product_id, self.category_id, self.page, self.photo = product_id, category_id, page, photo
        self.ids = (product_id, category_id)
        super().__init__(_button(f"cs:gal:{product_id}:{category_id or ''}:{page}:{photo}:{slot}", label))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> GalleryPhoto:
        return cls(int(match["product"]), optional_id(match["category"]), int(match["page"]), int(match["photo"]),
                   int(match["slot"]), item.label or "")

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if self.photo >= PHOTOS_MAX:
            await answer_stale(interaction)
            return False
        return await super().interaction_check(interaction)

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await handlers_of(interaction).catalog.show_photo(interaction, self.product_id, self.category_id,
                                                                self.page, self.photo)


class ProductAction(ShopItem, DynamicItem[Button[Any]], template=rf"cs:pa:(?P<action>[sr]):(?P<product>{_ID})"):
    """s: share the card into the channel (as /share does), r: the product's reviews, privately."""

    def __init__(self, action: str, product_id: int, label: str = "") -> None:
        self.action, self.product_id = action, product_id
        self.ids = (product_id,)
        super().__init__(_button(f"cs:pa:{action}:{product_id}", label))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> ProductAction:
        return cls(match["action"], int(match["product"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        if self.action == "s":
            await handlers_of(interaction).share.share_product(interaction, self.product_id)
        else:
            await handlers_of(interaction).reviews.show_reviews(interaction, self.product_id)


# ---- support ----

class TicketAction(ShopItem, DynamicItem[Button[Any]], template=rf"cs:tk:(?P<action>[rc]):(?P<ticket>{_ID})"):
    """r: add a message to the buyer's own open ticket (a modal), c: close it."""

    def __init__(self, action: str, ticket_id: int, label: str = "") -> None:
        self.action, self.ticket_id = action, ticket_id
        self.ids = (ticket_id,)
        super().__init__(_button(f"cs:tk:{action}:{ticket_id}", label,
                                 Style.primary if action == "r" else Style.secondary))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> TicketAction:
        return cls(match["action"], int(match["ticket"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        support = handlers_of(interaction).support
        await (support.ask_reply if self.action == "r" else support.close_ticket)(interaction, self.ticket_id)


BUYER_ITEMS: Final = (OrdersPage, OrderAction, ReviewOrder, ReviewStars, GalleryPhoto, ProductAction, TicketAction)
