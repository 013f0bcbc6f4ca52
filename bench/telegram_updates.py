"""Telegram button presses per second through the whole shop, beside a bare aiogram echo bot on the same harness.

Usage: python -m bench.telegram_updates [--rounds 5] [--updates 3000] [--products 1000] [--buyers 3000]
                                        [--rate 10] [--storage database|memory] [--profile]

The shop (bench/telegram_shop.py): PRODUCTS products in 12 categories, most with 1–4 photos (real JPEG
files), 1–3 variants each, and BUYERS customers who have shopped before; SQLite, conversations in the
database as `chatshop run` keeps them with long polling. The presses (bench/telegram_journeys.py): visits
of returning and new buyers — Browse, a category's list page (and sometimes the next), product cards
(Zipf-like popularity), gallery swipes, Add to cart, Back, the cart — at RATE presses a second of shop
time, which is the clock the shop's caches age by (so they expire as they would at that rate, however fast
the benchmark runs). Round after round continues the same day: returning buyers, new ones, products not
seen yet.

Both bots get the same updates through `Dispatcher.feed_update` and a session that does all a real one
does short of the network: it serialises each request as aiogram's aiohttp session would, and parses the
answer Telegram would give (the message, its photo sizes and keyboard). The echo bot answers each press
and sends its payload back. Each round feeds both bots its presses in slices of SLICE, taking turns on who
goes first, so a busy neighbour on a shared machine slows both alike. Every round is reported, the first
(cold: first photos uploaded, first queries compiled) included; the headline is the median round.
"cpu" is CPU time of this process per press (steadier than wall time on a shared machine).
Target (docs/architecture.md#performance): ≥ 1,000 updates/s and ≤ 3× the cost of the echo bot.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import itertools
import pstats
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import CallbackQuery

from bench._common import fresh_shop
from bench.telegram_journeys import Buyers, Press, timeline
from bench.telegram_session import TOKEN, RecordingSession
from bench.telegram_shop import World, build_world
from bots.common.media_store import MediaStore
from bots.i18n import Translator
from bots.telegram import build_dispatcher
from bots.telegram.app import make_bot
from bots.telegram.callbacks import CatalogAction, CatalogCallback
from bots.telegram.fsm_storage import DatabaseStorage
from commerce.conversations import ConversationStore
from commerce.shop import Shop

SLICE = 100  # presses fed to one bot before the other takes its turn


class ShopClock:
    """Monotonic nanoseconds for the shop's recent-read caches: the time of the press being handled."""

    def __init__(self) -> None:
        self.now_ns = 0

    def __call__(self) -> int:
        return self.now_ns


def echo_dispatcher() -> Dispatcher:
    async def echo(callback: CallbackQuery, bot: Bot) -> None:
        await callback.answer()
        await bot.send_message(callback.from_user.id, callback.data or "")

    dispatcher = Dispatcher()
    dispatcher.callback_query.register(echo)
    return dispatcher


def full_dispatcher(shop: Shop, translator: Translator, storage: str, media: MediaStore | None = None) -> Dispatcher:
    fsm = DatabaseStorage(ConversationStore(shop.db), sole_writer=True) if storage == "database" else None
    return build_dispatcher(shop, translator, shop_name="Bench Shop", terms="", default_locale="ja", storage=fsm,
                            media_store=media)


@dataclass(slots=True)
class Contender:
    """A bot, its session, and the time it took for each round."""

    name: str
    dispatcher: Dispatcher
    clock: Callable[[int], None]  # told the time of each press before it is fed
    session: RecordingSession = field(default_factory=RecordingSession)
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    bot: Bot = field(init=False)

    def __post_init__(self) -> None:
        self.bot = make_bot(TOKEN)
        self.bot.session = self.session

    async def feed(self, presses: Sequence[Press]) -> tuple[float, float]:
        dispatcher, bot, clock = self.dispatcher, self.bot, self.clock
        start, cpu = time.perf_counter(), time.process_time()
        for press in presses:
            clock(press.at_ns)
            await dispatcher.feed_update(bot, press.update)
        return time.perf_counter() - start, time.process_time() - cpu


async def play_round(contenders: Sequence[Contender], presses: Sequence[Press], round_: int) -> None:
    wall, cpu = [0.0] * len(contenders), [0.0] * len(contenders)
    for number, start in enumerate(range(0, len(presses), SLICE)):
        turn = (number + round_) % len(contenders)
        for index in [*range(turn, len(contenders)), *range(turn)]:
            spent_wall, spent_cpu = await contenders[index].feed(presses[start:start + SLICE])
            wall[index] += spent_wall
            cpu[index] += spent_cpu
    for contender, spent_wall, spent_cpu in zip(contenders, wall, cpu, strict=True):
        contender.wall.append(len(presses) / spent_wall)
        contender.cpu.append(spent_cpu / len(presses) * 1000)


