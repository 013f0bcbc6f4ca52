"""Core DTOs → platform-neutral views, in the reader's language. Pure functions: no I/O, no chat framework."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from bots.common.bill_view import bill_text
from bots.common.card_rules import CardRules
from bots.common.views import (
    LANGUAGE_NAMES,
    Action,
    ActionKind,
    CartLineView,
    CartView,
    ListView,
    ManageCardText,
    MenuView,
    OrderButton,
    OrderButtonKind,
    OrderDetailView,
    OrderListView,
    OrderRows,
    OrdersView,
    ProductCardView,
    Rows,
)
from bots.i18n import Translator
from commerce.bill import TaxMode
from commerce.cart import CartDTO, CartLineDTO
from commerce.catalog import PHOTOS_MAX, CategoryDTO, Page, ProductDTO, ProductKind, VariantDTO
from commerce.money import Money, format_units
from commerce.orders import OrderDetailDTO, OrderDTO
from commerce.privacy import ShippingAddress
from commerce.reviews import REVIEWABLE
from commerce.status import OrderStatus

DESCRIPTION_PREVIEW: Final = 600  # a card is a glance; it must also fit a photo caption later
MANAGE_DESCRIPTION_PREVIEW: Final = 300  # on the seller's manage card, below the facts and variants
LABEL_MAX: Final = 40  # button labels longer than this get cut off on phones anyway
SHARE_QUERY_MAX: Final = 256  # Telegram's inline query limit


def shorten(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def label(text: str, limit: int = LABEL_MAX) -> str:
    """Button text: one line, short."""
    return shorten(" ".join(text.split()), limit)


def present_menu(tr: Translator, locale: str, *, shop_name: str) -> MenuView:
    def button(kind: ActionKind, key: str) -> Action:
        return Action(kind, tr.text(locale, key))

    return MenuView(tr.text(locale, "start.greeting", shop=shop_name), (
        (button(ActionKind.BROWSE, "menu.browse"), button(ActionKind.SEARCH, "menu.search")),
        (button(ActionKind.CART, "menu.cart"), button(ActionKind.ORDERS, "menu.orders")),
        (button(ActionKind.HELP, "menu.help"), button(ActionKind.LANGUAGE, "menu.language")),
    ))


def present_language_choice(tr: Translator, locale: str) -> MenuView:
    choices = tuple(Action(ActionKind.SET_LANGUAGE, name, value=code) for code, name in LANGUAGE_NAMES.items())
    return MenuView(tr.text(locale, "language.choose"), (choices,))


def present_categories(tr: Translator, locale: str, categories: Sequence[CategoryDTO]) -> ListView:
    rows = tuple((Action(ActionKind.PRODUCTS, label(c.name), category_id=c.id),) for c in categories)
    every = (Action(ActionKind.PRODUCTS, tr.text(locale, "browse.all")),)
    return ListView(tr.text(locale, "browse.categories"), None, (*rows, every))


def present_product_list(tr: Translator, locale: str, page: Page[ProductDTO], *,
                         category_id: int | None) -> ListView:
    back = (Action(ActionKind.CATEGORIES, tr.text(locale, "button.back")),)
    if not page.items:
        return ListView(tr.text(locale, "browse.empty"), None, (back,))
    items = tuple((_product_button(tr, locale, p, category_id=category_id, page=page.page),) for p in page.items)
    nav = []
    if page.page > 0:
        nav.append(Action(ActionKind.PRODUCTS, tr.text(locale, "button.prev"), category_id=category_id,
                          page=page.page - 1))
    if page.has_next:
        nav.append(Action(ActionKind.PRODUCTS, tr.text(locale, "button.next"), category_id=category_id,
                          page=page.page + 1))
    footer = tr.text(locale, "browse.page", page=page.page + 1, pages=page.pages)
    return ListView(tr.text(locale, "menu.browse"), footer, (*items, *((tuple(nav),) if nav else ()), back))


def present_search_results(tr: Translator, locale: str, page: Page[ProductDTO]) -> ListView:
    if not page.items:
        return ListView(tr.text(locale, "browse.empty"), None, ())
    items = tuple((_product_button(tr, locale, p, category_id=None, page=0),) for p in page.items)
    return ListView(tr.text(locale, "menu.search"), None, items)


def _product_button(tr: Translator, locale: str, product: ProductDTO, *, category_id: int | None,
                    page: int) -> Action:
    price = tr.text(locale, "product.sold_out") if product.stock <= 0 else tr.money(locale, product.price_from)
    return Action(ActionKind.PRODUCT, f"{label(product.title)} · {price}", id=product.id,
                  category_id=category_id, page=page)


def present_product_card(tr: Translator, locale: str, product: ProductDTO, rules: CardRules, *,
                         category_id: int | None = None, page: int = 0, photo: int = 0) -> ProductCardView:
    """The card; Back returns to the list page it was opened from (every product, for a shared link).

    `rules` say how the price is taxed (総額表示: "(tax incl.)" when prices include it) and what shipping
    costs (`card_rules(shop)`). `photo` is the gallery position to show; one past the photos there are is
    shown as the first (the front-end refuses a forged position before asking for the card).
    """
    sold_out = product.stock <= 0
    buyable = [v for v in product.variants if not v.sold_out]
    if len(product.variants) == 1:
        choices = tuple(Action(ActionKind.ADD_TO_CART, tr.text(locale, "button.add_to_cart"), id=v.id)
                        for v in buyable)
    else:
        choices = tuple(Action(ActionKind.ADD_TO_CART, _variant_label(tr, locale, v), id=v.id) for v in buyable)
    buy_now = tr.text(locale, "button.buy_now")
    rows: Rows = tuple((choice, Action(ActionKind.BUY_NOW, buy_now, id=choice.id)) for choice in choices)
    photo = photo if 0 <= photo < len(product.photos) else 0
    gallery = _gallery(product, photo, category_id=category_id, page=page)
    if gallery:
        rows = (*rows, gallery)
    extras = [Action(ActionKind.SHARE, tr.text(locale, "button.share"), id=product.id,
                     value=label(product.title, SHARE_QUERY_MAX))]
    if product.review_count:
        extras.append(Action(ActionKind.REVIEWS, tr.text(locale, "button.reviews"), id=product.id))
    back = Action(ActionKind.PRODUCTS, tr.text(locale, "button.back"), category_id=category_id, page=page)
    rating = (tr.text(locale, "product.rating", rating=product.rating, count=product.review_count)
              if product.rating is not None and product.review_count else None)
    return ProductCardView(
        product_id=product.id, title=product.title, description=shorten(product.description, DESCRIPTION_PREVIEW),
        price=tr.text(locale, PRICE_KEYS[rules.tax_mode], price=tr.money(locale, product.price_from)),
        shipping=shipping_line(tr, locale, product, rules),
        availability=tr.text(locale, "product.sold_out") if sold_out
        else tr.text(locale, "product.stock", stock=product.stock),
        sold_out=sold_out, rating=rating, photos=product.photos, variant_choices=choices,
        rows=(*rows, tuple(extras), (back,)), photo_index=photo, gallery=gallery)


PRICE_KEYS: Final = {TaxMode.NONE: "product.price", TaxMode.INCLUSIVE: "card.price.tax_included",
                     TaxMode.EXCLUSIVE: "card.price.tax_excluded"}


def shipping_line(tr: Translator, locale: str, product: ProductDTO, rules: CardRules) -> str | None:
    """What shipping costs, in one short line, to the shop's home zone (the first in bot.toml); None when the
    shop has no shipping rules."""
    shipping, home = rules.shipping, rules.shipping.home
    if home is None:
        return None
    if product.kind is ProductKind.DIGITAL:
        return tr.text(locale, "card.shipping.digital")
    category = rules.category_of(product)
    if product.id in home.no_ship_products or (category is not None and category in home.no_ship_categories):
        return tr.text(locale, "card.shipping.not_to_zone", zone=home.name)
    if shipping.ships_free(product.id, category) or (home.fee_minor <= 0 and home.per_item_minor <= 0) \
            or (home.free_over_minor is not None and home.free_over_minor <= 0):
        return tr.text(locale, "card.shipping.free")

    def money(minor: int) -> str:
        return tr.money(locale, Money.from_minor(minor, rules.currency))

    if not home.per_item_minor:
        fee = tr.text(locale, "card.shipping.fee", fee=money(home.fee_minor))
    elif not home.fee_minor:
        fee = tr.text(locale, "card.shipping.per_item", per_item=money(home.per_item_minor))
    else:
        fee = tr.text(locale, "card.shipping.fee_per_item", fee=money(home.fee_minor),
                      per_item=money(home.per_item_minor))
    if home.free_over_minor is None:
        return fee
    return tr.text(locale, "card.shipping.free_over", shipping=fee, threshold=money(home.free_over_minor))


def _gallery(product: ProductDTO, shown: int, *, category_id: int | None, page: int) -> tuple[Action, ...]:
    """◀ 2/3 ▶, going round at either end; the middle shows the same photo again (a refresh)."""
    count = len(product.photos)
    if count < 2:
        return ()

    def to(position: int, text: str) -> Action:
        return Action(ActionKind.PRODUCT, text, id=product.id, category_id=category_id, page=page,
                      photo=position % count)

    return (to(shown - 1, "◀"), to(shown, f"{shown + 1}/{count}"), to(shown + 1, "▶"))


def variant_name(variant: VariantDTO) -> str:
    """What a variant is called to a person: its options ("S / Red"), else its SKU."""
    return variant.label or variant.sku


def present_manage_card(tr: Translator, locale: str, product: ProductDTO, category: str | None) -> ManageCardText:
    """The seller's card for one of their products (`category`: its name, None when it has none)."""
    t = tr.text
    digital = product.kind is ProductKind.DIGITAL
    facts = (t(locale, "sell.edit.visible" if product.visible else "sell.edit.hidden"),
             t(locale, "sell.kind.digital" if digital else "sell.kind.physical"),
             t(locale, "sell.summary.category", category=category or t(locale, "sell.summary.no_category")),
             t(locale, "sell.edit.photos", count=len(product.photos), limit=PHOTOS_MAX))
    variants = tuple(t(locale, "sell.edit.variant_line", name=variant_name(v), price=tr.money(locale, v.price),
                       stock=v.stock) for v in product.variants)
    description = shorten(product.description, MANAGE_DESCRIPTION_PREVIEW) if product.description else None
    return ManageCardText(t(locale, "sell.edit.card_heading", id=product.id, title=product.title), facts, variants,
                          description)


