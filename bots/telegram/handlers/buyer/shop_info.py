"""`/help`, `/terms` and `/language`: about the shop, and the buyer's own language choice."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bots.common.legal import ShopTerms, pages, present_shop_terms
from bots.common.presenters import present_language_choice, present_menu
from bots.i18n import Translator
from bots.telegram.callbacks import LanguageCallback, MenuCallback, MenuTarget
from bots.telegram.render import TEXT_MAX, edit, plain, quote, render_menu, send, utf16_len
from commerce.customers import CustomerDTO
from commerce.shop import Shop


async def show_help(event: Message | CallbackQuery, translator: Translator, locale: str) -> None:
    await send(event, plain(translator.text(locale, "help.text")))


async def show_terms(message: Message, translator: Translator, locale: str, terms: ShopTerms, shop_name: str) -> None:
    text = present_shop_terms(translator, locale, terms, shop_name=shop_name)
    for page in pages(text, lambda part: utf16_len(quote(part)) <= TEXT_MAX):  # a long text: several messages
        await send(message, plain(page))


async def choose_language(event: Message | CallbackQuery, translator: Translator, locale: str) -> None:
    await send(event, render_menu(present_language_choice(translator, locale)))


async def set_language(callback: CallbackQuery, callback_data: LanguageCallback, shop: Shop,
                       customer: CustomerDTO, translator: Translator, shop_name: str) -> None:
    updated = await shop.customers.set_locale(customer.id, callback_data.locale.value)
    locale = updated.locale or callback_data.locale.value
    menu = present_menu(translator, locale, shop_name=shop_name)
    await edit(callback, render_menu(menu), notice=translator.text(locale, "language.set"))


def build_shop_info_router() -> Router:
    router = Router(name="shop_info")
    router.message.register(show_help, Command("help"))
    router.callback_query.register(show_help, MenuCallback.filter(F.target == MenuTarget.HELP))
    router.message.register(show_terms, Command("terms"))
    router.message.register(choose_language, Command("language"))
    router.callback_query.register(choose_language, MenuCallback.filter(F.target == MenuTarget.LANGUAGE))
    router.callback_query.register(set_language, LanguageCallback.filter())
    return router
