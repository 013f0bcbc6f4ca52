"""A bill, described for any chat platform: plain text lines in the reader's language (docs/bills.md).

The checkout summary, the order detail and the receipt all show the bill through here, so a buyer reads the
same parts in the same order everywhere: lines, subtotal, discount, shipping, total, then tax per rate.
"""

from __future__ import annotations

from decimal import Decimal

from bots.i18n import Translator
from commerce.bill import Bill, TaxMode
from commerce.money import Money

REDUCED_MARK = "※"


def rate_text(rate: Decimal) -> str:
    """8 → "8", 8.875 → "8.875" (never "8.000")."""
    return f"{rate.normalize():f}"


def bill_parts(tr: Translator, locale: str, bill: Bill) -> list[str]:
    """What a bill adds to its lines, without the total: subtotal, discount, shipping, tax per rate (empty for a
    bill that is just its lines)."""
    return [line for line in present_bill(tr, locale, bill)[len(bill.lines):]
            if line and line != tr.text(locale, "cart.total", total=_money(tr, locale, bill, bill.total_minor))]


def _money(tr: Translator, locale: str, bill: Bill, minor: int) -> str:
    return tr.money(locale, Money.from_minor(minor, bill.currency))


def present_bill(tr: Translator, locale: str, bill: Bill) -> list[str]:
    def money(minor: int) -> str:
        return _money(tr, locale, bill, minor)

    reduced = bill.reduced_rates
    lines = [tr.text(locale, "cart.line", title=line.item.title, quantity=line.item.quantity,
                     total=money(line.total_minor)) + (f" {REDUCED_MARK}" if line.tax_rate in reduced else "")
             for line in bill.lines]
    parts = bill.discount_minor or bill.shipping_minor or bill.zone_id or bill.taxes
    if parts:
        lines += ["", tr.text(locale, "bill.subtotal", amount=money(bill.subtotal_minor))]
    if bill.coupon is not None:
        lines.append(tr.text(locale, "bill.discount", code=bill.coupon, amount=money(bill.discount_minor)))
    if bill.zone_id is not None:
        key = "bill.shipping" if bill.shipping_minor else "bill.shipping_free"
        lines.append(tr.text(locale, key, zone=bill.zone_name or bill.zone_id, amount=money(bill.shipping_minor)))
    if bill.tax_mode is TaxMode.EXCLUSIVE:
        lines += [tr.text(locale, "bill.tax_added", rate=rate_text(t.rate), base=money(t.base_minor),
                          tax=money(t.tax_minor)) for t in bill.taxes]
    lines += ["", tr.text(locale, "cart.total", total=money(bill.total_minor))]
    if bill.tax_mode is TaxMode.INCLUSIVE:
        lines += [tr.text(locale, "bill.tax_included", rate=rate_text(t.rate), base=money(t.base_minor),
                          tax=money(t.tax_minor)) for t in bill.taxes]
    if reduced:
        lines.append(tr.text(locale, "bill.reduced_mark", mark=REDUCED_MARK,
                             rates="/".join(rate_text(rate) for rate in sorted(reduced))))
    return lines
