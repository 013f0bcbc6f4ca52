"""`/seller staff …` on Discord: an owner with a fresh two-factor code grants and revokes roles by picking a server
member; without the code, or as staff, nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commerce.roles import Role
from commerce.shop import Shop
from tests.discord.conftest import embed_of
from tests.discord.seller_support import add_manager, make_discord_owner
from tests.support.factories import step_up


async def role_of(shop: Shop, member: Any) -> Role | None:
    return await shop.sellers.role_of((await shop.customers.identify("discord", member.id)).id)


async def test_an_owner_grants_and_revokes_a_role(simcord_env: Any, channel: Any, shop: Shop) -> None:
    owner, ken = add_manager(simcord_env, "aiko"), add_manager(simcord_env, "ken")
    await step_up(shop, await make_discord_owner(shop, owner))

    granted = await owner.slash(channel, "seller staff grant", user=ken, role="staff")
    listing = await owner.slash(channel, "seller staff list")

    assert granted.ephemeral and f"<@{ken.id}> is now staff" in granted.response.content
    assert await role_of(shop, ken) is Role.STAFF
    assert f"<@{ken.id}> — staff" in embed_of(listing.response).description
    revoked = await owner.slash(channel, "seller staff revoke", user=ken)
    assert "no longer has a staff role" in revoked.response.content
    assert await role_of(shop, ken) is None


async def test_a_grant_without_a_fresh_code_changes_nothing(simcord_env: Any, channel: Any, shop: Shop) -> None:
    owner, ken = add_manager(simcord_env, "aiko"), add_manager(simcord_env, "ken")
    await make_discord_owner(shop, owner)

    refused = await owner.slash(channel, "seller staff grant", user=ken, role="seller")

    assert refused.ephemeral and "/seller 2fa" in refused.response.content
    assert await role_of(shop, ken) is None


async def test_staff_cannot_change_roles(simcord_env: Any, channel: Any, shop: Shop) -> None:
    owner, ken, mia = add_manager(simcord_env, "aiko"), add_manager(simcord_env, "ken"), add_manager(simcord_env, "mia")
    owner_id = await make_discord_owner(shop, owner)
    await step_up(shop, owner_id)
    await shop.sellers.grant(owner_id, (await shop.customers.identify("discord", ken.id)).id, Role.STAFF)

    refused = await ken.slash(channel, "seller staff grant", user=mia, role="staff")
    listing = await ken.slash(channel, "seller staff list")
    revoke_owner = await ken.slash(channel, "seller staff revoke", user=owner)

    for answer in (refused, listing, revoke_owner):
        assert answer.ephemeral and "Sorry" in answer.response.content and not answer.response.embeds
    assert await role_of(shop, mia) is None and await role_of(shop, owner) is Role.OWNER


async def test_japanese_owners_read_japanese(simcord_env: Any, channel: Any, shop: Shop,
                                             discord_locale: Callable[[int, str], None]) -> None:
    owner, ken = add_manager(simcord_env, "aiko"), add_manager(simcord_env, "ken")
    await step_up(shop, await make_discord_owner(shop, owner))
    discord_locale(owner.id, "ja")

    granted = await owner.slash(channel, "seller staff grant", user=ken, role="seller")

    assert f"<@{ken.id}> を出品者に設定しました" in granted.response.content
