"""`chatshop run` and `chatshop watch`: start the shop (migrations, owners) and its long-running parts."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import signal
from datetime import timedelta

from bots.app import open_shop
from bots.cli.common import Cli, CliError, Commands, add_command
from bots.common.outbox_sender import OutboxSender
from bots.config import Settings
from bots.data_key import DataKeyError, ready_data_key
from bots.payments_setup import PaymentSetupError, open_payments, run_watchers
from payments.errors import ExtendedKeyError


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
        from bots.telegram.app import NO_TOKEN_HELP

        raise CliError(NO_TOKEN_HELP.format(env=settings.telegram.token_env), exit_code=2)
    if settings.telegram.enabled and settings.telegram.mode == "webhook" \
            and settings.secret(settings.telegram.webhook_secret_env) is None:
        raise CliError(f"telegram.mode is \"webhook\": set a secret token (letters, digits, _ and -) in "
                       f"{settings.telegram.webhook_secret_env}; Telegram sends it with every update", exit_code=2)
    if settings.discord.enabled and settings.discord_token() is None:
        from bots.discord.app import NO_TOKEN_HELP as DISCORD_NO_TOKEN_HELP

        raise CliError(DISCORD_NO_TOKEN_HELP.format(env=settings.discord.token_env), exit_code=2)
    try:
        ready_data_key(settings, warn=cli.warn)  # made on first start; refused if it can't read what is stored
    except DataKeyError as error:
        raise CliError(str(error)) from None
    _front_ends(settings, cli)
    return asyncio.run(_serve(settings, cli, telegram=settings.telegram.enabled, discord=settings.discord.enabled))


async def _telegram_username(settings: Settings) -> str | None:
    """The Telegram bot's @username, so Discord's /share can show the Telegram link; None when unknown."""
    from bots.telegram.app import make_bot

    token = settings.telegram_token()
    if token is None:
        return None
    bot = make_bot(token.get_secret_value(), settings.telegram.api_url)
    try:
        me = await asyncio.wait_for(bot.get_me(), timeout=10)
        return me.username
    except Exception:  # noqa: BLE001 — only a nicety for /share; the bots start either way
        return None
    finally:
        await bot.session.close()


def watch_command(_args: argparse.Namespace, cli: Cli) -> int:
    return asyncio.run(_serve(cli.settings(), cli, telegram=False))


async def _serve(settings: Settings, cli: Cli, *, telegram: bool, discord: bool = False) -> int:
    """Open the shop; run the Telegram and Discord bots (when asked) and one watcher per chain, all on one
    database; stop cleanly on Ctrl-C or SIGTERM, letting each part finish what it is doing."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
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
        if not telegram and not discord and payments is None:
            return 0
        # One outbox sender for the whole process: each front-end attaches its channel (DESIGN.md §3).
        sender = OutboxSender(shop, expect=[p for p, on in (("telegram", telegram), ("discord", discord)) if on])
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

                group.create_task(run_telegram(settings, shop, stop, sender,
                                               payments=payments.service if payments else None))
                cli.say("telegram: answering (Ctrl-C stops)")
            if discord:
                from bots.discord.app import run_discord

                group.create_task(run_discord(settings, shop, stop, sender,
                                              payments=payments.service if payments else None,
                                              telegram_username=await _telegram_username(settings)
                                              if telegram else None))
                cli.say("discord: answering (Ctrl-C stops)")
    cli.say("stopped")
    return 0
