"""The bill as buyers read it (checkout summary, order detail): every part, in their language."""

from __future__ import annotations

from decimal import Decimal

from bots.common.bill_view import bill_parts, present_bill
from bots.i18n import Translator
from commerce.bill import (
    CouponKind,
    Destination,
    Discount,
    Item,
    Pricing,
    ShippingRules,
    TaxMode,
    TaxRules,
    Zone,
    make_bill,
)

tr = Translator.load()
JAPAN = Pricing("JPY", TaxRules(TaxMode.INCLUSIVE, Decimal(10), {"食品": Decimal(8)}),
                ShippingRules((Zone("honshu", "本州", frozenset({"JP"}), fee_minor=600, free_over_minor=5000),)))
CART = [Item(1, "食品", True, 1080, 2, "抹茶"), Item(2, None, True, 3300, 1, "湯呑み")]


def test_the_readme_example_in_japanese_and_english() -> None:
    bill = make_bill(CART, JAPAN, destination=Destination("JP", "東京都"),
                     discount=Discount("SPRING10", CouponKind.PERCENT, percent=Decimal(10)))
    assert present_bill(tr, "ja", bill) == [
        "抹茶 ×2点：￥2,160 ※", "湯呑み ×1点：￥3,300", "", "小計：￥5,460", "割引（SPRING10）：−￥546",
        "送料（本州）：￥600", "", "合計：￥5,514", "10%対象 ￥3,570（内消費税 ￥324）",
        "8%対象 ￥1,944（内消費税 ￥144）", "※は軽減税率（8%）対象"]
    assert present_bill(tr, "en", bill)[3:8] == [
        "Subtotal: ¥5,460", "Discount (SPRING10): −¥546", "Shipping (本州): ¥600", "", "Total: ¥5,514"]


def test_free_shipping_and_tax_added_on_top() -> None:
    free = make_bill(CART * 2, JAPAN, destination=Destination("JP", "東京都"))
    assert "送料（本州）：無料" in present_bill(tr, "ja", free)
    usd = make_bill([Item(1, None, False, 1999, 1, "Guide")], Pricing("USD", TaxRules(TaxMode.EXCLUSIVE, Decimal(8))))
    assert present_bill(tr, "en", usd) == ["Guide × 1 — $19.99", "", "Subtotal: $19.99", "Tax 8% on $19.99: $1.59",
                                           "", "Total: $21.58"]


def test_a_shop_without_rules_shows_the_lines_and_the_total() -> None:
    bill = make_bill(CART, Pricing())
    assert present_bill(tr, "en", bill) == ["抹茶 × 2 — ¥2,160", "湯呑み × 1 — ¥3,300", "", "Total: ¥5,460"]


def test_the_parts_without_lines_or_total_for_the_staff_view() -> None:
    bill = make_bill(CART, JAPAN, destination=Destination("JP", "東京都"),
                     discount=Discount("SPRING10", CouponKind.PERCENT, percent=Decimal(10)))
    assert bill_parts(tr, "en", bill) == ["Subtotal: ¥5,460", "Discount (SPRING10): −¥546", "Shipping (本州): ¥600",
                                          "10% items ¥3,570 (incl. tax ¥324)", "8% items ¥1,944 (incl. tax ¥144)",
                                          "※ reduced tax rate (8%)"]
    assert bill_parts(tr, "en", make_bill(CART, Pricing())) == []
