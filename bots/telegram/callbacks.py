"""Typed button payloads: ids and an action, nothing else (Telegram allows 64 bytes, and trusts none of it).

Every id is bounded to what the schema can hold, so a forged payload fails to parse instead of reaching
the database; prices, stock and ownership are re-read from the core on every press.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from bots.common.views import Action, ActionKind
from commerce.catalog import PHOTOS_MAX

MAX_ID: Final = 2**31 - 1  # ids are INTEGER columns (32-bit on PostgreSQL)
MAX_PAGE: Final = 9_999

RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
PageNumber = Annotated[int, Field(ge=0, le=MAX_PAGE)]
Quantity = Annotated[int, Field(ge=0, le=999)]  # the core enforces the real limit, and says so politely
PhotoIndex = Annotated[int, Field(ge=0, le=PHOTOS_MAX - 1)]  # a product has at most PHOTOS_MAX photos
MethodId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]  # a payment method's slug (bot.toml)


class MenuTarget(StrEnum):
    BROWSE = "b"
    SEARCH = "s"
    CART = "c"
    ORDERS = "o"
    HELP = "h"
    LANGUAGE = "l"


class CatalogAction(StrEnum):
    CATEGORIES = "c"
    PRODUCTS = "l"
    PRODUCT = "p"  # product_id, photo: the card at that photo of its gallery
    REVIEWS = "r"  # product_id: what buyers said about it


class CartAction(StrEnum):
    ADD = "a"
    SET_QUANTITY = "q"
    REMOVE = "r"


class Locale(StrEnum):
    JA = "ja"
    EN = "en"


class CheckoutAction(StrEnum):
    CART = "c"  # check out the whole cart
    BUY_NOW = "b"  # id: a variant, one of it, without touching the cart
    SAVED_ADDRESS = "a"  # id: one of the buyer's saved addresses
    SAVE_ADDRESS = "s"  # the address just typed, kept for next time
    USE_ADDRESS = "u"  # the address just typed, for this order only
    METHOD = "m"  # method
    CONFIRM = "y"
    ABORT = "x"
    COUPON = "k"  # type a coupon code
    DROP_COUPON = "d"  # go on without the code


class PaymentAction(StrEnum):
    STATUS = "s"
    CHOOSE_METHOD = "m"  # show the methods again (change, or retry after a failed quote)
    PAY_WITH = "p"  # method: replace the order's payment request
    CANCEL = "x"


class MenuCallback(CallbackData, prefix="m"):
    target: MenuTarget


class CatalogCallback(CallbackData, prefix="c"):
    action: CatalogAction
    product_id: RowId | None = None
    category_id: RowId | None = None
    page: PageNumber = 0
    photo: PhotoIndex = 0


class CartCallback(CallbackData, prefix="k"):
    action: CartAction
    variant_id: RowId
    quantity: Quantity = 0


class LanguageCallback(CallbackData, prefix="l"):
    locale: Locale


class CheckoutCallback(CallbackData, prefix="o"):
    """A step of the checkout conversation; what was chosen so far lives in the FSM state, not here."""

    action: CheckoutAction
    id: RowId | None = None
    method: MethodId | None = None


class PaymentCallback(CallbackData, prefix="y"):
    """A button on a payment message: the order is re-read, and its ownership checked, by the core."""

    action: PaymentAction
    order_id: RowId
    method: MethodId | None = None


ALL_CALLBACKS: Final = (MenuCallback, CatalogCallback, CartCallback, LanguageCallback, CheckoutCallback,
                        PaymentCallback)

# Kinds the shared presenters may offer (compared by value, so this module works before and after
# bots.common.views declares them).
_BUY_NOW: Final = "buy_now"  # id: variant
_CHECKOUT: Final = "checkout"

# Kinds Telegram renders as switch-inline buttons: they open the inline picker and send us no payload.
SWITCH_INLINE_KINDS: Final = frozenset({ActionKind.SHARE})

_MENU: Final = {ActionKind.BROWSE: MenuTarget.BROWSE, ActionKind.SEARCH: MenuTarget.SEARCH,
                ActionKind.CART: MenuTarget.CART, ActionKind.ORDERS: MenuTarget.ORDERS,
                ActionKind.HELP: MenuTarget.HELP, ActionKind.LANGUAGE: MenuTarget.LANGUAGE}
_CART: Final = {ActionKind.ADD_TO_CART: CartAction.ADD, ActionKind.CART_SET_QUANTITY: CartAction.SET_QUANTITY,
                ActionKind.CART_REMOVE: CartAction.REMOVE}
_CATALOG: Final = {ActionKind.CATEGORIES: CatalogAction.CATEGORIES, ActionKind.PRODUCTS: CatalogAction.PRODUCTS,
                   ActionKind.PRODUCT: CatalogAction.PRODUCT, ActionKind.REVIEWS: CatalogAction.REVIEWS}


def callback_for(action: Action) -> CallbackData:
    """The Telegram payload of a platform-neutral action."""
    if action.kind in _MENU:
        return MenuCallback(target=_MENU[action.kind])
    if action.kind in _CART:
        assert action.id is not None, action
        return CartCallback(action=_CART[action.kind], variant_id=action.id, quantity=action.quantity)
    if action.kind in _CATALOG:
        return CatalogCallback(action=_CATALOG[action.kind], product_id=action.id, category_id=action.category_id,
                               page=action.page, photo=action.photo)
    if action.kind is ActionKind.SET_LANGUAGE:
        assert action.value is not None, action
        return LanguageCallback(locale=Locale(action.value))
    if action.kind == _BUY_NOW:
        assert action.id is not None, action
        return CheckoutCallback(action=CheckoutAction.BUY_NOW, id=action.id)
    if action.kind == _CHECKOUT:
        return CheckoutCallback(action=CheckoutAction.CART)
    # SWITCH_INLINE_KINDS are not payloads: render.button_for builds those buttons without coming here.
    raise ValueError(f"no Telegram callback for {action.kind}")
