"""The Telegram storefront on a real shop (SQLite and PostgreSQL), a buyer's chat, and the seller's catalog."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from aiogram import Dispatcher
from teremok import MockBot

from bots.i18n import Translator
from bots.telegram import build_dispatcher
from commerce.shop import Shop
from tests.bots.telegram_chat import TelegramChat, recording_bot
from tests.support.factories import make_owner

SHOP_NAME = "Sakura <Goods> & Co"  # markup characters on purpose: the greeting must escape them
TERMS = "返品: 到着後7日以内 <特定商取引法に基づく表記> & more"

_user_ids = itertools.count(500_000)


@pytest.fixture(scope="session")
def translator() -> Translator:
    return Translator.load()


@pytest.fixture
def dispatcher(shop: Shop, translator: Translator) -> Dispatcher:
    return build_dispatcher(shop, translator, shop_name=SHOP_NAME, terms=TERMS, default_locale="ja")


@pytest.fixture
def telegram(dispatcher: Dispatcher) -> MockBot:
    return recording_bot(dispatcher)


@pytest.fixture
def buyer(telegram: MockBot) -> TelegramChat:
    """An English-speaking buyer in a private chat with the shop bot."""
    return TelegramChat(telegram, next(_user_ids), language_code="en")


@pytest.fixture
def new_chat(telegram: MockBot) -> Callable[..., TelegramChat]:
    def open_chat(language_code: str | None = "en") -> TelegramChat:
        return TelegramChat(telegram, next(_user_ids), language_code=language_code)

    return open_chat


@pytest.fixture
async def owner(shop: Shop) -> int:
    return await make_owner(shop)
