"""The staff's coupon codes in the chat (pure functions): the shared coupon views (`bots/common/coupon_view.py`)
rendered as HTML, with a row of buttons under each code, paging, the delete question and the form's Cancel."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Final

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from pydantic import Field

from bots.common.coupon_view import CouponListView, CouponMove, CouponView, DeleteQuestion
from bots.i18n import Translator
from bots.telegram.callbacks import PageNumber
from bots.telegram.render import Reply, bold, quote

# A coupon's code is its id in the core (unique, never reused even once deleted), and short: it fits the payload.
CouponCode = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9_-]{2,31}$")]


class CouponAction(StrEnum):
    LIST = "l"          # page
    PAUSE = "p"         # code
    RESUME = "r"        # code
    ASK_DELETE = "d"    # code: shows the question
    DELETE = "y"        # code: the question answered yes
    SHARE = "s"         # code
    NEW = "n"           # opens the form
    CANCEL = "x"        # leaves the form


class CouponCallback(CallbackData, prefix="cpn"):
    """`page`: the page of the list the button was on, drawn again after a move."""

    action: CouponAction
    code: CouponCode | None = None
    page: PageNumber = 0


MOVE_ACTIONS: Final = {CouponMove.PAUSE: CouponAction.PAUSE, CouponMove.RESUME: CouponAction.RESUME,
                       CouponMove.DELETE: CouponAction.ASK_DELETE, CouponMove.SHARE: CouponAction.SHARE}


def coupon_button(text: str, **payload: Any) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=CouponCallback(**payload).pack())


def coupon_text(view: CouponView) -> str:
    """`SPRING10 — 10% off · Active`, then one fact a line."""
    heading = f"{bold(view.code)} — {quote(view.gives)} · {quote(view.status)}"
    return "\n".join([heading, *map(quote, view.lines)])


def coupon_rows(view: CouponView, page: int) -> list[list[InlineKeyboardButton]]:
    return [[coupon_button(button.label, action=MOVE_ACTIONS[button.move], code=button.code, page=page)
             for button in view.buttons]]


def render_coupons(view: CouponListView, hint: str, notice: str = "") -> Reply:
    parts = [*([quote(notice)] if notice else []), bold(view.heading)]
    if view.empty is not None:
        parts.append(quote(view.empty))
    parts += [coupon_text(coupon) for coupon in view.coupons]
    parts.append(f"<i>{quote(hint)}</i>")
    rows = [row for coupon in view.coupons for row in coupon_rows(coupon, view.page)]
    paging = [coupon_button(label, action=CouponAction.LIST, page=page)
              for label, page in ((view.previous, view.page - 1), (view.next, view.page + 1)) if label]
    rows += [paging, [coupon_button(view.new, action=CouponAction.NEW)]]
    return Reply("\n\n".join(parts), InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row]))


def render_created(view: CouponView, notice: str, share: list[str], back: str) -> Reply:
    """A new code: what it is, how buyers get it, its buttons and the way to the list."""
    text = "\n\n".join([quote(notice), coupon_text(view), *map(quote, share)])
    rows = [*coupon_rows(view, 0), [coupon_button(back, action=CouponAction.LIST)]]
    return Reply(text, InlineKeyboardMarkup(inline_keyboard=rows))


def render_delete_question(question: DeleteQuestion, page: int) -> Reply:
    return Reply(quote(question.text), InlineKeyboardMarkup(inline_keyboard=[
        [coupon_button(question.confirm, action=CouponAction.DELETE, code=question.code, page=page)],
        [coupon_button(question.keep, action=CouponAction.LIST, page=page)]]))


def form_markup(tr: Translator, locale: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[coupon_button(tr.text(locale, "coupons.button.cancel"),
                                                                action=CouponAction.CANCEL)]])
