"""The platform-neutral views: plain text (each platform escapes), ids in actions, never prices."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bots.common.card_rules import NO_RULES, CardRules
from bots.common.presenters import present_cart, present_orders, present_product_card
from bots.common.views import ActionKind
from bots.i18n import Translator
from bots.telegram.deep_links import product_id_in, product_link, referral_in, start_payload
from commerce.bill import Bill, Pricing, ShippingRules, TaxMode, TaxRules, Zone
from commerce.cart import CartDTO, CartLineDTO
from commerce.catalog import ProductDTO, ProductKind, VariantDTO
from commerce.money import Money
from commerce.orders import OrderDTO
from commerce.status import OrderStatus


def yen(amount: int) -> Money:
    return Money(Decimal(amount), "JPY")


def product(*variants: VariantDTO, description: str = "", rating: str | None = None, reviews: int = 0,
            kind: ProductKind = ProductKind.PHYSICAL, category_id: int | None = None) -> ProductDTO:
    return ProductDTO(7, "<Tea & Co>", description, kind, True, category_id, None, ("photo-1",),
                      variants, Decimal(rating) if rating else None, reviews)


def test_a_card_is_plain_text_with_a_rating_and_a_short_description(translator: Translator) -> None:
    card = present_product_card(translator, "ja", product(VariantDTO(11, "P7-1", (), yen(1200), 3),
                                                          description="x" * 5000, rating="4.5", reviews=2), NO_RULES)
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
    assert card.shipping is None  # a shop without shipping rules says nothing about shipping, as before


def test_a_card_without_reviews_shows_no_rating(translator: Translator) -> None:
    card = present_product_card(translator, "en", product(VariantDTO(11, "P7-1", (), yen(1200), 0)), NO_RULES)
    assert card.rating is None and card.sold_out and card.variant_choices == ()
    assert card.availability == translator.text("en", "product.sold_out")


HONSHU = Zone("honshu", "本州", frozenset({"JP"}), fee_minor=600, free_over_minor=5000)
OKINAWA = Zone("okinawa", "沖縄", frozenset({"JP"}), frozenset({"沖縄県"}), fee_minor=1500)


def rules(mode: TaxMode = TaxMode.INCLUSIVE, *zones: Zone, categories: tuple[tuple[int, str], ...] = (),
          free_products: frozenset[int] = frozenset(), free_categories: frozenset[str] = frozenset()) -> CardRules:
    pricing = Pricing("JPY", TaxRules(mode, Decimal(10)), ShippingRules(zones, free_products, free_categories))
    return CardRules.of(pricing, categories)


@pytest.mark.parametrize(("mode", "ja", "en"), [
    (TaxMode.INCLUSIVE, "価格：￥1,100（税込）", "Price: ¥1,100 (tax incl.)"),
    (TaxMode.EXCLUSIVE, "価格：￥1,100（税抜）", "Price: ¥1,100 + tax"),
    (TaxMode.NONE, "価格：￥1,100", "Price: ¥1,100"),
])
def test_the_price_says_whether_tax_is_included(translator: Translator, mode: TaxMode, ja: str, en: str) -> None:
    tea = product(VariantDTO(11, "P7-1", (), yen(1100), 3))
    assert present_product_card(translator, "ja", tea, rules(mode)).price == ja
    assert present_product_card(translator, "en", tea, rules(mode)).price == en


def test_the_shipping_line_quotes_the_home_zone_and_its_free_over_threshold(translator: Translator) -> None:
    tea = product(VariantDTO(11, "P7-1", (), yen(1100), 3))
    shop = rules(TaxMode.INCLUSIVE, HONSHU, OKINAWA)  # the first zone is the one cards quote
    assert present_product_card(translator, "ja", tea, shop).shipping == "送料 ￥600 · ￥5,000以上で無料"
    assert present_product_card(translator, "en", tea, shop).shipping == "Shipping ¥600 · free over ¥5,000"


def test_the_shipping_line_without_a_threshold_and_with_a_fee_per_item(translator: Translator) -> None:
    tea = product(VariantDTO(11, "P7-1", (), yen(1100), 3))
    flat = Zone("jp", "国内", frozenset({"JP"}), fee_minor=800)
    per_item = Zone("jp", "国内", frozenset({"JP"}), fee_minor=500, per_item_minor=100, free_over_minor=8000)
    only_per_item = Zone("jp", "国内", frozenset({"JP"}), per_item_minor=250)
    assert present_product_card(translator, "en", tea, rules(TaxMode.NONE, flat)).shipping == "Shipping ¥800"
    assert present_product_card(translator, "ja", tea, rules(TaxMode.NONE, per_item)).shipping == \
        "送料 ￥500＋1点につき￥100 · ￥8,000以上で無料"
    assert present_product_card(translator, "en", tea, rules(TaxMode.NONE, only_per_item)).shipping == \
        "Shipping ¥250 per item"


def test_a_product_or_category_that_ships_free_says_so(translator: Translator) -> None:
    tea = product(VariantDTO(11, "P7-1", (), yen(1100), 3), category_id=3)
    by_product = rules(TaxMode.INCLUSIVE, HONSHU, free_products=frozenset({7}))
    by_category = rules(TaxMode.INCLUSIVE, HONSHU, categories=((2, "本"), (3, "お茶")),
                        free_categories=frozenset({"お茶"}))
    other_category = rules(TaxMode.INCLUSIVE, HONSHU, categories=((2, "本"), (3, "お茶")),
                           free_categories=frozenset({"本"}))
    assert present_product_card(translator, "ja", tea, by_product).shipping == "送料無料"
    assert present_product_card(translator, "en", tea, by_category).shipping == "Free shipping"
    assert present_product_card(translator, "en", tea, other_category).shipping == "Shipping ¥600 · free over ¥5,000"
    assert by_category.categories == ((3, "お茶"),)  # only the names the rules use are kept


def test_a_digital_product_has_no_shipping(translator: Translator) -> None:
    ebook = product(VariantDTO(11, "P7-1", (), yen(800), 3), kind=ProductKind.DIGITAL)
    assert present_product_card(translator, "ja", ebook, rules(TaxMode.INCLUSIVE, HONSHU)).shipping == \
        "デジタル商品：送料なし"
    assert present_product_card(translator, "en", ebook, rules(TaxMode.INCLUSIVE, HONSHU)).shipping == \
        "Digital: no shipping"
    assert present_product_card(translator, "en", ebook, rules(TaxMode.INCLUSIVE)).shipping is None  # no rules


def test_a_product_the_home_zone_does_not_take_says_so(translator: Translator) -> None:
    knife = product(VariantDTO(11, "P7-1", (), yen(8000), 3), category_id=4)
    home = Zone("honshu", "本州", frozenset({"JP"}), fee_minor=600, no_ship_categories=frozenset({"刃物"}))
    card = present_product_card(translator, "en", knife, rules(TaxMode.INCLUSIVE, home, categories=((4, "刃物"),)))
    assert card.shipping == "Doesn't ship to 本州"


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
    bill = Bill((), 900, 0, None, 0, None, None, TaxMode.NONE, (), 900)
    order = OrderDTO(5, 1, OrderStatus.SHIPPED, yen(900), (), True, now, now, now, "TRACK", None, bill)
    view = present_orders(translator, "ja", [order])
    assert view.lines == (translator.text("ja", "order.line", id=5, status="発送済み", total="￥900"),)


def test_start_payloads() -> None:
    assert start_payload("/start p_12") == "p_12" and start_payload("/start@shop_bot r_ab12") == "r_ab12"
    assert start_payload("/start") is None and start_payload("/startx p_1") is None
    assert product_id_in("p_12") == 12
    assert product_id_in("p_0") is None and product_id_in("p_99999999999") is None and product_id_in("p_1x") is None
    assert referral_in("r_ab12CD") == "ab12CD" and referral_in("r_") is None and referral_in("r_a;b") is None
    assert product_link("shop_bot", 12) == "https://t.me/shop_bot?start=p_12"
