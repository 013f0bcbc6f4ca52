"""The bill: what an order costs, part by part, and why (docs/bills.md). Pure; every rounding is a named rule.

    total = subtotal − discount + shipping (+ tax, when prices exclude it)

All amounts are integer minor units of the shop's currency. The parts always add up to the total, the
discount shares always add up to the discount, and the tax of each rate is rounded once per bill.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Any, Final

from commerce.errors import CouponRejected, ShippingUnavailable
from commerce.money import EXACT, Money

ZERO: Final = Decimal(0)


class TaxMode(StrEnum):
    INCLUSIVE = "inclusive"   # prices include the tax (Japan's 総額表示); the bill shows the tax inside them
    EXCLUSIVE = "exclusive"   # prices exclude it; the bill adds it
    NONE = "none"             # no tax on the bill (the default: a shop without [tax])


class CouponKind(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"
    FREE_SHIPPING = "free_shipping"   # no discount on the goods, the shipping is free


# --- named rounding rules -------------------------------------------------------------------------------


def round_down(numerator: int | Decimal, denominator: int | Decimal) -> int:
    """Every division on a bill rounds toward zero: a discount, a tax, a share is never more than exact."""
    return int((Decimal(numerator) / Decimal(denominator)).to_integral_value(ROUND_FLOOR, context=EXACT))


def percent_off(amount: int, percent: Decimal) -> int:
    """A percentage discount, rounded down to a whole minor unit (the buyer never gets more than stated)."""
    return round_down(Decimal(amount) * percent, 100)


def tax_inside(gross: int, rate: Decimal) -> int:
    """The tax contained in a tax-inclusive amount: gross × rate ÷ (100 + rate), rounded down, once per rate
    per bill — the qualified-invoice rule (one rounding per tax rate per invoice, never per line)."""
    return round_down(Decimal(gross) * rate, 100 + rate) if rate else 0


def tax_on(net: int, rate: Decimal) -> int:
    """The tax on a tax-exclusive amount: net × rate ÷ 100, rounded down, once per rate per bill."""
    return round_down(Decimal(net) * rate, 100) if rate else 0


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Split `amount` over `weights` in proportion: each share rounded down, then the units left over go one
    each to the largest remainders (the earliest first on a tie). The shares always add up to `amount`."""
    total = sum(weights)
    if amount == 0 or total == 0:
        return [0] * len(weights)
    shares = [amount * w // total for w in weights]
    left = amount - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in order[:left]:
        shares[i] += 1
    return shares


# --- the shop's rules -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaxRules:
    mode: TaxMode = TaxMode.NONE
    default_rate: Decimal = ZERO                                  # percent, e.g. Decimal("10")
    category_rates: Mapping[str, Decimal] = field(default_factory=dict)   # category name → percent
    product_rates: Mapping[int, Decimal] = field(default_factory=dict)    # product id → percent
    registration: str = ""                                        # the invoice registration number, "T" + 13

    def rate_for(self, product_id: int, category: str | None) -> Decimal:
        if self.mode is TaxMode.NONE:
            return ZERO
        if product_id in self.product_rates:
            return self.product_rates[product_id]
        if category is not None and category in self.category_rates:
            return self.category_rates[category]
        return self.default_rate


@dataclass(frozen=True, slots=True)
class Zone:
    """Where a shipping fee applies: countries (ISO codes), optionally only some regions (prefectures)."""

    id: str
    name: str
    countries: frozenset[str]
    regions: frozenset[str] = frozenset()
    fee_minor: int = 0               # per order
    per_item_minor: int = 0          # per unit of a physical item that is not shipped free
    free_over_minor: int | None = None
    no_ship_products: frozenset[int] = frozenset()
    no_ship_categories: frozenset[str] = frozenset()

    def covers(self, country: str, region: str) -> bool:
        return country.upper() in self.countries and (not self.regions or region in self.regions)


@dataclass(frozen=True, slots=True)
class ShippingRules:
    zones: tuple[Zone, ...] = ()
    free_products: frozenset[int] = frozenset()
    free_categories: frozenset[str] = frozenset()

    @property
    def enabled(self) -> bool:
        return bool(self.zones)

    @property
    def home(self) -> Zone | None:
        """The zone product cards quote (the first one in bot.toml)."""
        return self.zones[0] if self.zones else None

    def zone_for(self, country: str, region: str) -> Zone | None:
        """The first zone, in bot.toml order, that covers the address."""
        return next((zone for zone in self.zones if zone.covers(country, region)), None)

    def ships_free(self, product_id: int, category: str | None) -> bool:
        return product_id in self.free_products or (category is not None and category in self.free_categories)


@dataclass(frozen=True, slots=True)
class Pricing:
    """Everything that turns lines into a bill besides the lines and the coupon."""

    currency: str = "JPY"
    tax: TaxRules = TaxRules()
    shipping: ShippingRules = ShippingRules()


@dataclass(frozen=True, slots=True)
class Discount:
    """A coupon's terms as far as the bill cares (who may use it and how often is the coupon store's job)."""

    code: str
    kind: CouponKind
    percent: Decimal = ZERO      # PERCENT
    amount_minor: int = 0        # FIXED
    min_order_minor: int = 0     # compared with the subtotal before any discount
    free_shipping: bool = False
    product_ids: frozenset[int] = frozenset()         # scope; both empty = every line
    categories: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.kind is CouponKind.FREE_SHIPPING:
            object.__setattr__(self, "free_shipping", True)

    def applies_to(self, product_id: int, category: str | None) -> bool:
        if not self.product_ids and not self.categories:
            return True
        return product_id in self.product_ids or (category is not None and category in self.categories)


# --- the bill -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """One line to bill: a variant at its current price."""

    product_id: int
    category: str | None
    physical: bool
    unit_price_minor: int
    quantity: int
    title: str = ""


@dataclass(frozen=True, slots=True)
class BilledLine:
    item: Item
    total_minor: int          # unit price × quantity
    discount_minor: int       # this line's share of the discount
    tax_rate: Decimal


@dataclass(frozen=True, slots=True)
class TaxLine:
    rate: Decimal
    base_minor: int   # what the rate applies to, after discount: tax included (inclusive) or excluded (exclusive)
    tax_minor: int


@dataclass(frozen=True, slots=True)
class Bill:
    lines: tuple[BilledLine, ...]
    subtotal_minor: int
    discount_minor: int
    coupon: str | None
    shipping_minor: int
    zone_id: str | None
    zone_name: str | None
    tax_mode: TaxMode
    taxes: tuple[TaxLine, ...]
    total_minor: int
    registration: str = ""
    free_shipping_by_coupon: bool = False
    currency: str = "JPY"

    @property
    def tax_minor(self) -> int:
        return sum(t.tax_minor for t in self.taxes)

    @property
    def tax_added_minor(self) -> int:
        """Tax the bill adds on top of the prices (0 when prices include it)."""
        return self.tax_minor if self.tax_mode is TaxMode.EXCLUSIVE else 0

    @property
    def reduced_rates(self) -> frozenset[Decimal]:
        """Rates below the highest one on the bill (Japan's 軽減税率 items are marked on a receipt)."""
        rates = {t.rate for t in self.taxes if t.rate}
        return frozenset(rate for rate in rates if rate < max(rates)) if len(rates) > 1 else frozenset()

    def summary_json(self) -> dict[str, Any]:
        """What is frozen on the order beside its amount columns (the lines keep their own rate and share)."""
        return {"mode": self.tax_mode.value, "zone": self.zone_id, "zone_name": self.zone_name,
                "registration": self.registration, "free_shipping": self.free_shipping_by_coupon,
                "taxes": [{"rate": str(t.rate), "base": t.base_minor, "tax": t.tax_minor} for t in self.taxes]}


@dataclass(frozen=True, slots=True)
class TaxShares:
    """Each rate's tax, rounded once per bill, shared out again over what it was charged on."""

    lines: tuple[int, ...]      # each line's share of its rate's tax, in the bill's line order
    shipping: int               # the shipping's share (of the rate the shipping was taxed at)


def tax_shares(bill: Bill) -> TaxShares:
    """Split every rate's frozen tax over its lines (by their amount after discount) and the shipping with
    `allocate`, so the shares of a rate add up to exactly that rate's tax on the bill. The shipping was taxed
    at the shop's default rate, which the bill does not name: it is the rate whose base holds more than its
    lines."""
    nets = [line.total_minor - line.discount_minor for line in bill.lines]
    shares = [0] * len(bill.lines)
    shipping = 0
    for tax in bill.taxes:
        members = [i for i, line in enumerate(bill.lines) if line.tax_rate == tax.rate]
        weights = [nets[i] for i in members]
        carried = max(tax.base_minor - sum(weights), 0) if bill.shipping_minor else 0
        *split, on_shipping = allocate(tax.tax_minor, [*weights, carried])
        for i, share in zip(members, split, strict=True):
            shares[i] += share
        shipping += on_shipping
    return TaxShares(tuple(shares), shipping)


@dataclass(frozen=True, slots=True)
class Destination:
    country: str
    region: str = ""


def make_bill(items: Sequence[Item], pricing: Pricing, *, destination: Destination | None = None,
              discount: Discount | None = None) -> Bill:
    """The bill for `items` shipped to `destination` with `discount`.

    Raises ShippingUnavailable when physical goods can't go to the destination (or there is none yet and
    the shop charges by zone), CouponRejected when the discount's minimum or scope is not met.
    """
    totals = [item.unit_price_minor * item.quantity for item in items]
    subtotal = sum(totals)
    off, shares = _discount(items, totals, subtotal, discount, pricing.currency)
    shipping, zone = _shipping(items, pricing.shipping, destination, subtotal - off, discount)
    rates = [pricing.tax.rate_for(item.product_id, item.category) for item in items]
    taxes = _taxes(pricing.tax, rates, [t - s for t, s in zip(totals, shares, strict=True)], shipping)
    lines = tuple(BilledLine(item, total, share, rate)
                  for item, total, share, rate in zip(items, totals, shares, rates, strict=True))
    added = sum(t.tax_minor for t in taxes) if pricing.tax.mode is TaxMode.EXCLUSIVE else 0
    return Bill(lines, subtotal, off, discount.code if discount else None, shipping,
                zone.id if zone else None, zone.name if zone else None, pricing.tax.mode, taxes,
                subtotal - off + shipping + added,
                pricing.tax.registration if pricing.tax.mode is not TaxMode.NONE else "",
                bool(discount and discount.free_shipping and zone is not None), pricing.currency)


def _discount(items: Sequence[Item], totals: list[int], subtotal: int, discount: Discount | None,
              currency: str) -> tuple[int, list[int]]:
    if discount is None:
        return 0, [0] * len(items)
    if subtotal < discount.min_order_minor:
        raise CouponRejected(code=discount.code, reason="minimum",
                             minimum=Money.from_minor(discount.min_order_minor, currency))
    eligible = [total if discount.applies_to(item.product_id, item.category) else 0
                for item, total in zip(items, totals, strict=True)]
    base = sum(eligible)
    if base == 0 and discount.kind is not CouponKind.FREE_SHIPPING:
        raise CouponRejected(code=discount.code, reason="scope")
    if discount.kind is CouponKind.PERCENT:
        off = percent_off(base, discount.percent)
    elif discount.kind is CouponKind.FIXED:
        off = min(discount.amount_minor, base)
    else:
        off = 0
    return off, allocate(off, eligible)


def _shipping(items: Sequence[Item], rules: ShippingRules, destination: Destination | None, goods: int,
              discount: Discount | None) -> tuple[int, Zone | None]:
    physical = [item for item in items if item.physical]
    if not physical or not rules.enabled:
        return 0, None
    if destination is None:
        raise ShippingUnavailable(reason="no_address")
    zone = rules.zone_for(destination.country, destination.region)
    if zone is None:
        raise ShippingUnavailable(reason="zone", country=destination.country, region=destination.region)
    for item in physical:
        if item.product_id in zone.no_ship_products or (item.category is not None
                                                        and item.category in zone.no_ship_categories):
            raise ShippingUnavailable(reason="item", title=item.title, zone=zone.name)
    charged = sum(item.quantity for item in physical if not rules.ships_free(item.product_id, item.category))
    if not charged:
        return 0, zone
    if discount is not None and discount.free_shipping:
        return 0, zone
    if zone.free_over_minor is not None and goods >= zone.free_over_minor:
        return 0, zone
    return zone.fee_minor + zone.per_item_minor * charged, zone


def _taxes(rules: TaxRules, rates: Iterable[Decimal], nets: Iterable[int], shipping: int) -> tuple[TaxLine, ...]:
    """One line per rate: the bases summed first, then one rounding (shipping takes the default rate)."""
    if rules.mode is TaxMode.NONE:
        return ()
    bases: dict[Decimal, int] = {}
    for rate, net in zip(rates, nets, strict=True):
        bases[rate] = bases.get(rate, 0) + net
    if shipping:
        bases[rules.default_rate] = bases.get(rules.default_rate, 0) + shipping
    compute = tax_inside if rules.mode is TaxMode.INCLUSIVE else tax_on
    return tuple(TaxLine(rate, base, compute(base, rate))
                 for rate, base in sorted(bases.items(), key=lambda pair: -pair[0]) if rate > 0)
