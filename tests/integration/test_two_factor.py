"""Two-factor step-up on a real database: enrolment, codes, replays, lockout with an owner alert, freshness."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from sqlalchemy import select, text

from commerce.errors import PermissionDenied, PersonalDataLocked
from commerce.privacy import PersonalDataCipher
from commerce.shop import Shop, ShopRules
from commerce.storage.db import Database
from commerce.storage.tables import AuditEvent, OutboxMessage
from commerce.two_factor import TwoFactorFailed, TwoFactorLocked, TwoFactorRequired, TwoFactorService
from tests.conftest import FakeClock
from tests.support.factories import make_buyer, make_owner


async def enrolled(shop: Shop, clock: FakeClock) -> tuple[int, pyotp.TOTP]:
    """An owner who scanned the QR and typed the first code; their authenticator app."""
    owner = await make_owner(shop)
    await shop.two_factor.enrol(owner)
    app = pyotp.TOTP(await shop.two_factor._secret(owner))
    await shop.two_factor.confirm_enrolment(owner, app.at(clock()))
    return owner, app


def wrong(app: pyotp.TOTP, clock: FakeClock) -> str:
    right = app.at(clock())
    return "000000" if right != "000000" else "111111"


async def test_enrolment_gives_an_otpauth_uri_and_a_first_code_confirms_it(shop: Shop, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    uri = await shop.two_factor.enrol(owner)
    parsed = urlparse(uri)
    assert (parsed.scheme, parsed.netloc) == ("otpauth", "totp")
    secret = parse_qs(parsed.query)["secret"][0]
    assert await shop.two_factor._secret(owner) == secret
    assert (await shop.two_factor.status(owner)).pending

    with pytest.raises(TwoFactorRequired) as not_yet:
        await shop.two_factor.verify(owner, pyotp.TOTP(secret).at(clock()))
    assert not_yet.value.reason == "not_enrolled"

    await shop.two_factor.confirm_enrolment(owner, pyotp.TOTP(secret).at(clock()))
    status = await shop.two_factor.status(owner)
    assert status.enrolled and status.verified_at == clock()
    await shop.two_factor.require_recent(owner)  # the first code is a fresh step-up


async def test_a_real_time_code_from_the_app_is_accepted(db: Database, data_key: str) -> None:
    shop = Shop(db, ShopRules(), PersonalDataCipher(data_key))  # the system clock, as in production
    owner = await make_owner(shop)
    await shop.two_factor.enrol(owner)
    await shop.two_factor.confirm_enrolment(owner, pyotp.TOTP(await shop.two_factor._secret(owner)).now())
    await shop.two_factor.require_recent(owner)


async def test_a_code_is_accepted_once_and_cannot_be_replayed(shop: Shop, clock: FakeClock) -> None:
    owner, app = await enrolled(shop, clock)
    clock.advance(seconds=30)
    code = app.at(clock())
    await shop.two_factor.verify(owner, code)
    with pytest.raises(TwoFactorFailed) as replay:
        await shop.two_factor.verify(owner, code)
    assert replay.value.reason == "replayed"
    # The previous step's code (still inside the drift window) is older than the accepted one: refused too.
    with pytest.raises(TwoFactorFailed):
        await shop.two_factor.verify(owner, app.at(clock.now - timedelta(seconds=30)))
    clock.advance(seconds=30)
    await shop.two_factor.verify(owner, f" {app.at(clock())[:3]} {app.at(clock())[3:]} ")  # spaces are fine


async def test_five_wrong_codes_lock_two_factor_and_alert_the_owners(shop: Shop, clock: FakeClock) -> None:
    owner, app = await enrolled(shop, clock)
    for attempts_left in (4, 3, 2, 1):
        with pytest.raises(TwoFactorFailed) as failed:
            await shop.two_factor.verify(owner, wrong(app, clock))
        assert failed.value.attempts_left == attempts_left
    with pytest.raises(TwoFactorLocked) as locked:
        await shop.two_factor.verify(owner, "not a code")
    assert locked.value.minutes == 15

    clock.advance(seconds=30)
    with pytest.raises(TwoFactorLocked):  # even the right code, while locked
        await shop.two_factor.verify(owner, app.at(clock()))
    with pytest.raises(TwoFactorLocked):  # and the step-up from the first code is gone
        await shop.two_factor.require_recent(owner)

    async with shop.db.uow(write=False) as uow:
        alerts = (await uow.session.execute(
            select(OutboxMessage).where(OutboxMessage.topic == "security.lockout"))).scalars().all()
        shown = [(a.audience, a.payload["seller_id"], a.payload["minutes"]) for a in alerts]
        actions = (await uow.session.execute(
            select(AuditEvent.action).where(AuditEvent.entity_id == owner))).scalars().all()
    assert shown == [("sellers", owner, 15)]
    assert "two_factor.lockout" in actions

    clock.advance(minutes=15)
    await shop.two_factor.verify(owner, app.at(clock()))
    await shop.two_factor.require_recent(owner)


async def test_a_step_up_is_fresh_for_ten_minutes(shop: Shop, clock: FakeClock) -> None:
    owner, app = await enrolled(shop, clock)
    clock.advance(minutes=9, seconds=59)
    await shop.two_factor.require_recent(owner)
    clock.advance(seconds=2)
    with pytest.raises(TwoFactorRequired) as stale:
        await shop.two_factor.require_recent(owner)
    assert stale.value.reason == "stale"
    await shop.two_factor.verify(owner, app.at(clock()))
    await shop.two_factor.require_recent(owner)


async def test_sellers_only_and_no_silent_re_enrolment(shop: Shop, clock: FakeClock) -> None:
    with pytest.raises(PermissionDenied):
        await shop.two_factor.enrol(await make_buyer(shop))
    with pytest.raises(TwoFactorRequired):
        await shop.two_factor.require_recent(await make_owner(shop))

    owner, app = await enrolled(shop, clock)
    clock.advance(minutes=11)
    with pytest.raises(TwoFactorRequired):  # swapping the secret needs a fresh code from the old one
        await shop.two_factor.enrol(owner)
    await shop.two_factor.verify(owner, app.at(clock()))
    await shop.two_factor.enrol(owner)
    assert (await shop.two_factor.status(owner)).pending


async def test_the_secret_is_encrypted_at_rest_and_needs_the_data_key(shop: Shop, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    await shop.two_factor.enrol(owner)
    secret = await shop.two_factor._secret(owner)
    async with shop.db.uow(write=False) as uow:
        raw = (await uow.session.execute(text(
            "SELECT secret_ciphertext FROM two_factor_secret WHERE customer_id = :c"), {"c": owner})).scalar_one()
    assert secret.encode() not in bytes(raw)

    no_key = TwoFactorService(shop.db, PersonalDataCipher(None), clock)
    with pytest.raises(PersonalDataLocked):
        await no_key.enrol(await make_owner(shop))
    other_key = TwoFactorService(shop.db, PersonalDataCipher(PersonalDataCipher.generate_key()), clock)
    with pytest.raises(PersonalDataLocked):
        await other_key.confirm_enrolment(owner, pyotp.TOTP(secret).at(clock()))
