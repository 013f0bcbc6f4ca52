"""The cart: add from a card, and −/+/remove edits of the cart message in place."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bots.common.presenters import present_added, present_cart
from bots.i18n import Translator
from bots.telegram.callbacks import CartAction, CartCallback, MenuCallback, MenuTarget
from bots.telegram.render import edit, render_cart, send
from commerce.customers import CustomerDTO
from commerce.shop import Shop


async def show_cart(event: Message | CallbackQuery, shop: Shop, customer: CustomerDTO, translator: Translator,
                    locale: str) -> None:
    cart = await shop.cart.view(customer.id)
    await send(event, render_cart(present_cart(translator, locale, cart)))


async def add_to_cart(callback: CallbackQuery, callback_data: CartCallback, shop: Shop, customer: CustomerDTO,
                      translator: Translator, locale: str) -> None:
    cart = await shop.cart.add(customer.id, callback_data.variant_id)
    await callback.answer(present_added(translator, locale, cart, callback_data.variant_id))


async def set_quantity(callback: CallbackQuery, callback_data: CartCallback, shop: Shop, customer: CustomerDTO,
                       translator: Translator, locale: str) -> None:
    cart = await shop.cart.set_quantity(customer.id, callback_data.variant_id, callback_data.quantity)
    await edit(callback, render_cart(present_cart(translator, locale, cart)))


async def remove_line(callback: CallbackQuery, callback_data: CartCallback, shop: Shop, customer: CustomerDTO,
                      translator: Translator, locale: str) -> None:
    cart = await shop.cart.remove(customer.id, callback_data.variant_id)
    await edit(callback, render_cart(present_cart(translator, locale, cart)))


def build_cart_router() -> Router:
    router = Router(name="cart")
    router.message.register(show_cart, Command("cart"))
    router.callback_query.register(show_cart, MenuCallback.filter(F.target == MenuTarget.CART))
    router.callback_query.register(add_to_cart, CartCallback.filter(F.action == CartAction.ADD))
    router.callback_query.register(set_quantity, CartCallback.filter(F.action == CartAction.SET_QUANTITY))
    router.callback_query.register(remove_line, CartCallback.filter(F.action == CartAction.REMOVE))
    return router
