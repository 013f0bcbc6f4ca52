"""`[discord] seller_role`: in a server, /seller needs Manage Server or that role on top of a role in the shop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
import pytest

from bots.config import Settings, parse_settings
from commerce.shop import Shop
from tests.discord.conftest import SHOP_NAME, embed_of


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    toml = f"""
[shop]
name = "{SHOP_NAME}"
default_locale = "en"
[media]
dir = "media"
[discord]
enabled = true
seller_role = "Shop staff"
"""
    return parse_settings(toml, tmp_path, {"DISCORD_BOT_TOKEN": "test-token"})


def allow_on_seller_group(simcord_env: Any, *targets: Any) -> None:
    """What a server admin does in Server Settings → Integrations: let these roles or members see /seller."""
    command = simcord_env.backend.find_command("seller", simcord_env.guild.id)
    assert command is not None
    simcord_env.guild.set_command_permissions(int(command["id"]), dict.fromkeys(targets, True))


async def test_the_configured_role_opens_seller_commands_and_nothing_else_does(simcord_env: Any, channel: Any,
                                                                              shop: Shop) -> None:
    staff_role = simcord_env.guild.create_role("Shop staff", permissions=discord.Permissions.none())
    with_role = simcord_env.guild.add_member(simcord_env.create_user("kenji"), roles=[staff_role])
    without = simcord_env.guild.add_member(simcord_env.create_user("rin"))
    await shop.sellers.bootstrap_owners([f"discord:{with_role.id}", f"discord:{without.id}"])  # both own the shop
    allow_on_seller_group(simcord_env, staff_role, without)  # `without` may see it, but lacks the role

    allowed = await with_role.slash(channel, "seller sales")
    assert allowed.ephemeral and embed_of(allowed.response).fields

    refused = await without.slash(channel, "seller sales")
    assert refused.ephemeral
    assert "“Shop staff” role" in refused.response.content and not refused.response.embeds
