"""`/seller 2fa …` on Discord: the enrolment QR arrives by DM (never in the channel) and decodes to an otpauth
URI; the first code confirms it; verify steps up; a replayed code is refused; closed DMs are explained."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyotp

from commerce.shop import Shop
from tests.conftest import FakeClock
from tests.discord.conftest import decode_qr
from tests.discord.seller_support import add_manager, dms, make_discord_owner


async def enrol(owner: Any, channel: Any) -> tuple[Any, pyotp.TOTP]:
    result = await owner.slash(channel, "seller 2fa enrol")
    [dm] = dms(owner)
    [qr] = dm.attachments
    uri = decode_qr(await qr.read())
    return result, pyotp.parse_uri(uri)


async def test_the_qr_comes_by_dm_and_the_first_code_turns_two_factor_on(
        simcord_env: Any, channel: Any, shop: Shop, clock: FakeClock) -> None:
    buyer = add_manager(simcord_env, "aiko")
    owner_id = await make_discord_owner(shop, buyer)

    result, app = await enrol(buyer, channel)

    answer = result.response
    assert answer.ephemeral and "DM" in answer.content
    assert isinstance(app, pyotp.TOTP) and "chatshop" in app.provisioning_uri()
    assert all(not m.attachments for m in channel.history())  # the secret never lands in the channel
    confirmed = await buyer.slash(channel, "seller 2fa confirm", code=app.at(clock.now))
    assert confirmed.ephemeral and "Two-factor is on" in confirmed.response.content
    assert (await shop.two_factor.status(owner_id)).enrolled
    status = await buyer.slash(channel, "seller 2fa status")
    assert "Two-factor is on" in status.response.content


async def test_verify_unlocks_and_a_replayed_code_is_refused(simcord_env: Any, channel: Any, shop: Shop,
                                                             clock: FakeClock) -> None:
    buyer = add_manager(simcord_env, "aiko")
    owner_id = await make_discord_owner(shop, buyer)
    _, app = await enrol(buyer, channel)
    await buyer.slash(channel, "seller 2fa confirm", code=app.at(clock.now))
    clock.advance(minutes=20)

    verified = await buyer.slash(channel, "seller 2fa verify", code=app.at(clock.now))
    replayed = await buyer.slash(channel, "seller 2fa verify", code=app.at(clock.now))
    not_the_code = "000000" if app.at(clock.now) != "000000" else "111111"
    wrong = await buyer.slash(channel, "seller 2fa verify", code=not_the_code)

    assert "unlocked for 10 minutes" in verified.response.content
    assert replayed.ephemeral and "already used" in replayed.response.content
    assert wrong.ephemeral and "isn't right" in wrong.response.content
    await shop.two_factor.require_recent(owner_id)  # still unlocked by the first code


async def test_closed_dms_are_explained_and_no_qr_is_shown(simcord_env: Any, channel: Any, shop: Shop) -> None:
    buyer = add_manager(simcord_env, "aiko")
    await make_discord_owner(shop, buyer)
    simcord_env.inject_error("POST", f"/channels/{buyer.user.dm_channel.id}/messages", status=403, code=50007,
                             message="Cannot send messages to this user", times=None)

    result = await buyer.slash(channel, "seller 2fa enrol")

    answer = result.response
    assert answer.ephemeral and "can't send you a DM" in answer.content and not answer.attachments
    assert all(not m.attachments for m in channel.history())


async def test_a_buyer_cannot_enrol_and_japanese_sellers_read_japanese(
        simcord_env: Any, channel: Any, shop: Shop, discord_locale: Callable[[int, str], None]) -> None:
    buyer, other_buyer = add_manager(simcord_env, "hana"), add_manager(simcord_env, "aiko")
    await make_discord_owner(shop, other_buyer)
    discord_locale(other_buyer.id, "ja")

    refused = await buyer.slash(channel, "seller 2fa enrol")
    status = await other_buyer.slash(channel, "seller 2fa status")

    assert refused.ephemeral and not dms(buyer)
    assert "二段階認証は未設定です" in status.response.content
