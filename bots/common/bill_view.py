"""A bill, described for any chat platform: plain text lines in the reader's language (docs/bills.md).

The checkout summary, the order detail and the receipt all show the bill through here, so a buyer reads the
same parts in the same order everywhere: lines, subtotal, discount, shipping, total, then tax per rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bots.i18n import Translator
from commerce.bill import Bill, TaxMode
from commerce.money import Money

REDUCED_MARK = "※"


def rate_text(rate: Decimal) -> str:
    """8 → "8", 8.875 → "8.875" (never "8.000")."""
    return f"{rate.normalize():f}"


@dataclass(frozen=True, slots=True)
class BillText:
    """A bill in words, in the order it is read."""

    lines: tuple[str, ...]  # one per order line; a reduced-rate line ends with REDUCED_MARK
    parts: tuple[str, ...]  # between the lines and the total: subtotal, discount, shipping, tax added on top
    total: str
    notes: tuple[str, ...]  # under the total: the tax included per rate, what REDUCED_MARK means


def bill_text(tr: Translator, locale: str, bill: Bill) -> BillText:
    def money(minor: int) -> str:
        return tr.money(locale, Money.from_minor(minor, bill.currency))

    reduced = bill.reduced_rates
    lines = [tr.text(locale, "cart.line", title=line.item.title, quantity=line.item.quantity,
                     total=money(line.total_minor)) + (f" {REDUCED_MARK}" if line.tax_rate in reduced else "")
             for line in bill.lines]
    parts = []
    if bill.discount_minor or bill.shipping_minor or bill.zone_id or bill.taxes:
        parts.append(tr.text(locale, "bill.subtotal", amount=money(bill.subtotal_minor)))
    if bill.coupon is not None:
        parts.append(tr.text(locale, "bill.discount", code=bill.coupon, amount=money(bill.discount_minor)))
    if bill.zone_id is not None:
        key = "bill.shipping" if bill.shipping_minor else "bill.shipping_free"
        parts.append(tr.text(locale, key, zone=bill.zone_name or bill.zone_id, amount=money(bill.shipping_minor)))
    if bill.tax_mode is TaxMode.EXCLUSIVE:
        parts += [tr.text(locale, "bill.tax_added", rate=rate_text(t.rate), base=money(t.base_minor),
                          tax=money(t.tax_minor)) for t in bill.taxes]
    notes = []
    if bill.tax_mode is TaxMode.INCLUSIVE:
        notes += [tr.text(locale, "bill.tax_included", rate=rate_text(t.rate), base=money(t.base_minor),
                          tax=money(t.tax_minor)) for t in bill.taxes]
    if reduced:
        notes.append(tr.text(locale, "bill.reduced_mark", mark=REDUCED_MARK,
                             rates="/".join(rate_text(rate) for rate in sorted(reduced))))
    return BillText(tuple(lines), tuple(parts), tr.text(locale, "cart.total", total=money(bill.total_minor)),
                    tuple(notes))


def present_bill(tr: Translator, locale: str, bill: Bill) -> list[str]:
    """The whole bill as lines of text, a blank line between its sections."""
    text = bill_text(tr, locale, bill)
    return [*text.lines, *(("", *text.parts) if text.parts else ()), "", text.total, *text.notes]


def bill_parts(tr: Translator, locale: str, bill: Bill) -> list[str]:
    """What a bill adds to its lines, without the total: subtotal, discount, shipping, tax per rate (empty for a
    bill that is just its lines) — for views that show the lines and the total their own way."""
    text = bill_text(tr, locale, bill)
    return [*text.parts, *text.notes]
