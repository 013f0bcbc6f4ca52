"""`/seller 2fa enrol|confirm|verify|status`: two-factor step-up, as on Telegram (`/2fa`, `/verify`).

The enrolment QR is the secret itself: it goes by DM only. When the seller's DMs are closed they are told so
(ephemerally) and the QR is never shown in a channel. Every rule (who may enrol, wrong or replayed codes,
lockouts) is the core's; its refusals reach the Discord error reporter.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any, Final

import discord
from discord import app_commands

from bots.discord.command_translator import command_text
from bots.discord.context import identify, reply
from bots.discord.delivery import send_dm
from bots.discord.services import ShopServices
from commerce.two_factor import STEP_UP_WINDOW
from media.otp_qr import render_otp_qr

CODE_MAX: Final = 12  # six digits, with room for a stray space: anything longer is not a code


def add_to(group: app_commands.Group, services: ShopServices) -> None:
    two_factor = app_commands.Group(name=command_text("dso.command.2fa", "2fa"),
                                    description=command_text("dso.command.2fa.description",
                                                             "Two-factor codes for sensitive actions"),
                                    parent=group)
    tr = services.translator
    code_option = app_commands.describe(code=command_text("dso.option.code.description",
                                                          "The 6-digit code from your authenticator app"))
    code_name = app_commands.rename(code=command_text("dso.option.code", "code"))

    @two_factor.command(name=command_text("dso.command.2fa.enrol", "enrol"),
                        description=command_text("dso.command.2fa.enrol.description",
                                                 "Get the QR code for your authenticator app, by DM"))
    async def enrol(interaction: discord.Interaction[Any]) -> None:
        seller = await identify(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        uri = await services.shop.two_factor.enrol(seller.customer.id, account=f"discord-{interaction.user.id}")
        png = await asyncio.to_thread(render_otp_qr, uri)
        sent = await send_dm(interaction.client, interaction.user.id,
                             content=tr.text(seller.locale, "security.enrol_caption"),
                             file=discord.File(io.BytesIO(png), filename="two-factor.png"))
        await reply(interaction, content=tr.text(seller.locale, "dso.2fa.sent" if sent else "dso.2fa.dm_closed"))

    @two_factor.command(name=command_text("dso.command.2fa.confirm", "confirm"),
                        description=command_text("dso.command.2fa.confirm.description",
                                                 "Finish enrolment with the first code from the app"))
    @code_option
    @code_name
    async def confirm(interaction: discord.Interaction[Any],
                      code: app_commands.Range[str, 1, CODE_MAX]) -> None:
        seller = await identify(interaction)
        await services.shop.two_factor.confirm_enrolment(seller.customer.id, code.strip())
        await reply(interaction, content=tr.text(seller.locale, "dso.2fa.enrolled"))

    @two_factor.command(name=command_text("dso.command.2fa.verify", "verify"),
                        description=command_text("dso.command.2fa.verify.description",
                                                 "Unlock sensitive actions for ten minutes"))
    @code_option
    @code_name
    async def verify(interaction: discord.Interaction[Any],
                     code: app_commands.Range[str, 1, CODE_MAX]) -> None:
        seller = await identify(interaction)
        await services.shop.two_factor.verify(seller.customer.id, code.strip())
        minutes = int(STEP_UP_WINDOW.total_seconds() // 60)
        await reply(interaction, content=tr.text(seller.locale, "security.verified", minutes=minutes))

    @two_factor.command(name=command_text("dso.command.2fa.status", "status"),
                        description=command_text("dso.command.2fa.status.description",
                                                 "Whether two-factor is set up"))
    async def status(interaction: discord.Interaction[Any]) -> None:
        seller = await identify(interaction)
        state = await services.shop.two_factor.status(seller.customer.id)
        locale = seller.locale
        lines = [tr.text(locale, "dso.2fa.status.on" if state.enrolled
                         else "dso.2fa.status.pending" if state.pending else "dso.2fa.status.off")]
        if state.enrolled and state.verified_at is not None:
            lines.append(tr.text(locale, "dso.2fa.status.verified", when=tr.datetime(locale, state.verified_at)))
        if state.locked_until is not None and state.locked_until > discord.utils.utcnow():
            lines.append(tr.text(locale, "dso.2fa.status.locked", when=tr.datetime(locale, state.locked_until)))
        await reply(interaction, content="\n".join(lines))
