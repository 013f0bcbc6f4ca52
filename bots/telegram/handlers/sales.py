"""`/sales`: the shop's sales summary for its staff — today, 7 and 30 days, top products, referrals.

One message; the period buttons redraw it in place with fresh figures. Who sees what (the whole shop, or a
seller's own products) is the core's decision, on every press.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bots.i18n import Translator
from bots.telegram.render import Reply, bold, edit, quote, send
from commerce.customers import CustomerDTO
from commerce.sales import Period, PeriodSales, SalesSummary
from commerce.shop import Shop


class SalesView(StrEnum):
    ALL = "all"
    TODAY = Period.TODAY.value
    WEEK = Period.WEEK.value
    MONTH = Period.MONTH.value


class SalesCallback(CallbackData, prefix="sa"):
    view: SalesView


def _period_lines(period: PeriodSales, translator: Translator, locale: str) -> list[str]:
    tr = translator
    lines = [bold(tr.text(locale, f"sales.period.{period.period.value}")),
             quote(tr.text(locale, "sales.figures", revenue=tr.money(locale, period.revenue), orders=period.orders,
                           units=period.units))]
    if period.refunded_orders:
        lines.append(quote(tr.text(locale, "sales.refunded", refunded=tr.money(locale, period.refunded),
                                   orders=period.refunded_orders)))
    return lines


def render_sales(summary: SalesSummary, view: SalesView, translator: Translator, locale: str) -> Reply:
    tr = translator
    parts = [bold(tr.text(locale, "sales.heading")) + "\n" + quote(tr.text(
        locale, "sales.as_of", when=tr.datetime(locale, summary.now, summary.timezone), timezone=summary.timezone))]
    if summary.own_products_only:
        parts.append(quote(tr.text(locale, "sales.own_products_only")))
    shown = summary.periods if view is SalesView.ALL else (summary.period(Period(view.value)),)
    parts.extend("\n".join(_period_lines(period, tr, locale)) for period in shown)
    if summary.top_products:
        parts.append("\n".join([bold(tr.text(locale, "sales.top_heading"))] + [
            quote(tr.text(locale, "sales.top_line", rank=rank, title=product.title,
                          revenue=tr.money(locale, product.revenue), units=product.units))
            for rank, product in enumerate(summary.top_products, start=1)]))
    if summary.referrals:
        parts.append("\n".join([bold(tr.text(locale, "sales.referrals_heading"))] + [
            quote(tr.text(locale, "sales.referral_line" if referral.referrer_id else "sales.referral_line_unknown",
                          code=referral.code, referrer=referral.referrer_id, orders=referral.orders,
                          revenue=tr.money(locale, referral.revenue)))
            for referral in summary.referrals]))
    if not any(period.orders or period.refunded_orders for period in summary.periods):
        parts.append(quote(tr.text(locale, "sales.nothing_yet")))
    return Reply("\n\n".join(parts), _keyboard(view, translator, locale))


def _keyboard(current: SalesView, translator: Translator, locale: str) -> InlineKeyboardMarkup:
    def button(view: SalesView) -> InlineKeyboardButton:
        label = translator.text(locale, f"sales.button.{view.value}")
        return InlineKeyboardButton(text=f"• {label}" if view is current else label,
                                    callback_data=SalesCallback(view=view).pack())

    return InlineKeyboardMarkup(inline_keyboard=[
        [button(SalesView.TODAY), button(SalesView.WEEK), button(SalesView.MONTH)], [button(SalesView.ALL)]])


async def show_sales(message: Message, shop: Shop, customer: CustomerDTO, translator: Translator,
                     locale: str) -> None:
    summary = await shop.sales.summary(customer.id)
    await send(message, render_sales(summary, SalesView.ALL, translator, locale))


async def switch_period(callback: CallbackQuery, callback_data: SalesCallback, shop: Shop, customer: CustomerDTO,
                        translator: Translator, locale: str) -> None:
    summary = await shop.sales.summary(customer.id)  # fresh figures, and the role checked again
    await edit(callback, render_sales(summary, callback_data.view, translator, locale))


def build_sales_router() -> Router:
    router = Router(name="sales")
    router.message.register(show_sales, Command("sales"))
    router.callback_query.register(switch_period, SalesCallback.filter())
    return router
