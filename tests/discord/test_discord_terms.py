"""/terms on Discord: the legal disclosure from bot.toml's [legal] in the buyer's language, Markdown escaped,
split into follow-ups when it is longer than one message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import discord
import pytest

from bots.common.legal import terms_line
from bots.config import Settings, parse_settings
from bots.i18n import Translator
from commerce.shop import Shop
from tests.support.factories import make_owner, make_product

LONG_TERMS: Final = "\n".join(f"{n}. **返品** _条件_ " + "あ" * 300 for n in range(20))  # ~6,600 characters
LEGAL: Final = """
[shop]
name = "Sakura Goods"
default_locale = "ja"
terms = '''
{terms}'''
[media]
dir = "media"
[discord]
enabled = true
[legal]
seller_name = {{ ja = "株式会社さくら雑貨", en = "Sakura **Goods** K.K." }}
address = "東京都渋谷区神宮前1-2-3"
phone = "03-1234-5678"
email = "shop@example.com"
delivery = {{ ja = "お支払い確認後3営業日以内に発送", en = "Shipped within 3 business days of payment" }}
returns = {{ ja = "未使用品に限り到着後7日以内", en = "Unused items within 7 days of arrival" }}
"""


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    terms = getattr(request, "param", "ギフト包装は無料です")
    return parse_settings(LEGAL.format(terms=terms), tmp_path, {"DISCORD_BOT_TOKEN": "test-token"})


def unescape(content: str) -> str:
    return content.replace("\\", "")


async def test_a_japanese_buyer_sees_the_statutory_disclosure(
        simcord_env: Any, channel: Any, buyer: Any, discord_locale: Callable[[int, str], None]) -> None:
    discord_locale(buyer.id, "ja")

    shown = await buyer.slash(channel, "terms")

    assert shown.ephemeral and shown.followups == []
    lines = shown.response.content.splitlines()
    assert lines[0] == "特定商取引法に基づく表記（Sakura Goods）"
    for line in ("販売業者：株式会社さくら雑貨", "所在地：東京都渋谷区神宮前1-2-3", "電話番号：03-1234-5678",
                 "メールアドレス：shop@example.com", "お支払い方法：暗号資産（BTC (Bitcoin)、USDT (Ethereum)）",
                 "商品の引渡し時期：お支払い確認後3営業日以内に発送",
                 "返品・交換・キャンセルについて：未使用品に限り到着後7日以内"):
        assert line in lines
    assert lines[-1] == "ギフト包装は無料です"


async def test_an_english_buyer_sees_english_escaped(simcord_env: Any, channel: Any, buyer: Any) -> None:
    shown = await buyer.slash(channel, "terms")  # simcord's users speak en-US

    content = shown.response.content
    assert r"Seller: Sakura \*\*Goods\*\* K.K." in content.splitlines()  # Markdown in a value is shown as typed
    assert "Payment methods: Cryptocurrency — BTC (Bitcoin) and USDT (Ethereum)" in content.splitlines()
    assert "Returns, exchanges and cancellations: Unused items within 7 days of arrival" in content


@pytest.mark.parametrize("settings", [LONG_TERMS], indirect=True)
async def test_a_long_disclosure_comes_whole_in_follow_ups(simcord_env: Any, channel: Any, buyer: Any) -> None:
    shown = await buyer.slash(channel, "terms")

    messages = [shown.response, *shown.followups]
    assert len(messages) >= 4 and all(message.ephemeral for message in shown.followups)
    assert all(len(message.content) <= 2000 for message in messages)
    whole = "\n".join(unescape(message.content) for message in messages)
    assert whole.startswith("Legal notice under Japan's Act on Specified Commercial Transactions (Sakura Goods)")
    assert whole.endswith(LONG_TERMS.replace("\\", ""))
    assert r"0. \*\*返品\*\* \_条件\_" in shown.response.content + "".join(m.content for m in shown.followups)


async def test_the_checkout_summary_ends_by_pointing_at_terms(simcord_env: Any, channel: Any, buyer: Any,
                                                              shop: Shop, translator: Translator) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title="E-book", kind="digital", price="900")
    await shop.catalog.add_digital_items(owner, product.variants[0].id, ["code-1"])
    await buyer.slash(channel, "share", name=str(product.id))
    checkout = await buyer.click(channel.last_message, label="🛒 Buy")

    summary = await buyer.select(checkout.response, ["usdt-eth"])

    content = summary.response.content
    assert "USDT (Ethereum)" in content
    assert content.endswith("\n\n" + discord.utils.escape_markdown(terms_line(translator, "en")))
