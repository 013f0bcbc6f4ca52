"""[tax] and [shipping] in bot.toml: what they become, and every mistake named by its key."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bots.config import ConfigError, parse_settings
from commerce.bill import Pricing, TaxMode

SHOP = '[shop]\nname = "Sakura"\n'


def settings(text: str, currency: str = "JPY"):  # type: ignore[no-untyped-def]
    return parse_settings(SHOP + f'currency = "{currency}"\n' + text, Path("."), {})


def problems(text: str, currency: str = "JPY") -> list[str]:
    with pytest.raises(ConfigError) as error:
        settings(text, currency)
    return error.value.problems


def test_no_sections_bill_as_before() -> None:
    assert settings("").pricing() == Pricing("JPY")


def test_a_japanese_shop() -> None:
    pricing = settings('''
[tax]
mode = "inclusive"
rate = "10"
categories = { "食品" = "8" }
products = { "12" = "0" }
registration_number = "T1234567890123"

[shipping]
free_categories = ["DL"]
[[shipping.zones]]
id = "okinawa"
name = "沖縄"
countries = ["JP"]
regions = ["沖縄県"]
fee = "1500"
per_item = "100"
[[shipping.zones]]
id = "japan"
name = "国内"
countries = ["JP"]
fee = "600"
free_over = "5000"
''').pricing()
    assert pricing.tax.mode is TaxMode.INCLUSIVE and pricing.tax.default_rate == Decimal(10)
    assert pricing.tax.rate_for(12, "食品") == 0 and pricing.tax.rate_for(1, "食品") == 8
    assert pricing.tax.registration == "T1234567890123"
    okinawa, japan = pricing.shipping.zones
    assert (okinawa.fee_minor, okinawa.per_item_minor, japan.free_over_minor) == (1500, 100, 5000)
    assert pricing.shipping.zone_for("JP", "沖縄県") is okinawa and pricing.shipping.zone_for("JP", "東京都") is japan
    assert pricing.shipping.ships_free(3, "DL")


def test_cents_in_a_two_decimal_currency() -> None:
    zone = settings('[[shipping.zones]]\nid = "us"\nname = "US"\ncountries = ["US"]\nfee = "7.50"\n',
                    "USD").pricing().shipping.zones[0]
    assert zone.fee_minor == 750


@pytest.mark.parametrize(("text", "expected"), [
    ('[tax]\nmode = "inclusive"\n', 'tax.rate: required when mode = "inclusive"'),
    ('[tax]\nmode = "inclusive"\nrate = 10.0\n', "tax.rate: expected a decimal number in quotes"),
    ('[tax]\nmode = "inclusive"\nrate = "101"\n', "tax.rate: expected a percentage from 0 to 100"),
    ('[tax]\nmode = "vat"\n', "tax.mode"),
    ('[tax]\nregistration_number = "1234567890123"\n', "tax.registration_number"),
    ('[tax]\nproducts = { "abc" = "8" }\n', "tax.products"),
    ('[[shipping.zones]]\nid = "jp"\nname = "JP"\ncountries = ["JP"]\nfee = "600.5"\n',
     'shipping.zones[0].fee: "600.5" has more decimals than JPY has'),
    ('[[shipping.zones]]\nid = "jp"\nname = "JP"\ncountries = ["jp"]\n', "shipping.zones[0].countries[0]"),
    ('[[shipping.zones]]\nid = "jp"\nname = "JP"\ncountries = []\n', "shipping.zones[0].countries"),
    ('[[shipping.zones]]\nid = "jp"\nname = "A"\ncountries = ["JP"]\n[[shipping.zones]]\nid = "jp"\nname = "B"\n'
     'countries = ["JP"]\n', 'shipping.zones: zones[1].id "jp" is already used by zones[0]'),
    ('[[shipping.zones]]\nid = "jp"\nname = "JP"\ncountries = ["JP"]\nfee = "-1"\n', "shipping.zones[0].fee"),
    ('[shipping]\nzone = []\n', "shipping.zone"),
])
def test_mistakes_name_their_key(text: str, expected: str) -> None:
    found = problems(text)
    assert any(expected in line for line in found), found
