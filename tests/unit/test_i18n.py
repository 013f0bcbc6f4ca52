"""The message catalogs: complete in both languages, placeholders in step, every core code covered."""

from __future__ import annotations

import importlib
import pkgutil
import re
import string
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

import commerce
import payments
from bots.i18n import LOCALES_DIR, SUPPORTED, Translator, catalog_files
from commerce.errors import CommerceError, IllegalTransition, InvalidInput, InvalidQuantity, NotFound, OutOfStock
from commerce.money import Money
from commerce.status import OrderStatus

ROOT = Path(__file__).resolve().parents[2]

# Keys whose Japanese text is the same as the English one on purpose.
INTENTIONALLY_IDENTICAL = frozenset({"field.sku"})
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff60]")


def raw_catalog(locale: str) -> Catalog:
    """Every .po file of the locale merged into one catalog (for checks on the raw entries)."""
    merged = Catalog(locale=locale)
    for path in catalog_files(locale):
        with path.open("rb") as po:
            for message in read_po(po, locale=locale):
                if message.id:
                    merged[message.id] = message
    return merged


def test_every_locale_splits_its_messages_into_the_same_files() -> None:
    names = {locale: [p.name for p in catalog_files(locale)] for locale in SUPPORTED}
    assert names["ja"] == names["en"] and "chatshop.po" in names["en"]


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@pytest.fixture(scope="module")
def tr() -> Translator:
    return Translator.load()


@pytest.fixture(scope="module")
def catalogs(tr: Translator) -> dict[str, dict[str, str]]:
    return {locale: dict(tr.catalogs[locale]) for locale in SUPPORTED}


def all_error_codes() -> set[str]:
    for package in (commerce, payments):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            importlib.import_module(module.name)
    codes: set[str] = set()
    pending = list(CommerceError.__subclasses__())
    while pending:
        cls = pending.pop()
        codes.add(cls.code)
        pending.extend(cls.__subclasses__())
    return codes


# ---- the catalogs themselves ----


def test_locales_dir_is_the_repository_folder() -> None:
    assert LOCALES_DIR == ROOT / "locales"
    assert SUPPORTED == ("ja", "en")


@pytest.mark.parametrize("locale", SUPPORTED)
def test_catalog_has_no_fuzzy_empty_or_malformed_entries(locale: str) -> None:
    catalog = raw_catalog(locale)
    messages = [message for message in catalog if message.id]
    assert len(messages) > 100
    for message in messages:
        assert not message.fuzzy, f"{locale}: {message.id} is fuzzy"
        assert isinstance(message.string, str) and message.string.strip(), f"{locale}: {message.id} is empty"
        assert re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+", str(message.id)), f"bad key {message.id!r}"
        placeholders(message.string)  # raises on an unbalanced brace


def test_both_languages_have_exactly_the_same_keys(catalogs: dict[str, dict[str, str]]) -> None:
    assert sorted(set(catalogs["en"]) - set(catalogs["ja"])) == [], "missing in ja"
    assert sorted(set(catalogs["ja"]) - set(catalogs["en"])) == [], "missing in en"


def test_placeholders_match_between_languages(catalogs: dict[str, dict[str, str]]) -> None:
    mismatched = {key: (placeholders(en), placeholders(catalogs["ja"][key]))
                  for key, en in catalogs["en"].items() if placeholders(en) != placeholders(catalogs["ja"][key])}
    assert mismatched == {}


def test_japanese_is_written_in_japanese(catalogs: dict[str, dict[str, str]]) -> None:
    copied = [key for key, ja in catalogs["ja"].items()
              if key not in INTENTIONALLY_IDENTICAL and (ja == catalogs["en"][key] or not JAPANESE.search(ja))]
    assert copied == []
    for key in INTENTIONALLY_IDENTICAL:
        assert key in catalogs["en"], f"stale allow-list entry {key}"


