"""What a seller types about a coupon, read the same way on every front-end, and a coupon described the same way
on every front-end (bots/common/coupon_form.py, bots/common/coupon_view.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bots.common.coupon_form import parse_coupon_line, parse_discount, parse_product_ids, parse_when
from bots.common.coupon_view import CouponMove, CouponState, coupon_problem, present_coupon, present_coupons
from bots.common.links import telegram_coupon_link
from bots.i18n import Translator
from commerce.bill import CouponKind
from commerce.coupons import CouponDTO
from commerce.errors import InvalidAmount, InvalidInput
from commerce.money import Money

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TOKYO = "Asia/Tokyo"


@pytest.fixture(scope="module")
def tr() -> Translator:
    return Translator.load()


def coupon(**changes: object) -> CouponDTO:
    terms: dict[str, object] = dict(
        id=1, code="SPRING10", kind=CouponKind.PERCENT, percent=Decimal(10), amount=Money.zero("JPY"),
        min_order=Money.zero("JPY"), free_shipping=False, starts_at=None, ends_at=None, max_uses=None,
        per_customer=None, uses=0, product_ids=(), categories=(), paused=False, source="seller", owner_id=None)
    return CouponDTO(**{**terms, **changes})  # type: ignore[arg-type]


# ---- reading ----


@pytest.mark.parametrize(("typed", "kind", "percent", "amount"), [
    ("10%", CouponKind.PERCENT, Decimal(10), None),
    ("１２.５％", CouponKind.PERCENT, Decimal("12.5"), None),
    ("500", CouponKind.FIXED, Decimal(0), Money.parse("500", "JPY")),
    ("1,500", CouponKind.FIXED, Decimal(0), Money.parse("1500", "JPY")),
    ("free_shipping", CouponKind.FREE_SHIPPING, Decimal(0), None),
    ("送料無料", CouponKind.FREE_SHIPPING, Decimal(0), None),
])
def test_a_discount_is_a_percentage_an_amount_or_free_shipping(typed: str, kind: CouponKind, percent: Decimal,
                                                               amount: Money | None) -> None:
    read = parse_discount(typed, "JPY")
    assert (read.kind, read.percent, read.amount) == (kind, percent, amount)


def test_what_is_not_a_discount_says_which_part() -> None:
    with pytest.raises(InvalidInput) as words:
        parse_discount("ten", "JPY")
    assert words.value.fields == {"field": "discount", "reason": "format", "value": "ten"}
    with pytest.raises(InvalidInput) as percent:
        parse_discount("-5%", "JPY")
    assert percent.value.field == "percent"
    with pytest.raises(InvalidAmount):
        parse_discount("12.5", "JPY")   # JPY has no decimals: Money.parse refuses, never rounds


def test_days_are_the_shops_and_the_last_day_is_included() -> None:
    assert parse_when("2026-12-01", TOKYO) == datetime(2026, 11, 30, 15, tzinfo=UTC)
    assert parse_when("2026-12-31", TOKYO, end=True) == datetime(2026, 12, 31, 15, tzinfo=UTC)
    assert parse_when("2026-12-31T18:00", TOKYO) == datetime(2026, 12, 31, 9, tzinfo=UTC)
    assert parse_when("2026-12-31T18:00:00+00:00", TOKYO, end=True) == datetime(2026, 12, 31, 18, tzinfo=UTC)
    for bad in ("2026-02-30", "31/12/2026", "tomorrow", "2026-12-31T25:00"):
        with pytest.raises(InvalidInput) as refused:
            parse_when(bad, TOKYO, field_name="ends_at")
        assert refused.value.fields == {"field": "ends_at", "reason": "date", "value": bad}


def test_the_one_line_form_reads_every_option() -> None:
    new = parse_coupon_line('spring10 10% min=３０００ uses=100 per=1 from=2026-12-01 to=2026-12-31 free_shipping '
                            'cat=Food cat="Green tea" product=12,15 product=12', "JPY", TOKYO)
    assert (new.code, new.kind, new.percent, new.free_shipping) == ("spring10", CouponKind.PERCENT, 10, True)
    assert (new.min_order, new.max_uses, new.per_customer) == (Money.parse("3000", "JPY"), 100, 1)
    assert (new.starts_at, new.ends_at) == (parse_when("2026-12-01", TOKYO), parse_when("2027-01-01", TOKYO))
    assert (new.categories, new.product_ids) == (("Food", "Green tea"), (12, 15))


@pytest.mark.parametrize(("line", "fields"), [
    ("", {"field": "coupon_code", "reason": "required"}),
    ("SPRING10", {"field": "discount", "reason": "required"}),
    ("SPRING10 min=3000", {"field": "discount", "reason": "required"}),
    ("SPRING10 10% colour=red", {"field": "option", "reason": "unknown", "value": "colour"}),
    ("SPRING10 10% fast", {"field": "option", "reason": "unknown", "value": "fast"}),
    ("SPRING10 10% uses=", {"field": "option", "reason": "required", "value": "uses"}),
    ("SPRING10 10% uses=1 uses=2", {"field": "option", "reason": "repeated", "value": "uses"}),
    ("SPRING10 10% uses=many", {"field": "max_uses", "reason": "range", "limit": 1_000_000, "value": "many"}),
    ("SPRING10 10% product=0", {"field": "product", "reason": "format", "value": "0"}),
    ('SPRING10 10% cat="Green tea', {"field": "form", "reason": "quotes"}),
])
def test_a_bad_line_names_what_is_wrong(line: str, fields: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_coupon_line(line, "JPY", TOKYO)
    assert refused.value.fields == fields


def test_product_numbers_may_be_listed_with_commas() -> None:
    assert parse_product_ids("12, 15、 7") == (12, 15, 7)


def test_the_telegram_link_is_the_one_the_telegram_bot_understands() -> None:
    from bots.telegram.deep_links import coupon_in

    assert telegram_coupon_link("sakura_bot", "SPRING10") == "https://t.me/sakura_bot?start=c_SPRING10"
    assert coupon_in(telegram_coupon_link("sakura_bot", "SPRING-10_X").split("start=")[1]) == "SPRING-10_X"


# ---- describing ----


def test_a_coupon_is_described_with_every_term(tr: Translator) -> None:
    view = present_coupon(tr, "en", coupon(kind=CouponKind.FIXED, amount=Money.parse("500", "JPY"),
                                           free_shipping=True, min_order=Money.parse("3000", "JPY"),
                                           starts_at=parse_when("2026-12-01", TOKYO),
                                           ends_at=parse_when("2026-12-31", TOKYO, end=True), max_uses=100, uses=3,
                                           per_customer=1, categories=("Food",), product_ids=(12,)),
                          timezone=TOKYO, now=NOW)
    assert view.title == "SPRING10 — ¥500 off + free shipping"
    assert (view.state, view.status) == (CouponState.SCHEDULED, "Not started yet")
    assert view.lines == ("Orders from ¥3,000", "Valid Dec 1, 2026 – Dec 31, 2026", "Used 3 of 100",
                          "1 per customer", "Only: Food, product #12")
    assert [(b.move, b.label) for b in view.buttons] == [
        (CouponMove.PAUSE, "⏸ Pause SPRING10"), (CouponMove.DELETE, "🗑 Delete SPRING10"),
        (CouponMove.SHARE, "🔗 Link SPRING10")]

    ja = present_coupon(tr, "ja", coupon(percent=Decimal("12.5"), paused=True,
                                         ends_at=datetime(2026, 12, 31, 9, tzinfo=UTC)), timezone=TOKYO, now=NOW)
    assert (ja.gives, ja.status, ja.window) == ("12.5%オフ", "⏸ 一時停止中", "2026年12月31日 18:00まで有効")
    assert ja.lines == ("2026年12月31日 18:00まで有効", "使用 0回（上限なし）", "ショップ全体")
    assert ja.buttons[0].move is CouponMove.RESUME


@pytest.mark.parametrize(("changes", "state"), [
    ({}, CouponState.ACTIVE),
    ({"ends_at": NOW}, CouponState.EXPIRED),
    ({"max_uses": 2, "uses": 2}, CouponState.USED_UP),
    ({"paused": True, "ends_at": NOW}, CouponState.PAUSED),
])
def test_the_state_is_what_a_buyer_would_meet_now(tr: Translator, changes: dict[str, object],
                                                  state: CouponState) -> None:
    assert present_coupon(tr, "en", coupon(**changes), timezone=TOKYO, now=NOW).state is state


def test_a_page_knows_its_neighbours(tr: Translator) -> None:
    five = [coupon(id=i, code=f"CODE{i}") for i in range(5)]
    first = present_coupons(tr, "en", five, page=0, timezone=TOKYO, now=NOW)
    assert [c.code for c in first.coupons] == ["CODE0", "CODE1", "CODE2", "CODE3"]
    assert (first.previous, first.next, first.empty) == (None, "Next ▶", None)
    empty = present_coupons(tr, "en", [], page=0, timezone=TOKYO, now=NOW)
    assert empty.empty == "No coupon codes yet." and empty.next is None


def test_refusals_are_worded_for_the_coupon_form(tr: Translator) -> None:
    taken = InvalidInput(field="coupon_code", reason="taken")
    assert coupon_problem(tr, "en", taken, code="SPRING10").startswith("The code SPRING10 already exists")
    assert coupon_problem(tr, "ja", taken, code="SPRING10").startswith("コードSPRING10はすでに存在します")
    uses = InvalidInput(field="max_uses", reason="range", limit=1_000_000)
    assert coupon_problem(tr, "en", uses) == "The number of uses must be a whole number from 1 to 1,000,000."
    other = InvalidInput(field="title", reason="too_long", limit=120)   # not a coupon's: the shared wording
    assert coupon_problem(tr, "en", other) == tr.error("en", other)


def test_a_long_scope_names_ten_and_counts_the_rest(tr: Translator) -> None:
    view = present_coupon(tr, "en", coupon(categories=tuple(f"C{i:02}" for i in range(8)), product_ids=(1, 2, 3, 4)),
                          timezone=TOKYO, now=NOW)
    assert view.scope == "Only: C00, C01, C02, C03, C04, C05, C06, C07, product #1, product #2, 2 more"