def spread(values: Sequence[float], fmt: str, *, higher_is_better: bool = True) -> str:
    """best / median / worst."""
    best, worst = (max(values), min(values)) if higher_is_better else (min(values), max(values))
    return f"{fmt.format(best)} / {fmt.format(statistics.median(values))} / {fmt.format(worst)}"


def describe(presses: Sequence[Press], world: World, buyers: Buyers, rate: float) -> str:
    cards = Counter(CatalogCallback.unpack(p.update.callback_query.data).product_id for p in presses
                    if p.update.callback_query and p.update.callback_query.data
                    and p.update.callback_query.data.startswith(f"c:{CatalogAction.PRODUCT.value}:"))
    views = sorted(cards.values(), reverse=True)
    top = max(1, world.products // 100)
    minutes = (presses[-1].at_ns - presses[0].at_ns) / 60e9
    return (f"{len(presses):,} presses over {minutes:.0f} min of shop time ({rate:g}/s), from "
            f"{len({p.update.callback_query.from_user.id for p in presses if p.update.callback_query}):,} buyers "
            f"({buyers.new:,} visits by new ones, {buyers.returning:,} by returning ones); "
            f"{len(views):,} of {world.products:,} products viewed, the top 1 % taking "
            f"{sum(views[:top]) / max(1, sum(views)):.0%} of {sum(views):,} card views")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--updates", type=int, default=3000, help="presses per round")
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--buyers", type=int, default=3000, help="customers the shop has before the first press")
    parser.add_argument("--rate", type=float, default=10, help="presses a second of shop time")
    parser.add_argument("--storage", choices=["database", "memory"], default="database")
    parser.add_argument("--profile", action="store_true", help="profile one more round of the shop alone")
    parser.add_argument("--sort", default="tottime", help="the profile's order (tottime, cumulative, …)")
    parser.add_argument("--top", type=int, default=30, help="how many profile entries to print")
    args = parser.parse_args()

    translator = Translator.load()
    clock = ShopClock()
    async with fresh_shop("sqlite", now_ns=clock) as shop:
        with tempfile.TemporaryDirectory() as media_dir:
            world = await build_world(shop, Path(media_dir), products=args.products, buyers=args.buyers)
            buyers = Buyers(list(world.buyers))
            presses = timeline(world, rate=args.rate, buyers=buyers)
            start_ns = 3600 * 1_000_000_000  # an hour after the shop was filled: nothing read then is fresh
            shifted = (Press(start_ns + p.at_ns, p.update) for p in presses)
            media = MediaStore(Path(media_dir))
            gc.freeze()  # as `chatshop run` does once the bot is imported (bots/cli/runtime.py)

            def set_clock(at_ns: int) -> None:
                clock.now_ns = at_ns

            echo = Contender("bare aiogram echo", echo_dispatcher(), lambda at_ns: None)
            full = Contender("shop", full_dispatcher(shop, translator, args.storage, media), set_clock)
            played: list[Press] = []
            for round_ in range(args.rounds):
                batch = list(itertools.islice(shifted, args.updates))
                await play_round([echo, full], batch, round_)
                played += batch
                print(f"  round {round_ + 1}: echo {echo.wall[-1]:6.0f}/s, shop {full.wall[-1]:6.0f}/s, "
                      f"{echo.wall[-1] / full.wall[-1]:.2f}× (cpu {full.cpu[-1] / echo.cpu[-1]:.2f}×)", flush=True)
            report(args, world, buyers, played, echo, full)
            if args.profile:
                await profile(full, list(itertools.islice(shifted, args.updates)), args.sort, args.top)


def report(args: Any, world: World, buyers: Buyers, played: Sequence[Press], echo: Contender,
           full: Contender) -> None:
    ratios = [e / f for e, f in zip(echo.wall, full.wall, strict=True)]
    cpu_ratios = [f / e for e, f in zip(echo.cpu, full.cpu, strict=True)]
    print(f"{args.rounds} rounds × {args.updates:,} presses, {world.products:,} products in "
          f"{len(world.categories)} categories (SQLite, conversations: {args.storage})")
    print(f"  {describe(played, world, buyers, args.rate)}")
    print("                      updates/s best / median / worst     cpu ms each (median)   rounds")
    for contender in (echo, full):
        print(f"  {contender.name:18}: {spread(contender.wall, '{:,.0f}'):>24}"
              f"     {statistics.median(contender.cpu):.3f}"
              f"                 {'/'.join(f'{r:.0f}' for r in contender.wall)}")
    print(f"  shop / echo cost  : {spread(ratios, '{:.2f}×', higher_is_better=False)} (per round, wall);"
          f" cpu {spread(cpu_ratios, '{:.2f}×', higher_is_better=False)}   (targets: ≥ 1,000 updates/s, ≤ 3×)")
    print(f"  shop's Bot API calls: {dict(full.session.calls)}")


async def profile(full: Contender, presses: Sequence[Press], sort: str, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    await full.feed(presses)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(top)
    print(out.getvalue())


if __name__ == "__main__":
    asyncio.run(main())
