"""Inline mode: `@bot words` in any chat lists matching products; picking one posts its card there.

The posted card carries a URL button to `https://t.me/<bot>?start=p_<id>` (callback buttons would reach
us without a chat to answer in) and a Share button that opens inline mode again with the title. A product
whose first photo Telegram already holds (it was shown in the bot before) is posted as that photo with the
card as its caption; inline results can't upload, so a photo never shown yet is posted as a text card.
"""

from __future__ import annotations

from typing import Final

from aiogram import Bot, Router
from aiogram.enums import ParseMode
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InlineQueryResultsButton,
    InputTextMessageContent,
)

from bots.common.card_rules import CardRules, card_rules
from bots.common.media_store import MediaStore
from bots.common.presenters import SHARE_QUERY_MAX, label, present_product_card, shorten
from bots.common.views import Action, ActionKind
from bots.i18n import Translator
from bots.telegram.callbacks import MAX_PAGE
from bots.telegram.deep_links import product_link
from bots.telegram.render import button_for, render_card
from commerce.catalog import Page, ProductDTO
from commerce.shop import Shop

MAX_RESULTS: Final = 10
CACHE_SECONDS: Final = 30  # prices and stock move; a stale list for half a minute is acceptable
QUERY_MAX: Final = 100  # what the catalog search accepts; Telegram allows 256
DESCRIPTION_MAX: Final = 80  # the result list shows about two lines under the title


def share_button(tr: Translator, locale: str, product: ProductDTO) -> InlineKeyboardButton:
    """For a product card: opens "@bot <title>" in a chat the user picks, so they can post the card there."""
    return button_for(Action(ActionKind.SHARE, tr.text(locale, "button.share"), id=product.id,
                             value=label(product.title, SHARE_QUERY_MAX)))


def inline_result(tr: Translator, locale: str, product: ProductDTO, rules: CardRules, *, bot_username: str,
                  photo_file_id: str | None = None) -> InlineQueryResultArticle | InlineQueryResultCachedPhoto:
    """One product in the result list, and the card it posts (HTML escaped by `render_card`): the photo
    Telegram holds as `photo_file_id` with the card as its caption, else the card as text."""
    card = present_product_card(tr, locale, product, rules)
    buy = InlineKeyboardButton(text=tr.text(locale, "share.buy"), url=product_link(bot_username, product.id))
    markup = InlineKeyboardMarkup(inline_keyboard=[[buy], [share_button(tr, locale, product)]])
    summary = [card.price, card.availability]
    if product.description.strip():
        summary.append(shorten(" ".join(product.description.split()), DESCRIPTION_MAX))
    title, description = label(product.title, 64), "\n".join(summary)  # plain text: Telegram parses no markup
    text = render_card(card).text  # fitted to a caption when the product has photos
    if photo_file_id is not None:
        return InlineQueryResultCachedPhoto(id=f"p{product.id}", photo_file_id=photo_file_id, title=title,
                                            description=description, caption=text, parse_mode=ParseMode.HTML,
                                            reply_markup=markup)
    return InlineQueryResultArticle(
        id=f"p{product.id}", title=title, description=description,
        input_message_content=InputTextMessageContent(message_text=text, parse_mode=ParseMode.HTML),
        reply_markup=markup,
    )


def page_in(offset: str) -> int:
    """Telegram echoes back our `next_offset`; anything else (forged, too large) starts from the top."""
    return int(offset) if offset.isdecimal() and len(offset) <= 4 and int(offset) <= MAX_PAGE else 0


async def show_products_inline(inline_query: InlineQuery, bot: Bot, shop: Shop, translator: Translator,
                               locale: str, shop_name: str, media_store: MediaStore | None = None) -> None:
    """Newest products for an empty query, else search results; ten at a time, more on scroll."""
    words, page_number = inline_query.query.strip()[:QUERY_MAX], page_in(inline_query.offset)
    page: Page[ProductDTO] = (
        await shop.catalog.search(words, page=page_number, page_size=MAX_RESULTS) if words
        else await shop.catalog.list_products(page=page_number, page_size=MAX_RESULTS))
    me = await bot.me()
    assert me.username is not None  # every bot has one
    rules = await card_rules(shop)
    results = [inline_result(translator, locale, product, rules, bot_username=me.username,
                             photo_file_id=await _cached_photo(media_store, product)) for product in page.items]
    await inline_query.answer(
        results, cache_time=CACHE_SECONDS, is_personal=True,  # personal: prices and labels are in their language
        next_offset=str(page.page + 1) if page.has_next and page.page < MAX_PAGE else "",
        button=InlineQueryResultsButton(text=translator.text(locale, "share.open_shop", shop=shop_name),
                                        start_parameter="inline"))


async def _cached_photo(media_store: MediaStore | None, product: ProductDTO) -> str | None:
    if media_store is None or not product.photos:
        return None
    return await media_store.file_id_for(product.photos[0])


def build_inline_router() -> Router:
    router = Router(name="inline")
    router.inline_query.register(show_products_inline)
    return router
