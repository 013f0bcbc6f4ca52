"""The buttons of the /sell conversation (pure functions): each step's choices, Cancel, the category picks,
and the way to the new product's manage card."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Final

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bots.i18n import Translator
from bots.telegram.callbacks import RowId
from bots.telegram.handlers.seller.sell_callbacks import ManageAction, ManageCallback, manage_payload
from commerce.catalog import CategoryDTO

CATEGORY_BUTTONS_MAX: Final = 12  # more than this is easier to type than to find on a phone


class SellAction(StrEnum):
    SKIP = "s"
    DONE = "d"
    PHYSICAL = "p"
    DIGITAL = "g"
    CREATE = "c"
    CANCEL = "x"
    VARIANT = "v"  # add another variant (summary)


class SellCallback(CallbackData, prefix="sell"):
    action: SellAction


class SellCategoryCallback(CallbackData, prefix="sellcat"):
    """An existing category picked for the new product (re-checked by the core when the product is created)."""

    category_id: RowId


def form_buttons(translator: Translator, locale: str,
                 *rows: tuple[tuple[str, SellAction], ...]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=translator.text(locale, key), callback_data=SellCallback(action=action).pack())
         for key, action in row] for row in rows if row])


def cancel_row() -> tuple[tuple[str, SellAction], ...]:
    return (("sell.button.cancel", SellAction.CANCEL),)


def start_markup(tr: Translator, locale: str) -> InlineKeyboardMarkup:
    """Under "what is it called?": the seller's products instead, or Cancel."""
    mine = InlineKeyboardButton(text=tr.text(locale, "sell.edit.button.list"),
                                callback_data=ManageCallback(action=ManageAction.LIST).pack())
    return InlineKeyboardMarkup(inline_keyboard=[[mine], *form_buttons(tr, locale, cancel_row()).inline_keyboard])


def category_markup(tr: Translator, locale: str, categories: Sequence[CategoryDTO]) -> InlineKeyboardMarkup:
    """The shop's first categories two to a row, then Skip and Cancel."""
    shown = list(categories)[:CATEGORY_BUTTONS_MAX]
    picks = [[InlineKeyboardButton(text=c.name, callback_data=SellCategoryCallback(category_id=c.id).pack())
              for c in shown[i:i + 2]] for i in range(0, len(shown), 2)]
    rest = form_buttons(tr, locale, (("sell.button.skip", SellAction.SKIP),), cancel_row()).inline_keyboard
    return InlineKeyboardMarkup(inline_keyboard=[*picks, *rest])


def created_markup(tr: Translator, locale: str, product_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=tr.text(locale, "sell.button.manage"), callback_data=manage_payload(product_id))]])
