"""/terms described once for every platform: the legal disclosure in the buyer's language, then the free text;
and the pages a long text is sent in."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import pytest

from bots.common.legal import ShopTerms, pages, present_shop_terms, present_terms, terms_line
from bots.config import parse_settings
from bots.config_legal import LegalSection
from bots.i18n import Translator

METHODS: Final = ("BTC (Bitcoin)", "USDT (Ethereum)")
FULL: Final[dict[str, Any]] = {
    "seller_name": {"ja": "株式会社さくら雑貨", "en": "Sakura Goods K.K."},
    "representative": "佐藤 花子",
    "address": {"ja": "東京都渋谷区神宮前1-2-3", "en": "1-2-3 Jingumae, Shibuya, Tokyo"},
    "phone": "03-1234-5678",
    "email": "shop@example.com",
    "hours": {"ja": "平日 10:00〜18:00", "en": "Weekdays 10:00–18:00"},
    "extra_fees": {"ja": "送料 全国一律500円", "en": "Shipping: ¥500 anywhere in Japan"},
    "delivery": {"ja": "お支払い確認後3営業日以内に発送", "en": "Shipped within 3 business days of payment"},
    "returns": {"ja": "未使用品に限り到着後7日以内", "en": "Unused items within 7 days of arrival"},
}


def legal(**fields: Any) -> LegalSection:
    return LegalSection.model_validate(fields)


def show(translator: Translator, locale: str, section: LegalSection, *, terms: str = "",
         methods: tuple[str, ...] = METHODS) -> str:
    return present_terms(translator, locale, section, shop_name="Sakura Goods", terms=terms,
                         payment_method_labels=methods, payment_window_minutes=45)


def test_japanese_buyers_see_the_statutory_headings_in_order(translator: Translator) -> None:
    text = show(translator, "ja", legal(**FULL), terms="ギフト包装は無料です。")

    assert text.splitlines() == [
        "特定商取引法に基づく表記（Sakura Goods）",
        "",
        "販売業者：株式会社さくら雑貨",
        "運営統括責任者：佐藤 花子",
        "所在地：東京都渋谷区神宮前1-2-3",
        "電話番号：03-1234-5678",
        "メールアドレス：shop@example.com",
        "営業時間：平日 10:00〜18:00",
        "販売価格：各商品ページに税込価格で表示しています",
        "商品代金以外の必要料金：送料 全国一律500円",
        "お支払い方法：暗号資産（BTC (Bitcoin)、USDT (Ethereum)）",
        "お支払い時期：ご注文から45分以内（お支払い画面に期限を表示します）",
        "商品の引渡し時期：お支払い確認後3営業日以内に発送",
        "返品・交換・キャンセルについて：未使用品に限り到着後7日以内",
        "",
        "ギフト包装は無料です。",  # [shop] terms, after the disclosure
    ]


def test_english_buyers_see_plain_english_headings_and_the_english_texts(translator: Translator) -> None:
    text = show(translator, "en", legal(**FULL))

    assert text.startswith("Legal notice under Japan's Act on Specified Commercial Transactions (Sakura Goods)\n\n")
    for line in ("Seller: Sakura Goods K.K.", "Person in charge: 佐藤 花子", "Address: 1-2-3 Jingumae, Shibuya, Tokyo",
                 "Phone: 03-1234-5678", "Email: shop@example.com", "Prices: Shown on each product page, tax included",
                 "Payment methods: Cryptocurrency — BTC (Bitcoin) and USDT (Ethereum)",
                 "When to pay: Within 45 minutes of placing the order (the payment screen shows the deadline)",
                 "Returns, exchanges and cancellations: Unused items within 7 days of arrival"):
        assert line in text.splitlines()
    assert "株式会社" not in text


def test_a_text_written_in_one_language_is_shown_in_the_other(translator: Translator) -> None:
    text = show(translator, "en", legal(seller_name="佐藤 花子", returns={"ja": "返品不可"}))

    assert "Seller: 佐藤 花子" in text.splitlines() and "Returns, exchanges and cancellations: 返品不可" in text


@pytest.mark.parametrize(("locale", "promise"), [("ja", "請求があれば遅滞なく開示します"),
                                                 ("en", "Disclosed without delay on request")])
def test_an_individual_may_disclose_address_and_phone_on_request(translator: Translator, locale: str,
                                                                 promise: str) -> None:
    text = show(translator, locale, legal(seller_name="佐藤 花子", disclose_on_request=True, email="a@b.jp"))
    address, phone = (translator.text(locale, key) for key in ("legal.label.address", "legal.label.phone"))
    line = translator.text(locale, "legal.line", label=address, value=promise)

    assert line in text.splitlines()
    assert translator.text(locale, "legal.line", label=phone, value=promise) in text.splitlines()

    given = show(translator, locale, legal(disclose_on_request=True, phone="03-1234-5678"))
    assert translator.text(locale, "legal.line", label=phone, value="03-1234-5678") in given.splitlines()
    assert line in given.splitlines()  # the address, still not given, is still promised


def test_empty_optional_fields_are_left_out(translator: Translator) -> None:
    text = show(translator, "en", legal(seller_name="佐藤 花子"), methods=())

    assert text.splitlines()[2:] == [
        "Seller: 佐藤 花子",
        "Prices: Shown on each product page, tax included",
        "When to pay: Within 45 minutes of placing the order (the payment screen shows the deadline)",
    ]  # no method configured and none written: no payment methods line either


def test_written_payment_methods_due_and_prices_replace_the_defaults(translator: Translator) -> None:
    text = show(translator, "ja", legal(payment_methods="暗号資産（ビットコイン）のみ", payment_due="ご注文時",
                                        price_note="各商品ページに記載（消費税込み）"))

    lines = text.splitlines()
    assert "お支払い方法：暗号資産（ビットコイン）のみ" in lines and "お支払い時期：ご注文時" in lines
    assert "販売価格：各商品ページに記載（消費税込み）" in lines
    assert "BTC (Bitcoin)" not in text


def test_one_method_is_listed_alone(translator: Translator) -> None:
    assert "お支払い方法：暗号資産（USDT (Ethereum)）" in show(
        translator, "ja", legal(seller_name="x"), methods=("USDT (Ethereum)",)).splitlines()


def test_without_legal_the_free_text_is_shown_alone_and_without_either_the_empty_message(
        translator: Translator) -> None:
    assert show(translator, "ja", LegalSection(), terms="  返品: 到着後7日以内\n") == "返品: 到着後7日以内"
    assert show(translator, "en", LegalSection(), terms=" ") == translator.text("en", "terms.empty")


def test_shop_terms_are_read_from_bot_toml(translator: Translator, tmp_path: Path) -> None:
    settings = parse_settings('[shop]\nname = "S"\npayment_window_minutes = 20\nterms = "Free text"\n'
                              '[legal]\nseller_name = "佐藤 花子"\n', tmp_path, {})
    terms = ShopTerms.from_settings(settings, iter(METHODS))

    assert terms == ShopTerms("Free text", settings.legal, METHODS, 20)
    text = present_shop_terms(translator, "en", terms, shop_name="Sakura Goods")
    assert text == show(translator, "en", settings.legal, terms="Free text").replace("45 minutes", "20 minutes")
    assert present_shop_terms(translator, "en", ShopTerms(), shop_name="S") == translator.text("en", "terms.empty")


def test_the_checkout_line_points_at_terms(translator: Translator) -> None:
    assert terms_line(translator, "ja") == ("お支払いにより、特定商取引法に基づく表記・返品条件（/terms）に"
                                            "同意したものとみなされます。")
    assert "/terms" in terms_line(translator, "en") and terms_line(translator, "en").startswith("By paying")


def test_pages_break_between_lines_and_cut_only_a_line_too_long_alone() -> None:
    def fits(part: str) -> bool:
        return len(part) <= 10

    assert pages("short", fits) == ["short"]
    assert pages("line one\nline two\n\nthird", fits) == ["line one", "line two", "third"]
    assert pages("ab\ncd\n\nef", fits) == ["ab\ncd\n\nef"]
    assert pages("x" * 25 + "\nend", fits) == ["x" * 10, "x" * 10, "x" * 5 + "\nend"]
    assert pages("\n\n", fits) == []


def test_pages_measure_what_the_platform_sends() -> None:
    """Escaping makes text longer: `&` becomes `&amp;` in Telegram's HTML."""
    text = "&" * 30
    parts = pages(text, lambda part: len(part.replace("&", "&amp;")) <= 50)
    assert parts == ["&" * 10, "&" * 10, "&" * 10] and "".join(parts) == text
