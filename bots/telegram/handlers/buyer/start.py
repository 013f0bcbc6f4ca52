"""`/start`: the greeting and main menu, or the product a shared link points at."""

from __future__ import annotations

from typing import cast

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message

from bots.common.media_store import MediaStore
from bots.common.presenters import present_menu, present_product_card
from bots.i18n import Translator
from bots.telegram.deep_links import product_id_in
from bots.telegram.render import render_card, render_menu, send
from commerce.shop import Shop


async def greet(message: Message, translator: Translator, locale: str, shop_name: str) -> None:
    await send(message, render_menu(present_menu(translator, locale, shop_name=shop_name)))


async def open_shared_product(message: Message, command: CommandObject, shop: Shop,
                              translator: Translator, locale: str, media_store: MediaStore | None = None) -> None:
    product = await shop.catalog.product(cast(int, command.magic_result))  # parsed by the filter below
    await send(message, render_card(present_product_card(translator, locale, product)), media=media_store)


def build_start_router() -> Router:
    router = Router(name="start")
    router.message.register(open_shared_product, CommandStart(deep_link=True, magic=F.args.func(product_id_in)))
    router.message.register(greet, CommandStart())  # plain, referral (handled at identify) or unknown payload
    return router
