"""`/sales`: the shop's sales summary for its staff — today, 7 and 30 days, top products, referrals.

One message; the period buttons redraw it in place with fresh figures. Who sees what (the whole shop, or a
seller's own products) is the core's decision, on every press.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bots.common.sales import SalesPeriodView as SalesView
from bots.common.sales import present_sales
from bots.i18n import Translator
from bots.telegram.render import Reply, bold, edit, quote, send
from commerce.customers import CustomerDTO
from commerce.sales import SalesSummary
from commerce.shop import Shop


class SalesCallback(CallbackData, prefix="sa"):
    view: SalesView


def render_sales(summary: SalesSummary, view: SalesView, translator: Translator, locale: str) -> Reply:
    shown = present_sales(translator, locale, summary, view)
    parts = [bold(shown.heading) + "\n" + quote(shown.as_of), *map(quote, shown.notes)]
    parts.extend("\n".join([bold(section.heading), *map(quote, section.lines)]) for section in shown.sections)
    if shown.footer:
        parts.append(quote(shown.footer))
    return Reply("\n\n".join(parts), _keyboard(shown.buttons))


def _keyboard(buttons: tuple[tuple[SalesView, str], ...]) -> InlineKeyboardMarkup:
    keys = [InlineKeyboardButton(text=label, callback_data=SalesCallback(view=view).pack()) for view, label in buttons]
    return InlineKeyboardMarkup(inline_keyboard=[keys[:3], keys[3:]])


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