def test_every_core_error_and_status_has_a_message(catalogs: dict[str, dict[str, str]]) -> None:
    codes = all_error_codes()
    assert {"out_of_stock", "invalid_input", "rate_unavailable", "amount_taken"} <= codes
    wanted = {f"error.{code}" for code in codes} | {"error.unexpected"}
    wanted |= {f"status.{status.value}" for status in OrderStatus}
    for locale in SUPPORTED:
        assert sorted(wanted - set(catalogs[locale])) == [], locale


def test_front_ends_only_use_keys_that_exist(catalogs: dict[str, dict[str, str]]) -> None:
    used = Translator.keys_used_in_code(ROOT / "bots")
    assert sorted(used - set(catalogs["en"])) == []


def test_key_scanner_finds_the_call_forms(tmp_path: Path) -> None:
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "cart.py").write_text(
        'await message.answer(tr.text(locale, "cart.empty"))\n'
        "caption = i18n.text(\n    customer.locale(),\n    'payment.caption', order=order.id)\n"
        'label = _t("button.back")\n'
        'title = t("menu.cart")\n'
        'ignored = get("not.a_key"); also = tr.text(locale, f"status.{status}"); plain = "menu.help"\n',
        encoding="utf-8",
    )
    assert Translator.keys_used_in_code(tmp_path) == {"cart.empty", "payment.caption", "button.back", "menu.cart"}


# ---- formatting ----


def test_text_translates_then_formats_and_falls_back_to_the_default_locale(tr: Translator) -> None:
    assert tr.text("en", "start.greeting", shop="Sakura Goods").startswith("Welcome to Sakura Goods!")
    assert tr.text("ja", "start.greeting", shop="さくら雑貨").startswith("さくら雑貨へようこそ")
    assert tr.text("fr", "cart.empty") == tr.text("ja", "cart.empty")
    assert tr.text("en", "cart.added", title="{shop}") == "Added {shop} to your cart."  # values are not re-read
    with pytest.raises(KeyError):
        tr.text("en", "no.such_key")


def test_money_uses_each_currency_exponent(tr: Translator) -> None:
    assert tr.money("ja", Money(Decimal("1200"), "JPY")) == "￥1,200"
    assert tr.money("en", Money(Decimal("1200"), "JPY")) == "¥1,200"
    assert tr.money("en", Money(Decimal("12.5"), "USD")) == "$12.50"
    assert tr.money("ja", Money.from_minor(1250, "USD")) == "$12.50"
    assert tr.money("en", Money.from_minor(123456789, "JPY")) == "¥123,456,789"


def test_datetime_is_short_and_in_the_shop_timezone(tr: Translator) -> None:
    when = datetime(2025, 11, 23, 5, 30, tzinfo=UTC)
    assert tr.datetime("ja", when) == "11月23日 14:30"
    assert tr.datetime("en", when) == "Nov 23, 14:30"
    assert tr.datetime("en", when.astimezone(timezone(timedelta(hours=-5)))) == "Nov 23, 14:30"
    assert tr.datetime("en", when, tz="Europe/London") == "Nov 23, 05:30"
    assert tr.datetime("ja", datetime(2025, 12, 31, 15, 5, tzinfo=UTC)) == "1月1日 0:05"
    with pytest.raises(ValueError, match="timezone-aware"):
        tr.datetime("en", datetime(2025, 11, 23, 14, 30))  # noqa: DTZ001 - the naive case under test


def test_status_labels(tr: Translator) -> None:
    assert tr.status("en", OrderStatus.AWAITING_PAYMENT) == "Awaiting payment"
    assert tr.status("ja", OrderStatus.AWAITING_PAYMENT) == "お支払い待ち"
    assert tr.status("ja", OrderStatus.SHIPPED) == "発送済み"


