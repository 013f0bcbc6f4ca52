"""The Discord storefront on a real shop (SQLite file), driven by simcord: the real discord.py client, app
commands, buttons, selects and modals in-process, no network. Shared by every tests/discord module."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import discord
import pytest
import zxingcpp
from PIL import Image
from simcord import interactions as simcord_interactions

from bots.common.media_store import MediaStore
from bots.config import Settings, parse_settings
from bots.discord.app import ShopBot, build_bot
from bots.i18n import Translator
from commerce.payment_records import PaymentRecords
from commerce.shop import Shop
from commerce.storage.db import Database
from commerce.storage.migrate import upgrade
from payments.derive import AddressDeriver
from payments.methods import bitcoin_method, evm_method
from payments.rates import FixedRates
from payments.requests import PaymentService
from tests.conftest import FakeClock

SHOP_NAME = "Sakura Goods"
TERMS = "返品: 到着後7日以内 **特定商取引法に基づく表記**"
TELEGRAM_BOT = "sakura_shop_bot"
# BIP84 test vector account (index 0 is bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu), as in the payment tests.
ZPUB = ("zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz"
        "2AGutZYs")
SHOP_ADDRESS = "0x000000000000000000000000000000000000dEaD"
USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """SQLite on a file, so a second bot (a restart) can open the same shop."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    await upgrade(database)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def translator() -> Translator:
    return Translator.load()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    toml = f"""
[shop]
name = "{SHOP_NAME}"
default_locale = "ja"
terms = "{TERMS}"
[media]
dir = "media"
[discord]
enabled = true
"""
    return parse_settings(toml, tmp_path, {"DISCORD_BOT_TOKEN": "test-token"})


@pytest.fixture
def payments(shop: Shop, clock: FakeClock) -> PaymentService:
    """BTC with per-order addresses from a watch-only zpub, and USDT on Ethereum on one shared address."""
    methods = {
        "btc": bitcoin_method(id="btc", network="mainnet", asset="BTC", confirmations=1,
                              deriver=AddressDeriver.from_extended_key(ZPUB, "mainnet")),
        "usdt-eth": evm_method(id="usdt-eth", chain_id=1, asset="USDT", decimals=6, confirmations=12, token=USDT,
                               receive_address=SHOP_ADDRESS),
    }
    rates = FixedRates({"BTC": Decimal("15000000"), "USDT": Decimal("150")})
    return PaymentService(PaymentRecords(shop.db, clock), shop.orders, rates, methods, shop_name=SHOP_NAME,
                          late_window=timedelta(hours=24), clock=clock)


@pytest.fixture
def media_store(settings: Settings) -> MediaStore:
    return MediaStore(settings.media.dir)


@pytest.fixture
def make_bot(shop: Shop, translator: Translator, settings: Settings, payments: PaymentService,
             media_store: MediaStore) -> Callable[[], ShopBot]:
    """A fresh bot over the same shop: call it again to 'restart'."""
    def build() -> ShopBot:
        return build_bot(shop, translator, settings, payments=payments, telegram_username=TELEGRAM_BOT,
                         media_store=media_store)

    return build


@pytest.fixture
def simcord_bot(make_bot: Callable[[], ShopBot]) -> ShopBot:
    return make_bot()


@pytest.fixture
async def channel(simcord_env: Any) -> Any:
    guild = simcord_env.create_guild("Sakura")
    return guild.create_text_channel("shop")


@pytest.fixture
async def buyer(simcord_env: Any, channel: Any) -> Any:
    return simcord_env.guild.add_member(simcord_env.create_user("hana"))


@pytest.fixture
async def other_buyer(simcord_env: Any, channel: Any) -> Any:
    return simcord_env.guild.add_member(simcord_env.create_user("ken"))


@pytest.fixture
def discord_locale(monkeypatch: pytest.MonkeyPatch) -> Callable[[int, str], None]:
    """Make one user's Discord client speak `locale` (simcord sends every interaction as en-US)."""
    locales: dict[int, str] = {}
    original = simcord_interactions.base_payload

    def base_payload(*args: Any, **kwargs: Any) -> Any:
        record, payload = original(*args, **kwargs)
        if kwargs.get("user_id") in locales:
            payload["locale"] = locales[kwargs["user_id"]]
        return record, payload

    monkeypatch.setattr(simcord_interactions, "base_payload", base_payload)
    return locales.__setitem__


def decode_qr(png: bytes) -> str:
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return code.text


def button_labels(message: Any) -> list[str]:
    """Every button label on a message (simcord result message or discord.Message)."""
    labels = []
    rows = message.components
    for row in rows:
        children = row.get("components", []) if isinstance(row, dict) else getattr(row, "children", [])
        for child in children:
            text = child.get("label") if isinstance(child, dict) else getattr(child, "label", None)
            if text:
                labels.append(text)
    return labels


def embed_of(message: Any) -> discord.Embed:
    [embed] = message.embeds
    return embed
