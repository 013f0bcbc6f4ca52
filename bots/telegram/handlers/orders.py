"""`/orders`: the buyer's own orders and where each one stands."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bots.common.presenters import present_orders
from bots.i18n import Translator
from bots.telegram.callbacks import MenuCallback, MenuTarget
from bots.telegram.render import render_orders, send
from commerce.customers import CustomerDTO
from commerce.shop import Shop


async def show_orders(event: Message | CallbackQuery, shop: Shop, customer: CustomerDTO, translator: Translator,
                      locale: str) -> None:
    orders = await shop.orders.history(customer.id)
    await send(event, render_orders(present_orders(translator, locale, orders)))


def build_orders_router() -> Router:
    router = Router(name="orders")
    router.message.register(show_orders, Command("orders"))
    router.callback_query.register(show_orders, MenuCallback.filter(F.target == MenuTarget.ORDERS))
    return router
