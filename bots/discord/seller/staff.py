"""`/seller staff list|grant <member> <role>|revoke <member>`: staff roles, changed by an owner, as on Telegram.

A Discord member option names the `discord:<id>` customer. The core checks the role (owners only) and a fresh
two-factor code on every change; the handler asks first only so that a refused grant creates no customer
for the target.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bots.discord.command_translator import command_text
from bots.discord.context import identify, reply
from bots.discord.services import ShopServices
from commerce.roles import Permission, Role, require

GRANTABLE = (Role.STAFF, Role.SELLER)  # owners come from bot.toml


def add_to(group: app_commands.Group, services: ShopServices) -> None:
    staff = app_commands.Group(name=command_text("dso.command.staff", "staff"),
                               description=command_text("dso.command.staff.description", "Staff roles (owners only)"),
                               parent=group)
    shop, tr = services.shop, services.translator
    user_name = app_commands.rename(user=command_text("dso.option.user", "user"))
    user_help = app_commands.describe(user=command_text("dso.option.user.description", "The Discord member"))

    async def require_owner(customer_id: int, *, step_up: bool) -> None:
        require(await shop.sellers.role_of(customer_id), Permission.MANAGE_ROLES)
        if step_up:
            await shop.two_factor.require_recent(customer_id)

    @staff.command(name=command_text("dso.command.staff.list", "list"),
                   description=command_text("dso.command.staff.list.description", "Who has a role in the shop"))
    async def list_staff(interaction: discord.Interaction[Any]) -> None:
        owner = await identify(interaction)
        await require_owner(owner.customer.id, step_up=False)  # SellerService.staff() takes no actor yet
        lines = []
        for member in await shop.sellers.staff():
            identities = (await shop.customers.get(member.customer_id)).identities
            who = ", ".join(map(_mention, identities)) or f"#{member.customer_id}"
            lines.append(tr.text(owner.locale, "st.list.line", who=who,
                                 role=tr.text(owner.locale, f"st.role.{member.role.value}")))
        embed = discord.Embed(title=tr.text(owner.locale, "st.list.heading"), description="\n".join(lines))
        embed.set_footer(text=tr.text(owner.locale, "dso.staff.usage"))
        await reply(interaction, embed=embed)

    @staff.command(name=command_text("dso.command.staff.grant", "grant"),
                   description=command_text("dso.command.staff.grant.description",
                                            "Give someone a role (needs a fresh two-factor code)"))
    @user_name
    @user_help
    @app_commands.rename(role=command_text("dso.option.role", "role"))
    @app_commands.describe(role=command_text("dso.option.role.description", "staff or seller"))
    @app_commands.choices(role=[app_commands.Choice(name=command_text(f"st.role.{r.value}", r.value), value=r.value)
                                for r in GRANTABLE])
    async def grant(interaction: discord.Interaction[Any], user: discord.User, role: str) -> None:
        owner = await identify(interaction)
        await require_owner(owner.customer.id, step_up=True)
        target = await shop.customers.identify("discord", user.id, display_name=user.display_name)
        granted = await shop.sellers.grant(owner.customer.id, target.id, role)
        await reply(interaction, content=tr.text(owner.locale, "st.granted", who=user.mention,
                                                 role=tr.text(owner.locale, f"st.role.{granted.role.value}")))

    @staff.command(name=command_text("dso.command.staff.revoke", "revoke"),
                   description=command_text("dso.command.staff.revoke.description",
                                            "Take someone's role away (needs a fresh two-factor code)"))
    @user_name
    @user_help
    async def revoke(interaction: discord.Interaction[Any], user: discord.User) -> None:
        owner = await identify(interaction)
        await require_owner(owner.customer.id, step_up=True)
        target = await shop.customers.identify("discord", user.id, display_name=user.display_name)
        await shop.sellers.revoke(owner.customer.id, target.id)
        await reply(interaction, content=tr.text(owner.locale, "st.revoked", who=user.mention))


def _mention(identity: str) -> str:
    """`discord:<id>` reads as a mention in Discord (allowed_mentions is none: nobody is pinged)."""
    platform, _, external_id = identity.partition(":")
    return f"<@{external_id}>" if platform == "discord" else identity
