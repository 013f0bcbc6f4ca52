"""`chatshop doctor`: check what the shop needs, one line per check, and say what to do about each problem.

Nothing is changed: the database is not created or migrated, no message is sent. Checks that reach a
service (Telegram's getMe, each chain backend's tip after proving its node is on the configured chain, the
rate source) have a time limit, so a dead
backend is reported instead of hanging the command. Exit status 0 when nothing failed (warnings allowed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

import httpx
from sqlalchemy.engine import make_url

from bots.cli.common import Cli, Commands, add_command
from bots.config import ConfigError, Settings
from bots.data_key import KEEP_A_COPY, find_data_key
from bots.lazy_aiogram import import_aiogram
from commerce.errors import CommerceError
from commerce.privacy import PersonalDataCipher
from commerce.sealed_data import sealed_samples, unreadable
from commerce.storage.db import Database
from commerce.storage.migrate import current_revision, head_revision
from payments.backends.base import BackendError, ChainBackend
from payments.backends.identity import ChainMismatch
from payments.errors import RateUnavailable
from payments.rates import RateSource

TIME_LIMIT: Final = 10.0  # seconds for each check that talks to another service


class Verdict(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Finding:
    what: str
    verdict: Verdict
    detail: str


_MARK: Final = {Verdict.OK: ("✓", "green"), Verdict.WARN: ("!", "yellow"), Verdict.FAIL: ("✗", "bold red")}


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    doctor = add_command(
        commands, "doctor", common, summary="check bot.toml, the database, tokens, chain backends and rates",
        description="Check everything the shop needs without changing anything: bot.toml, the database and "
                    "its schema, the personal-data key, the media folder, the bot tokens (Telegram is asked "
                    "who the bot is), every payment method's keys and chain backend, the rate source, and for "
                    "a shop selling in yen the legal disclosure /terms shows (Japan's Act on Specified Commercial "
                    "Transactions). Each problem comes with what to do about it.",
        epilog="example:\n  chatshop doctor --config /srv/shop/bot.toml")
    doctor.set_defaults(handler=doctor_command)


def doctor_command(_args: argparse.Namespace, cli: Cli) -> int:
    settings = cli.settings()  # a broken bot.toml is reported, key by key, by the caller
    cli.say(f"bot.toml: {cli.config_path} is valid", style="green")
    findings = asyncio.run(examine(settings))
    for finding in findings:
        mark, style = _MARK[finding.verdict]
        cli.say(f"{mark} {finding.what}: {finding.detail}", style=style)
    failed = sum(f.verdict is Verdict.FAIL for f in findings)
    warned = sum(f.verdict is Verdict.WARN for f in findings)
    if failed:
        cli.fail(f"{failed} problem(s) to fix" + (f", {warned} warning(s)" if warned else ""))
        return 1
    cli.say("everything checked is fine" + (f" ({warned} warning(s))" if warned else ""), style="green")
    return 0


async def examine(settings: Settings) -> list[Finding]:
    findings = [await _database(settings), await _data_key(settings), _media(settings), _owners(settings),
                _legal(settings)]
    findings += await _telegram(settings)
    findings.append(_discord(settings))
    findings += await _payments(settings)
    return findings


async def _limited(what: str, check: Callable[[], Awaitable[Finding]]) -> Finding:
    """Run a check that talks to a service; a timeout or a refused connection is a finding, not a crash."""
    try:
        return await asyncio.wait_for(check(), TIME_LIMIT)
    except TimeoutError:
        return Finding(what, Verdict.FAIL, f"no answer within {TIME_LIMIT:.0f} s")
    except (httpx.HTTPError, OSError) as error:
        return Finding(what, Verdict.FAIL, f"could not connect ({type(error).__name__}: {error})")


# ---- the shop itself ----

def _missing_sqlite_file(settings: Settings) -> str | None:
    """The SQLite file named by database.url when it isn't there (opening it would create it)."""
    url = make_url(settings.database.url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    assert url.database is not None
    return None if Path(url.database).exists() else url.database


async def _database(settings: Settings) -> Finding:
    what = f"database ({make_url(settings.database.url).get_backend_name()})"
    if missing := await asyncio.to_thread(_missing_sqlite_file, settings):
        return Finding(what, Verdict.WARN, f"{missing} does not exist yet: `chatshop init` or `chatshop run` "
                                           "creates it")
    db = Database(settings.database.url)

    async def check() -> Finding:
        current, head = await current_revision(db), head_revision()
        if current == head:
            return Finding(what, Verdict.OK, f"reachable, schema up to date ({head})")
        if current is None:
            return Finding(what, Verdict.WARN, "reachable but empty: `chatshop migrate` (or `chatshop run`) "
                                               "creates the tables")
        return Finding(what, Verdict.WARN, f"schema at {current}, this version needs {head}: run `chatshop migrate`")

    try:
        return await _limited(what, check)
    except Exception as error:  # a wrong password, an unknown database: say which, never the URL's password
        return Finding(what, Verdict.FAIL, f"{type(error).__name__}: {str(error).splitlines()[0][:200]}")
    finally:
        await db.dispose()


async def _data_key(settings: Settings) -> Finding:
    what, env, path = "personal-data key", settings.security.data_key_env, settings.security.data_key_file
    try:
        key = find_data_key(settings)
    except ConfigError as error:
        return Finding(what, Verdict.FAIL, error.problems[0])
    if key.secret is None:
        return Finding(what, Verdict.WARN, f"{env} is not set and there is no {path} yet: `chatshop run` makes "
                                           f"that file on first start; then {KEEP_A_COPY}")
    try:
        cipher = PersonalDataCipher(key.secret.get_secret_value())
    except CommerceError:
        return Finding(what, Verdict.FAIL, f"{key.source.removeprefix('$')} is not a valid key; make one with: "
                                           "python -c \"from cryptography.fernet import Fernet; "
                                           "print(Fernet.generate_key().decode())\"")
    if await asyncio.to_thread(_missing_sqlite_file, settings) is None:
        db = Database(settings.database.url)
        try:
            locked = unreadable(cipher, await asyncio.wait_for(sealed_samples(db), TIME_LIMIT))
        except Exception:  # noqa: BLE001 — an unreachable database is the database check's finding
            locked = []
        finally:
            await db.dispose()
        if locked:
            return Finding(what, Verdict.FAIL, f"the key from {key.source.removeprefix('$')} can't decrypt the "
                                               f"{', '.join(locked)} in the database (was the key changed?)")
    if key.source != str(path):
        return Finding(what, Verdict.OK, f"{env} is set and valid; {KEEP_A_COPY}")
    if await asyncio.to_thread(lambda: path.stat().st_mode & 0o077):
        return Finding(what, Verdict.WARN, f"{path} can be read by other users: chmod 600 {path}")
    return Finding(what, Verdict.OK, f"{env} is not set; using the key in {path}; {KEEP_A_COPY}")


def _media(settings: Settings) -> Finding:
    folder = settings.media.dir
    what = "media folder"
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is None or not existing.is_dir():
        return Finding(what, Verdict.FAIL, f"{folder}: no folder to create it in")
    if not os.access(existing, os.W_OK):
        return Finding(what, Verdict.FAIL, f"{existing} is not writable: sellers' photos can't be saved")
    if existing == folder:
        with tempfile.TemporaryFile(dir=folder):
            pass
        return Finding(what, Verdict.OK, f"{folder} is writable")
    return Finding(what, Verdict.OK, f"{folder} will be created on first upload")


def _owners(settings: Settings) -> Finding:
    owners = settings.sellers.owners
    if not owners:
        return Finding("owners", Verdict.WARN, "[sellers] owners is empty: nobody can add products or manage "
                                               "orders in the chat (e.g. owners = [\"telegram:123456789\"])")
    return Finding("owners", Verdict.OK, ", ".join(owners))


def _legal(settings: Settings) -> Finding:
    """A shop selling in yen is taken to sell in Japan, where the seller must disclose who they are and their
    terms (特定商取引法に基づく表記; docs/legal.md). Only a warning: whether the law applies is the seller's call."""
    what, currency, legal = "legal disclosure", settings.shop.currency, settings.legal
    if currency != "JPY":
        return Finding(what, Verdict.OK, f"not required for a {currency} shop (checked for JPY shops)")
    company = "" if legal.representative else "; a company also names legal.representative"
    missing = legal.missing_required()
    if not missing:
        return Finding(what, Verdict.OK, f"complete: /terms shows it to buyers{company}")
    free_text = " ([shop] terms is free text doctor can't check)" if settings.shop.terms.strip() else ""
    return Finding(what, Verdict.WARN, (
        f"missing {', '.join(missing)}{free_text}. A shop selling in Japan must show who sells, how to reach them, "
        "when goods are delivered and its returns policy (特定商取引法, the Act on Specified Commercial "
        f"Transactions): fill them in under [legal] in bot.toml and /terms shows them{company} (docs/legal.md)"))


# ---- chat platforms ----

async def _telegram(settings: Settings) -> list[Finding]:
    what = "telegram"
    if not settings.telegram.enabled:
        return [Finding(what, Verdict.OK, "disabled in bot.toml")]
    token = settings.telegram_token()
    if token is None:
        return [Finding(what, Verdict.FAIL, f"enabled but {settings.telegram.token_env} is not set "
                                            "(create a bot with @BotFather and export its token)")]

    async def check() -> Finding:
        import_aiogram()  # before aiogram.exceptions: its types are then built on first use, as in `run`
        from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError

        from bots.telegram.app import make_bot

        bot = make_bot(token.get_secret_value(), settings.telegram.api_url)
        try:
            me = await bot.get_me()
        except TelegramUnauthorizedError:
            return Finding(what, Verdict.FAIL, f"Telegram refused the token in {settings.telegram.token_env}")
        except TelegramAPIError as error:
            return Finding(what, Verdict.FAIL, f"Telegram answered: {error.message}")
        finally:
            await bot.session.close()
        return Finding(what, Verdict.OK, f"token accepted: @{me.username} ({settings.telegram.mode})")

    return [await _limited(what, check)]


def _discord(settings: Settings) -> Finding:
    what = "discord"
    if not settings.discord.enabled:
        return Finding(what, Verdict.OK, "disabled in bot.toml")
    if settings.discord_token() is None:
        return Finding(what, Verdict.FAIL, f"enabled but {settings.discord.token_env} is not set "
                                           "(Discord Developer Portal → your application → Bot → Reset Token)")
    where = f"guilds {settings.discord.guild_ids}" if settings.discord.guild_ids else "globally"
    return Finding(what, Verdict.OK, f"token set; commands are synced {where} at start")


# ---- payments ----

async def _payments(settings: Settings) -> list[Finding]:
    if not settings.payments.methods:
        return [Finding("payments", Verdict.WARN, "no [[payments.methods]]: buyers can't pay yet")]
    from bots.payments_setup import PaymentSetupError, build_backends, build_methods, build_rates
    from commerce.events import system_clock
    from payments.errors import ExtendedKeyError

    try:
        methods = build_methods(settings)
    except (PaymentSetupError, ExtendedKeyError) as error:
        return [Finding("payment methods", Verdict.FAIL, str(error))]
    findings = [Finding("payment methods", Verdict.OK, ", ".join(
        f"{m.id} ({m.asset} on {m.network_name})" for m in methods.values()))]
    async with httpx.AsyncClient(timeout=httpx.Timeout(TIME_LIMIT)) as client:
        try:
            backends = build_backends(settings, methods, client)
        except PaymentSetupError as error:
            return [*findings, Finding("chain backends", Verdict.FAIL, str(error))]
        for key, backend in backends.items():
            findings.append(await _limited(f"chain {key}", _tip_check(key, backend)))
        rates = build_rates(settings, client, system_clock)
        for asset in sorted({m.asset for m in methods.values()}):
            findings.append(await _limited(f"rate {asset}", _rate_check(rates, asset, settings)))
    return findings


def _tip_check(key: str, backend: ChainBackend) -> Callable[[], Awaitable[Finding]]:
    async def check() -> Finding:
        try:
            tip = await backend.tip()   # proves the node's chain id / chain / genesis block first
        except ChainMismatch as error:
            return Finding(f"chain {key}", Verdict.FAIL, f"{error}. Point the method's URL at a node of the "
                                                         "configured chain, or correct its chain_id / network")
        except BackendError as error:
            return Finding(f"chain {key}", Verdict.FAIL, str(error))
        return Finding(f"chain {key}", Verdict.OK, f"reachable, tip at height {tip.height}, on the configured chain")
    return check


def _rate_check(rates: RateSource, asset: str, settings: Settings) -> Callable[[], Awaitable[Finding]]:
    async def check() -> Finding:
        currency = settings.shop.currency
        try:
            price = await rates.price(asset, currency)
        except RateUnavailable as error:
            answered = f"answered {error.fields['answered']} {currency}, " if "answered" in error.fields else ""
            return Finding(f"rate {asset}", Verdict.FAIL,
                           f"{settings.rates.source}: {answered}{error.fields.get('reason')}")
        return Finding(f"rate {asset}", Verdict.OK, f"1 {asset} = {price} {currency} ({settings.rates.source})")
    return check
