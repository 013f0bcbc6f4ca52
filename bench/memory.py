"""Peak memory (RSS) of the running Telegram shop with 10,000 products.

Usage: python -m bench.memory [--products 10000] [--updates 6000] [--buyers 3000] [--with-discord]

Builds what `chatshop run` builds for Telegram (the shop on SQLite, the full dispatcher with conversations
in the database and product photos in a media folder, the bot; no watcher), fills PRODUCTS products in
categories with photos and BUYERS earlier customers (bench/telegram_shop.py), then feeds the presses of
the Telegram benchmark's buyers (bench/telegram_journeys.py: browse, list pages, cards, gallery, add to
cart; new and returning buyers) and reports the process's peak RSS (ru_maxrss) after each stage.
`--with-discord` also imports the Discord front-end (`bots.discord.app`, discord.py with it), as `chatshop
run` does when both platforms are enabled; its client is not connected. Target
(docs/architecture.md#performance): ≤ 200 MB for the whole process.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import resource
import tempfile
from pathlib import Path

from bench._common import fresh_shop
from bench.telegram_journeys import timeline
from bench.telegram_session import TOKEN, RecordingSession
from bench.telegram_shop import build_world
from bench.telegram_updates import ShopClock, full_dispatcher
from bots.common.media_store import MediaStore
from bots.i18n import Translator
from bots.telegram.app import make_bot


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--updates", type=int, default=6000)
    parser.add_argument("--buyers", type=int, default=3000)
    parser.add_argument("--with-discord", action="store_true", help="import the Discord front-end too")
    args = parser.parse_args()
    if args.with_discord:
        import bots.discord.app  # noqa: F401 — what enabling Discord adds to the process
    print(f"imports (aiogram, SQLAlchemy, babel…)     : {peak_mb():6.1f} MB")
    translator = Translator.load()
    clock = ShopClock()
    async with fresh_shop("sqlite", now_ns=clock) as shop:
        with tempfile.TemporaryDirectory() as media_dir:
            dispatcher = full_dispatcher(shop, translator, "database", MediaStore(Path(media_dir)))
            bot = make_bot(TOKEN)
            bot.session = RecordingSession()
            print(f"shop + dispatcher built                   : {peak_mb():6.1f} MB")
            world = await build_world(shop, Path(media_dir), products=args.products, buyers=args.buyers)
            print(f"{args.products:,} products, {args.buyers:,} customers inserted  : {peak_mb():6.1f} MB")
            for press in itertools.islice(timeline(world, rate=10), args.updates):  # made as they arrive
                clock.now_ns = press.at_ns
                await dispatcher.feed_update(bot, press.update)
            print(f"{args.updates:,} presses of new and returning buyers: {peak_mb():6.1f} MB  (target ≤ 200 MB)")


if __name__ == "__main__":
    asyncio.run(main())
