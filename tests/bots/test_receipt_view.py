"""The receipt of a paid order, as finished strings for media/receipt.py: everything from the frozen bill, in the
buyer's language; a qualified invoice (適格請求書) only when the shop has a registration number."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from PIL import Image

from bots.common.receipt_view import TRANSFERS_SHOWN, receipt_for, render_receipt
from bots.i18n import Translator
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
    make_bill,
)
from commerce.money import Money
from commerce.orders import OrderDetailDTO, OrderDTO, PaymentSummary
from commerce.receipts import PaidTransfer
from commerce.status import OrderStatus

REGISTRATION = "T1234567890123"
HONSHU = Zone("honshu", "本州", frozenset({"JP"}), fee_minor=600, free_over_minor=5000)
TXID = "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060"
PAID_AT = datetime(2025, 12, 31, 15, 5, tzinfo=UTC)  # already 1 January 2026 in Tokyo
ITEMS = [Item(1, "食品", True, 1080, 2, "抹茶 <100g>"), Item(2, "器", True, 1650, 1, "Arita mug (blue)")]
SPRING10 = Discount("SPRING10", CouponKind.PERCENT, percent=Decimal(10))
USDT = PaidTransfer("usdt-eth", "USDT", 6, TXID, 26_860_000)


def pricing(mode: TaxMode = TaxMode.INCLUSIVE, registration: str = REGISTRATION) -> Pricing:
    return Pricing("JPY", TaxRules(mode, Decimal(10), {"食品": Decimal(8)}, registration=registration),
                   ShippingRules((HONSHU,)))


def detail(rules: Pricing, discount: Discount | None = SPRING10, order_id: int = 42) -> OrderDetailDTO:
    bill = make_bill(ITEMS, rules, destination=Destination("JP", "東京都"), discount=discount)
    order = OrderDTO(order_id, 1, OrderStatus.PAID, Money.from_minor(bill.total_minor, "JPY"), (), True,
                     datetime(2025, 12, 30, tzinfo=UTC), datetime(2025, 12, 30, tzinfo=UTC), PAID_AT, None, None, bill)
    return OrderDetailDTO(order, None, PaymentSummary("usdt-eth", "USDT", 26_860_000, 6), ())


def test_a_qualified_invoice_shows_every_part_of_the_bill_in_japanese(translator: Translator) -> None:
    receipt = receipt_for(translator, "ja", detail(pricing()), shop_name="さくら雑貨", transfers=[USDT],
                          method_names={"usdt-eth": "USDT (Ethereum)"})
    assert (receipt.title, receipt.shop_name) == ("適格請求書", "さくら雑貨")
    assert receipt.registration == "登録番号 T1234567890123"
    assert (receipt.number, receipt.issued, receipt.customer) == ("注文番号 42", "お支払日 2026年1月1日", "")
    assert [(line.title, line.detail, line.amount) for line in receipt.lines] == [
        ("抹茶 <100g>", "￥1,080 × 2点  ※", "￥2,160"),  # ※: the reduced rate
        ("Arita mug (blue)", "￥1,650 × 1点", "￥1,650")]
    assert receipt.summary == (("小計", "￥3,810"), ("割引（SPRING10）", "−￥381"), ("送料（本州）", "￥600"),
                               ("合計", "￥4,029"))
    # Per rate, after the discount, shipping at the standard rate; one rounding per rate (commerce/bill.py).
    assert receipt.taxes == (("10%対象 ￥2,085", "内消費税 ￥189"), ("※8%対象 ￥1,944", "内消費税 ￥144"))
    assert (receipt.total_label, receipt.total) == ("合計（税込）", "￥4,029")
    assert receipt.footer == ("お支払方法：USDT (Ethereum)　26.86 USDT", f"取引ID：{TXID}", "※は軽減税率（8%）対象")
    assert receipt.more_lines.replace("{count}", "3") == "… ほか3点"


def test_without_a_registration_number_it_is_a_receipt(translator: Translator) -> None:
    receipt = receipt_for(translator, "en", detail(pricing(registration="")), shop_name="Sakura Goods",
                          transfers=[USDT])
    assert (receipt.title, receipt.registration) == ("Receipt", "")
    assert receipt.lines[0].detail == "¥1,080 × 2  ※"
    assert receipt.summary == (("Subtotal", "¥3,810"), ("Discount (SPRING10)", "−¥381"), ("Shipping (本州)", "¥600"),
                               ("Total", "¥4,029"))
    assert receipt.taxes == (("10% items ¥2,085", "incl. tax ¥189"), ("※8% items ¥1,944", "incl. tax ¥144"))
    assert receipt.total_label == "Total (tax included)"
    # No method name known: the asset names it.
    assert receipt.footer == ("Paid with USDT: 26.86 USDT", f"Transaction: {TXID}",
                              translator.text("en", "bill.reduced_mark", mark="※", rates="8"))
    assert (receipt.number, receipt.issued) == ("Order No. 42", "Paid on Jan 1, 2026")


def test_an_english_qualified_invoice_names_the_registration(translator: Translator) -> None:
    receipt = receipt_for(translator, "en", detail(pricing()), shop_name="Sakura Goods")
    assert (receipt.title, receipt.registration) == ("Qualified invoice", "Registration No. T1234567890123")
    assert receipt.footer == (translator.text("en", "bill.reduced_mark", mark="※", rates="8"),)  # nothing paid on-chain


def test_prices_without_tax_show_the_tax_added_per_rate(translator: Translator) -> None:
    receipt = receipt_for(translator, "ja", detail(pricing(TaxMode.EXCLUSIVE), discount=None), shop_name="さくら雑貨")
    # 3,810 of goods, 600 shipping (the goods are under 5,000): 8% on 2,160 = 172, 10% on 1,650 + 600 = 225.
    assert receipt.summary == (("小計", "￥3,810"), ("送料（本州）", "￥600"), ("消費税（10%）", "￥225"),
                               ("消費税（8%）", "￥172"), ("合計", "￥4,807"))
    assert receipt.taxes == (("10%対象 ￥2,250（税抜）", "消費税 ￥225"), ("※8%対象 ￥2,160（税抜）", "消費税 ￥172"))
    assert receipt.total == "￥4,807"


def test_a_shop_without_tax_or_shipping_shows_lines_and_total_only(translator: Translator) -> None:
    plain = detail(Pricing("JPY"), discount=None)
    receipt = receipt_for(translator, "en", plain, shop_name="Sakura Goods", transfers=[USDT])
    assert (receipt.title, receipt.registration, receipt.taxes) == ("Receipt", "", ())
    assert receipt.summary == (("Subtotal", "¥3,810"), ("Total", "¥3,810"))
    assert receipt.total_label == "Total" and receipt.lines[0].detail == "¥1,080 × 2"  # no mark without rates


def test_free_shipping_and_many_transfers_stay_within_the_footer(translator: Translator) -> None:
    free = replace(SPRING10, kind=CouponKind.FREE_SHIPPING, percent=Decimal(0), code="SHIPFREE")
    transfers = [replace(USDT, txid=f"0x{index:064x}", amount_units=1_000_000) for index in range(5)]
    receipt = receipt_for(translator, "en", detail(pricing(), discount=free), shop_name="Sakura Goods",
                          transfers=transfers)
    assert ("Shipping (本州)", "Free") in receipt.summary and ("Discount (SHIPFREE)", "−¥0") in receipt.summary
    assert len(receipt.footer) == 2 * TRANSFERS_SHOWN + 2
    assert receipt.footer[-2] == "and 2 more transfers"


async def test_it_renders_as_a_png_and_a_pdf(translator: Translator) -> None:
    receipt = receipt_for(translator, "ja", detail(pricing()), shop_name="さくら雑貨", transfers=[USDT])
    files = await render_receipt(receipt, 42)
    assert (files.png_name, files.pdf_name) == ("receipt-42.png", "receipt-42.pdf")
    assert Image.open(io.BytesIO(files.png)).size[0] == 720
    assert files.pdf.startswith(b"%PDF")
