"""Reviews: a buyer rates each line of a delivered order (1–5 stars, then a few words or Skip); `/reviews`
shows what buyers said about a product.

The star buttons carry ids and the stars only; the order, its status and its owner are re-read from the core
on every press, and the core has the last word when the review is saved.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bots.i18n import Translator
from bots.telegram.callbacks import MAX_ID
from bots.telegram.handlers.buyer.reviews_views import (
    SHOWN_REVIEWS,
    ReviewAction,
    ReviewCallback,
    render_order_lines,
    render_reviewable_orders,
    render_reviews,
    skip_markup,
    star_bar,
    tr_quote,
)
from bots.telegram.render import Reply, edit, plain, send
from commerce.customers import CustomerDTO
from commerce.errors import NotFound
from commerce.reviews import ReviewDTO, check_review
from commerce.shop import Shop


class ReviewForm(StatesGroup):
    text = State()  # data: order_id, line_id, stars


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
    text = tr_quote(translator, locale, "review.ask_text", stars=star_bar(callback_data.stars), title=line.title)
    await edit(callback, Reply(text, skip_markup(translator, locale)))


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
