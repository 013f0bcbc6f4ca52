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
from commerce.bill import Bill
from commerce.customers import CustomerDTO
from commerce.errors import CartEmpty, CouponRejected, InvalidInput, NotFound, OutOfStock, ShippingUnavailable
from commerce.privacy import ShippingAddress
from commerce.shop import Shop
from commerce.status import OrderStatus
from payments.methods import PaymentMethod
from payments.requests import PaymentService


class Checkout(StatesGroup):
    address = State()
    method = State()
    confirm = State()
    coupon = State()


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
    if not _free(preview) and (payments is None or not payments.methods):
        await send(event, plain(tr.text(locale, "checkout.unavailable")))
        return
    coupon = (await state.get_data()).get("coupon")   # a code from a link (`c_<CODE>`) is kept for checkout
    await state.set_data({"items": items, "address": None, "address_id": None, "method": None, "coupon": coupon})
    if preview.needs_shipping:
        await _ask_address(event, shop, customer, state, tr, locale)
    else:
        await _after_address(event, shop, customer, state, payments, tr, locale)


def _free(preview: OrderPreview) -> bool:
    """Nothing to pay for the goods (shipping may still cost: the bill decides once the address is known)."""
    return preview.total.minor == 0


async def _after_address(event: Message | CallbackQuery, shop: Shop, customer: CustomerDTO, state: FSMContext,
                         payments: PaymentService | None, tr: Translator, locale: str) -> None:
    """The address can be shipped to (else it is asked again); nothing due goes straight to the summary,
    everything else asks how to pay."""
    data = await state.get_data()
    try:
        bill = await _quote(shop, customer, {**data, "coupon": None})
    except ShippingUnavailable as exc:
        await send(event, plain(tr.error(locale, exc)))
        await _ask_address(event, shop, customer, state, tr, locale)
        return
    if bill.total_minor:
        if payments is None or not payments.methods:
            await send(event, plain(tr.text(locale, "checkout.unavailable")))
            return
        await _ask_method(event, state, payments, tr, locale)
        return
    await _show_summary(event, shop, customer, state, tr, locale, None)


async def _show_summary(event: Message | CallbackQuery, shop: Shop, customer: CustomerDTO, state: FSMContext,
                        tr: Translator, locale: str, method: PaymentMethod | None, notice: str = "") -> None:
    """The itemised bill the order will have, with Confirm, the coupon button and Cancel. A code that stopped
    applying (used up, expired, below its minimum) is dropped and the buyer told why."""
    data = await state.get_data()
    try:
        bill = await _quote(shop, customer, data)
    except CouponRejected as exc:
        data = await state.update_data(coupon=None)
        notice = "\n\n".join(part for part in (notice, tr.error(locale, exc)) if part)
        bill = await _quote(shop, customer, data)
    await state.set_state(Checkout.confirm)
    summary = present_summary(tr, locale, bill, await _address(shop, customer, data), method)
    coupon_row = (checkout_button(tr.text(locale, "button.drop_coupon", code=data["coupon"]),
                                  CheckoutAction.DROP_COUPON) if data.get("coupon")
                  else checkout_button(tr.text(locale, "button.coupon"), CheckoutAction.COUPON))
    text = f"{notice}\n\n{summary}" if notice else summary
    await send(event, Reply(quote(text), checkout_keyboard(
        tr, locale, checkout_button(tr.text(locale, "button.confirm_order"), CheckoutAction.CONFIRM), coupon_row)))


async def _quote(shop: Shop, customer: CustomerDTO, data: dict[str, Any]) -> Bill:
    items = None if data["items"] is None else [(variant_id, quantity) for variant_id, quantity in data["items"]]
    typed = shop.customers.unseal_address(data["address"]) if data.get("address") else None
    return await shop.orders.quote(customer.id, items=items, address=typed, address_id=data.get("address_id"),
                                   coupon=data.get("coupon"))


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
    await state.update_data(method=method.id)
    await _show_summary(callback, shop, customer, state, translator, locale, method)


async def ask_coupon(callback: CallbackQuery, state: FSMContext, translator: Translator, locale: str) -> None:
    await state.set_state(Checkout.coupon)
    await send(callback, Reply(quote(translator.text(locale, "checkout.coupon_prompt")),
                               checkout_keyboard(translator, locale)))


async def type_coupon(message: Message, shop: Shop, customer: CustomerDTO, state: FSMContext,
                      payments: PaymentService | None, translator: Translator, locale: str) -> None:
    """A typed code: kept when the buyer may use it now, else the reason and the summary without it."""
    notice = ""
    try:
        coupon = await shop.coupons.check(customer.id, message.text or "")
        await state.update_data(coupon=coupon.code)
    except CouponRejected as exc:
        notice = translator.error(locale, exc)
    await _show_summary(message, shop, customer, state, translator, locale, _method(payments, await state.get_data()),
                        notice)


async def drop_coupon(callback: CallbackQuery, shop: Shop, customer: CustomerDTO, state: FSMContext,
                      payments: PaymentService | None, translator: Translator, locale: str) -> None:
    data = await state.update_data(coupon=None)
    await _show_summary(callback, shop, customer, state, translator, locale, _method(payments, data))


def _method(payments: PaymentService | None, data: dict[str, Any]) -> PaymentMethod | None:
    return payments.methods.get(data.get("method") or "") if payments is not None else None


async def _address(shop: Shop, customer: CustomerDTO, data: dict[str, Any]) -> ShippingAddress | None:
    if data["address_id"]:
        return await shop.customers.address(customer.id, data["address_id"])
    return shop.customers.unseal_address(data["address"]) if data["address"] else None


async def confirm_order(callback: CallbackQuery, shop: Shop, customer: CustomerDTO, state: FSMContext,
                        payments: PaymentService | None, translator: Translator, locale: str, shop_name: str) -> None:
    data = await state.get_data()
    items = None if data["items"] is None else [(variant_id, quantity) for variant_id, quantity in data["items"]]
    try:
        order = await shop.orders.checkout(customer.id, items=items, address_id=data["address_id"],
                                           address=shop.customers.unseal_address(data["address"]) if data["address"]
                                           else None, coupon=data.get("coupon"))
    except CouponRejected as exc:   # its last use went to someone else since the summary: confirm again
        await state.update_data(coupon=None)
        await _show_summary(callback, shop, customer, state, translator, locale, _method(payments, data),
                            translator.error(locale, exc))
        return
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
    router.callback_query.register(ask_coupon, StateFilter(Checkout.confirm),
                                   CheckoutCallback.filter(F.action == CheckoutAction.COUPON))
    router.callback_query.register(drop_coupon, StateFilter(Checkout.confirm),
                                   CheckoutCallback.filter(F.action == CheckoutAction.DROP_COUPON))
    router.message.register(type_coupon, StateFilter(Checkout.coupon), F.text, ~F.text.startswith("/"))
    router.callback_query.register(abort_checkout, steps, CheckoutCallback.filter(F.action == CheckoutAction.ABORT))
    return router