def chosen_variant(product: ProductDTO, variant_id: int | None) -> VariantDTO | None:
    """The variant a button named, or the only one; None when the person must still pick one."""
    variant = next((v for v in product.variants if v.id == variant_id), None)
    if variant is None and len(product.variants) == 1:
        [variant] = product.variants
    return variant


def _variant_label(tr: Translator, locale: str, variant: VariantDTO) -> str:
    name = label(variant_name(variant), LABEL_MAX - 12)
    return f"{name} · {tr.money(locale, variant.price)}"


def present_cart(tr: Translator, locale: str, cart: CartDTO) -> CartView:
    if cart.is_empty:
        return CartView(tr.text(locale, "cart.empty"), (), None, ())
    lines = tuple(_cart_line(tr, locale, number, line) for number, line in enumerate(cart.lines, start=1))
    remove = tr.text(locale, "button.remove")
    rows: Rows = tuple((Action(ActionKind.CART_SET_QUANTITY, "−", id=line.variant_id, quantity=line.quantity - 1),
                        Action(ActionKind.CART_REMOVE, f"{number}. {remove}", id=line.variant_id),
                        Action(ActionKind.CART_SET_QUANTITY, "+", id=line.variant_id, quantity=line.quantity + 1))
                       for number, line in enumerate(cart.lines, start=1))
    if any(line.available for line in cart.lines):
        rows = (*rows, (Action(ActionKind.CHECKOUT, tr.text(locale, "button.checkout")),))
    total = tr.text(locale, "cart.total", total=tr.money(locale, cart.total))
    return CartView(tr.text(locale, "cart.title"), lines, total, rows)


