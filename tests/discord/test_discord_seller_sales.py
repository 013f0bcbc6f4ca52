"""`/seller sales` on Discord: an ephemeral embed with today / 7 / 30 days and top products, period buttons that
redraw it in place, Japanese for Japanese staff, and a polite no for a member with no role in the shop."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import discord
import pytest

from commerce.privacy import ShippingAddress
from commerce.shop import Shop
from tests.conftest import FakeClock
from tests.discord.conftest import button_labels, embed_of
from tests.support.factories import make_buyer, make_product

ADDRESS = ShippingAddress(name="Hana Sato", postal_code="150-0001", region="Tokyo", city="Shibuya",
                          line1="1-2-3 Jingumae")


def _manager(simcord_env: Any, name: str) -> Any:
    role = simcord_env.guild.create_role(f"{name}-role", permissions=discord.Permissions(manage_guild=True))
    return simcord_env.guild.add_member(simcord_env.create_user(name), roles=[role])


@pytest.fixture
async def owner(simcord_env: Any, channel: Any, shop: Shop, clock: FakeClock) -> Any:
    member = _manager(simcord_env, "aya")
    [owner_id] = await shop.sellers.bootstrap_owners([f"discord:{member.id}"])
    cup = (await make_product(shop, owner_id, title="Tea cup", price="1200", stock=50)).variants[0].id
    for quantity, ago in ((2, timedelta(hours=1)), (3, timedelta(days=20))):
        present = clock.now
        clock.now = present - ago
        order = await shop.orders.checkout(await make_buyer(shop), items=[(cup, quantity)], address=ADDRESS)
        await shop.payments.payment_confirmed(order.id)
        clock.now = present
    return member


async def test_summary_and_period_buttons(simcord_env: Any, channel: Any, owner: Any) -> None:
    shown = await owner.slash(channel, "seller sales")
    assert shown.ephemeral
    embed = embed_of(shown.response)
    fields = {field.name: field.value for field in embed.fields}
    assert "¥2,400" in fields["Today"] and "¥6,000" in fields["Last 30 days"]
    assert "Tea cup" in fields["Top products (30 days)"]
    assert {"Today", "7 days", "30 days", "• All periods"} <= set(button_labels(shown.response))

    today = await owner.click(shown.response, label="Today")
    names = [field.name for field in embed_of(today.response).fields]
    assert "Today" in names and "Last 30 days" not in names
    assert "• Today" in button_labels(today.response)


async def test_japanese_owner_reads_japanese(simcord_env: Any, channel: Any, owner: Any,
                                             discord_locale: Callable[[int, str], None]) -> None:
    discord_locale(owner.id, "ja")
    shown = await owner.slash(channel, "seller sales")
    assert "売上" in embed_of(shown.response).title


async def test_a_member_with_no_shop_role_is_refused(simcord_env: Any, channel: Any, owner: Any) -> None:
    stranger = _manager(simcord_env, "ken")
    refused = await stranger.slash(channel, "seller sales")
    assert refused.ephemeral and not refused.response.embeds and refused.response.content
