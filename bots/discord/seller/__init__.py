"""`/seller …`: the shop's staff commands on Discord, one subgroup per feature (products, orders, …).

Discord shows the group only to members with Manage Server (server admins can also allow a seller role in
Server Settings → Integrations); whoever uses it must also hold a role in the shop (owner, staff or
seller), checked here before any subcommand runs and again by the core inside every use case.
Each feature module exposes `add_to(group, services)`, which attaches its subgroup (`/seller products …`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands

from bots.discord.command_translator import command_text
from bots.discord.context import identify, reply
from bots.discord.seller import broadcast, coupons, orders, products, sales, security, staff
from bots.discord.services import ShopServices
from commerce.errors import PermissionDenied

AddTo = Callable[[app_commands.Group, ShopServices], None]


class SellerGroup(app_commands.Group):
    """The `/seller` group: refuses, politely and before anything runs, people with no role in the shop."""

    def __init__(self, services: ShopServices) -> None:
        super().__init__(name=command_text("discord.command.seller", "seller"),
                         description=command_text("discord.command.seller.description", "Run the shop"),
                         default_permissions=discord.Permissions(manage_guild=True))
        self.services = services

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        person = await identify(interaction)
        if not self._allowed_in_this_server(interaction.user):
            await reply(interaction, content=self.services.translator.text(
                person.locale, "discord.seller.role_needed", role=self.services.seller_role))
            return False
        role = await self.services.shop.sellers.role_of(person.customer.id)
        if role is None:
            error = PermissionDenied(permission="seller", role=None)
            await reply(interaction, content=self.services.translator.error(person.locale, error))
            return False
        return True


    def _allowed_in_this_server(self, user: discord.User | discord.Member) -> bool:
        """With `[discord] seller_role` set, a server member also needs Manage Server or that role (DMs: the
        shop role alone decides)."""
        wanted = self.services.seller_role
        if not wanted or not isinstance(user, discord.Member):
            return True
        return user.guild_permissions.manage_guild or any(role.name == wanted for role in user.roles)


def features() -> tuple[AddTo, ...]:
    """Every `/seller` subgroup, in the order Discord lists them; a feature module adds itself here."""
    return (products.add_to, orders.add_to, sales.add_to, coupons.add_to, staff.add_to, broadcast.add_to,
            security.add_to)


def build_seller_group(services: ShopServices) -> SellerGroup | None:
    """The group with every feature's subgroup; None while no feature is built (Discord refuses empty groups)."""
    group = SellerGroup(services)
    for add_to in features():
        add_to(group, services)
    return group if group.commands else None
