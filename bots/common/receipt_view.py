"""A paid order's receipt (領収書), or qualified invoice (適格請求書) when the shop has an invoice registration
number, for any chat platform: `receipt_for` turns the core's DTOs into a `media.receipt.Receipt` of finished
strings in the buyer's language, and `render_receipt` draws it as a PNG and a PDF off the event loop.

Everything comes from the bill frozen on the order at checkout (docs/receipts.md): the lines at the prices
then, the discount, shipping, the tax per rate worked out once per rate, and the total. Nothing is recomputed
here, so the receipt always says what the buyer was asked to pay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from bots.common.bill_view import REDUCED_MARK, rate_text
from bots.i18n import Translator
from commerce.bill import Bill, TaxMode
from commerce.money import Money, format_units
from commerce.orders import OrderDetailDTO
from commerce.receipts import PaidTransfer
from media.receipt import MAX_FOOTER, Receipt, ReceiptLine, render_receipt_pdf, render_receipt_png

# Two footer notes per transfer (how, and its transaction id); the last note is kept for the ※ legend.
TRANSFERS_SHOWN: Final = (MAX_FOOTER - 2) // 2


def receipt_for(tr: Translator, locale: str, detail: OrderDetailDTO, *, shop_name: str,
                transfers: Sequence[PaidTransfer] = (), method_names: Mapping[str, str] | None = None,
                timezone: str = "Asia/Tokyo") -> Receipt:
    """The receipt of a paid order. `transfers` are the on-chain payments the order counted (their txids go in
    the footer); `method_names` names payment methods by id ("USDT (Ethereum)"), else the asset is shown."""
    order, bill = detail.order, detail.order.bill
    t = tr.text

    def money(minor: int) -> str:
        return tr.money(locale, Money.from_minor(minor, bill.currency))

    reduced = bill.reduced_rates
    lines = tuple(ReceiptLine(
        line.item.title,
        t(locale, "receipt.line_detail", price=money(line.item.unit_price_minor), quantity=line.item.quantity)
        + (f"  {REDUCED_MARK}" if line.tax_rate in reduced else ""),
        money(line.total_minor)) for line in bill.lines)
    paid = order.paid_at or order.created_at
    return Receipt(
        title=t(locale, "receipt.title.invoice" if bill.registration else "receipt.title"),
        shop_name=shop_name,
        registration=t(locale, "receipt.registration", number=bill.registration) if bill.registration else "",
        number=t(locale, "receipt.number", id=order.id),
        issued=t(locale, "receipt.date", date=tr.date(locale, paid, timezone)),
        customer="",  # a shop selling to the public leaves the buyer's name out (docs/receipts.md)
        lines=lines,
        summary=_summary(tr, locale, bill, money),
        taxes=_taxes(tr, locale, bill, money),
        total_label=t(locale, "receipt.total.tax_included" if bill.taxes else "receipt.total"),
        total=money(bill.total_minor),
        footer=_footer(tr, locale, bill, transfers, method_names or {}),
        more_lines=t(locale, "receipt.more_lines", count="{count}"),  # media fills the count in
    )


def _summary(tr: Translator, locale: str, bill: Bill, money: Callable[[int], str]) -> tuple[tuple[str, str], ...]:
    t = tr.text
    rows = [(t(locale, "receipt.subtotal"), money(bill.subtotal_minor))]
    if bill.coupon is not None:
        rows.append((t(locale, "receipt.discount", code=bill.coupon), f"−{money(bill.discount_minor)}"))
    if bill.zone_id is not None or bill.shipping_minor:
        zone = bill.zone_name or bill.zone_id
        rows.append((t(locale, "receipt.shipping", zone=zone) if zone else t(locale, "receipt.shipping_plain"),
                     money(bill.shipping_minor) if bill.shipping_minor else t(locale, "receipt.free")))
    if bill.tax_mode is TaxMode.EXCLUSIVE:  # added on top: part of the sum that makes the total
        rows += [(t(locale, "receipt.tax_added", rate=rate_text(tax.rate)), money(tax.tax_minor))
                 for tax in bill.taxes]
    rows.append((t(locale, "receipt.total"), money(bill.total_minor)))
    return tuple(rows)


def _taxes(tr: Translator, locale: str, bill: Bill, money: Callable[[int], str]) -> tuple[tuple[str, str], ...]:
    """Per rate: what it applies to and the tax, rounded once per rate on the whole bill (the bill's own rule)."""
    included = bill.tax_mode is TaxMode.INCLUSIVE
    base_key = "receipt.tax_base.included" if included else "receipt.tax_base.excluded"
    tax_key = "receipt.tax_amount.included" if included else "receipt.tax_amount.excluded"
    reduced = bill.reduced_rates
    return tuple(((REDUCED_MARK if tax.rate in reduced else "")
                  + tr.text(locale, base_key, rate=rate_text(tax.rate), base=money(tax.base_minor)),
                  tr.text(locale, tax_key, tax=money(tax.tax_minor))) for tax in bill.taxes)


def _footer(tr: Translator, locale: str, bill: Bill, transfers: Sequence[PaidTransfer],
            method_names: Mapping[str, str]) -> tuple[str, ...]:
    notes = []
    for transfer in transfers[:TRANSFERS_SHOWN]:
        notes.append(tr.text(locale, "receipt.paid_with", method=method_names.get(transfer.method_id, transfer.asset),
                             amount=format_units(transfer.amount_units, transfer.decimals), asset=transfer.asset))
        notes.append(tr.text(locale, "receipt.txid", txid=transfer.txid))
    if len(transfers) > TRANSFERS_SHOWN:
        notes.append(tr.text(locale, "receipt.more_transfers", count=len(transfers) - TRANSFERS_SHOWN))
    if bill.reduced_rates:
        notes.append(tr.text(locale, "bill.reduced_mark", mark=REDUCED_MARK,
                             rates="/".join(rate_text(rate) for rate in sorted(bill.reduced_rates))))
    return tuple(notes)


@dataclass(frozen=True, slots=True)
class ReceiptFiles:
    png: bytes
    pdf: bytes
    png_name: str  # e.g. "receipt-42.png"
    pdf_name: str


async def render_receipt(receipt: Receipt, order_id: int) -> ReceiptFiles:
    """Both drawings, in a worker thread: drawing a long receipt takes tens of milliseconds."""
    png, pdf = await asyncio.to_thread(lambda: (render_receipt_png(receipt), render_receipt_pdf(receipt)))
    return ReceiptFiles(png, pdf, f"receipt-{order_id}.png", f"receipt-{order_id}.pdf")
