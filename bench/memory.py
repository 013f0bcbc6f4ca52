"""Peak memory (RSS) of the running Telegram shop with 10,000 products.

Usage: python -m bench.memory [--products 10000] [--updates 6000] [--users 1000] [--with-discord]

Builds what `chatshop run` builds for Telegram (the shop on SQLite, the full dispatcher with conversations
in the database, the bot; no watcher), fills PRODUCTS products, then feeds browse → card → add-to-cart
presses from USERS buyers spread over every product, and reports the process's peak RSS (ru_maxrss) after
each stage. `--with-discord` also imports the Discord front-end (`bots.discord.app`, discord.py with it),
as `chatshop run` does when both platforms are enabled; its client is not connected. Target (DESIGN.md §9):
≤ 200 MB for the whole process.
"""

from __future__ import annotations

import argparse
import asyncio
import resource

from bench._common import fresh_shop
from bench.catalog import fill
from bench.telegram_updates import TOKEN, RecordingSession, full_dispatcher, make_updates, products_of
from bots.i18n import Translator
from bots.telegram.app import make_bot


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--updates", type=int, default=6000)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--with-discord", action="store_true", help="import the Discord front-end too")
    args = parser.parse_args()
    if args.with_discord:
        import bots.discord.app  # noqa: F401 — what enabling Discord adds to the process
    print(f"imports (aiogram, SQLAlchemy, babel…)     : {peak_mb():6.1f} MB")
    translator = Translator.load()
    async with fresh_shop("sqlite") as shop:
        dispatcher = full_dispatcher(shop, translator, "database")
        bot = make_bot(TOKEN)
        bot.session = RecordingSession()
        print(f"shop + dispatcher built                   : {peak_mb():6.1f} MB")
        await fill(shop, args.products)
        print(f"{args.products:,} products inserted (one transaction): {peak_mb():6.1f} MB")
        products = await products_of(shop, args.products)
        for start in range(0, args.updates, 300):  # built as they are fed, as updates arrive from Telegram
            for update in make_updates(300, args.users, products, first=start):
                await dispatcher.feed_update(bot, update)
        print(f"{args.updates:,} presses from {args.users:,} buyers       : {peak_mb():6.1f} MB  (target ≤ 200 MB)")


if __name__ == "__main__":
    asyncio.run(main())
