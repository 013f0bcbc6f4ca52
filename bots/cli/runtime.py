"""`chatshop run` and `chatshop watch`: start the shop (migrations, owners) and its long-running parts.

Each front-end runs under a supervisor: Telegram or Discord being away, or a front-end failing, never takes
the watcher, the other front-end or the notifications down with it. A token the platform refuses stops the
whole shop with one line saying what to do; Ctrl-C or SIGTERM at any moment stops it cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from bots.cli.common import Cli, CliError, Commands, add_command
from bots.cli.tokens import DISCORD_NO_TOKEN, TELEGRAM_NO_TOKEN, token_refused
from bots.common.reconnect import Backoff, TokenRefused

if TYPE_CHECKING:
    from bots.config import Settings

log = logging.getLogger(__name__)


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    run = add_command(
        commands, "run", common, summary="start the shop: every enabled bot, the watcher and the sender",
        description="Start the shop in one process: the Telegram and Discord bots enabled in bot.toml, the "
                    "payment watcher and the notification sender. Brings the database up to date and makes "
                    "the owners listed in bot.toml owners first.",
        epilog="example:\n  TELEGRAM_BOT_TOKEN=123:abc chatshop run --config /srv/shop/bot.toml")
    run.set_defaults(handler=run_command)

    watch = add_command(
        commands, "watch", common, summary="run only the payment watcher",
        description="Run the payment watcher alone, e.g. on a different machine from the bots.",
        epilog="example:\n  chatshop watch --config /srv/shop/bot.toml")
    watch.set_defaults(handler=watch_command)


def _front_ends(settings: Settings, cli: Cli) -> None:
    cli.say(f"telegram: {'enabled' if settings.telegram.enabled else 'disabled'} in bot.toml")
    cli.say(f"discord: {'enabled' if settings.discord.enabled else 'disabled'} in bot.toml")


def run_command(_args: argparse.Namespace, cli: Cli) -> int:
    settings = cli.settings()
    if settings.telegram.enabled and settings.telegram_token() is None:
        raise CliError(TELEGRAM_NO_TOKEN.format(env=settings.telegram.token_env, start=cli.start_command()),
                       exit_code=2)
    if settings.telegram.enabled and settings.telegram.mode == "webhook" \
            and settings.secret(settings.telegram.webhook_secret_env) is None:
        raise CliError(f"telegram.mode is \"webhook\": set a secret token (letters, digits, _ and -) in "
                       f"{settings.telegram.webhook_secret_env}; Telegram sends it with every update", exit_code=2)
    if settings.discord.enabled and settings.discord_token() is None:
        raise CliError(DISCORD_NO_TOKEN.format(env=settings.discord.token_env, start=cli.start_command()),
                       exit_code=2)
    from bots.data_key import DataKeyError, ready_data_key

    try:
        ready_data_key(settings, warn=cli.warn)  # made on first start; refused if it can't read what is stored
    except DataKeyError as error:
        raise CliError(str(error)) from None
    _front_ends(settings, cli)
    return asyncio.run(_serve(settings, cli, telegram=settings.telegram.enabled, discord=settings.discord.enabled))


async def _telegram_username(settings: Settings, stop: asyncio.Event) -> str | None:
    """The Telegram bot's @username, so Discord's /share can show the Telegram link; None when unknown."""
    from bots.telegram.app import make_bot

    token = settings.telegram_token()
    if token is None:
        return None
    bot = make_bot(token.get_secret_value(), settings.telegram.api_url)
    asking, stopped = asyncio.ensure_future(bot.get_me()), asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({asking, stopped}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        answered = asking.done() and not asking.cancelled() and asking.exception() is None
        return asking.result().username if answered else None
    finally:
        for waiting in (asking, stopped):
            waiting.cancel()
        await asyncio.gather(asking, stopped, return_exceptions=True)
        await bot.session.close()


def watch_command(_args: argparse.Namespace, cli: Cli) -> int:
    return asyncio.run(_serve(cli.settings(), cli, telegram=False))


async def _serve(settings: Settings, cli: Cli, *, telegram: bool, discord: bool = False) -> int:
    """Open the shop; run the Telegram and Discord bots (when asked) and one watcher per chain, all on one
    database; stop cleanly on Ctrl-C or SIGTERM, letting each part finish what it is doing."""
    stop = _stop_on_signals()  # first: from here on, Ctrl-C lets the step in hand finish instead of cutting it
    from bots.app import open_shop
    from bots.common.outbox_sender import OutboxSender
    from bots.payments_setup import PaymentSetupError, open_payments, run_watchers
    from payments.errors import ExtendedKeyError

    refused: list[TokenRefused] = []
    async with open_shop(settings) as shop, contextlib.AsyncExitStack() as stack:
        cli.say(f"{settings.shop.name}: database ready, {len(settings.sellers.owners)} owner(s) from bot.toml")
        payments = None
        if settings.payments.methods:
            try:
                payments = await stack.enter_async_context(open_payments(settings, shop))
            except (PaymentSetupError, ExtendedKeyError) as error:
                raise CliError(str(error)) from None
            chains = ", ".join(sorted(payments.backends))
            cli.say(f"watching {chains} for {len(payments.methods)} payment method(s)")
        else:
            cli.say("no [[payments.methods]] in bot.toml: nothing to watch")
        if stop.is_set():
            cli.say("stopped")
            return 0
        if not telegram and not discord and payments is None:
            return 0
        # One outbox sender for the whole process: each front-end attaches its channel
        # (docs/architecture.md#notifications).
        sender = OutboxSender(shop, expect=[p for p, on in (("telegram", telegram), ("discord", discord)) if on])
        service = payments.service if payments else None
        async with asyncio.TaskGroup() as group:
            if telegram or discord:
                group.create_task(sender.run(stop), name="notifications")
            if payments is not None:
                group.create_task(run_watchers(payments, shop, stop,
                                               poll=timedelta(seconds=settings.payments.watch_interval_seconds)))
            if telegram:
                # aiogram costs ~3 s to import here: only the commands that run the bot pay for it.
                from bots.telegram.app import run_telegram

                # ~300k long-lived objects (aiogram's pydantic models, SQLAlchemy, babel) are here to stay:
                # keep the collector from re-scanning them, which paused the bot ~0.5 s every few thousand updates.
                gc.freeze()

                group.create_task(_supervise("telegram", lambda: run_telegram(
                    settings, shop, stop, sender, payments=service, announce=cli.say), stop, refused))
                cli.say("telegram: connecting (Ctrl-C stops)")
            if discord:
                from bots.discord.app import run_discord

                async def start_discord() -> None:
                    username = await _telegram_username(settings, stop) if telegram else None
                    await run_discord(settings, shop, stop, sender, payments=service, telegram_username=username,
                                      announce=cli.say)

                group.create_task(_supervise("discord", start_discord, stop, refused))
                cli.say("discord: connecting (Ctrl-C stops)")
    if refused:
        raise CliError(token_refused(refused[0].platform, refused[0].env, cli.start_command()))
    cli.say("stopped")
    return 0


def _stop_on_signals() -> asyncio.Event:
    """An event set by Ctrl-C or SIGTERM; each part stops when it sees it, after the work in hand (a migration,
    an update). A second signal stops at once: the main task is cancelled."""
    stop = asyncio.Event()
    main = asyncio.current_task()

    def on_signal() -> None:
        if stop.is_set() and main is not None:
            main.cancel()
        stop.set()

    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, on_signal)
    return stop


async def _supervise(name: str, start: Callable[[], Awaitable[None]], stop: asyncio.Event,
                     refused: list[TokenRefused]) -> None:
    """Run a front-end until `stop`. A refused token stops the shop (it won't fix itself); any other failure
    is logged (once, until the front-end runs again) and the front-end restarted after a pause."""
    backoff, failing = Backoff(), False
    while True:
        try:
            await start()
            return
        except TokenRefused as error:
            refused.append(error)
            stop.set()
            return
        except Exception:
            if not failing:
                log.exception("%s stopped unexpectedly; starting it again, the rest of the shop keeps running",
                              name)
            failing = True
            await backoff.wait(stop)
            if stop.is_set():
                return
