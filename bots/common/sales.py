"""The sales summary as plain text parts, shared by Telegram (/sales) and Discord (/seller sales): each
front-end only adds its own emphasis and escaping. What each figure means is in docs/sales.md."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bots.common.bill_view import rate_text
from bots.i18n import Translator
from commerce.sales import Period, PeriodSales, SalesSummary


class SalesPeriodView(StrEnum):
    ALL = "all"
    TODAY = Period.TODAY.value
    WEEK = Period.WEEK.value
    MONTH = Period.MONTH.value


@dataclass(frozen=True, slots=True)
class SalesSection:
    heading: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SalesView:
    heading: str
    as_of: str
    notes: tuple[str, ...]           # "your own products only"
    sections: tuple[SalesSection, ...]  # the periods shown, top products, referrals
    footer: str | None               # "nothing yet"
    buttons: tuple[tuple[SalesPeriodView, str], ...]  # every period view with its label, the current one marked


def _period(period: PeriodSales, tr: Translator, locale: str) -> SalesSection:
    lines = [tr.text(locale, "sales.figures", revenue=tr.money(locale, period.revenue), orders=period.orders,
                     units=period.units)]
    lines += _bill_parts(period, tr, locale)
    if period.refunded_orders:
        lines.append(tr.text(locale, "sales.refunded", refunded=tr.money(locale, period.refunded),
                             orders=period.refunded_orders))
    return SalesSection(tr.text(locale, f"sales.period.{period.period.value}"), tuple(lines))


def _bill_parts(period: PeriodSales, tr: Translator, locale: str) -> list[str]:
    """Discounts, shipping, tax per rate, what buyers paid and the net, in the order a bill shows them (tax added
    on top before the total, tax included after it). A shop with none of them sees none of these lines."""
    if not (period.discount.minor or period.shipping.minor or period.taxes):
        return []
    lines = []
    if period.discount.minor:
        lines.append(tr.text(locale, "sales.discount", amount=tr.money(locale, period.discount)))
    if period.shipping.minor:
        lines.append(tr.text(locale, "sales.shipping", amount=tr.money(locale, period.shipping)))
    for tax in period.taxes:
        if not tax.included:
            lines.append(tr.text(locale, "sales.tax_added", rate=rate_text(tax.rate), base=tr.money(locale, tax.base),
                                 tax=tr.money(locale, tax.tax)))
    lines.append(tr.text(locale, "sales.total", amount=tr.money(locale, period.total)))
    for tax in period.taxes:
        if tax.included:
            lines.append(tr.text(locale, "sales.tax_included", rate=rate_text(tax.rate),
                                 base=tr.money(locale, tax.base), tax=tr.money(locale, tax.tax)))
    lines.append(tr.text(locale, "sales.net", amount=tr.money(locale, period.net)))
    return lines


def present_sales(tr: Translator, locale: str, summary: SalesSummary, view: SalesPeriodView) -> SalesView:
    shown = summary.periods if view is SalesPeriodView.ALL else (summary.period(Period(view.value)),)
    sections = [_period(period, tr, locale) for period in shown]
    if summary.top_products:
        sections.append(SalesSection(tr.text(locale, "sales.top_heading"), tuple(
            tr.text(locale, "sales.top_line", rank=rank, title=product.title,
                    revenue=tr.money(locale, product.revenue), units=product.units)
            for rank, product in enumerate(summary.top_products, start=1))))
    if summary.referrals:
        sections.append(SalesSection(tr.text(locale, "sales.referrals_heading"), tuple(
            tr.text(locale, "sales.referral_line" if referral.referrer_id else "sales.referral_line_unknown",
                    code=referral.code, referrer=referral.referrer_id, orders=referral.orders,
                    revenue=tr.money(locale, referral.revenue))
            for referral in summary.referrals)))
    quiet = not any(period.orders or period.refunded_orders for period in summary.periods)
    buttons = tuple((choice, f"• {label}" if choice is view else label)
                    for choice in (SalesPeriodView.TODAY, SalesPeriodView.WEEK, SalesPeriodView.MONTH,
                                   SalesPeriodView.ALL)
                    for label in (tr.text(locale, f"sales.button.{choice.value}"),))
    return SalesView(
        heading=tr.text(locale, "sales.heading"),
        as_of=tr.text(locale, "sales.as_of", when=tr.datetime(locale, summary.now, summary.timezone),
                      timezone=summary.timezone),
        notes=(tr.text(locale, "sales.own_products_only"),) if summary.own_products_only else (),
        sections=tuple(sections), footer=tr.text(locale, "sales.nothing_yet") if quiet else None, buttons=buttons)
