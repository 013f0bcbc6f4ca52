"""Platform-neutral descriptions of what a buyer sees: plain (unescaped) text plus the actions on offer.

Each chat platform renders these once (Telegram: HTML + inline keyboard; Discord: embed + view) and
escapes every string on the way out, so nothing here is markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, TypeAlias

# Language names are shown in their own language whatever the reader's locale, so they are not translated.
LANGUAGE_NAMES: Final[dict[str, str]] = {"ja": "日本語", "en": "English"}


class ActionKind(StrEnum):
    BROWSE = "browse"
    SEARCH = "search"
    CART = "cart"
    ORDERS = "orders"
    HELP = "help"
    LANGUAGE = "language"
    SET_LANGUAGE = "set_language"  # value: the locale
    CATEGORIES = "categories"
    PRODUCTS = "products"  # category_id (None: every product), page
    PRODUCT = "product"  # id: product, photo: which photo of its gallery; category_id, page: the list to go back to
    ADD_TO_CART = "add_to_cart"  # id: variant
    # "−" and "+" carry the quantity the buyer asks for, not a step: a double tap can't count twice
    CART_SET_QUANTITY = "cart_set_quantity"  # id: variant, quantity (0 removes)
    CART_REMOVE = "cart_remove"  # id: variant
    BUY_NOW = "buy_now"  # id: variant — one of it, straight to checkout, the cart left alone
    CHECKOUT = "checkout"  # the cart's contents
    # Not a round trip to the bot on every platform: Telegram opens its inline picker pre-filled, Discord may
    # post the card into a channel. value: what to search for (the title)
    SHARE = "share"  # id: product, value: the share query
    REVIEWS = "reviews"  # id: product


@dataclass(frozen=True, slots=True)
class Action:
    """A button: what it says and which ids it carries. Never prices or stock — those are re-read on press."""

    kind: ActionKind
    label: str
    id: int | None = None
    category_id: int | None = None
    page: int = 0
    quantity: int = 0
    value: str | None = None
    photo: int = 0  # PRODUCT: the gallery position to show (0: the first photo)


Rows: TypeAlias = tuple[tuple[Action, ...], ...]


@dataclass(frozen=True, slots=True)
class MenuView:
    text: str
    rows: Rows


@dataclass(frozen=True, slots=True)
class ListView:
    """Categories, a page of products or search results."""

    heading: str
    footer: str | None
    rows: Rows


@dataclass(frozen=True, slots=True)
class ProductCardView:
    product_id: int
    title: str
    description: str
    price: str  # with "(tax incl.)" / "+ tax" when the shop charges tax
    availability: str  # the stock, or "sold out"
    sold_out: bool
    rating: str | None
    photos: tuple[str, ...]
    variant_choices: tuple[Action, ...]  # one "add to cart" per buyable variant
    rows: Rows  # every action, laid out: variant choices, gallery, share and reviews, then back
    photo_index: int = 0  # which of `photos` the card shows
    gallery: tuple[Action, ...] = ()  # previous, "position/count", next — only with several photos
    shipping: str | None = None  # one short line ("Shipping ¥600 · free over ¥5,000"); None: no shipping rules

    @property
    def photo(self) -> str | None:
        """The media reference the card shows, or None for a text-only card."""
        return self.photos[self.photo_index] if self.photos else None


@dataclass(frozen=True, slots=True)
class CartLineView:
    number: int
    text: str
    available: bool


@dataclass(frozen=True, slots=True)
class CartView:
    heading: str
    lines: tuple[CartLineView, ...]
    total: str | None  # None when the cart is empty
    rows: Rows


@dataclass(frozen=True, slots=True)
class OrdersView:
    heading: str
    lines: tuple[str, ...]


class OrderButtonKind(StrEnum):
    """The buttons of the buyer's order list and order detail (each platform gives them its own payloads)."""

    LIST = "list"  # page
    DETAIL = "detail"  # order_id, page: the list page to go back to
    SHOW_PAYMENT = "show_payment"  # order_id
    CANCEL = "cancel"  # order_id
    REVIEW = "review"  # order_id
    SUPPORT = "support"  # order_id
    RECEIPT = "receipt"  # order_id: the receipt (or qualified invoice) of a paid order, as PNG and PDF


@dataclass(frozen=True, slots=True)
class OrderButton:
    kind: OrderButtonKind
    label: str
    order_id: int | None = None
    page: int = 0


OrderRows: TypeAlias = tuple[tuple[OrderButton, ...], ...]


@dataclass(frozen=True, slots=True)
class OrderListView:
    """A page of the buyer's orders, one button each ("#12 · Paid · ¥3,000"); empty rows: no orders at all."""

    heading: str
    hint: str | None
    footer: str | None
    rows: OrderRows


@dataclass(frozen=True, slots=True)
class OrderDetailView:
    order_id: int
    heading: str
    lines: tuple[str, ...]  # one per order line: title (with options), quantity, line total
    total: str
    facts: tuple[str, ...]  # status, times, payment, tracking
    address: tuple[str, ...]  # "Ship to:" and a partial address; empty for digital orders
    items_heading: str | None
    digital_items: tuple[tuple[str, str], ...]  # (title, key or code): shown as copyable code
    rows: OrderRows
    bill: tuple[str, ...] = ()  # between the lines and the total: subtotal, discount, shipping, tax added
    tax_notes: tuple[str, ...] = ()  # under the total: tax included per rate, the reduced-rate mark


@dataclass(frozen=True, slots=True)
class ManageCardText:
    """A product as its seller manages it: what each platform shows above its buttons."""

    heading: str
    facts: tuple[str, ...]  # visibility, kind, category, photos
    variants: tuple[str, ...]  # one line each: name, price, stock
    description: str | None  # shortened
