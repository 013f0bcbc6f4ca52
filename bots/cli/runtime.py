"""`chatshop run` and `chatshop watch`: start the shop (migrations, owners) and its long-running parts."""

from __future__ import annotations

import argparse
import asyncio
import signal
from datetime import timedelta

from bots.app import open_shop
from bots.cli.common import Cli, CliError, Commands, add_command
from bots.config import Settings
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
    platforms = (("telegram", settings.telegram.enabled, settings.telegram.token_env),
                 ("discord", settings.discord.enabled, settings.discord.token_env))
    for name, enabled, token_env in platforms:
        if not enabled:
            cli.say(f"{name}: disabled in bot.toml")
            continue
        token = "set" if settings.secret(token_env) is not None else "NOT set"
        cli.say(f"{name}: enabled in bot.toml (token variable {token_env} is {token})")


def run_command(_args: argparse.Namespace, cli: Cli) -> int:
    settings = cli.settings()
    _front_ends(settings, cli)
    cli.say("no chat front-end is built into this version yet: running the payment watcher (Ctrl-C stops)")
    return asyncio.run(_serve(settings, cli))


def watch_command(_args: argparse.Namespace, cli: Cli) -> int:
    return asyncio.run(_serve(cli.settings(), cli))


async def _serve(settings: Settings, cli: Cli) -> int:
    """Open the shop, start one watcher per configured chain, stop cleanly on Ctrl-C or SIGTERM."""
    async with open_shop(settings) as shop:
        cli.say(f"{settings.shop.name}: database ready, {len(settings.sellers.owners)} owner(s) from bot.toml")
        if not settings.payments.methods:
            cli.say("no [[payments.methods]] in bot.toml: nothing to watch")
            return 0
        try:
            async with open_payments(settings, shop) as payments:
                chains = ", ".join(sorted(payments.backends))
                cli.say(f"watching {chains} for {len(payments.methods)} payment method(s)")
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                for signal_number in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(signal_number, stop.set)
                await run_watchers(payments, shop, stop,
                                   poll=timedelta(seconds=settings.payments.watch_interval_seconds))
        except (PaymentSetupError, ExtendedKeyError) as error:
            raise CliError(str(error)) from None
    cli.say("stopped")
    return 0