def _cart_line(tr: Translator, locale: str, number: int, line: CartLineDTO) -> CartLineView:
    options = " / ".join(value for _, value in line.options)
    title = f"{line.title} ({options})" if options else line.title
    text = tr.text(locale, "cart.line", title=title, quantity=line.quantity, total=tr.money(locale, line.line_total))
    if not line.available:
        text = f"{text} — {tr.text(locale, 'product.sold_out')}"
    return CartLineView(number, f"{number}. {text}", line.available)


def present_orders(tr: Translator, locale: str, orders: Sequence[OrderDTO]) -> OrdersView:
    if not orders:
        return OrdersView(tr.text(locale, "orders.empty"), ())
    return OrdersView(tr.text(locale, "orders.title"), tuple(
        tr.text(locale, "order.line", id=order.id, status=tr.status(locale, order.status),
                total=tr.money(locale, order.total)) for order in orders))


def present_added(tr: Translator, locale: str, cart: CartDTO, variant_id: int) -> str:
    """The short notice after "add to cart" (a toast on Telegram, an ephemeral line on Discord)."""
    title = next((line.title for line in cart.lines if line.variant_id == variant_id), "")
    return tr.text(locale, "cart.added", title=label(title))


ORDERS_PAGE_SIZE: Final = 8
DETAIL_LINES_SHOWN: Final = 15  # a detail must fit one chat message (Telegram: 4,096 characters)
DIGITAL_ITEMS_SHOWN: Final = 10
DIGITAL_ITEM_MAX: Final = 200
STREET_SHOWN: Final = 4  # characters of the street line: enough to recognise it, not enough to read it out


