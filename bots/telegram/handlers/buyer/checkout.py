"""Checkout, a short conversation: shipping address (physical goods only) → payment method → confirm.

What the buyer chose so far lives in the FSM state (storage injected by the dispatcher), a typed address
sealed with the data key (never in clear); the button payloads carry ids only. Checkout itself, stock and
ownership stay with the core.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bots.common.payment_view import (
    OrderPreview,
    address_summary,
    method_label,
    parse_address,
    present_address,
    present_summary,
    preview_cart,
    preview_variant,
)
from bots.i18n import Translator
from bots.telegram.callbacks import CheckoutAction, CheckoutCallback
from bots.telegram.handlers.buyer.checkout_views import checkout_button, checkout_keyboard
from bots.telegram.handlers.buyer.payment import send_payment_request
from bots.telegram.handlers.buyer.payment_views import method_choice
from bots.telegram.render import Reply, edit, plain, quote, send
from commerce.customers import CustomerDTO
from commerce.errors import CartEmpty, InvalidInput, NotFound, OutOfStock
from commerce.privacy import ShippingAddress
from commerce.shop import Shop
from commerce.status import OrderStatus
from payments.requests import PaymentService


class Checkout(StatesGroup):
    address = State()
    method = State()
    confirm = State()


async def check_out_cart(event: Message | CallbackQuery, shop: Shop, customer: CustomerDTO, state: FSMContext,
                         payments: PaymentService | None, translator: Translator, locale: str) -> None:
    cart = await shop.cart.view(customer.id)
    if cart.is_empty:
        raise CartEmpty()
    await _begin(event, shop, customer, state, payments, translator, locale, preview_cart(cart), items=None)


async def buy_now(callback: CallbackQuery, callback_data: CheckoutCallback, shop: Shop, customer: CustomerDTO,
                  state: FSMContext, payments: PaymentService | None, translator: Translator, locale: str) -> None:
    if callback_data.id is None:
        raise NotFound(entity="variant", id="")
    product, variant = await shop.catalog.variant(callback_data.id)
    if variant.sold_out:
        raise OutOfStock(variant_id=variant.id, title=product.title, requested=1, available=0)
    await _begin(callback, shop, customer, state, payments, translator, locale, preview_variant(product, variant),
                 items=[[variant.id, 1]])


async def _begin(event: Message | CallbackQuery, shop: Shop, customer: CustomerDTO, state: FSMContext,
                 payments: PaymentService | None, tr: Translator, locale: str, preview: OrderPreview,
                 items: list[list[int]] | None) -> None:
    free = preview.total.minor == 0   # free goods: nothing to pay, so no payment method to choose
    if not free and (payments is None or not payments.methods):
        await send(event, plain(tr.text(locale, "checkout.unavailable")))
        return
    await state.set_data({"items": items, "address": None, "address_id": None, "method": None, "free": free})
    if preview.needs_shipping:
        await _ask_address(event, shop, customer, state, tr, locale)
    else:
        await _after_address(event, shop, customer, state, payments, tr, locale)


async def _after_address(event: Message | CallbackQuery, shop: Shop, customer: CustomerDTO, state: FSMContext,
                         payments: PaymentService | None, tr: Translator, locale: str) -> None:
    """Free goods go straight to the summary; everything else asks how to pay."""
    data = await state.get_data()
    if not data.get("free"):
        if payments is None:
            raise NotFound(entity="payment_method", id="")
        await _ask_method(event, state, payments, tr, locale)
        return
    await state.set_state(Checkout.confirm)
    summary = present_summary(tr, locale, await _preview(shop, customer, data["items"]),
                              await _address(shop, customer, data), None)
    await send(event, Reply(quote(summary), checkout_keyboard(
        tr, locale, checkout_button(tr.text(locale, "button.confirm_order"), CheckoutAction.CONFIRM))))


async def _ask_address(event: Message | CallbackQuery, shop: Shop, customer: CustomerDTO, state: FSMContext,
                       tr: Translator, locale: str) -> None:
    saved = await shop.customers.addresses(customer.id)
    rows = [checkout_button(address_summary(s.address), CheckoutAction.SAVED_ADDRESS, id=s.id) for s in saved]
    text = tr.text(locale, "checkout.address_prompt")
    if saved:
        text = f"{text}\n\n{tr.text(locale, 'checkout.saved_addresses')}"
    await state.set_state(Checkout.address)
    await send(event, Reply(quote(text), checkout_keyboard(tr, locale, *rows)))


async def _ask_method(event: Message | CallbackQuery, state: FSMContext, payments: PaymentService,
                      tr: Translator, locale: str) -> None:
    rows = [checkout_button(method_label(m), CheckoutAction.METHOD, method=m.id) for m in payments.methods.values()]
    await state.set_state(Checkout.method)
    await send(event, Reply(quote(tr.text(locale, "checkout.choose_method")), checkout_keyboard(tr, locale, *rows)))


async def type_address(message: Message, shop: Shop, state: FSMContext, translator: Translator, locale: str) -> None:
    """The address typed as lines; a mistake is explained and the format asked for again."""
    try:
        address = parse_address(message.text or "")
    except InvalidInput as exc:
        prompt = translator.text(locale, "checkout.address_prompt")
        await send(message, plain(f"{translator.error(locale, exc)}\n\n{prompt}"))
        return
    await state.update_data(address=shop.customers.seal_address(address), address_id=None)
    await send(message, Reply(quote(present_address(translator, locale, address)), checkout_keyboard(
        translator, locale,
        checkout_button(translator.text(locale, "button.save_address"), CheckoutAction.SAVE_ADDRESS),
        checkout_button(translator.text(locale, "button.use_address"), CheckoutAction.USE_ADDRESS))))


async def use_typed_address(callback: CallbackQuery, callback_data: CheckoutCallback, shop: Shop,
                            customer: CustomerDTO, state: FSMContext, payments: PaymentService,
                            translator: Translator, locale: str) -> None:
    typed = (await state.get_data()).get("address")
    if typed is None:  # a button from before the address was typed
        raise InvalidInput(field="line1", reason="required")
    if callback_data.action is CheckoutAction.SAVE_ADDRESS:
        saved = await shop.customers.save_address(customer.id, shop.customers.unseal_address(typed))
        await state.update_data(address=None, address_id=saved.id)
    await _after_address(callback, shop, customer, state, payments, translator, locale)


async def use_saved_address(callback: CallbackQuery, callback_data: CheckoutCallback, shop: Shop,
                            customer: CustomerDTO, state: FSMContext, payments: PaymentService,
                            translator: Translator, locale: str) -> None:
    assert callback_data.id is not None  # the filter requires it
    await shop.customers.address(customer.id, callback_data.id)  # the buyer's own, or "not found"
    await state.update_data(address=None, address_id=callback_data.id)
    await _after_address(callback, shop, customer, state, payments, translator, locale)


async def choose_method(callback: CallbackQuery, callback_data: CheckoutCallback, shop: Shop,
                        customer: CustomerDTO, state: FSMContext, payments: PaymentService,
                        translator: Translator, locale: str) -> None:
    method = payments.methods.get(callback_data.method or "")
    if method is None:
        raise NotFound(entity="payment_method", id=callback_data.method or "")
    data = await state.update_data(method=method.id)
    preview = await _preview(shop, customer, data["items"])
    address = await _address(shop, customer, data)
    await state.set_state(Checkout.confirm)
    summary = present_summary(translator, locale, preview, address, method)
    await send(callback, Reply(quote(summary), checkout_keyboard(
        translator, locale, checkout_button(translator.text(locale, "button.confirm_order"), CheckoutAction.CONFIRM))))


async def _address(shop: Shop, customer: CustomerDTO, data: dict[str, Any]) -> ShippingAddress | None:
    if data["address_id"]:
        return await shop.customers.address(customer.id, data["address_id"])
    return shop.customers.unseal_address(data["address"]) if data["address"] else None


async def _preview(shop: Shop, customer: CustomerDTO, items: list[list[int]] | None) -> OrderPreview:
    if items is None:
        return preview_cart(await shop.cart.view(customer.id))
    product, variant = await shop.catalog.variant(items[0][0])
    return preview_variant(product, variant)


async def confirm_order(callback: CallbackQuery, shop: Shop, customer: CustomerDTO, state: FSMContext,
                        payments: PaymentService | None, translator: Translator, locale: str, shop_name: str) -> None:
    data = await state.get_data()
    items = None if data["items"] is None else [(variant_id, quantity) for variant_id, quantity in data["items"]]
    order = await shop.orders.checkout(customer.id, items=items, address_id=data["address_id"],
                                       address=shop.customers.unseal_address(data["address"]) if data["address"]
                                       else None)
    await state.clear()
    if order.status is not OrderStatus.AWAITING_PAYMENT:   # free goods: paid at checkout
        await send(callback, plain(translator.text(locale, "checkout.free_done", order=order.id)))
    elif payments is None or not data["method"]:   # it stopped being free while the buyer looked
        if payments is None or not payments.methods:
            raise NotFound(entity="payment_method", id="")
        await send(callback, method_choice(translator, locale, payments, order.id))
    else:
        await send_payment_request(callback, shop, payments, customer, order.id, data["method"], translator, locale,
                                   shop_name)


async def abort_checkout(callback: CallbackQuery, state: FSMContext, translator: Translator, locale: str) -> None:
    await state.clear()
    await edit(callback, plain(translator.text(locale, "checkout.cancelled")))


def build_checkout_router() -> Router:
    router = Router(name="checkout")
    router.message.register(check_out_cart, Command("checkout"))
    router.callback_query.register(check_out_cart, CheckoutCallback.filter(F.action == CheckoutAction.CART))
    router.callback_query.register(buy_now, CheckoutCallback.filter(F.action == CheckoutAction.BUY_NOW))
    # The steps answer only inside a checkout; a button from a finished one is stale.
    steps = StateFilter(Checkout)
    router.message.register(type_address, StateFilter(Checkout.address), F.text, ~F.text.startswith("/"))
    router.callback_query.register(use_typed_address, StateFilter(Checkout.address), CheckoutCallback.filter(
        F.action.in_({CheckoutAction.SAVE_ADDRESS, CheckoutAction.USE_ADDRESS})))
    router.callback_query.register(use_saved_address, StateFilter(Checkout.address), CheckoutCallback.filter(
        (F.action == CheckoutAction.SAVED_ADDRESS) & F.id))
    router.callback_query.register(choose_method, StateFilter(Checkout.method, Checkout.confirm),
                                   CheckoutCallback.filter(F.action == CheckoutAction.METHOD))
    router.callback_query.register(confirm_order, StateFilter(Checkout.confirm),
                                   CheckoutCallback.filter(F.action == CheckoutAction.CONFIRM))
    router.callback_query.register(abort_checkout, steps, CheckoutCallback.filter(F.action == CheckoutAction.ABORT))
    return router
