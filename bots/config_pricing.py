"""``[tax]`` and ``[shipping]`` in bot.toml, and the `Pricing` the core bills with (docs/bills.md).

Amounts are exact decimals in quotes in the shop's currency ("600", "12.50"); rates are percentages ("10", "8").
Leaving both sections out bills exactly as before: the lines' sum, no tax, no shipping.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from bots.config_checks import exact_decimal, integer_between, matching, minor_units, problem, show
from commerce.bill import Pricing, ShippingRules, TaxMode, TaxRules, Zone
from commerce.money import PRICE_MAX_MINOR

Rate = Annotated[Decimal, exact_decimal("10", Decimal(0), Decimal(100), "a percentage from 0 to 100")]
Amount = Annotated[Decimal, exact_decimal("600", Decimal(0), Decimal(PRICE_MAX_MINOR), "an amount of 0 or more")]
Country = Annotated[str, matching(r"[A-Z]{2}", 'a two-letter ISO 3166 country code in capitals such as "JP"')]
ProductId = Annotated[int, integer_between(1)]
ZoneId = Annotated[str, matching(r"[a-z0-9][a-z0-9_-]{0,31}", 'a short id such as "honshu" or "overseas"')]
Registration = Annotated[str, matching(r"(T[0-9]{13})?", 'an invoice registration number: "T" and 13 digits')]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class TaxSection(_Section):
    mode: Literal["inclusive", "exclusive", "none"] = "none"
    rate: Rate | None = None                      # the default rate
    categories: dict[str, Rate] = {}              # category name → rate (e.g. food at the reduced 8 %)
    products: dict[Annotated[str, matching(r"[1-9][0-9]{0,17}", "a product id such as \"12\"")], Rate] = {}
    registration_number: Registration = ""

    @model_validator(mode="after")
    def _rate_when_taxed(self) -> Self:
        if self.mode != "none" and self.rate is None:
            raise problem(f'required when mode = "{self.mode}": the standard rate in percent, such as "10"',
                          key="rate")
        return self


class ZoneSection(_Section):
    id: ZoneId
    name: Annotated[str, matching(r"(?s).{1,40}", "a zone name of 1–40 characters")]
    countries: list[Country]
    regions: list[Annotated[str, matching(r"(?s).{1,32}", "a region (prefecture) name")]] = []
    fee: Amount = Decimal(0)
    per_item: Amount = Decimal(0)
    free_over: Amount | None = None
    no_ship_products: list[ProductId] = []
    no_ship_categories: list[str] = []

    @model_validator(mode="after")
    def _somewhere(self) -> Self:
        if not self.countries:
            raise problem('expected at least one country code such as ["JP"]', key="countries")
        return self


class ShippingSection(_Section):
    zones: list[ZoneSection] = []
    free_products: list[ProductId] = []
    free_categories: list[str] = []

    @field_validator("zones")
    @classmethod
    def _unique_ids(cls, zones: list[ZoneSection]) -> list[ZoneSection]:
        first: dict[str, int] = {}
        for index, zone in enumerate(zones):
            if zone.id in first:
                raise problem(f"zones[{index}].id {show(zone.id)} is already used by zones[{first[zone.id]}]")
            first[zone.id] = index
        return zones



def pricing_problems(tax: TaxSection, shipping: ShippingSection, currency: str) -> list[str]:
    """What the sections can't say in this currency (a fee of "0.5" in yen)."""
    problems: list[str] = []
    build_pricing(tax, shipping, currency, problems)
    return problems


def build_pricing(tax: TaxSection, shipping: ShippingSection, currency: str,
                  problems: list[str] | None = None) -> Pricing:
    found = problems if problems is not None else []
    zones = []
    for index, zone in enumerate(shipping.zones):
        key = f"shipping.zones[{index}]"
        zones.append(Zone(
            zone.id, zone.name, frozenset(zone.countries), frozenset(zone.regions),
            fee_minor=minor_units(zone.fee, currency, f"{key}.fee", found),
            per_item_minor=minor_units(zone.per_item, currency, f"{key}.per_item", found),
            free_over_minor=None if zone.free_over is None
            else minor_units(zone.free_over, currency, f"{key}.free_over", found),
            no_ship_products=frozenset(zone.no_ship_products), no_ship_categories=frozenset(zone.no_ship_categories)))
    rules = TaxRules(TaxMode(tax.mode), tax.rate or Decimal(0), dict(tax.categories),
                     {int(product): rate for product, rate in tax.products.items()}, tax.registration_number)
    return Pricing(currency, rules, ShippingRules(tuple(zones), frozenset(shipping.free_products),
                                                  frozenset(shipping.free_categories)))
