"""Two-factor step-up for sellers (docs/architecture.md#roles-and-two-factor): TOTP codes from an authenticator app.

A seller enrols by scanning an `otpauth://` URI and proves it with a first code. Sensitive actions then
ask `require_recent`: a code must have been accepted in the last few minutes. The secret is encrypted with
the personal-data key; an accepted time-step is remembered so the same code can't be used twice; and
`MAX_FAILURES` wrong codes in a row lock two-factor for `LOCKOUT` and alert the owners through the outbox.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import pyotp

from commerce.errors import CommerceError, PermissionDenied
from commerce.events import Clock, actor_of, notify, record, system_clock
from commerce.privacy import PersonalDataCipher
from commerce.storage.db import Database, UnitOfWork
from commerce.storage.tables import Seller, TwoFactorSecret
from commerce.topics import Topic

MAX_FAILURES: Final = 5
LOCKOUT: Final = timedelta(minutes=15)
STEP_UP_WINDOW: Final = timedelta(minutes=10)
CODE_DIGITS: Final = 6
# Codes of the previous and next 30 s step are accepted too: phone clocks drift and people type slowly.
DRIFT_STEPS: Final = 1
DEFAULT_ISSUER: Final = "chatshop"


class TwoFactorFailed(CommerceError):
    """The code was wrong (`reason="wrong"`) or already used (`reason="replayed"`); `attempts_left` before lockout."""

    code = "two_factor_failed"


class TwoFactorLocked(CommerceError):
    """Too many wrong codes: two-factor refuses every code for `minutes` more minutes."""

    code = "two_factor_locked"


class TwoFactorRequired(CommerceError):
    """A fresh code is needed first (`reason="stale"`), or two-factor is not set up (`reason="not_enrolled"`)."""

    code = "two_factor_required"


@dataclass(frozen=True, slots=True)
class TwoFactorStatus:
    enrolled: bool          # a confirmed enrolment exists
    pending: bool           # a secret was issued but no code confirmed it yet
    verified_at: datetime | None
    locked_until: datetime | None


def _seal(cipher: PersonalDataCipher, secret: str) -> bytes:
    return cipher.encrypt_secret(secret)


def _open(cipher: PersonalDataCipher, token: bytes) -> str:
    return cipher.decrypt_secret(token)


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, -(-int((until - now).total_seconds()) // 60))


async def require_recent_in(uow: UnitOfWork, customer_id: int, now: datetime,
                            within: timedelta = STEP_UP_WINDOW) -> None:
    """Inside another service's unit of work: refuse unless a code was accepted within `within`.

    Sensitive actions call it through `sellers.require_step_up`, after the role check (a buyer is told
    "not allowed", not "set up two-factor"). Owners from bot.toml are no exception.
    """
    row = await uow.session.get(TwoFactorSecret, customer_id)
    if row is None or row.confirmed_at is None:
        raise TwoFactorRequired(reason="not_enrolled")
    if row.locked_until is not None and row.locked_until > now:
        raise TwoFactorLocked(minutes=_minutes_left(row.locked_until, now))
    if row.verified_at is None or now - row.verified_at > within:
        raise TwoFactorRequired(reason="stale", minutes=int(within.total_seconds() // 60))


class TwoFactorService:
    def __init__(self, db: Database, cipher: PersonalDataCipher, clock: Clock = system_clock, *,
                 issuer: str = DEFAULT_ISSUER) -> None:
        self._db = db
        self._cipher = cipher
        self._clock = clock
        self._issuer = issuer

    async def enrol(self, customer_id: int, *, account: str | None = None) -> str:
        """A new secret for a seller; returns the `otpauth://` URI to show as a QR code, privately.

        Replacing a confirmed enrolment needs a fresh code first, so a hijacked chat can't swap the secret.
        """
        now = self._clock()
        secret = pyotp.random_base32()
        ciphertext = _seal(self._cipher, secret)  # no data key → PersonalDataLocked, nothing stored
        async with self._db.uow() as uow:
            if await uow.session.get(Seller, customer_id) is None:  # (not sellers.role_in: it imports us)
                raise PermissionDenied(permission="two_factor", role=None)
            row = await uow.session.get(TwoFactorSecret, customer_id, with_for_update=True)
            if row is not None and row.confirmed_at is not None:
                await require_recent_in(uow, customer_id, now)
            if row is None:
                uow.session.add(TwoFactorSecret(customer_id=customer_id, secret_ciphertext=ciphertext,
                                                created_at=now))
            else:
                row.secret_ciphertext, row.created_at, row.confirmed_at = ciphertext, now, None
                row.last_step = row.verified_at = row.locked_until = None
                row.failures = 0
            record(uow.session, actor=actor_of(customer_id), action="two_factor.enrol", entity="customer",
                   entity_id=customer_id, at=now)
            await uow.commit()
        return pyotp.TOTP(secret).provisioning_uri(name=account or f"seller-{customer_id}",
                                                   issuer_name=self._issuer)

    async def confirm_enrolment(self, customer_id: int, code: str) -> None:
        """The first code from the app: enrolment is complete, and it counts as a fresh step-up."""
        await self._check(customer_id, code, confirming=True)

    async def verify(self, customer_id: int, code: str) -> None:
        """Accept a code for step-up, or raise TwoFactorFailed / TwoFactorLocked / TwoFactorRequired."""
        await self._check(customer_id, code, confirming=False)

    async def require_recent(self, customer_id: int, within: timedelta = STEP_UP_WINDOW) -> None:
        async with self._db.uow(write=False) as uow:
            await require_recent_in(uow, customer_id, self._clock(), within)

    async def status(self, customer_id: int) -> TwoFactorStatus:
        async with self._db.uow(write=False) as uow:
            row = await uow.session.get(TwoFactorSecret, customer_id)
            if row is None:
                return TwoFactorStatus(False, False, None, None)
            return TwoFactorStatus(row.confirmed_at is not None, row.confirmed_at is None, row.verified_at,
                                   row.locked_until)

    async def _secret(self, customer_id: int) -> str:
        """The decrypted secret (for verification, and for tests that act as the authenticator app)."""
        async with self._db.uow(write=False) as uow:
            row = await uow.session.get(TwoFactorSecret, customer_id)
            if row is None:
                raise TwoFactorRequired(reason="not_enrolled")
            return _open(self._cipher, row.secret_ciphertext)

    async def _check(self, customer_id: int, code: str, *, confirming: bool) -> None:
        now = self._clock()
        refusal: CommerceError | None = None
        async with self._db.uow() as uow:
            # Locked for update: two requests with the same code can't both pass the replay guard.
            row = await uow.session.get(TwoFactorSecret, customer_id, with_for_update=True)
            # Refused without counting a failure: it says nothing about whether the person holds the secret.
            if row is None or (row.confirmed_at is None and not confirming):
                raise TwoFactorRequired(reason="not_enrolled")
            if row.confirmed_at is not None and confirming:
                raise TwoFactorRequired(reason="already_enrolled")
            if row.locked_until is not None and row.locked_until > now:
                raise TwoFactorLocked(minutes=_minutes_left(row.locked_until, now))
            step = _matching_step(_open(self._cipher, row.secret_ciphertext), code, now)
            if step is not None and (row.last_step is None or step > row.last_step):
                row.last_step, row.verified_at, row.failures, row.locked_until = step, now, 0, None
                if confirming:
                    row.confirmed_at = now
                record(uow.session, actor=actor_of(customer_id), action=(
                    "two_factor.confirm" if confirming else "two_factor.verify"), entity="customer",
                       entity_id=customer_id, at=now)
            else:
                refusal = self._fail(uow, row, now, replayed=step is not None)
            await uow.commit()
        if refusal is not None:
            raise refusal

    @staticmethod
    def _fail(uow: UnitOfWork, row: TwoFactorSecret, now: datetime, *, replayed: bool) -> CommerceError:
        """Count a wrong (or replayed) code; the error to raise once the count is committed."""
        row.failures += 1
        customer_id = row.customer_id
        if row.failures < MAX_FAILURES:
            record(uow.session, actor=actor_of(customer_id), action="two_factor.fail", entity="customer",
                   entity_id=customer_id, at=now, replayed=replayed, failures=row.failures)
            return TwoFactorFailed(reason="replayed" if replayed else "wrong",
                                   attempts_left=MAX_FAILURES - row.failures)
        failures, row.failures = row.failures, 0
        row.locked_until, row.verified_at = now + LOCKOUT, None  # a lockout also ends the current step-up
        minutes = int(LOCKOUT.total_seconds() // 60)
        record(uow.session, actor=actor_of(customer_id), action="two_factor.lockout", entity="customer",
               entity_id=customer_id, at=now, failures=failures, until=row.locked_until.isoformat())
        notify(uow.session, topic=Topic.SECURITY_LOCKOUT, at=now, audience="sellers", seller_id=customer_id,
               failures=failures, minutes=minutes)
        return TwoFactorLocked(minutes=minutes)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time-step (around `now`) whose code is `code`, newest first; None when none matches."""
    code = "".join(code.split())
    if len(code) != CODE_DIGITS or not code.isdecimal():
        return None
    totp = pyotp.TOTP(secret, digits=CODE_DIGITS)
    current = totp.timecode(now)
    for step in range(current + DRIFT_STEPS, current - DRIFT_STEPS - 1, -1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
