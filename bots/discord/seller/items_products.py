"""The buttons and selects of `/seller products` and `/seller sales`, as persistent `DynamicItem`s: ids only
in the custom_id; the product is re-read, and the role and ownership re-checked, by the core on every click."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Final

import discord
from discord.ui import Button, DynamicItem, Select

from bots.discord.context import MAX_ID
from bots.discord.errors import answer_stale
from bots.discord.items import ShopItem

_ID: Final = r"[1-9][0-9]{0,9}"
_PAGE: Final = r"[0-9]{1,4}"


class ProductAction(StrEnum):
    OPEN = "open"
    EDIT = "edit"
    PRICE = "price"
    STOCK = "stock"
    HIDE = "hide"
    SHOW = "show"
    DELETE = "del"
    DELETE_CONFIRMED = "yes"
    PHOTO = "photo"
    ITEMS = "items"


_STYLES: Final = {ProductAction.DELETE: discord.ButtonStyle.danger,
                  ProductAction.DELETE_CONFIRMED: discord.ButtonStyle.danger,
                  ProductAction.OPEN: discord.ButtonStyle.primary}
_ACTIONS: Final = "|".join(action.value for action in ProductAction)


class ManageProduct(ShopItem, DynamicItem[Button[Any]], template=rf"cs:sp:(?P<action>{_ACTIONS}):(?P<product>{_ID})"):
    def __init__(self, action: ProductAction, product_id: int, label: str = "") -> None:
        self.action, self.product_id = action, product_id
        self.ids = (product_id,)
        super().__init__(Button(label=label[:80] or "-", custom_id=f"cs:sp:{action.value}:{product_id}",
                                style=_STYLES.get(action, discord.ButtonStyle.secondary)))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> ManageProduct:
        return cls(ProductAction(match["action"]), int(match["product"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        from bots.discord.seller import products  # the handlers build views of these items
        await products.on_product_action(interaction, self.action, self.product_id)


class ChooseManagedVariant(ShopItem, DynamicItem[Select[Any]],
                           template=rf"cs:spv:(?P<action>price|stock):(?P<product>{_ID})"):
    """Which variant a price or stock change is for, when the product has several."""

    def __init__(self, action: ProductAction, product_id: int, options: list[discord.SelectOption] | None = None,
                 placeholder: str | None = None) -> None:
        self.action, self.product_id = action, product_id
        self.ids = (product_id,)
        super().__init__(Select(custom_id=f"cs:spv:{action.value}:{product_id}", placeholder=placeholder,
                                options=options or [discord.SelectOption(label="-")]))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Select[Any],
                             match: re.Match[str]) -> ChooseManagedVariant:
        return cls(ProductAction(match["action"]), int(match["product"]), item.options)

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        chosen = self.item.values[0] if self.item.values else ""
        if not chosen.isdigit() or not 0 < int(chosen) <= MAX_ID:
            await answer_stale(interaction)
            return
        from bots.discord.seller import products
        await products.ask_variant_change(interaction, self.action, self.product_id, int(chosen))


class ManagedProductsPage(ShopItem, DynamicItem[Button[Any]], template=rf"cs:spl:(?P<page>{_PAGE})"):
    def __init__(self, page: int, label: str = "") -> None:
        self.page = page
        super().__init__(Button(label=label[:80] or "-", custom_id=f"cs:spl:{page}"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> ManagedProductsPage:
        return cls(int(match["page"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        from bots.discord.seller import products
        await products.show_list(interaction, self.page, in_place=True)


class SalesPeriod(ShopItem, DynamicItem[Button[Any]], template=r"cs:sales:(?P<view>all|today|7d|30d)"):
    def __init__(self, view: str, label: str = "", *, current: bool = False) -> None:
        self.period = view
        style = discord.ButtonStyle.primary if current else discord.ButtonStyle.secondary
        super().__init__(Button(label=label[:80] or "-", custom_id=f"cs:sales:{view}", style=style))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> SalesPeriod:
        return cls(match["view"], item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        from bots.discord.seller import sales
        await sales.show_sales(interaction, sales.SalesPeriodView(self.period), in_place=True)


SELLER_PRODUCT_ITEMS: Final = (ManageProduct, ChooseManagedVariant, ManagedProductsPage, SalesPeriod)
