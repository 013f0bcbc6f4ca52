"""`/sales`: the shop's sales summary for its staff — today, 7 and 30 days, top products, referrals.

One message; the period buttons redraw it in place with fresh figures. Who sees what (the whole shop, or a
seller's own products) is the core's decision, on every press.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bots.common.sales import SalesPeriodView as SalesView
from bots.i18n import Translator
from bots.telegram.handlers.seller.sales_views import SalesCallback, render_sales
from bots.telegram.render import edit, send
from commerce.customers import CustomerDTO
from commerce.shop import Shop


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
