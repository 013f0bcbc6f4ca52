"""Browsing: categories → a page of products → a product card (a photo gallery when it has photos), edited in
place; the reviews of a product; and search."""

from __future__ import annotations

from typing import Final

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.types import CallbackQuery, Message

from bots.common.card_rules import card_rules
from bots.common.media_store import MediaStore
from bots.common.presenters import (
    present_categories,
    present_product_card,
    present_product_list,
    present_search_results,
)
from bots.i18n import Translator
from bots.telegram.callbacks import CatalogAction, CatalogCallback, MenuCallback, MenuTarget
from bots.telegram.handlers.buyer.reviews_views import SHOWN_REVIEWS, render_reviews
from bots.telegram.render import RenderedReplies, edit, plain, render_card, render_list, send
from commerce.shop import Shop

PAGE_SIZE: Final = 8  # one button per product; more than this scrolls off a phone screen
_rendered = RenderedReplies()  # pages and cards, while the catalog hands out the same ones


async def browse(event: Message | CallbackQuery, shop: Shop, translator: Translator, locale: str) -> None:
    categories = await shop.catalog.categories()
    await send(event, render_list(present_categories(translator, locale, categories)))


async def back_to_categories(callback: CallbackQuery, shop: Shop, translator: Translator, locale: str) -> None:
    categories = await shop.catalog.categories()
    await edit(callback, render_list(present_categories(translator, locale, categories)))


async def list_products(callback: CallbackQuery, callback_data: CatalogCallback, shop: Shop,
                        translator: Translator, locale: str) -> None:
    page = await shop.catalog.list_products(category_id=callback_data.category_id, page=callback_data.page,
                                            page_size=PAGE_SIZE)
    reply = _rendered.get((page, translator), (locale, "list", callback_data.category_id), lambda: render_list(
        present_product_list(translator, locale, page, category_id=callback_data.category_id)))
    await edit(callback, reply)


async def open_product(callback: CallbackQuery, callback_data: CatalogCallback, shop: Shop,
                       translator: Translator, locale: str, media_store: MediaStore | None = None) -> None:
    """The card, or another photo of its gallery: both edit the pressed message."""
    assert callback_data.product_id is not None  # the filter requires it
    product = await shop.catalog.product(callback_data.product_id)
    if callback_data.photo >= max(len(product.photos), 1):  # forged, or the seller removed that photo since
        await callback.answer(translator.text(locale, "card.photo_gone"), show_alert=True)
        return
    rules = await card_rules(shop)
    key = (locale, "card", callback_data.category_id, callback_data.page, callback_data.photo, rules)
    reply = _rendered.get((product, translator), key, lambda: render_card(present_product_card(
        translator, locale, product, rules, category_id=callback_data.category_id, page=callback_data.page,
        photo=callback_data.photo)))
    await edit(callback, reply, media=media_store)


async def show_product_reviews(callback: CallbackQuery, callback_data: CatalogCallback, shop: Shop,
                               translator: Translator, locale: str) -> None:
    """Below the card, so the buyer can read them and still press Buy on the card above."""
    assert callback_data.product_id is not None  # the filter requires it
    product = await shop.catalog.product(callback_data.product_id)
    reviews = await shop.reviews.for_product(product.id, limit=SHOWN_REVIEWS)
    await send(callback, render_reviews(translator, locale, product.title, reviews))


async def search(message: Message, shop: Shop, translator: Translator, locale: str,
                 command: CommandObject | None = None) -> None:
    """`/search words`, or plain words typed into the private chat."""
    query = command.args if command is not None else message.text
    results = await shop.catalog.search(query or "", page_size=PAGE_SIZE)
    await send(message, render_list(present_search_results(translator, locale, results)))


async def prompt_search(event: Message | CallbackQuery, translator: Translator, locale: str) -> None:
    await send(event, plain(translator.text(locale, "search.prompt")))


def build_catalog_router() -> Router:
    router = Router(name="catalog")
    router.message.register(browse, Command("browse"))
    router.callback_query.register(browse, MenuCallback.filter(F.target == MenuTarget.BROWSE))
    # The presses of every visit (cards, list pages) first: each handler's filter is tried in turn.
    router.callback_query.register(open_product,
                                   CatalogCallback.filter((F.action == CatalogAction.PRODUCT) & F.product_id))
    router.callback_query.register(list_products, CatalogCallback.filter(F.action == CatalogAction.PRODUCTS))
    router.callback_query.register(back_to_categories, CatalogCallback.filter(F.action == CatalogAction.CATEGORIES))
    router.callback_query.register(show_product_reviews,
                                   CatalogCallback.filter((F.action == CatalogAction.REVIEWS) & F.product_id))
    router.message.register(search, Command("search", magic=F.args))
    router.message.register(prompt_search, Command("search"))
    router.callback_query.register(prompt_search, MenuCallback.filter(F.target == MenuTarget.SEARCH))
    # Words typed in a private chat outside any conversation are a search.
    router.message.register(search, StateFilter(None), F.chat.type == "private", F.text, ~F.text.startswith("/"))
    return router
