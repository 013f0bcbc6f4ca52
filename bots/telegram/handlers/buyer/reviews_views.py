"""What reviews look like in the chat: the orders to review, a row of stars per line, a product's reviews,
and the buttons (pure functions from core DTOs to replies)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from pydantic import Field

from bots.common.presenters import label, shorten
from bots.i18n import Translator
from bots.telegram.callbacks import RowId
from bots.telegram.render import Reply, bold, plain, quote
from commerce.orders import OrderDTO
from commerce.reviews import REVIEWABLE, ReviewDTO

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


def star_bar(stars: int) -> str:
    return "★" * stars + "☆" * (5 - stars)


def review_order_button(tr: Translator, locale: str, order_id: int) -> InlineKeyboardButton:
    """For an order detail: opens the star rows of a delivered order."""
    return InlineKeyboardButton(text=tr.text(locale, "review.button"),
                                callback_data=ReviewCallback(action=ReviewAction.ORDER, order_id=order_id).pack())


def star_row(order_id: int, line_id: int) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text=f"{stars}★", callback_data=ReviewCallback(
        action=ReviewAction.STARS, order_id=order_id, line_id=line_id, stars=stars).pack()) for stars in range(1, 6)]


def render_order_lines(tr: Translator, locale: str, order: OrderDTO) -> list[Reply]:
    """One message per line, so each row of stars sits under the title it rates."""
    if order.status not in REVIEWABLE:
        return [plain(tr.text(locale, "review.not_delivered", order=order.id))]
    return [Reply(tr_quote(tr, locale, "review.rate_line", order=order.id, title=line.title),
                  InlineKeyboardMarkup(inline_keyboard=[star_row(order.id, line.id)]))
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


def skip_markup(tr: Translator, locale: str) -> InlineKeyboardMarkup:
    """Under "a few words?": stars alone are a review too."""
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=tr.text(locale, "review.skip"), callback_data=ReviewCallback(action=ReviewAction.SKIP).pack())]])
