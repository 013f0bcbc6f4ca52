"""The platform-neutral views: plain text (each platform escapes), ids in actions, never prices."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bots.common.presenters import present_cart, present_orders, present_product_card
from bots.common.views import ActionKind
from bots.i18n import Translator
from bots.telegram.deep_links import product_id_in, product_link, referral_in, start_payload
from commerce.bill import Pricing, make_bill
from commerce.cart import CartDTO, CartLineDTO
from commerce.catalog import ProductDTO, ProductKind, VariantDTO
from commerce.money import Money
from commerce.orders import OrderDTO
from commerce.status import OrderStatus


def yen(amount: int) -> Money:
    return Money(Decimal(amount), "JPY")


def product(*variants: VariantDTO, description: str = "", rating: str | None = None, reviews: int = 0) -> ProductDTO:
    return ProductDTO(7, "<Tea & Co>", description, ProductKind.PHYSICAL, True, None, None, ("photo-1",),
                      variants, Decimal(rating) if rating else None, reviews)


def test_a_card_is_plain_text_with_a_rating_and_a_short_description(translator: Translator) -> None:
    card = present_product_card(translator, "ja", product(VariantDTO(11, "P7-1", (), yen(1200), 3),
                                                          description="x" * 5000, rating="4.5", reviews=2))
    assert card.title == "<Tea & Co>"  # escaping is the platform's job
    assert card.price == translator.text("ja", "product.price", price="￥1,200")
    assert card.rating == translator.text("ja", "product.rating", rating="4.5", count=2)
    assert len(card.description) == 600 and card.description.endswith("…")
    assert card.photos == ("photo-1",)
    [add] = card.variant_choices
    assert (add.kind, add.id) == (ActionKind.ADD_TO_CART, 11)
    assert [[a.kind for a in row] for row in card.rows] == [[ActionKind.ADD_TO_CART, ActionKind.BUY_NOW],
                                                            [ActionKind.SHARE, ActionKind.REVIEWS],
                                                            [ActionKind.PRODUCTS]]
    assert card.gallery == () and card.photo == "photo-1"  # one photo: nothing to page through


def test_a_card_without_reviews_shows_no_rating(translator: Translator) -> None:
    card = present_product_card(translator, "en", product(VariantDTO(11, "P7-1", (), yen(1200), 0)))
    assert card.rating is None and card.sold_out and card.variant_choices == ()
    assert card.availability == translator.text("en", "product.sold_out")


def test_cart_buttons_ask_for_a_quantity_not_a_step(translator: Translator) -> None:
    line = CartLineDTO(11, 7, "Tea", (("size", "L"),), ProductKind.PHYSICAL, yen(500), 3, 10, True)
    view = present_cart(translator, "en", CartDTO(1, (line,), "JPY"))
    [(minus, remove, plus), (checkout,)] = view.rows
    assert (minus.quantity, plus.quantity, remove.kind) == (2, 4, ActionKind.CART_REMOVE)
    assert checkout.kind is ActionKind.CHECKOUT
    assert view.lines[0].text == "1. " + translator.text("en", "cart.line", title="Tea (L)", quantity=3,
                                                         total="¥1,500")


def test_orders_show_the_status_in_words(translator: Translator) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    order = OrderDTO(5, 1, OrderStatus.SHIPPED, yen(900), (), True, now, now, now, "TRACK", None,
                     make_bill([], Pricing()))
    view = present_orders(translator, "ja", [order])
    assert view.lines == (translator.text("ja", "order.line", id=5, status="発送済み", total="￥900"),)


def test_start_payloads() -> None:
    assert start_payload("/start p_12") == "p_12" and start_payload("/start@shop_bot r_ab12") == "r_ab12"
    assert start_payload("/start") is None and start_payload("/startx p_1") is None
    assert product_id_in("p_12") == 12
    assert product_id_in("p_0") is None and product_id_in("p_99999999999") is None and product_id_in("p_1x") is None
    assert referral_in("r_ab12CD") == "ab12CD" and referral_in("r_") is None and referral_in("r_a;b") is None
    assert product_link("shop_bot", 12) == "https://t.me/shop_bot?start=p_12"
