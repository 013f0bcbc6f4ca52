"""/terms on Telegram: the legal disclosure from bot.toml's [legal] in the buyer's language, escaped, in as many
messages as a long text needs."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Final

import pytest
from teremok import MockBot

from bots.common.legal import ShopTerms
from bots.common.payment_view import method_label
from bots.config import parse_settings
from bots.i18n import Translator
from bots.telegram import build_dispatcher
from bots.telegram.render import quote
from commerce.shop import Shop
from payments.requests import PaymentService
from tests.bots.conftest import SHOP_NAME
from tests.bots.telegram_chat import TelegramChat, recording_bot, sent

LEGAL: Final = """
[shop]
name = "Sakura Goods"
payment_window_minutes = 30
terms = "ギフト包装 <無料> & more"
[legal]
seller_name = { ja = "株式会社さくら雑貨", en = "Sakura Goods K.K." }
representative = "佐藤 花子"
disclose_on_request = true
email = "shop@example.com"
delivery = { ja = "お支払い確認後3営業日以内に発送", en = "Shipped within 3 business days of payment" }
returns = { ja = "未使用品に限り到着後7日以内 <要連絡>", en = "Unused items within 7 days <ask first>" }
"""


def shop_terms(tmp_path: Path, payments: PaymentService | None, text: str = LEGAL) -> ShopTerms:
    """As `chatshop run` builds them: bot.toml's [legal] and [shop] terms, and the configured methods' names."""
    settings = parse_settings(text, tmp_path, {})
    methods = payments.methods.values() if payments is not None else ()
    return ShopTerms.from_settings(settings, map(method_label, methods))


def bot_with(shop: Shop, translator: Translator, terms: ShopTerms) -> MockBot:
    return recording_bot(build_dispatcher(shop, translator, shop_name=SHOP_NAME, terms=terms, default_locale="ja"))


async def test_a_japanese_buyer_sees_the_statutory_disclosure_escaped(
        shop: Shop, translator: Translator, payments: PaymentService, tmp_path: Path) -> None:
    bot = bot_with(shop, translator, shop_terms(tmp_path, payments))

    [reply] = sent(await TelegramChat(bot, 910_001, language_code="ja").send("/terms"))

    lines = html.unescape(reply.text).splitlines()
    assert lines[0] == f"特定商取引法に基づく表記（{SHOP_NAME}）"
    assert "&lt;Goods&gt; &amp; Co" in reply.text.splitlines()[0]  # the shop's name is text, not markup
    for line in ("販売業者：株式会社さくら雑貨", "運営統括責任者：佐藤 花子", "所在地：請求があれば遅滞なく開示します",
                 "電話番号：請求があれば遅滞なく開示します", "メールアドレス：shop@example.com",
                 "お支払い方法：暗号資産（BTC (Bitcoin)、USDT (Ethereum)）",
                 "お支払い時期：ご注文から30分以内（お支払い画面に期限を表示します）",
                 "商品の引渡し時期：お支払い確認後3営業日以内に発送",
                 "返品・交換・キャンセルについて：未使用品に限り到着後7日以内 <要連絡>"):
        assert line in lines
    assert lines[-1] == "ギフト包装 <無料> & more"  # [shop] terms, after the disclosure
    assert "&lt;要連絡&gt;" in reply.text and "&lt;無料&gt; &amp; more" in reply.text


async def test_an_english_buyer_sees_english_headings_and_texts(
        shop: Shop, translator: Translator, payments: PaymentService, tmp_path: Path) -> None:
    bot = bot_with(shop, translator, shop_terms(tmp_path, payments))

    [reply] = sent(await TelegramChat(bot, 910_002, language_code="en").send("/terms"))

    lines = html.unescape(reply.text).splitlines()
    assert lines[0].startswith("Legal notice under Japan's Act on Specified Commercial Transactions")
    for line in ("Seller: Sakura Goods K.K.", "Address: Disclosed without delay on request",
                 "Payment methods: Cryptocurrency — BTC (Bitcoin) and USDT (Ethereum)",
                 "Delivery: Shipped within 3 business days of payment",
                 "Returns, exchanges and cancellations: Unused items within 7 days <ask first>"):
        assert line in lines
    assert "株式会社" not in reply.text


async def test_without_a_payment_method_no_method_is_invented(shop: Shop, translator: Translator,
                                                               tmp_path: Path) -> None:
    bot = bot_with(shop, translator, shop_terms(tmp_path, None))

    [reply] = sent(await TelegramChat(bot, 910_003, language_code="en").send("/terms"))

    assert "Payment methods" not in reply.text and "Seller: Sakura Goods K.K." in html.unescape(reply.text)


@pytest.mark.parametrize("language_code", ["ja", "en"])
async def test_a_long_disclosure_comes_whole_in_several_messages(
        shop: Shop, translator: Translator, payments: PaymentService, tmp_path: Path, language_code: str) -> None:
    long_text = "\n".join(f"{n}. 返品・交換の条件 <&> " + "あ" * 300 for n in range(40))  # ~13,000 characters
    settings_text = LEGAL.replace('terms = "ギフト包装 <無料> & more"', f"terms = '''\n{long_text}'''")
    bot = bot_with(shop, translator, shop_terms(tmp_path, payments, settings_text))

    replies = sent(await TelegramChat(bot, 910_004, language_code=language_code).send("/terms"))

    assert len(replies) >= 4
    assert all(len(reply.text.encode("utf-16-le")) // 2 <= 4096 for reply in replies)
    shown = "\n".join(html.unescape(reply.text) for reply in replies)
    assert shown.endswith(long_text) and "0. 返品・交換の条件 <&>" in shown


async def test_old_settings_with_only_free_text_terms_show_it_alone(shop: Shop, translator: Translator,
                                                                    tmp_path: Path) -> None:
    text = '[shop]\nname = "S"\nterms = "返品: 到着後7日以内 <特定商取引法に基づく表記> & more"\n'
    bot = bot_with(shop, translator, shop_terms(tmp_path, None, text))

    [reply] = sent(await TelegramChat(bot, 910_005, language_code="ja").send("/terms"))

    assert reply.text == quote("返品: 到着後7日以内 <特定商取引法に基づく表記> & more")
