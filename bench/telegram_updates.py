"""Telegram updates per second through the full stack, against a bare aiogram echo bot on the same harness.

Usage: python -m bench.telegram_updates [--updates 3000] [--products 1000] [--users 200] [--rounds 3] [--profile]

Both bots get the same prebuilt callback-query updates via `Dispatcher.feed_update(bot, update)`, and a
session that does what a real one does short of the network: it serialises every request as aiogram's
aiohttp session would, and parses a well-formed Bot API answer. The full stack is `build_dispatcher` on a
SQLite shop with PRODUCTS products; the updates cycle per buyer through "browse" on the main menu (sends
the categories), a product card (edits in place) and "add to cart" (a write), with conversations in the
database as `chatshop run` keeps them (long polling; `--storage memory` for aiogram's in-memory one). The
echo bot answers each press and sends its data back. Rates are wall-clock; "cpu" is per CPU-second of
this process (steadier on a shared machine). Each of ROUNDS rounds runs the echo bot, then the full stack,
on fresh presses (carts emptied in between, untimed); the best round of each is reported, as timeit does,
since a busy neighbour only ever slows a round down. The first round also meets every buyer for the first
time; later ones see returning buyers. Target (DESIGN.md §9): ≥ 1,000 updates/s, ≤ 3× the echo cost.
`--profile` prints cProfile's top entries for the full stack.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import itertools
import pstats
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import CallbackQuery, Chat, Message, Update, User

from bench._common import fresh_shop
from bench.catalog import fill
from bots.i18n import Translator
from bots.telegram import build_dispatcher
from bots.telegram.app import make_bot
from bots.telegram.callbacks import CartAction, CartCallback, CatalogAction, CatalogCallback, MenuCallback, MenuTarget
from bots.telegram.fsm_storage import DatabaseStorage
from bots.telegram.session import PinnedResponseTypes
from commerce.conversations import ConversationStore
from commerce.shop import Shop

TOKEN = "42:BENCH"


class RecordingSession(PinnedResponseTypes, BaseSession):
    """No network: the request is serialised as for real, and the answer is parsed as for real."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: dict[str, int] = {}
        self._message_ids = itertools.count(1_000)

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType],
                           timeout: int | None = None) -> TelegramType:  # noqa: ASYNC109 — BaseSession's signature
        files: dict[str, Any] = {}
        form = {key: self.prepare_value(value, bot=bot, files=files)
                for key, value in method.model_dump(warnings=False).items()}
        self.calls[method.__api_method__] = self.calls.get(method.__api_method__, 0) + 1
        result: Any = True
        if method.__returning__ is not bool:  # sendMessage, editMessageText: the message as Telegram has it
            chat_id = int(form.get("chat_id") or 0)
            result = {"message_id": next(self._message_ids), "date": int(time.time()), "text": form.get("text", ""),
                      "chat": {"id": chat_id, "type": "private"},
                      "from": {"id": 42, "is_bot": True, "first_name": "Shop"}}
        response = self.check_response(bot, method, 200, self.json_dumps({"ok": True, "result": result}))
        return response.result  # type: ignore[return-value]  # check_response raised if it is missing

    async def stream_content(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover — never downloads
        raise NotImplementedError

    async def close(self) -> None:
        return None


def press(update_id: int, user_id: int, data: str) -> Update:
    user = User(id=user_id, is_bot=False, first_name="Buyer", language_code="en" if user_id % 2 else "ja")
    message = Message(message_id=1, date=datetime.now(UTC), chat=Chat(id=user_id, type="private"),
                      from_user=User(id=42, is_bot=True, first_name="Shop"), text="…")
    return Update(update_id=update_id, callback_query=CallbackQuery(
        id=str(update_id), from_user=user, chat_instance=str(user_id), message=message, data=data))


def make_updates(count: int, users: int, products: Sequence[tuple[int, int]], first: int = 0) -> list[Update]:
    """browse → card → add to cart, per buyer in turn (products: (product id, variant id) pairs)."""
    rng = random.Random(3 + first)
    updates = []
    for n in range(first, first + count):
        user_id = 10_000 + (n // 3) % users
        product_id, variant_id = rng.choice(products)
        data = [MenuCallback(target=MenuTarget.BROWSE),
                CatalogCallback(action=CatalogAction.PRODUCT, product_id=product_id),
                CartCallback(action=CartAction.ADD, variant_id=variant_id)][n % 3].pack()
        updates.append(press(n + 1, user_id, data))
    return updates


def echo_dispatcher() -> Dispatcher:
    async def echo(callback: CallbackQuery, bot: Bot) -> None:
        await callback.answer()
        await bot.send_message(callback.from_user.id, callback.data or "")

    dispatcher = Dispatcher()
    dispatcher.callback_query.register(echo)
    return dispatcher


async def run(dispatcher: Dispatcher, updates: Sequence[Update]) -> tuple[float, dict[str, int]]:
    bot = make_bot(TOKEN)
    session = RecordingSession()
    bot.session = session
    for update in updates[:30]:  # warm-up: first-use costs (pydantic, SQLAlchemy statement caches)
        await dispatcher.feed_update(bot, update)
    session.calls.clear()
    start, cpu = time.perf_counter(), time.process_time()
    for update in updates:
        await dispatcher.feed_update(bot, update)
    print(f"    (cpu {len(updates) / (time.process_time() - cpu):.0f}/s)")
    return len(updates) / (time.perf_counter() - start), session.calls


def full_dispatcher(shop: Shop, translator: Translator, storage: str) -> Dispatcher:
    fsm = DatabaseStorage(ConversationStore(shop.db), sole_writer=True) if storage == "database" else None
    return build_dispatcher(shop, translator, shop_name="Bench Shop", terms="", default_locale="ja", storage=fsm)


async def products_of(shop: Shop, count: int) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    page, has_next = 0, True
    while has_next and len(found) < count:
        listed = await shop.catalog.list_products(page=page, page_size=100)
        found += [(p.id, v.id) for p in listed.items for v in p.variants if v.stock > 0]
        page, has_next = page + 1, listed.has_next
    return found


async def empty_carts(shop: Shop, users: int) -> None:
    """Between rounds, so a round's "add to cart" presses never meet a full cart (30 lines)."""
    for user_id in range(10_000, 10_000 + users):
        customer = await shop.customers.identify("telegram", user_id)
        await shop.cart.clear(customer.id)


def rounds(rates: Sequence[float]) -> str:
    return "/".join(f"{rate:.0f}" for rate in rates)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each bot; the best is reported")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="tottime", help="the profile's order (tottime, cumulative, …)")
    parser.add_argument("--top", type=int, default=25, help="how many profile entries to print")
    parser.add_argument("--storage", choices=["database", "memory"], default="database")
    args = parser.parse_args()

    translator = Translator.load()
    async with fresh_shop("sqlite") as shop:
        await fill(shop, args.products)
        products = await products_of(shop, args.products)
        gc.freeze()  # as `chatshop run` does once the bot is imported (bots/cli/runtime.py)
        echo, full = echo_dispatcher(), full_dispatcher(shop, translator, args.storage)
        echo_rates, full_rates, echo_calls, full_calls = [], [], {}, {}
        for round_ in range(args.rounds):
            updates = make_updates(args.updates, args.users, products, first=round_ * args.updates)
            rate, echo_calls = await run(echo, updates)
            echo_rates.append(rate)
            rate, full_calls = await run(full, updates)
            full_rates.append(rate)
            await empty_carts(shop, args.users)
        echo_rate, full_rate = max(echo_rates), max(full_rates)
        print(f"{args.updates} updates × {args.rounds} rounds, {args.products} products, {args.users} buyers (SQLite)")
        print(f"  bare aiogram echo : {echo_rate:8.0f} updates/s  ({1000 / echo_rate:.3f} ms each) {echo_calls}"
              f"  rounds {rounds(echo_rates)}")
        print(f"  full stack        : {full_rate:8.0f} updates/s  ({1000 / full_rate:.3f} ms each) {full_calls}"
              f"  rounds {rounds(full_rates)}")
        print(f"  full / echo cost  : {echo_rate / full_rate:.1f}×   (targets: ≥ 1,000 updates/s, ≤ 3×)")

        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            await run(full_dispatcher(shop, translator, args.storage), make_updates(args.updates, args.users, products))
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
            print(out.getvalue())


if __name__ == "__main__":
    asyncio.run(main())
