"""Discord, in a shop that charges Japanese consumption tax and ships by zone: product cards show the price with
tax and the shipping rule."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from commerce.bill import Pricing, ShippingRules, TaxMode, TaxRules, Zone
from commerce.privacy import PersonalDataCipher
from commerce.shop import Shop, ShopRules
from commerce.storage.db import Database
from tests.conftest import FakeClock
from tests.discord.conftest import embed_of
from tests.discord.test_discord_safety import open_card
from tests.support.factories import make_owner, make_product

JAPAN = Pricing("JPY", TaxRules(TaxMode.INCLUSIVE, Decimal(10), registration="T1234567890123"),
                ShippingRules((Zone("honshu", "本州", frozenset({"JP"}), fee_minor=600, free_over_minor=5000),)))


@pytest.fixture
def shop(db: Database, clock: FakeClock, data_key: str) -> Shop:
    return Shop(db, ShopRules(currency="JPY", pricing=JAPAN), PersonalDataCipher(data_key), clock)


async def test_a_card_shows_the_price_with_tax_and_the_shipping_rule(simcord_env: Any, channel: Any, buyer: Any,
                                                                      shop: Shop) -> None:
    owner = await make_owner(shop)
    await make_product(shop, owner, title="Arita mug", price="1100")
    await make_product(shop, owner, title="Tea e-book", price="800", kind="digital", stock=0)

    card = embed_of(await open_card(buyer, channel, "Arita mug"))
    assert "**Price: ¥1,100 (tax incl.)**\nShipping ¥600 · free over ¥5,000\nIn stock: 10" in card.description
    ebook = embed_of(await open_card(buyer, channel, "Tea e-book"))
    assert "**Price: ¥800 (tax incl.)**\nDigital: no shipping\n" in ebook.description