def test_locale_for_prefers_stored_choice_then_platform_then_default(tr: Translator) -> None:
    assert tr.locale_for("en", "ja-JP", "ja") == "en"
    assert tr.locale_for(None, "ja-JP", "en") == "ja"
    assert tr.locale_for(None, "en-US", "ja") == "en"
    assert tr.locale_for(None, "en_GB", "ja") == "en"
    assert tr.locale_for(None, "EN", "ja") == "en"
    assert tr.locale_for("fr", "pt-BR", "en") == "en"
    assert tr.locale_for(None, None, "ja") == "ja"
    assert tr.locale_for("", "", "en") == "en"
    assert tr.locale_for(None, None, "fr") == "ja"  # an unsupported default falls back to the loaded one


# ---- core errors in the buyer's words ----


def test_out_of_stock_reads_naturally(tr: Translator) -> None:
    exc = OutOfStock(variant_id=7, title="抹茶ラテ", requested=5, available=2)
    assert tr.error("en", exc) == "Sorry, only 2 of 抹茶ラテ left in stock. Please choose a smaller quantity."
    assert tr.error("ja", exc) == "申し訳ございません。「抹茶ラテ」の在庫は残り2点です。数量を減らしてお試しください。"


def test_invalid_input_prefers_the_reason_and_names_the_field(tr: Translator) -> None:
    exc = InvalidInput(field="title", reason="too_long", limit=120)
    assert tr.error("en", exc) == "The title is too long. Please keep it to 120 characters or fewer."
    assert tr.error("ja", exc) == "商品名が長すぎます。120文字以内で入力してください。"
    required = InvalidInput(field="postal_code", reason="required")
    assert tr.error("ja", required) == "郵便番号を入力してください。"
    assert tr.error("en", required) == "The postal code can't be empty. Please fill it in."


def test_invalid_input_without_a_known_reason_or_field_is_still_polite(tr: Translator) -> None:
    exc = InvalidInput(field="mystery", reason="something_new")
    assert tr.error("en", exc) == "The entry doesn't look right. Please check it and try again."
    assert tr.error("ja", exc) == "入力内容に誤りがあるようです。ご確認のうえ、もう一度入力してください。"


def test_errors_label_entities_and_statuses_and_tolerate_missing_fields(tr: Translator) -> None:
    missing = NotFound(entity="order", id=3)
    assert tr.error("ja", missing) == "申し訳ございません。該当するご注文が見つかりませんでした。"
    assert tr.error("en", missing) == "Sorry, we couldn't find that order."
    moved = IllegalTransition(order_id=3, status=OrderStatus.SHIPPED, action="cancel")
    assert tr.error("ja", moved) == "このご注文は現在「発送済み」のため、この操作はできません。"
    assert tr.error("en", OutOfStock()) == "Sorry, only … of … left in stock. Please choose a smaller quantity."
    lines = InvalidQuantity(quantity=51, minimum=1, maximum=50, field="lines")
    assert tr.error("en", lines).startswith("Your cart can hold up to 50 different products.")


def test_rate_unavailable_and_unexpected(tr: Translator) -> None:
    from payments.errors import RateUnavailable

    exc = RateUnavailable(asset="BTC", fiat="JPY", reason="HTTP 503")
    assert "BTC" in tr.error("en", exc) and "HTTP" not in tr.error("en", exc)
    assert tr.error("ja", exc).startswith("現在、BTCの為替レートを取得できないため")
    assert tr.text("en", "error.unexpected") == "Sorry, something went wrong on our side. Please try again."


@pytest.mark.parametrize("locale", SUPPORTED)
def test_error_messages_fit_a_telegram_button_alert(tr: Translator, locale: str) -> None:
    # A refusal after a button press is shown with answerCallbackQuery, which takes at most 200 characters.
    for key, template in tr.catalogs[locale].items():
        if key.startswith("error."):
            shown = template.format_map(dict.fromkeys(placeholders(template), "x" * 12))
            assert len(shown) <= 200, f"{locale}: {key} is {len(shown)} characters"