def present_order_list(tr: Translator, locale: str, orders: Sequence[OrderDTO], *, page: int,
                       has_next: bool) -> OrderListView:
    """A page of the buyer's orders (newest first), each a button that opens its detail."""
    if not orders and page == 0:
        return OrderListView(tr.text(locale, "orders.empty"), None, None, ())
    rows: list[tuple[OrderButton, ...]] = [(OrderButton(
        OrderButtonKind.DETAIL, label(tr.text(locale, "orders.button", id=order.id,
                                              status=tr.status(locale, order.status),
                                              total=tr.money(locale, order.total)), LABEL_MAX + 20),
        order_id=order.id, page=page),) for order in orders]
    nav = []
    if page > 0:
        nav.append(OrderButton(OrderButtonKind.LIST, tr.text(locale, "button.prev"), page=page - 1))
    if has_next:
        nav.append(OrderButton(OrderButtonKind.LIST, tr.text(locale, "button.next"), page=page + 1))
    if nav:
        rows.append(tuple(nav))
    footer = tr.text(locale, "orders.page", page=page + 1) if page > 0 or has_next else None
    return OrderListView(tr.text(locale, "orders.title"), tr.text(locale, "orders.hint"), footer, tuple(rows))


def present_order_detail(tr: Translator, locale: str, detail: OrderDetailDTO, *, page: int = 0,
                         method_names: Mapping[str, str] | None = None) -> OrderDetailView:
    """One order as its buyer sees it, with the buttons its status allows; Back returns to list page `page`.

    `method_names` names payment methods by id ("USDT (Ethereum)"); an unknown one is shown by its asset.
    """
    order = detail.order
    bill = bill_text(tr, locale, order.bill)  # the bill frozen at checkout, itemised as at checkout
    lines = list(bill.lines[:DETAIL_LINES_SHOWN])
    if len(bill.lines) > DETAIL_LINES_SHOWN:
        lines.append(tr.text(locale, "orders.detail.more_lines", count=len(bill.lines) - DETAIL_LINES_SHOWN))
    facts = [tr.text(locale, "orders.detail.status", status=tr.status(locale, order.status)),
             tr.text(locale, "orders.detail.created", when=tr.datetime(locale, order.created_at))]
    if order.status is OrderStatus.AWAITING_PAYMENT:
        facts.append(tr.text(locale, "orders.detail.pay_by", when=tr.datetime(locale, order.expires_at)))
    if order.paid_at is not None:
        facts.append(tr.text(locale, "orders.detail.paid", when=tr.datetime(locale, order.paid_at)))
    if detail.payment is not None:
        payment = detail.payment
        facts.append(tr.text(locale, "orders.detail.payment", amount=format_units(payment.amount_units,
                                                                                   payment.decimals),
                             asset=payment.asset, method=(method_names or {}).get(payment.method_id, payment.asset)))
    if order.tracking:
        facts.append(tr.text(locale, "orders.detail.tracking", tracking=order.tracking))
    address: tuple[str, ...] = ()
    if detail.address is not None:
        address = (tr.text(locale, "checkout.ship_to"), *_partial_address(detail.address))
    items = tuple((shorten(item.title, LABEL_MAX * 2), shorten(item.content, DIGITAL_ITEM_MAX))
                  for item in detail.delivered[:DIGITAL_ITEMS_SHOWN])
    return OrderDetailView(
        order_id=order.id, heading=tr.text(locale, "orders.detail.heading", id=order.id), lines=tuple(lines),
        total=bill.total, facts=tuple(facts), address=address,
        items_heading=tr.text(locale, "orders.detail.items") if items else None, digital_items=items,
        rows=_order_buttons(tr, locale, order, page), bill=bill.parts, tax_notes=bill.notes)


def _partial_address(address: ShippingAddress) -> tuple[str, ...]:
    """Enough for the buyer to recognise where it goes, without their street and phone on the screen."""
    place = f"{address.postal_code} {address.region} {address.city}".strip()
    street = address.line1[:STREET_SHOWN] + "…" if len(address.line1) > STREET_SHOWN else address.line1
    return tuple(part for part in (address.name, place, street) if part)


def _order_buttons(tr: Translator, locale: str, order: OrderDTO, page: int) -> OrderRows:
    def button(kind: OrderButtonKind, key: str) -> OrderButton:
        return OrderButton(kind, tr.text(locale, key), order_id=order.id, page=page)

    rows: list[tuple[OrderButton, ...]] = []
    if order.status is OrderStatus.AWAITING_PAYMENT:
        rows.append((button(OrderButtonKind.SHOW_PAYMENT, "orders.button.show_payment"),
                     button(OrderButtonKind.CANCEL, "button.cancel_order")))
    if order.status.is_settled:
        rows.append((button(OrderButtonKind.RECEIPT, "receipt.button"),))
    if order.status in REVIEWABLE:
        rows.append((button(OrderButtonKind.REVIEW, "review.button"),))
    rows.append((button(OrderButtonKind.SUPPORT, "orders.button.support"),
                 OrderButton(OrderButtonKind.LIST, tr.text(locale, "button.back"), page=page)))
    return tuple(rows)
