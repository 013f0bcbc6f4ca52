"""`/seller broadcast` on Discord: a preview with Send/Discard, behind a fresh two-factor code; the Discord sender
DMs opted-in customers only, records closed DMs as failed, reports to the author and never sends twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bots.discord.app import ShopBot
from bots.discord.broadcasts import DiscordBroadcastSender
from bots.i18n import Translator
from commerce.shop import Shop
from tests.discord.conftest import button_labels, embed_of
from tests.discord.seller_support import add_manager, dms, make_discord_owner
from tests.support.factories import make_buyer, step_up

NEWS = "Deliveries are two days late this week. Sorry!"


async def opted_in(shop: Shop, member: Any, opt_in: bool = True) -> int:
    customer = await shop.customers.identify("discord", member.id)
    await shop.customers.set_marketing_opt_in(customer.id, opt_in)
    return customer.id


async def test_a_broadcast_reaches_opted_in_customers_by_dm_with_a_report(
        simcord_env: Any, channel: Any, shop: Shop, simcord_bot: ShopBot, translator: Translator) -> None:
    owner = add_manager(simcord_env, "aiko")
    await step_up(shop, await make_discord_owner(shop, owner))
    hana, ken, mia = (simcord_env.guild.add_member(simcord_env.create_user(name)) for name in ("hana", "ken", "mia"))
    await opted_in(shop, hana)
    await opted_in(shop, ken)
    await opted_in(shop, mia, False)
    simcord_env.inject_error("POST", f"/channels/{ken.user.dm_channel.id}/messages", status=403, code=50007,
                             message="Cannot send messages to this user", times=None)

    preview = await owner.slash(channel, "seller broadcast", text=NEWS)
    assert preview.ephemeral and embed_of(preview.response).description == NEWS
    assert button_labels(preview.response) == ["📣 Send", "✖ Discard"]
    queued = await owner.click(preview.response, label="📣 Send")
    assert "on its way to 2 customers" in queued.response.content

    sender = DiscordBroadcastSender(simcord_bot, shop, translator, per_second=5)
    [broadcast_id] = await shop.broadcasts.unfinished()
    done = await sender.send_broadcast(broadcast_id, asyncio.Event())

    assert done is not None and (done.delivered, done.failed, done.status) == (1, 1, "done")
    assert [m.content for m in dms(hana)] == [NEWS]
    assert not dms(mia) and not dms(ken)
    assert "成功 1件、失敗 1件" in dms(owner)[-1].content  # no language stored: the shop's default (ja)
    await sender.send_broadcast(broadcast_id, asyncio.Event())  # a second pass (a restart) sends nothing again
    assert len(dms(hana)) == 1


async def test_discard_sends_nothing(simcord_env: Any, channel: Any, shop: Shop) -> None:
    owner = add_manager(simcord_env, "aiko")
    await step_up(shop, await make_discord_owner(shop, owner))

    preview = await owner.slash(channel, "seller broadcast", text=NEWS)
    discarded = await owner.click(preview.response, label="✖ Discard")

    assert "Nothing was sent" in discarded.response.content and not button_labels(discarded.response)
    assert await shop.broadcasts.unfinished() == []


async def test_a_broadcast_needs_a_fresh_code_and_an_owner(simcord_env: Any, channel: Any, shop: Shop) -> None:
    owner, stranger = add_manager(simcord_env, "aiko"), add_manager(simcord_env, "mallory")
    await make_discord_owner(shop, owner)

    stale = await owner.slash(channel, "seller broadcast", text=NEWS)
    refused = await stranger.slash(channel, "seller broadcast", text=NEWS)

    assert stale.ephemeral and "/seller 2fa" in stale.response.content and not stale.response.embeds
    assert refused.ephemeral and "Sorry" in refused.response.content
    assert await shop.broadcasts.unfinished() == []


async def test_with_telegram_running_its_customers_are_left_to_it(
        simcord_env: Any, channel: Any, shop: Shop, simcord_bot: ShopBot, translator: Translator) -> None:
    owner = add_manager(simcord_env, "aiko")
    owner_id = await make_discord_owner(shop, owner)
    await step_up(shop, owner_id)
    hana = simcord_env.guild.add_member(simcord_env.create_user("hana"))
    await opted_in(shop, hana)
    on_telegram = await make_buyer(shop, "telegram")
    await shop.customers.set_marketing_opt_in(on_telegram, True)
    broadcast = await shop.broadcasts.create(owner_id, NEWS)

    sender = DiscordBroadcastSender(simcord_bot, shop, translator, per_second=5, leave_to_telegram=True)
    unfinished = await sender.send_broadcast(broadcast.id, asyncio.Event())

    assert unfinished is None and [m.content for m in dms(hana)] == [NEWS]
    assert await shop.broadcasts.pending_recipients(broadcast.id) == [on_telegram]


async def test_the_sender_runs_until_stopped_and_delivers_what_was_queued(
        simcord_env: Any, channel: Any, shop: Shop, simcord_bot: ShopBot, translator: Translator) -> None:
    owner = add_manager(simcord_env, "aiko")
    owner_id = await make_discord_owner(shop, owner)
    await step_up(shop, owner_id)
    hana = simcord_env.guild.add_member(simcord_env.create_user("hana"))
    await opted_in(shop, hana)
    await shop.broadcasts.create(owner_id, NEWS)
    stop = asyncio.Event()
    sender = DiscordBroadcastSender(simcord_bot, shop, translator, per_second=5)

    running = asyncio.create_task(sender.run(stop, interval=timedelta(milliseconds=50)))
    for _ in range(100):
        if not await shop.broadcasts.unfinished():
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(running, 5)

    assert await shop.broadcasts.unfinished() == []
    assert [m.content for m in dms(hana)] == [NEWS]
