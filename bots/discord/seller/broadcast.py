"""`/seller broadcast <text>`: a preview only the author sees, with Send and Discard; Send queues it in the
core and `bots/discord/broadcasts.py` delivers it by DM, then reports to the author.

Creating one needs the BROADCAST permission and a two-factor code from the last ten minutes, checked in the
core; the command asks first only so that nobody previews a message that will be refused.
"""

from __future__ import annotations

import re
from typing import Any, Final

import discord
from discord import app_commands
from discord.ui import Button, DynamicItem

from bots.discord.command_translator import command_text
from bots.discord.context import edit, identify, reply, services_of
from bots.discord.errors import answer_stale
from bots.discord.items import ShopItem
from bots.discord.services import ShopServices
from commerce.broadcasts import TEXT_MAX
from commerce.roles import Permission, require


def add_to(group: app_commands.Group, services: ShopServices) -> None:
    shop, tr = services.shop, services.translator

    @group.command(name=command_text("dso.command.broadcast", "broadcast"),
                   description=command_text("dso.command.broadcast.description",
                                            "A message to every customer who opted in to news"))
    @app_commands.rename(text=command_text("dso.option.text", "text"))
    @app_commands.describe(text=command_text("dso.option.text.description", "What the message says"))
    async def broadcast(interaction: discord.Interaction[Any], text: app_commands.Range[str, 1, TEXT_MAX]) -> None:
        seller = await identify(interaction)
        require(await shop.sellers.role_of(seller.customer.id), Permission.BROADCAST)
        await shop.two_factor.require_recent(seller.customer.id)
        locale = seller.locale
        embed = discord.Embed(title=tr.text(locale, "dso.broadcast.preview"), description=text)
        embed.set_footer(text=tr.text(locale, "dso.broadcast.preview_hint"))
        view = discord.ui.View(timeout=None)
        view.add_item(DecideBroadcast(True, tr.text(locale, "dso.button.send")))
        view.add_item(DecideBroadcast(False, tr.text(locale, "dso.button.discard")))
        await reply(interaction, embed=embed, view=view)


async def decide(interaction: discord.Interaction[Any], send: bool) -> None:
    """Send (queue in the core) or discard the previewed text; the preview turns into the outcome."""
    services, seller = services_of(interaction), await identify(interaction)
    tr, locale = services.translator, seller.locale
    embeds = interaction.message.embeds if interaction.message is not None else []
    text = embeds[0].description if embeds else None
    if not text:
        await answer_stale(interaction)
        return
    if not send:
        await edit(interaction, content=tr.text(locale, "broadcast.cancelled"))
        return
    queued = await services.shop.broadcasts.create(seller.customer.id, text)
    await edit(interaction, content=tr.text(locale, "broadcast.queued", id=queued.id, recipients=queued.pending),
               embed=embeds[0])


# ---- the persistent components (DynamicItem): ids only in the custom_id ----


class DecideBroadcast(ShopItem, DynamicItem[Button[Any]], template=r"cs:bc:(?P<decision>send|discard)"):
    """The text is on the ephemeral preview only its author sees; the core checks the role and the code."""

    def __init__(self, send: bool, label: str = "") -> None:
        self.send = send
        style = discord.ButtonStyle.success if send else discord.ButtonStyle.secondary
        super().__init__(Button(label=label[:80] or "-", custom_id=f"cs:bc:{'send' if send else 'discard'}",
                                style=style))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> DecideBroadcast:
        return cls(match["decision"] == "send", item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await decide(interaction, self.send)


SELLER_BROADCAST_ITEMS: Final = (DecideBroadcast,)
