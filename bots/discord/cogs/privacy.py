"""`/privacy`: a buyer downloads everything the shop holds about them (a JSON file), or has it erased after
a confirm button (docs/architecture.md#personal-data). Orders stay with the shop for accounting, anonymised
by the core."""

from __future__ import annotations

import io
import json
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bots.discord import items
from bots.discord.cogs.checkout import conversation_key
from bots.discord.command_translator import command_text
from bots.discord.context import edit, identify, private, reply
from bots.discord.services import ShopServices


def export_document(data: dict[str, object], customer_id: int) -> discord.File:
    """Readable by a person as well as a program: UTF-8 (Japanese stays Japanese), indented."""
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    return discord.File(io.BytesIO(body), filename=f"my-data-{customer_id}.json")


class Privacy(commands.Cog):
    def __init__(self, services: ShopServices) -> None:
        self.services = services
        services.handlers.privacy = self  # the buttons' clicks come here

    @app_commands.command(name=command_text("discord.command.privacy", "privacy"),
                          description=command_text("discord.command.privacy.description",
                                                   "Download or erase your data"))
    async def privacy_command(self, interaction: discord.Interaction[Any]) -> None:
        buyer = await identify(interaction)
        tr = self.services.translator
        view = discord.ui.View(timeout=None)
        view.add_item(items.PrivacyAction("export", tr.text(buyer.locale, "privacy.button_export")))
        view.add_item(items.PrivacyAction("erase", tr.text(buyer.locale, "privacy.button_erase")))
        await reply(interaction, content=tr.text(buyer.locale, "privacy.intro"), view=view)

    async def export_data(self, interaction: discord.Interaction[Any]) -> None:
        buyer = await identify(interaction)
        await interaction.response.defer(ephemeral=private(interaction), thinking=True)
        data = await self.services.shop.customers.export(buyer.customer.id)
        await interaction.followup.send(self.services.translator.text(buyer.locale, "privacy.export_caption"),
                                        file=export_document(data, buyer.customer.id), ephemeral=True)

    async def erase_data(self, interaction: discord.Interaction[Any]) -> None:
        buyer = await identify(interaction)
        tr = self.services.translator
        view = discord.ui.View(timeout=None)
        view.add_item(items.ConfirmErase(buyer.customer.id, tr.text(buyer.locale, "privacy.button_erase_yes")))
        view.add_item(items.PrivacyAction("keep", tr.text(buyer.locale, "privacy.button_keep")))
        await edit(interaction, content=tr.text(buyer.locale, "privacy.erase_confirm"), view=view)

    async def confirm_erase(self, interaction: discord.Interaction[Any], customer_id: int) -> None:
        buyer = await identify(interaction)
        tr = self.services.translator
        if customer_id != buyer.customer.id:  # pressed again after erasing (or forged): this is someone else
            await reply(interaction, content=tr.text(buyer.locale, "privacy.already_erased"))
            return
        key = conversation_key(interaction.user.id)  # a half-finished checkout belongs to the person forgotten
        await self.services.conversations.set_data(key, {})
        await self.services.conversations.set_state(key, None)
        await self.services.shop.customers.erase(buyer.customer.id)
        await edit(interaction, content=tr.text(buyer.locale, "privacy.erased"), view=None)

    async def keep_data(self, interaction: discord.Interaction[Any]) -> None:
        buyer = await identify(interaction)
        await edit(interaction, content=self.services.translator.text(buyer.locale, "privacy.kept"), view=None)
