"""The sales summary in the chat and its period buttons (pure functions)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bots.common.sales import SalesPeriodView as SalesView
from bots.common.sales import present_sales
from bots.i18n import Translator
from bots.telegram.render import Reply, bold, quote
from commerce.sales import SalesSummary


class SalesCallback(CallbackData, prefix="sa"):
    view: SalesView


def render_sales(summary: SalesSummary, view: SalesView, translator: Translator, locale: str) -> Reply:
    shown = present_sales(translator, locale, summary, view)
    parts = [bold(shown.heading) + "\n" + quote(shown.as_of), *map(quote, shown.notes)]
    parts.extend("\n".join([bold(section.heading), *map(quote, section.lines)]) for section in shown.sections)
    if shown.footer:
        parts.append(quote(shown.footer))
    return Reply("\n\n".join(parts), sales_keyboard(shown.buttons))


def sales_keyboard(buttons: tuple[tuple[SalesView, str], ...]) -> InlineKeyboardMarkup:
    keys = [InlineKeyboardButton(text=label, callback_data=SalesCallback(view=view).pack()) for view, label in buttons]
    return InlineKeyboardMarkup(inline_keyboard=[keys[:3], keys[3:]])
