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
from tests.support.factories import a_taxed_sale, make_buyer, make_product

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


async def sales_fields(member: Any, channel: Any) -> dict[str, str]:
    shown = await member.slash(channel, "seller sales")
    return {str(field.name): str(field.value) for field in embed_of(shown.response).fields}


async def test_discounts_shipping_tax_per_rate_and_net(simcord_env: Any, channel: Any, shop: Shop, clock: FakeClock,
                                                       data_key: str,
                                                       discord_locale: Callable[[int, str], None]) -> None:
    member = _manager(simcord_env, "mio")
    [owner_id] = await shop.sellers.bootstrap_owners([f"discord:{member.id}"])
    await a_taxed_sale(shop, clock, data_key, owner_id, ADDRESS, ago=timedelta(hours=1))

    fields = await sales_fields(member, channel)
    assert fields["Today"].split("\n") == [
        "Revenue ¥5,460 · Orders 1 · Items 3", "Discounts −¥546", "Shipping ¥600", "Buyers paid ¥5,514",
        "10% taxable ¥3,570 (tax ¥324 included)", "8% taxable ¥1,944 (tax ¥144 included)", "Net before tax ¥5,046"]

    discord_locale(member.id, "ja")
    fields = await sales_fields(member, channel)
    assert fields["過去30日間"].split("\n") == [
        "売上 ￥5,460・注文 1件・数量 3点", "値引き −￥546", "送料 ￥600", "お支払い総額 ￥5,514",
        "10%対象 ￥3,570（内消費税 ￥324）", "8%対象 ￥1,944（内消費税 ￥144）", "税抜純売上 ￥5,046"]


async def test_a_shop_without_coupons_shipping_or_tax_shows_none_of_those_lines(simcord_env: Any, channel: Any,
                                                                               owner: Any) -> None:
    embed = embed_of((await owner.slash(channel, "seller sales")).response)
    assert embed.fields[0].value.split("\n") == ["Revenue ¥2,400 · Orders 1 · Items 2"]
