"""`/seller sales`: the sales summary (today, 7 and 30 days, top products, referrals, refunds) as an embed;
the period buttons redraw it in place with fresh figures. Whose sales are counted is the core's decision."""

from __future__ import annotations

import re
from typing import Any, Final

import discord
from discord import app_commands
from discord.ui import Button, DynamicItem

from bots.common.sales import SalesPeriodView, present_sales
from bots.discord.command_translator import command_text
from bots.discord.context import edit, identify, reply, services_of
from bots.discord.items import ShopItem
from bots.discord.render import COLOUR, md
from bots.discord.services import ShopServices

__all__ = ["SalesPeriodView", "add_to", "show_sales"]


async def show_sales(interaction: discord.Interaction[Any], view: SalesPeriodView, *, in_place: bool = False) -> None:
    services = services_of(interaction)
    person = await identify(interaction)
    summary = await services.shop.sales.summary(person.customer.id)  # the role checked again, on every press
    shown = present_sales(services.translator, person.locale, summary, view)
    embed = discord.Embed(title=md(shown.heading), colour=COLOUR,
                          description="\n".join(md(line) for line in (shown.as_of, *shown.notes)))
    for section in shown.sections:
        embed.add_field(name=md(section.heading)[:256], value="\n".join(map(md, section.lines))[:1024],
                        inline=False)
    if shown.footer:
        embed.set_footer(text=shown.footer)
    buttons = discord.ui.View(timeout=None)
    for choice, label in shown.buttons:
        buttons.add_item(SalesPeriod(choice.value, label, current=choice is view))
    if in_place:
        await edit(interaction, embed=embed, view=buttons)
    else:
        await reply(interaction, embed=embed, view=buttons)


def add_to(group: app_commands.Group, services: ShopServices) -> None:
    @group.command(name=command_text("discord.command.seller.sales", "sales"),
                   description=command_text("discord.command.seller.sales.description",
                                            "Sales: today, 7 and 30 days, top products"))
    async def sales(interaction: discord.Interaction[Any]) -> None:
        await show_sales(interaction, SalesPeriodView.ALL)

    del sales


# ---- the persistent components (DynamicItem): ids only in the custom_id ----


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
        await show_sales(interaction, SalesPeriodView(self.period), in_place=True)


SELLER_SALES_ITEMS: Final = (SalesPeriod,)
