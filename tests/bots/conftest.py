"""The Telegram storefront on a real shop (SQLite and PostgreSQL), a buyer's chat, and the seller's catalog."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from aiogram import Dispatcher
from teremok import MockBot

from bots.i18n import Translator
from bots.telegram import build_dispatcher
from commerce.payment_records import PaymentRecords
from commerce.shop import Shop
from payments.derive import AddressDeriver
from payments.errors import RateUnavailable
from payments.methods import bitcoin_method, evm_method
from payments.rates import FixedRates
from payments.requests import PaymentService
from tests.bots.telegram_chat import TelegramChat, recording_bot
from tests.conftest import FakeClock
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


# BIP84 test vector account (index 0 is bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu), as in the payment tests.
ZPUB = ("zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz"
        "2AGutZYs")
SHOP_ADDRESS = "0x000000000000000000000000000000000000dEaD"
USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"


class SwitchableRates:
    """Fixed prices from a rate source a test can take down (as a timing-out price API would be)."""

    def __init__(self) -> None:
        self.fixed = FixedRates({"BTC": Decimal("15000000"), "USDT": Decimal("150")})
        self.down = False

    async def price(self, asset: str, fiat: str) -> Decimal:
        if self.down:
            raise RateUnavailable(asset=asset, fiat=fiat, reason="timeout")
        return await self.fixed.price(asset, fiat)


@pytest.fixture
def rates() -> SwitchableRates:
    return SwitchableRates()


@pytest.fixture
def payments(shop: Shop, clock: FakeClock, rates: SwitchableRates) -> PaymentService:
    """BTC with per-order addresses from a watch-only zpub, and USDT on Ethereum on one shared address."""
    methods = {
        "btc": bitcoin_method(id="btc", network="mainnet", asset="BTC", confirmations=1,
                              deriver=AddressDeriver.from_extended_key(ZPUB, "mainnet")),
        "usdt-eth": evm_method(id="usdt-eth", chain_id=1, asset="USDT", decimals=6, confirmations=12, token=USDT,
                               receive_address=SHOP_ADDRESS),
    }
    return PaymentService(PaymentRecords(shop.db, clock), shop.orders, rates, methods, shop_name="Sakura Goods",
                          late_window=timedelta(hours=24), clock=clock)
