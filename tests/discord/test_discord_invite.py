"""`/invite` on Discord (simcord): the buyer's code and Telegram link, a friend who types the code as their first
command, the friend's first paid order, the inviter's DM and reward coupon; codes that don't count, said so."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from bots.discord.app import ShopBot
from bots.discord.notifier import DiscordNotifier
from bots.i18n import Translator
from commerce.bill import CouponKind
from commerce.errors import InvalidInput
from commerce.privacy import PersonalDataCipher
from commerce.referrals import ReferralRules
from commerce.shop import Shop, ShopRules
from commerce.storage.db import Database
from tests.conftest import FakeClock
from tests.discord.conftest import SHOP_NAME, TELEGRAM_BOT
from tests.integration.test_order_lifecycle import HOME
from tests.support.factories import make_owner, make_product

RULES = ReferralRules(enabled=True, reward=CouponKind.PERCENT, percent=Decimal("7.5"), min_order_minor=2000,
                      expires_after=timedelta(days=30))
CODE = re.compile(r"/invite code:([a-z0-9]+)")
REWARD = re.compile(r"`(INV-[A-Z0-9]{12})`")


@pytest.fixture
def shop(db: Database, clock: FakeClock, data_key: str) -> Shop:
    return Shop(db, ShopRules(currency="JPY", referrals=RULES), PersonalDataCipher(data_key), clock)


def dms(member: Any) -> list[str]:
    return [m.content for m in member.user.dm_channel.history() if m.author.bot]


async def code_of(member: Any, channel: Any) -> tuple[str, str]:
    result = await member.slash(channel, "invite")
    assert result.ephemeral
    content = result.response.content
    found = CODE.search(content)
    assert found is not None, content
    return content, found.group(1)


async def test_a_friend_who_types_the_code_first_and_pays_earns_the_inviter_a_coupon(
        simcord_env: Any, simcord_bot: ShopBot, channel: Any, buyer: Any, other_buyer: Any, shop: Shop,
        translator: Translator, clock: FakeClock) -> None:
    content, code = await code_of(buyer, channel)
    assert code == (await shop.customers.identify("discord", buyer.id)).referral_code
    assert content.startswith(f"**{translator.text('en', 'invite.heading', shop=SHOP_NAME)}**")
    assert "you get a coupon: 7.5% off orders of ¥2,000 or more, valid for 30 days" in content
    assert f"https://t.me/{TELEGRAM_BOT}?start=r_{code}" in content  # the same code works from Telegram
    assert translator.text("en", "invite.progress", joined=0, rewarded=0) in content

    joined = await other_buyer.slash(channel, "invite", code=f" {code.upper()} ")  # their first command here
    assert joined.ephemeral
    assert joined.response.content.startswith(translator.text("en", "invite.join.joined"))
    friend = await shop.customers.identify("discord", other_buyer.id)
    assert friend.referred_by == code

    owner = await make_owner(shop)
    teapot = (await make_product(shop, owner, title="Teapot", price="4000")).variants[0].id
    order = await shop.orders.checkout(friend.id, items=[(teapot, 1)], address=HOME)
    await shop.payments.payment_confirmed(order.id, txid="tx-friend")
    await DiscordNotifier(simcord_bot, shop, translator, default_locale="ja", owner_ids=[], clock=clock).send_due()

    [notice] = dms(buyer)
    found = REWARD.search(notice)
    assert found is not None and notice.startswith("🎁 A friend you invited has paid for their first order")
    assert "7.5% off orders of ¥2,000 or more, until Dec 23, 21:00" in notice
    content, _ = await code_of(buyer, channel)
    assert translator.text("en", "invite.progress", joined=1, rewarded=1) in content
    assert f"`{found.group(1)}` — 7.5% off orders of ¥2,000 or more, until Dec 23, 21:00" in content


async def test_a_code_counts_only_for_a_newcomer_and_never_ones_own(
        simcord_env: Any, channel: Any, buyer: Any, other_buyer: Any, shop: Shop, translator: Translator,
        discord_locale: Callable[[int, str], None]) -> None:
    _, code = await code_of(buyer, channel)

    own = await buyer.slash(channel, "invite", code=code)
    assert own.response.content.startswith(translator.text("en", "invite.join.own"))

    discord_locale(other_buyer.id, "ja")
    await other_buyer.slash(channel, "cart")  # here before: a code typed later is not recorded
    late = await other_buyer.slash(channel, "invite", code=code)
    assert late.response.content.startswith(translator.text("ja", "invite.join.too_late"))
    assert (await shop.customers.identify("discord", other_buyer.id)).referred_by is None

    newcomer = simcord_env.guild.add_member(simcord_env.create_user("yuki"))
    unknown = await newcomer.slash(channel, "invite", code="zz99zz99")
    assert unknown.response.content.startswith(translator.text("en", "invite.join.unknown"))

    malformed = await simcord_env.guild.add_member(simcord_env.create_user("mio")).slash(
        channel, "invite", code="<b>me</b>")
    assert malformed.ephemeral
    assert malformed.response.content == translator.error("en", InvalidInput(field="invite_code", reason="format"))


async def test_invite_is_a_slash_command_in_both_languages(simcord_env: Any) -> None:
    commands = {name: command for (name, _), command in simcord_env.backend.commands[None].items()}
    invite = commands["invite"]
    assert invite["name_localizations"]["ja"] == "招待"
    [option] = invite["options"]
    assert option["name_localizations"]["ja"] == "コード" and not option.get("required")
