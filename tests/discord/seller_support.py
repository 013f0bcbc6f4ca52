"""Shared by the /seller tests: an owner on Discord, their authenticator app, DMs as the person sees them."""

from __future__ import annotations

from typing import Any

import discord
import pyotp

from commerce.shop import Shop
from tests.conftest import FakeClock


async def make_discord_owner(shop: Shop, member: Any) -> int:
    [owner_id] = await shop.sellers.bootstrap_owners([f"discord:{member.id}"])
    return owner_id


def dms(member: Any) -> list[Any]:
    """What the bot sent this person by DM, oldest first."""
    user = getattr(member, "user", member)
    return user.dm_channel.history()


def app_code(app: pyotp.TOTP, clock: FakeClock) -> str:
    return app.at(clock.now)


def add_manager(simcord_env: Any, name: str) -> Any:
    """A server member who can see `/seller` (Manage Server); whether the shop lets them in is the core's call."""
    guild = simcord_env.guild
    role = guild.create_role(f"{name}-managers", permissions=discord.Permissions(manage_guild=True))
    return guild.add_member(simcord_env.create_user(name), roles=[role])
