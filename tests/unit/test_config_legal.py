"""bot.toml's [legal]: the seller's disclosure loads as typed text in each language, and each mistake is named."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import pytest

from bots.config import ConfigError, parse_settings
from bots.config_legal import LegalSection, LegalText

REPO: Final = Path(__file__).resolve().parents[2]
BASE: Final = Path("/srv/shop")
SHOP: Final = '[shop]\nname = "Sakura Goods"\n'
COMPLETE: Final = SHOP + """
[legal]
seller_name = { ja = "株式会社さくら雑貨", en = "Sakura Goods K.K." }
representative = "佐藤 花子"
address = { ja = "東京都渋谷区神宮前1-2-3", en = "1-2-3 Jingumae, Shibuya, Tokyo" }
phone = "03-1234-5678"
email = "shop@example.com"
extra_fees = { ja = "送料全国一律500円" }
delivery = { en = "Ships within 3 business days of payment" }
returns = '''
未使用品に限り、到着後7日以内にご連絡ください。
'''
hours = "平日 10:00–18:00"
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, BASE, {})
    return caught.value.problems


def test_an_old_bot_toml_without_legal_still_loads_with_an_empty_disclosure() -> None:
    settings = parse_settings(SHOP + 'terms = "返品は7日以内"\n', BASE, {})

    assert settings.legal == LegalSection() and settings.legal.is_empty
    assert settings.shop.terms == "返品は7日以内"
    assert settings.legal.disclose_on_request is False and settings.legal.email == ""


def test_plain_strings_and_per_language_tables_load() -> None:
    legal = parse_settings(COMPLETE, BASE, {}).legal

    assert not legal.is_empty and legal.missing_required() == []
    assert legal.seller_name == LegalText(ja="株式会社さくら雑貨", en="Sakura Goods K.K.")
    assert legal.representative == LegalText(ja="佐藤 花子", en="佐藤 花子")  # one text for both languages
    assert (legal.phone, legal.email) == ("03-1234-5678", "shop@example.com")
    assert legal.address.pick("en") == "1-2-3 Jingumae, Shibuya, Tokyo"


def test_a_text_in_one_language_is_shown_in_the_other_too() -> None:
    legal = parse_settings(COMPLETE, BASE, {}).legal

    assert legal.extra_fees.pick("en") == legal.extra_fees.pick("ja") == "送料全国一律500円"
    assert legal.delivery.pick("ja") == "Ships within 3 business days of payment"
    assert legal.returns.pick("ja") == "未使用品に限り、到着後7日以内にご連絡ください。"  # trimmed
    assert not legal.price_note and legal.price_note.pick("ja") == ""


def test_the_settings_are_frozen() -> None:
    legal = parse_settings(COMPLETE, BASE, {}).legal
    with pytest.raises(ValueError, match="frozen"):
        legal.email = "other@example.com"  # type: ignore[misc]


@pytest.mark.parametrize("phone", ["03-1234-5678", "+81 3-1234-5678", "(03) 1234 5678", "0120-123-456",
                                   "０３－１２３４－５６７８"])
def test_phone_numbers_as_people_write_them(phone: str) -> None:
    assert parse_settings(SHOP + f'[legal]\nphone = "{phone}"\n', BASE, {}).legal.phone == phone


def test_what_the_law_needs_is_listed_by_key_and_the_on_request_promise_covers_address_and_phone() -> None:
    legal = parse_settings(SHOP + '[legal]\nseller_name = "佐藤 花子"\n', BASE, {}).legal
    assert legal.missing_required() == [
        "legal.address (or legal.disclose_on_request = true)", "legal.phone (or legal.disclose_on_request = true)",
        "legal.email", "legal.delivery", "legal.returns"]

    promised = parse_settings(SHOP + '[legal]\nseller_name = "佐藤 花子"\ndisclose_on_request = true\n'
                              'email = "a@b.jp"\ndelivery = "3日以内"\nreturns = { en = "Within 7 days" }\n',
                              BASE, {}).legal
    assert promised.missing_required() == []


TOO_LONG: Final = "あ" * 1001


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param('email = "shop@example"', 'legal.email: expected an e-mail address such as "shop@example.com" '
                                           '(or "" for none), got "shop@example"', id="email-without-domain"),
    pytest.param('email = "shop example.com"', 'legal.email: expected an e-mail address such as '
                                               '"shop@example.com" (or "" for none), got "shop example.com"',
                 id="email-without-at"),
    pytest.param('phone = "call me"', 'legal.phone: expected a phone number such as "03-1234-5678" or '
                                      '"+81 3-1234-5678" (or "" for none), got "call me"', id="phone-words"),
    pytest.param('phone = "123"', 'legal.phone: expected a phone number such as "03-1234-5678" or '
                                  '"+81 3-1234-5678" (or "" for none), got "123"', id="phone-too-short"),
    pytest.param(f'returns = "{TOO_LONG}"', "legal.returns: expected at most 1000 characters, got 1001",
                 id="too-long"),
    pytest.param(f'returns = {{ ja = "{TOO_LONG}" }}', "legal.returns.ja: expected at most 1000 characters, got 1001",
                 id="too-long-in-one-language"),
    pytest.param("delivery = 3", 'legal.delivery: expected text in quotes, or a table such as '
                                 '{ ja = "…", en = "…" }, got 3', id="not-text"),
    pytest.param('delivery = { ja = "3日以内", fr = "3 jours" }', "legal.delivery.fr: unknown key (keys here: ja, en)",
                 id="unknown-language"),
    pytest.param('delivery = { ja = 3 }', "legal.delivery.ja: expected text in quotes, got 3", id="not-text-in-table"),
    pytest.param('email = { ja = "a@b.jp" }', 'legal.email: expected text in quotes, got a table', id="email-table"),
    pytest.param('disclose_on_request = "yes"', 'legal.disclose_on_request: expected true or false, got "yes"',
                 id="not-a-bool"),
    pytest.param('adress = "東京都"', 'legal.adress: unknown key (did you mean "address"?)', id="unknown-key"),
])
def test_each_mistake_gets_one_clear_line(text: str, expected: str) -> None:
    assert problems_of(SHOP + "[legal]\n" + text + "\n") == [expected]


def test_every_mistake_in_the_section_is_reported_at_once() -> None:
    problems = problems_of(SHOP + '[legal]\nemail = "nope"\nphone = "x"\nreturns = 5\n')

    assert [line.split(":", 1)[0] for line in problems] == ["legal.phone", "legal.email", "legal.returns"]


def test_the_readme_example_is_the_one_commented_in_bot_example_toml() -> None:
    """Both show a complete disclosure; uncommented, the template's [legal] is the README's."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    shown = readme.split("### Legal disclosure", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    template = (REPO / "bots" / "bot.example.toml").read_text(encoding="utf-8")
    section = template.split("\n[legal]\n", 1)[1].split("\n[", 1)[0]
    uncommented = re.sub(r"(?m)^# (?=[a-z_]+ = )", "", section)

    from_readme = parse_settings(SHOP + shown, BASE, {}).legal
    assert from_readme == parse_settings(SHOP + "[legal]\n" + uncommented, BASE, {}).legal
    assert from_readme.missing_required() == []
    assert parse_settings(template, BASE, {}).legal.is_empty  # commented out, the template sets nothing
