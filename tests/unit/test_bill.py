"""The bill's named rules, and the promise that its parts always add up (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce.bill import (
    CouponKind,
    Destination,
    Discount,
    Item,
    Pricing,
    ShippingRules,
    TaxMode,
    TaxRules,
    Zone,
    allocate,
    make_bill,
    percent_off,
    tax_inside,
    tax_on,
    tax_shares,
)
from commerce.errors import CouponRejected, ShippingUnavailable
from commerce.money import Money

HONSHU = Zone("honshu", "本州", frozenset({"JP"}), fee_minor=600, free_over_minor=5000)
OKINAWA = Zone("okinawa", "沖縄", frozenset({"JP"}), frozenset({"沖縄県"}), fee_minor=1500, per_item_minor=100)
WORLD = Zone("world", "Overseas", frozenset({"US", "FR"}), fee_minor=3000, no_ship_categories=frozenset({"食品"}))
JAPAN_TAX = TaxRules(TaxMode.INCLUSIVE, Decimal(10), {"食品": Decimal(8)}, registration="T1234567890123")
JAPAN = Pricing("JPY", JAPAN_TAX, ShippingRules((OKINAWA, HONSHU, WORLD)))
TOKYO = Destination("JP", "東京都")

TEA = Item(1, "食品", True, 1080, 2, "Matcha")       # reduced rate
CUP = Item(2, "器", True, 3300, 1, "Tea cup")        # standard rate
EBOOK = Item(3, None, False, 1100, 1, "Guide")       # digital


def test_the_named_rules_round_down() -> None:
    assert percent_off(999, Decimal(10)) == 99            # 99.9 → 99
    assert percent_off(1000, Decimal("12.5")) == 125
    assert tax_inside(1100, Decimal(10)) == 100
    assert tax_inside(1080, Decimal(8)) == 80
    assert tax_inside(1099, Decimal(10)) == 99            # 99.909… → 99
    assert tax_on(1000, Decimal(10)) == 100
    assert tax_on(999, Decimal(8)) == 79                  # 79.92 → 79
    assert tax_on(999, Decimal(0)) == 0


def test_allocate_gives_the_left_over_units_to_the_largest_remainders() -> None:
    assert allocate(10, [1, 1, 1]) == [4, 3, 3]
    assert allocate(100, [2160, 3300, 0]) == [40, 60, 0]   # 39.56 / 60.44: the larger remainder gets the unit
    assert allocate(0, [5, 5]) == [0, 0]
    assert allocate(7, [0, 0]) == [0, 0]


def test_a_japanese_bill_with_a_coupon_shipping_and_two_rates() -> None:
    coupon = Discount("SPRING10", CouponKind.PERCENT, percent=Decimal(10))
    bill = make_bill([TEA, CUP], JAPAN, destination=TOKYO, discount=coupon)
    assert bill.subtotal_minor == 2160 + 3300 == 5460
    assert bill.discount_minor == 546
    assert [line.discount_minor for line in bill.lines] == [216, 330]
    assert bill.shipping_minor == 600 and bill.zone_id == "honshu"   # 4,914 after discount: under ¥5,000
    assert bill.total_minor == 5460 - 546 + 600 == 5514
    standard, reduced = bill.taxes
    assert (standard.rate, standard.base_minor, standard.tax_minor) == (Decimal(10), 3300 - 330 + 600, 324)
    assert (reduced.rate, reduced.base_minor, reduced.tax_minor) == (Decimal(8), 2160 - 216, 144)
    assert bill.reduced_rates == {Decimal(8)}
    assert bill.registration == "T1234567890123"


def test_free_shipping_over_the_threshold_and_region_zones_first() -> None:
    assert make_bill([CUP, CUP], JAPAN, destination=TOKYO).shipping_minor == 0   # ¥6,600 ≥ ¥5,000
    okinawa = make_bill([TEA], JAPAN, destination=Destination("JP", "沖縄県"))
    assert (okinawa.zone_id, okinawa.shipping_minor) == ("okinawa", 1500 + 2 * 100)


def test_exclusive_tax_is_added_to_the_total() -> None:
    pricing = Pricing("USD", TaxRules(TaxMode.EXCLUSIVE, Decimal("8.875")))
    bill = make_bill([Item(1, None, False, 1999, 3)], pricing)
    assert bill.taxes[0].tax_minor == 532            # 5997 × 8.875 % = 532.23…
    assert bill.total_minor == 5997 + 532


def test_digital_goods_and_a_shop_without_rules_bill_the_lines_only() -> None:
    assert make_bill([EBOOK], JAPAN).shipping_minor == 0
    plain = make_bill([TEA, CUP], Pricing())
    assert (plain.total_minor, plain.taxes, plain.shipping_minor) == (5460, (), 0)


def test_shipping_refusals_name_their_reason() -> None:
    with pytest.raises(ShippingUnavailable) as nowhere:
        make_bill([CUP], JAPAN, destination=Destination("DE"))
    assert nowhere.value.reason == "zone"
    with pytest.raises(ShippingUnavailable) as food:
        make_bill([TEA], JAPAN, destination=Destination("US"))
    assert (food.value.reason, food.value.title) == ("item", "Matcha")
    with pytest.raises(ShippingUnavailable):
        make_bill([CUP], JAPAN)                      # a zone is needed and there is no address


def test_coupon_minimum_scope_fixed_and_free_shipping() -> None:
    with pytest.raises(CouponRejected) as minimum:
        make_bill([TEA], JAPAN, destination=TOKYO,
                  discount=Discount("BIG", CouponKind.FIXED, amount_minor=500, min_order_minor=3000))
    assert minimum.value.minimum == Money.from_minor(3000, "JPY")
    with pytest.raises(CouponRejected) as scope:
        make_bill([TEA], JAPAN, destination=TOKYO,
                  discount=Discount("CUPS", CouponKind.PERCENT, percent=Decimal(20), categories=frozenset({"器"})))
    assert scope.value.reason == "scope"
    fixed = make_bill([EBOOK], JAPAN, discount=Discount("OFF5000", CouponKind.FIXED, amount_minor=5000))
    assert (fixed.discount_minor, fixed.total_minor) == (1100, 0)      # never below zero
    free = make_bill([TEA], JAPAN, destination=TOKYO, discount=Discount("SHIPFREE", CouponKind.FREE_SHIPPING))
    assert (free.shipping_minor, free.discount_minor, free.free_shipping_by_coupon) == (0, 0, True)


rates = st.sampled_from([Decimal(0), Decimal(8), Decimal(10), Decimal("8.875")])
items = st.lists(st.builds(Item, st.integers(1, 6), st.sampled_from([None, "食品", "器"]), st.booleans(),
                           st.integers(0, 10**9), st.integers(1, 99)), min_size=1, max_size=12)
zones = st.lists(st.builds(Zone, st.sampled_from(["a", "b", "c"]), st.just("z"), st.just(frozenset({"JP"})),
                           st.sampled_from([frozenset(), frozenset({"沖縄県"})]), st.integers(0, 5000),
                           st.integers(0, 500), st.none() | st.integers(0, 20000)), max_size=3)
discounts = st.none() | st.builds(Discount, st.just("X"), st.sampled_from(list(CouponKind)),
                                  percent=st.decimals(Decimal("0.01"), Decimal(100), places=2),
                                  amount_minor=st.integers(1, 10**7), product_ids=st.sampled_from(
                                      [frozenset(), frozenset({1, 2})]))


@settings(max_examples=300, deadline=None)
@given(items, st.sampled_from(list(TaxMode)), rates, st.dictionaries(st.sampled_from(["食品", "器"]), rates),
       zones, discounts)
def test_the_parts_always_add_up(lines: list[Item], mode: TaxMode, rate: Decimal, by_category: dict[str, Decimal],
                                 zone_list: list[Zone], discount: Discount | None) -> None:
    pricing = Pricing("JPY", TaxRules(mode, rate, by_category), ShippingRules(tuple(zone_list)))
    try:
        bill = make_bill(lines, pricing, destination=Destination("JP", "沖縄県"), discount=discount)
    except (CouponRejected, ShippingUnavailable):
        return
    added = bill.tax_minor if mode is TaxMode.EXCLUSIVE else 0
    assert bill.total_minor == bill.subtotal_minor - bill.discount_minor + bill.shipping_minor + added
    assert bill.subtotal_minor == sum(line.total_minor for line in bill.lines)
    assert bill.discount_minor == sum(line.discount_minor for line in bill.lines)
    assert all(0 <= line.discount_minor <= line.total_minor for line in bill.lines)
    assert 0 <= bill.discount_minor <= bill.subtotal_minor and bill.total_minor >= 0
    taxed = sum(t.base_minor for t in bill.taxes)
    assert taxed <= bill.subtotal_minor - bill.discount_minor + bill.shipping_minor
    for tax in bill.taxes:
        assert tax.rate > 0 and 0 <= tax.tax_minor <= tax.base_minor
    if mode is TaxMode.NONE:
        assert bill.taxes == ()


@settings(max_examples=300, deadline=None)
@given(items, st.sampled_from(list(TaxMode)), rates, st.dictionaries(st.sampled_from(["食品", "器"]), rates),
       zones, discounts)
def test_tax_shares_add_up_to_each_rates_tax(lines: list[Item], mode: TaxMode, rate: Decimal,
                                             by_category: dict[str, Decimal], zone_list: list[Zone],
                                             discount: Discount | None) -> None:
    pricing = Pricing("JPY", TaxRules(mode, rate, by_category), ShippingRules(tuple(zone_list)))
    try:
        bill = make_bill(lines, pricing, destination=Destination("JP", "沖縄県"), discount=discount)
    except (CouponRejected, ShippingUnavailable):
        return
    shares = tax_shares(bill)
    assert sum(shares.lines) + shares.shipping == bill.tax_minor
    for tax in bill.taxes:
        on_lines = sum(share for line, share in zip(bill.lines, shares.lines, strict=True) if line.tax_rate == tax.rate)
        assert on_lines + (shares.shipping if tax.rate == rate else 0) == tax.tax_minor
    for line, share in zip(bill.lines, shares.lines, strict=True):
        assert 0 <= share <= line.total_minor - line.discount_minor
    assert shares.shipping == 0 or (bill.shipping_minor and 0 < shares.shipping <= bill.shipping_minor)


def test_tax_shares_give_the_shipping_its_part_of_the_default_rate() -> None:
    # Okinawa: 1,500 + 100 per physical item. Matcha (8 %) and a cup (10 %); the shipping is taxed at 10 %.
    bill = make_bill([TEA, CUP], JAPAN, destination=Destination("JP", "沖縄県"))
    assert [(t.rate, t.base_minor, t.tax_minor) for t in bill.taxes] == [(Decimal(10), 5100, 463),
                                                                      (Decimal(8), 2160, 160)]
    shares = tax_shares(bill)
    assert shares.lines == (160, 300) and shares.shipping == 163   # 463 over 3,300 and 1,800
