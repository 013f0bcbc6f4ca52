"""`/link` on Discord: a code for the Telegram bot, or a code from it; then one cart and one order history on
both. Telegram is driven with teremok (the real dispatcher), Discord with simcord, on one shop."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from bots.i18n import Translator
from bots.telegram import build_dispatcher
from commerce.shop import Shop
from tests.bots.telegram_chat import TelegramChat, recording_bot, sent
from tests.conftest import FakeClock
from tests.discord.conftest import embed_of
from tests.discord.test_discord_orders import order_button
from tests.support.factories import make_owner, make_product

TELEGRAM_USER = 424_242
CODE_FOR_TELEGRAM = re.compile(r"`/link ([A-Z0-9]{8})`")
CODE_FROM_TELEGRAM = re.compile(r"<code>/link ([A-Z0-9]{8})</code>")


@pytest.fixture
def telegram_chat(shop: Shop, translator: Translator) -> TelegramChat:
    dispatcher = build_dispatcher(shop, translator, shop_name="Sakura Goods", terms="", default_locale="ja")
    return TelegramChat(recording_bot(dispatcher), TELEGRAM_USER, language_code="en")


async def test_a_linked_buyer_sees_the_same_cart_and_orders_on_both_platforms(
        simcord_env: Any, channel: Any, buyer: Any, shop: Shop, telegram_chat: TelegramChat,
        translator: Translator, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    cup = await make_product(shop, owner, title="Cup", price="1000", stock=20)
    await make_product(shop, owner, title="Teapot", price="5000", stock=20)
    ebook = await make_product(shop, owner, title="Tea guide", price="800", kind="digital")
    await shop.catalog.add_digital_items(owner, ebook.variants[0].id, ["GUIDE-1"])
    # On Telegram: a cup in the cart and an order for the guide.
    telegram = (await shop.customers.identify("telegram", TELEGRAM_USER)).id
    await shop.cart.add(telegram, cup.variants[0].id, 1)
    order = await shop.orders.checkout(telegram, items=[(ebook.variants[0].id, 1)])
    clock.advance(minutes=5)
    # On Discord: a teapot in the cart.
    card = (await buyer.slash(channel, "product", name="Teapot")).response
    await buyer.click(card, label="🛒 Add to cart")

    issued = await buyer.slash(channel, "link")
    assert issued.ephemeral
    found = CODE_FOR_TELEGRAM.search(issued.response.content)
    assert found is not None and "Telegram bot" in issued.response.content
    [linked] = sent(await telegram_chat.send(f"/link {found.group(1)}"))
    assert "Linked" in linked.text

    discord_cart = embed_of((await buyer.slash(channel, "cart")).response).description or ""
    assert "Cup" in discord_cart and "Teapot" in discord_cart
    [telegram_cart] = sent(await telegram_chat.send("/cart"))
    assert "Cup" in telegram_cart.text and "Teapot" in telegram_cart.text
    discord_orders = (await buyer.slash(channel, "orders")).response
    order_button(discord_orders, order.id)  # the Telegram order is listed on Discord too
    assert (await shop.customers.identify("discord", buyer.id)).id == telegram  # the older customer survives


async def test_a_code_from_telegram_links_on_discord_in_japanese(
        simcord_env: Any, channel: Any, buyer: Any, shop: Shop, telegram_chat: TelegramChat,
        translator: Translator, discord_locale: Callable[[int, str], None]) -> None:
    discord_locale(buyer.id, "ja")
    [issued] = sent(await telegram_chat.send("/link"))
    found = CODE_FROM_TELEGRAM.search(issued.text or "")
    assert found is not None

    linked = await buyer.slash(channel, "link", code=found.group(1).lower())

    assert linked.ephemeral and linked.response.content == translator.text("ja", "discord.link.linked")
    telegram = await shop.customers.identify("telegram", TELEGRAM_USER)
    assert (await shop.customers.identify("discord", buyer.id)).id == telegram.id


async def test_wrong_and_malformed_codes_get_a_polite_answer_and_change_nothing(
        simcord_env: Any, channel: Any, buyer: Any, shop: Shop, telegram_chat: TelegramChat,
        translator: Translator) -> None:
    telegram = (await shop.customers.identify("telegram", TELEGRAM_USER)).id
    code = (await shop.links.issue(telegram)).code
    wrong = "ABCDEFGH" if code != "ABCDEFGH" else "HGFEDCBA"

    answer = await buyer.slash(channel, "link", code=wrong)
    assert answer.ephemeral
    assert answer.response.content == translator.text("en", "error.link.invalid.unknown", attempts_left=4)
    for text in ("123", "<b>ABCDEFGH</b>", "A" * 64):
        answer = await buyer.slash(channel, "link", code=text)
        assert answer.response.content == translator.text("en", "error.link.invalid.format")
    own = CODE_FOR_TELEGRAM.search((await buyer.slash(channel, "link")).response.content)
    assert own is not None
    answer = await buyer.slash(channel, "link", code=own.group(1))
    assert answer.response.content == translator.text("en", "error.link.self")
    assert (await shop.customers.identify("discord", buyer.id)).id != telegram
