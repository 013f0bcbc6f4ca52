"""Reviews: a buyer rates each line of a delivered order (1–5 stars, then a few words or Skip); `/reviews`
shows what buyers said about a product.

The star buttons carry ids and the stars only; the order, its status and its owner are re-read from the core
on every press, and the core has the last word when the review is saved.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from pydantic import Field

from bots.common.presenters import label, shorten
from bots.i18n import Translator
from bots.telegram.callbacks import MAX_ID, RowId
from bots.telegram.render import Reply, bold, edit, plain, quote, send
from commerce.customers import CustomerDTO
from commerce.errors import NotFound
from commerce.orders import OrderDTO
from commerce.reviews import REVIEWABLE, ReviewDTO, check_review
from commerce.shop import Shop

SHOWN_REVIEWS: Final = 10
LINES_OFFERED: Final = 10  # one star row per line; a longer order is rare, the rest can be reached later
REVIEW_PREVIEW: Final = 300

# One digit rather than 1–5: a forged "9" still parses, so the core's own rule refuses it in the buyer's words.
Stars = Annotated[int, Field(ge=0, le=9)]


class ReviewAction(StrEnum):
    ORDER = "o"  # order_id: the lines of an order, each with a row of stars
    STARS = "s"  # order_id, line_id, stars
    SKIP = "k"  # save the review without words


class ReviewCallback(CallbackData, prefix="rv"):
    action: ReviewAction
    order_id: RowId | None = None
    line_id: RowId | None = None
    stars: Stars = 0


class ReviewForm(StatesGroup):
    text = State()  # data: order_id, line_id, stars


def star_bar(stars: int) -> str:
    return "★" * stars + "☆" * (5 - stars)


def review_order_button(tr: Translator, locale: str, order_id: int) -> InlineKeyboardButton:
    """For an order detail: opens the star rows of a delivered order."""
    return InlineKeyboardButton(text=tr.text(locale, "review.button"),
                                callback_data=ReviewCallback(action=ReviewAction.ORDER, order_id=order_id).pack())


def _star_row(order_id: int, line_id: int) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text=f"{stars}★", callback_data=ReviewCallback(
        action=ReviewAction.STARS, order_id=order_id, line_id=line_id, stars=stars).pack()) for stars in range(1, 6)]


def render_order_lines(tr: Translator, locale: str, order: OrderDTO) -> list[Reply]:
    """One message per line, so each row of stars sits under the title it rates."""
    if order.status not in REVIEWABLE:
        return [plain(tr.text(locale, "review.not_delivered", order=order.id))]
    return [Reply(tr_quote(tr, locale, "review.rate_line", order=order.id, title=line.title),
                  InlineKeyboardMarkup(inline_keyboard=[_star_row(order.id, line.id)]))
            for line in order.lines[:LINES_OFFERED]]


def render_reviewable_orders(tr: Translator, locale: str, orders: list[OrderDTO]) -> Reply:
    reviewable = [order for order in orders if order.status in REVIEWABLE]
    if not reviewable:
        return plain(tr.text(locale, "review.nothing_to_review"))
    rows = [[InlineKeyboardButton(
        text=label(tr.text(locale, "review.order_button", order=order.id, title=order.lines[0].title
                           if order.lines else "")),
        callback_data=ReviewCallback(action=ReviewAction.ORDER, order_id=order.id).pack())] for order in reviewable]
    return Reply(quote(tr.text(locale, "review.choose_order")), InlineKeyboardMarkup(inline_keyboard=rows))


def render_reviews(tr: Translator, locale: str, title: str, reviews: list[ReviewDTO]) -> Reply:
    heading = bold(tr.text(locale, "reviews.heading", title=title))
    if not reviews:
        return Reply("\n".join([heading, quote(tr.text(locale, "reviews.none"))]))
    entries = [f"{star_bar(r.stars)}  {quote(tr.datetime(locale, r.created_at))}"
               + (f"\n{quote(shorten(r.text, REVIEW_PREVIEW))}" if r.text else "") for r in reviews]
    return Reply("\n\n".join([heading, *entries]))


def tr_quote(tr: Translator, locale: str, key: str, **fields: object) -> str:
    """Translate, format, then escape: for templates without markup whose fields are user text."""
    return quote(tr.text(locale, key, **fields))


def _id_in(command: CommandObject | None) -> int | None:
    args = (command.args or "").strip().lstrip("#") if command else ""
    return int(args) if args.isdigit() and 1 <= int(args) <= MAX_ID else None


async def start_review(message: Message, command: CommandObject, shop: Shop, customer: CustomerDTO,
                       translator: Translator, locale: str) -> None:
    """`/review <order>`: the star rows; bare `/review`: the buyer's delivered orders to pick from."""
    order_id = _id_in(command)
    if order_id is None:
        orders = await shop.orders.history(customer.id)
        await send(message, render_reviewable_orders(translator, locale, orders))
        return
    order = await shop.orders.get(customer.id, order_id)
    for reply in render_order_lines(translator, locale, order):
        await send(message, reply)


