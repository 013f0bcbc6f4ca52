"""`chatshop orders export` on a real SQLite shop with tax, shipping and coupons: the CSV read back adds up to
the frozen bills, holds nothing personal, runs no formula in a spreadsheet, and is written privately and whole."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import stat
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet

from bots.app import open_shop
from bots.cli.main import main
from bots.cli.orders_export import COLUMNS, FIRST_LINE_ONLY
from bots.config import load_settings
from commerce.bill import CouponKind
from commerce.catalog import NewProduct
from commerce.coupons import NewCoupon
from commerce.orders import OrderDTO
from commerce.privacy import ShippingAddress
from commerce.storage.tables import Payment, PaymentRequest
from tests.conftest import FakeClock

CONFIG = """\
[shop]
name = "Test"
currency = "JPY"
timezone = "Asia/Tokyo"
[database]
url = "sqlite+aiosqlite:///data/shop.db"
[telegram]
enabled = false
[rates]
source = "fixed"
[sellers]
owners = ["telegram:1"]
[tax]
mode = "inclusive"
rate = "10"
categories = { "食品" = "8" }
registration_number = "T1234567890123"
[[shipping.zones]]
id = "honshu"
name = "本州"
countries = ["JP"]
fee = "600"
free_over = "5000"
"""

HOME = ShippingAddress(name="Yamada Hanako", postal_code="150-0001", region="東京都", city="Shibuya",
                       line1="Jingumae 1-2-3 Sunny Heights")
TOKYO = ZoneInfo("Asia/Tokyo")
# 2 November 2026 in Tokyo starts at 15:00 UTC on 1 November.
NOVEMBER_2 = datetime(2026, 11, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CHATSHOP_DATA_KEY", Fernet.generate_key().decode())
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "bot.toml").write_text(CONFIG, encoding="utf-8")
    return shop


def chatshop(folder: Path, *args: str) -> int:
    return main([*args, "--config", str(folder / "bot.toml")])


def read_csv(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")  # the byte-order mark that makes Excel read UTF-8
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


async def sell_november(folder: Path) -> list[OrderDTO]:
    """Four orders: on 2 November (Tokyo) a mixed-rate order with a coupon and shipping, one whose title is a
    formula, and one paid by a USDT transfer; on 3 November one more, and an unpaid order on the 2nd."""
    settings = load_settings(folder / "bot.toml", environ=os.environ)
    clock = FakeClock()
    clock.now = NOVEMBER_2 + timedelta(hours=1)
    async with open_shop(settings, clock=clock) as shop:
        [owner] = await shop.sellers.bootstrap_owners(["telegram:1"])
        tea = (await shop.catalog.create_product(owner, NewProduct(title="抹茶 Matcha", price="1080", stock=50,
                                                                   category_name="食品"))).variants[0].id
        cup = (await shop.catalog.create_product(owner, NewProduct(title="Tea cup, large", price="3300",
                                                                   stock=50))).variants[0].id
        evil = (await shop.catalog.create_product(owner, NewProduct(
            title='=HYPERLINK("http://evil.example","click")', price="500", stock=50))).variants[0].id
        await shop.coupons.create(owner, NewCoupon("SPRING10", CouponKind.PERCENT, percent=Decimal(10)))
        buyer = (await shop.customers.identify("telegram", 4242, display_name="Hanako Yamada")).id

        async def sell(items: list[tuple[int, int]], coupon: str | None = None, *, pay: bool = True) -> OrderDTO:
            order = await shop.orders.checkout(buyer, items=items, address=HOME, coupon=coupon)
            if pay:
                clock.advance(minutes=5)
                order = await shop.payments.payment_confirmed(order.id)
            return order

        mixed = await sell([(tea, 3), (cup, 1)], "SPRING10")
        formula = await sell([(evil, 1), (tea, 1)])
        usdt = await sell([(cup, 2)], pay=False)
        async with shop.db.uow() as uow:
            request = PaymentRequest(order_id=usdt.id, method_id="usdt-eth", chain="evm:1", asset="USDT",
                                     decimals=6, address="0xshop", amount_units=44_000_123, price="150",
                                     uri="ethereum:…", confirmations=2, due_minor=6600, expires_at=clock.now,
                                     late_until=clock.now)
            uow.session.add(request)
            await uow.flush()
            uow.session.add(Payment(request_id=request.id, chain="evm:1", txid="0xfeed", output_index=0,
                                    amount_units=44_000_123, block_height=7))
            await uow.commit()
        usdt = await shop.payments.payment_confirmed(usdt.id)
        await sell([(tea, 1)], pay=False)                      # never paid
        clock.now = NOVEMBER_2 + timedelta(days=1, hours=1)
        later = await sell([(cup, 1)])
        return [mixed, formula, usdt, later]


def test_the_export_adds_up_to_the_frozen_bills(folder: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    orders = asyncio.run(sell_november(folder))
    target = tmp_path / "out" / "november.csv"
    capsys.readouterr()
    assert chatshop(folder, "orders", "export", str(target), "--from", "2026-11-01", "--to", "2026-11-30") == 0
    said = capsys.readouterr().out
    assert "exported 6 lines of 4 orders paid from 2026-11-01 to 2026-11-30 (Asia/Tokyo)" in said

    rows = read_csv(target)
    assert list(rows[0]) == list(COLUMNS)
    by_order: dict[int, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_order[int(row["order_id"])].append(row)
    assert list(by_order) == [order.id for order in orders]
    for order in orders:
        lines, bill = by_order[order.id], order.bill
        first, rest = lines[0], lines[1:]

        def total(column: str, lines: list[dict[str, str]] = lines) -> int:
            return sum(int(row[column]) for row in lines)

        assert [row["line"] for row in lines] == [str(i) for i in range(1, len(lines) + 1)]
        assert all(row[column] == "" for row in rest for column in FIRST_LINE_ONLY)
        assert (int(first["order_subtotal"]), int(first["order_discount"]), int(first["order_shipping"]),
                int(first["order_tax"]), int(first["order_total"])) == (
            bill.subtotal_minor, bill.discount_minor, bill.shipping_minor, bill.tax_minor, bill.total_minor)
        assert total("line_total") == bill.subtotal_minor
        assert total("line_discount") == bill.discount_minor
        assert total("line_tax") + int(first["shipping_tax"]) == bill.tax_minor
        assert total("line_after_discount") + bill.shipping_minor == bill.total_minor  # tax inside the prices
        for tax in bill.taxes:
            at_rate = [row for row in lines if Decimal(row["tax_rate"]) == tax.rate]
            shipping = int(first["shipping_tax"]) if total("line_after_discount", at_rate) < tax.base_minor else 0
            assert total("line_tax", at_rate) + shipping == tax.tax_minor
        for row in lines:
            assert int(row["line_total"]) == int(row["unit_price"]) * int(row["quantity"])
            assert int(row["line_net"]) + int(row["line_tax"]) == int(row["line_after_discount"])
            assert (row["status"], row["currency"], row["tax_mode"]) == (order.status.value, "JPY", "inclusive")
            assert row["order_date"] == order.created_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S")
            assert order.paid_at is not None
            assert row["paid_date"] == order.paid_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S")

    mixed = by_order[orders[0].id]
    assert [(r["title"], r["tax_rate"], r["coupon_code"], r["shipping_zone"]) for r in mixed] == [
        ("抹茶 Matcha", "8", "SPRING10", "本州"), ("Tea cup, large", "10", "SPRING10", "本州")]
    assert mixed[0]["paid_date"].startswith("2026-11-02 ")
    paid = by_order[orders[2].id][0]
    assert (paid["payment_method"], paid["payment_asset"], paid["payment_amount"], paid["payment_txid"]) == (
        "usdt-eth", "USDT", "44.000123", "0xfeed")
    # Checked against the money as the core sums it for the closing line.
    assert f"JPY: subtotal {sum(o.bill.subtotal_minor for o in orders)}, " in said


def test_no_personal_data_and_no_formula(folder: Path, tmp_path: Path) -> None:
    asyncio.run(sell_november(folder))
    target = tmp_path / "november.csv"
    assert chatshop(folder, "orders", "export", str(target)) == 0
    text = target.read_text(encoding="utf-8-sig")
    for personal in ("Yamada", "Hanako", "150-0001", "Jingumae", "Sunny Heights", "Shibuya"):
        assert personal not in text
    [evil] = [row for row in read_csv(target) if "HYPERLINK" in row["title"]]
    assert evil["title"] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_days_are_the_shops_days_and_statuses_can_be_chosen(folder: Path, tmp_path: Path) -> None:
    orders = asyncio.run(sell_november(folder))
    day = tmp_path / "day.csv"
    assert chatshop(folder, "orders", "export", str(day), "--from", "2026-11-02", "--to", "2026-11-02") == 0
    assert sorted({int(row["order_id"]) for row in read_csv(day)}) == [o.id for o in orders[:3]]
    unpaid = tmp_path / "unpaid.csv"
    assert chatshop(folder, "orders", "export", str(unpaid), "--status", "awaiting_payment") == 0
    assert [row["status"] for row in read_csv(unpaid)] == ["awaiting_payment"]
    everything = tmp_path / "all.csv"
    assert chatshop(folder, "orders", "export", str(everything), "--status", "paid,fulfilled",
                    "--status", "all") == 0
    assert len({row["order_id"] for row in read_csv(everything)}) == 5


def test_an_existing_file_needs_force_and_a_failure_leaves_nothing(
        folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    asyncio.run(sell_november(folder))
    target = tmp_path / "november.csv"
    target.write_text("keep me", encoding="utf-8")
    assert chatshop(folder, "orders", "export", str(target)) == 1
    assert "--force" in capsys.readouterr().err and target.read_text(encoding="utf-8") == "keep me"

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    with monkeypatch.context() as patch:
        patch.setattr("bots.cli.orders_export.order_rows", broken)
        assert chatshop(folder, "orders", "export", str(target), "--force") == 1
    assert "disk on fire" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "keep me"
    assert not (tmp_path / "november.csv.partial").exists()
    assert chatshop(folder, "orders", "export", str(target), "--force") == 0
    assert len(read_csv(target)) == 6


def test_bad_days_and_statuses_are_usage_errors(folder: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "x.csv")
    assert chatshop(folder, "orders", "export", out, "--from", "2026-11-31") == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert chatshop(folder, "orders", "export", out, "--status", "sold") == 2
    assert 'unknown status "sold"' in capsys.readouterr().err
    assert chatshop(folder, "orders", "export", out, "--from", "2026-12-01", "--to", "2026-11-01") == 2
    assert not Path(out).exists()

