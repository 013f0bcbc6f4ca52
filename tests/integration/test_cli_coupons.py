"""`chatshop coupons create|list|pause|resume|delete` run in-process against SQLite in a temp dir: a code made
from the command line is refused at checkout while paused and accepted again once resumed; bad terms are one
clear line and a non-zero exit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bots.app import open_shop
from bots.config import load_settings
from commerce.errors import CouponRejected
from tests.integration.test_cli import chatshop, import_products, shop_dir

GUIDE = """\
product_ref,title,kind,category,price
guide,Tea guide,digital,Books,3000
matcha,Matcha tin,digital,Green tea,1200
"""


def out_of(capsys: pytest.CaptureFixture[str], folder: Path, *args: str, status: int = 0) -> str:
    capsys.readouterr()
    assert chatshop(folder, *args) == status, capsys.readouterr()
    captured = capsys.readouterr()
    return captured.out if status == 0 else captured.err


def checkout_with(folder: Path, code: str) -> str:
    """A buyer's bill for one Tea guide with `code`: "ok", or the reason the code was refused."""
    async def order() -> str:
        async with open_shop(load_settings(folder / "bot.toml", environ={})) as shop:
            buyer = (await shop.customers.identify("discord", 42)).id
            [guide] = [p for p in (await shop.catalog.list_products()).items if p.title == "Tea guide"]
            variant = guide.variants[0].id
            try:
                bill = await shop.orders.quote(buyer, items=[(variant, 1)], coupon=code)
            except CouponRejected as refused:
                return str(refused.reason)
            return f"ok: −{bill.discount_minor}"

    return asyncio.run(order())


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")   # the table's rows on one line each


def test_create_list_pause_resume_delete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    import_products(folder, GUIDE)
    assert "no coupon codes yet" in out_of(capsys, folder, "coupons", "list")

    created = out_of(capsys, folder, "coupons", "create", "spring10", "--percent", "10", "--min-order", "1,000",
                     "--uses", "100", "--per-customer", "1", "--from", "2026-01-01", "--to", "2099-12-31",
                     "--category", "Books", "--category", "Green tea")
    assert created.splitlines()[0] == "Coupon SPRING10 is ready: 10% off."
    assert "Orders from ¥1,000 · Valid Jan 1, 2026 – Dec 31, 2099 · Used 0 of 100" in created
    out_of(capsys, folder, "coupons", "create", "SHIP", "--free-shipping", "--product", "1", "2")
    assert "No product 99 in the shop" in out_of(capsys, folder, "coupons", "create", "TYPO", "--percent", "5",
                                                 "--product", "99", status=1)
    assert "No category “Sweets” in the shop" in out_of(capsys, folder, "coupons", "create", "TYPO", "--percent",
                                                       "5", "--category", "Sweets", status=1)
    out_of(capsys, folder, "coupons", "create", "TEA500", "--amount", "500", "--free-shipping")

    listing = out_of(capsys, folder, "coupons", "list")
    lines = [line.split() for line in listing.splitlines()]
    assert lines[0] == ["code", "gives", "min", "order", "valid", "used", "per", "customer", "applies", "to", "state"]
    assert [line[0] for line in lines[1:4]] == ["TEA500", "SHIP", "SPRING10"]
    assert " ".join(lines[3]) == ("SPRING10 10% off ¥1,000 Valid Jan 1, 2026 – Dec 31, 2099 0/100 1 "
                                  "Only: Books, Green tea Active")
    assert "¥500 off + free shipping" in listing and "Only: product #1, product #2" in listing
    assert "Only: Books, Green tea" in listing and "Active" in listing and "3 coupon codes" in listing
    assert checkout_with(folder, "spring10") == "ok: −300"

    assert "SPRING10 is paused" in out_of(capsys, folder, "coupons", "pause", "spring10")
    assert "⏸ Paused" in out_of(capsys, folder, "coupons", "list")
    assert checkout_with(folder, "SPRING10") == "paused"
    assert "SPRING10 is active again" in out_of(capsys, folder, "coupons", "resume", "SPRING10")
    assert checkout_with(folder, "SPRING10") == "ok: −300"
    assert "SPRING10 is deleted" in out_of(capsys, folder, "coupons", "delete", "SPRING10")
    assert checkout_with(folder, "SPRING10") == "unknown"
    assert "SPRING10" not in out_of(capsys, folder, "coupons", "list")


def test_dates_are_the_shops_days_or_exact_moments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    out_of(capsys, folder, "coupons", "create", "DAYS", "--percent", "5", "--from", "2026-12-01", "--to",
           "2026-12-31")
    out_of(capsys, folder, "coupons", "create", "EXACT", "--percent", "5", "--to", "2026-12-31T18:00:00+00:00")

    async def windows() -> dict[str, tuple[datetime | None, datetime | None]]:
        async with open_shop(load_settings(folder / "bot.toml", environ={})) as shop:
            return {c.code: (c.starts_at, c.ends_at) for c in await shop.coupons.list(None)}

    found = asyncio.run(windows())
    assert found["DAYS"] == (datetime(2026, 11, 30, 15, tzinfo=UTC), datetime(2026, 12, 31, 15, tzinfo=UTC))  # JST
    assert found["EXACT"] == (None, datetime(2026, 12, 31, 18, tzinfo=UTC))
    assert "Valid until Jan 1, 2027, 03:00" in out_of(capsys, folder, "coupons", "list")   # 18:00 UTC in Tokyo


@pytest.mark.parametrize(("args", "message"), [
    (["X", "--percent", "10"], "“X” can't be a code"),
    (["SPRING10", "--percent", "150"], "The percentage must be more than 0% and at most 100%"),
    (["SPRING10", "--amount", "12.5"], "“12.5” isn't a valid amount in JPY"),
    (["SPRING10", "--percent", "10", "--from", "2026-02-30"], "“2026-02-30” isn't a date I can read"),
    (["SPRING10", "--percent", "10", "--from", "2026-12-31", "--to", "2026-12-01"], "must end after it starts"),
    (["SPRING10", "--percent", "10", "--uses", "0"], "from 1 to 1,000,000"),
    (["SPRING10", "--percent", "10", "--product", "twelve"], "“twelve” isn't a product number"),
])
def test_bad_terms_are_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                      message: str) -> None:
    folder = shop_dir(tmp_path)
    error = out_of(capsys, folder, "coupons", "create", *args, status=1)
    assert message in error and len(error.strip().splitlines()) == 1, error
    assert "no coupon codes yet" in out_of(capsys, folder, "coupons", "list")


def test_usage_mistakes_and_unknown_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    assert "say what the code gives" in out_of(capsys, folder, "coupons", "create", "SPRING10", status=2)
    capsys.readouterr()
    assert chatshop(folder, "coupons", "create", "SPRING10", "--percent", "5", "--amount", "500") == 2
    assert "not allowed with argument" in capsys.readouterr().err
    assert out_of(capsys, folder, "coupons", "pause", "NOPE", status=1).strip() == "coupon NOPE not found"
    out_of(capsys, folder, "coupons", "create", "SPRING10", "--percent", "5")
    taken = out_of(capsys, folder, "coupons", "create", "spring10", "--amount", "500", status=1)
    assert taken.strip() == ("The code SPRING10 already exists (codes are never reused, even deleted ones). "
                             "Please choose another code.")
