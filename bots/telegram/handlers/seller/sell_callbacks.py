"""Button payloads of a seller's product management (ids only; every press is re-checked by the core)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from bots.telegram.callbacks import PageNumber, RowId


class ManageAction(StrEnum):
    LIST = "l"  # page: the seller's products
    CARD = "c"  # a product's manage card
    TITLE = "t"
    DESCRIPTION = "d"
    PRICE = "p"  # without variant_id: pick the variant first
    STOCK = "s"
    CATEGORY = "g"  # with category_id: move the product there
    PHOTOS = "f"
    ADD_PHOTOS = "a"
    CLEAR_PHOTOS = "z"
    ADD_VARIANT = "v"
    HIDE = "h"
    SHOW = "o"
    DIGITAL = "k"  # add digital items to a variant
    DELETE = "x"  # ask for confirmation
    DELETE_CONFIRMED = "X"
    DONE = "n"  # leave an edit step (cancel, or finish adding photos) and show the card again


class ManageCallback(CallbackData, prefix="mp"):
    action: ManageAction
    product_id: RowId | None = None
    variant_id: RowId | None = None
    category_id: RowId | None = None
    page: PageNumber = 0


def manage_payload(product_id: int) -> str:
    """The button data that opens a product's manage card."""
    return ManageCallback(action=ManageAction.CARD, product_id=product_id).pack()
