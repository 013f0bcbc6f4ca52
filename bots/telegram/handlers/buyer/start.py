"""`/start`: the greeting and main menu, or the product a shared link points at."""

from __future__ import annotations

from typing import cast

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bots.common.card_rules import card_rules
from bots.common.media_store import MediaStore
from bots.common.presenters import present_menu, present_product_card
from bots.i18n import Translator
from bots.telegram.deep_links import coupon_in, product_id_in
from bots.telegram.render import plain, render_card, render_menu, send
from commerce.customers import CustomerDTO
from commerce.errors import CouponRejected
from commerce.shop import Shop


async def greet(message: Message, translator: Translator, locale: str, shop_name: str) -> None:
    await send(message, render_menu(present_menu(translator, locale, shop_name=shop_name)))


async def open_shared_product(message: Message, command: CommandObject, shop: Shop,
                              translator: Translator, locale: str, media_store: MediaStore | None = None) -> None:
    product = await shop.catalog.product(cast(int, command.magic_result))  # parsed by the filter below
    card = present_product_card(translator, locale, product, await card_rules(shop))
    await send(message, render_card(card), media=media_store)


async def keep_shared_coupon(message: Message, command: CommandObject, shop: Shop, customer: CustomerDTO,
                             state: FSMContext, translator: Translator, locale: str, shop_name: str) -> None:
    """A `c_<CODE>` link: the code waits for the buyer's next checkout, or the reason it can't."""
    try:
        coupon = await shop.coupons.check(customer.id, cast(str, command.magic_result))
    except CouponRejected as exc:
        await send(message, plain(translator.error(locale, exc).split("\n")[0]))
    else:
        await state.update_data(coupon=coupon.code)
        await send(message, plain(translator.text(locale, "coupon.kept", code=coupon.code)))
    await greet(message, translator, locale, shop_name)


def build_start_router() -> Router:
    router = Router(name="start")
    router.message.register(open_shared_product, CommandStart(deep_link=True, magic=F.args.func(product_id_in)))
    router.message.register(keep_shared_coupon, CommandStart(deep_link=True, magic=F.args.func(coupon_in)))
    router.message.register(greet, CommandStart())  # plain, referral (handled at identify) or unknown payload
    return router