async def open_order(callback: CallbackQuery, callback_data: ReviewCallback, shop: Shop, customer: CustomerDTO,
                     translator: Translator, locale: str) -> None:
    order = await shop.orders.get(customer.id, callback_data.order_id or 0)
    for reply in render_order_lines(translator, locale, order):
        await send(callback, reply)


async def choose_stars(callback: CallbackQuery, callback_data: ReviewCallback, shop: Shop, customer: CustomerDTO,
                       state: FSMContext, translator: Translator, locale: str) -> None:
    """Checked now, not after the buyer has typed their words: their order, delivered, 1–5 stars."""
    order = await shop.orders.get(customer.id, callback_data.order_id or 0)
    line = next((line for line in order.lines if line.id == callback_data.line_id), None)
    if line is None:
        raise NotFound(entity="order_line", id=callback_data.line_id)
    check_review(order.status, callback_data.stars, "")
    await state.set_state(ReviewForm.text)
    await state.set_data({"line_id": line.id, "stars": callback_data.stars})
    skip = InlineKeyboardButton(text=translator.text(locale, "review.skip"),
                                callback_data=ReviewCallback(action=ReviewAction.SKIP).pack())
    text = tr_quote(translator, locale, "review.ask_text", stars=star_bar(callback_data.stars), title=line.title)
    await edit(callback, Reply(text, InlineKeyboardMarkup(inline_keyboard=[[skip]])))


async def write_review(message: Message, shop: Shop, customer: CustomerDTO, state: FSMContext,
                       translator: Translator, locale: str) -> None:
    review = await _save(shop, customer, state, message.text or "")
    await send(message, plain(translator.text(locale, "review.thanks", stars=star_bar(review.stars))))


async def skip_text(callback: CallbackQuery, shop: Shop, customer: CustomerDTO, state: FSMContext,
                    translator: Translator, locale: str) -> None:
    review = await _save(shop, customer, state, "")
    await edit(callback, plain(translator.text(locale, "review.thanks", stars=star_bar(review.stars))))


async def _save(shop: Shop, customer: CustomerDTO, state: FSMContext, text: str) -> ReviewDTO:
    data = await state.get_data()
    await state.clear()  # refused or not, the buyer isn't left stuck in the conversation
    return await shop.reviews.add(customer.id, int(data["line_id"]), int(data["stars"]), text)


async def show_reviews(message: Message, command: CommandObject, shop: Shop, translator: Translator,
                       locale: str) -> None:
    product_id = _id_in(command)
    if product_id is None:
        await send(message, plain(translator.text(locale, "reviews.usage")))
        return
    product = await shop.catalog.product(product_id)
    reviews = await shop.reviews.for_product(product_id, limit=SHOWN_REVIEWS)
    await send(message, render_reviews(translator, locale, product.title, reviews))


def build_reviews_router() -> Router:
    router = Router(name="reviews")
    router.message.register(start_review, Command("review"))
    router.message.register(show_reviews, Command("reviews"))
    router.callback_query.register(open_order, ReviewCallback.filter((F.action == ReviewAction.ORDER) & F.order_id))
    router.callback_query.register(choose_stars, ReviewCallback.filter(
        (F.action == ReviewAction.STARS) & F.order_id & F.line_id))
    router.callback_query.register(skip_text, StateFilter(ReviewForm.text),
                                   ReviewCallback.filter(F.action == ReviewAction.SKIP))
    router.message.register(write_review, StateFilter(ReviewForm.text), F.text, ~F.text.startswith("/"))
    return router
