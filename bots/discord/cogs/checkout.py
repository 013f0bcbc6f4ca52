"""Checkout: shipping address (physical goods only: a modal, or a saved address from a select) → payment
method (a select) → summary with Confirm → the payment message.

Where the buyer is lives in the database (`ConversationStore`, one key per Discord user), so it survives a
restart; a typed address is kept there sealed with the data key, never in clear. The buttons carry no state
and a button from a finished checkout is answered as stale.
"""

from __future__ import annotations

from typing import Any, Final

import discord
from discord.ext import commands

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
from bots.discord import items
from bots.discord.cogs.payment import Payment
from bots.discord.context import Buyer, edit, identify, reply
from bots.discord.errors import answer_stale, report_error
from bots.discord.services import ShopServices
from commerce.bill import Bill
from commerce.errors import CartEmpty, CouponRejected, InvalidInput, NotFound, OutOfStock, ShippingUnavailable
from commerce.privacy import ShippingAddress
from commerce.status import OrderStatus
from payments.methods import PaymentMethod
from payments.requests import PaymentService

ADDRESS: Final = "checkout.address"
METHOD: Final = "checkout.method"
CONFIRM: Final = "checkout.confirm"


def conversation_key(user_id: int) -> str:
    return f"discord:{user_id}"


class AddressModal(discord.ui.Modal):
    """Per-field inputs, joined into the lines `parse_address` reads, so both platforms validate alike."""

    def __init__(self, cog: Checkout, locale: str) -> None:
        tr = cog.services.translator
        super().__init__(title=tr.text(locale, "discord.address.title")[:45], timeout=15 * 60)
        self.cog = cog

        def field(key: str, *, required: bool = True, max_length: int = 100,
                  style: discord.TextStyle = discord.TextStyle.short) -> discord.ui.TextInput[Any]:
            text_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
                label=tr.text(locale, f"discord.address.{key}")[:45], required=required, max_length=max_length,
                style=style)
            self.add_item(text_input)
            return text_input

        self.name = field("name")
        self.postal_code = field("postal_code", max_length=16)
        self.place = field("place")
        self.street = field("street", style=discord.TextStyle.paragraph, max_length=200)
        self.phone = field("phone", required=False, max_length=20)

    def text(self) -> str:
        return "\n".join(str(value).strip() for value in (self.name, self.postal_code, self.place, self.street,
                                                          self.phone) if str(value).strip())

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.address_typed(interaction, self.text())

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception) -> None:
        await report_error(interaction, error)


class CouponModal(discord.ui.Modal):
    def __init__(self, cog: Checkout, locale: str) -> None:
        tr = cog.services.translator
        super().__init__(title=tr.text(locale, "button.coupon")[:45], timeout=15 * 60)
        self.cog = cog
        self.code: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=tr.text(locale, "checkout.coupon_prompt")[:45], max_length=32)
        self.add_item(self.code)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.coupon_typed(interaction, str(self.code))

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception) -> None:
        await report_error(interaction, error)


class Checkout(commands.Cog):
    def __init__(self, services: ShopServices, payment: Payment) -> None:
        self.services = services
        services.handlers.checkout = self  # the buttons' clicks come here
        self.payment = payment

    # ---- starting ----

    async def check_out_cart(self, interaction: discord.Interaction[Any]) -> None:
        buyer = await identify(interaction)
        cart = await self.services.shop.cart.view(buyer.customer.id)
        if cart.is_empty:
            raise CartEmpty()
        await self._begin(interaction, buyer, preview_cart(cart), items=None)

    async def buy_now(self, interaction: discord.Interaction[Any], variant_id: int) -> None:
        buyer = await identify(interaction)
        product, variant = await self.services.shop.catalog.variant(variant_id)
        if variant.sold_out:
            raise OutOfStock(variant_id=variant.id, title=product.title, requested=1, available=0)
        await self._begin(interaction, buyer, preview_variant(product, variant), items=[[variant.id, 1]])

    async def _begin(self, interaction: discord.Interaction[Any], buyer: Buyer, preview: OrderPreview,
                     items: list[list[int]] | None) -> None:
        tr = self.services.translator
        payments = self.services.payments
        free = preview.total.minor == 0   # nothing to pay for the goods (shipping may still cost)
        if not free and (payments is None or not payments.methods):
            await reply(interaction, content=tr.text(buyer.locale, "checkout.unavailable"))
            return
        key = conversation_key(interaction.user.id)
        _, before = await self.services.conversations.get(key)   # a code from `/shop code:` waits for checkout
        data = {"items": items, "address": None, "address_id": None, "method": None,
                "coupon": before.get("coupon")}
        await self.services.conversations.set_data(key, data)
        if preview.needs_shipping:
            await self.services.conversations.set_state(key, ADDRESS)
            content, view = await self._address_prompt(buyer)
        else:
            content, view = await self._next_after_address(key, buyer, data)
        await reply(interaction, content=content, view=view)

    # ---- the address ----

    async def _address_prompt(self, buyer: Buyer, error: str | None = None) -> tuple[str, discord.ui.View]:
        tr, locale = self.services.translator, buyer.locale
        saved = await self.services.shop.customers.addresses(buyer.customer.id)
        view = discord.ui.View(timeout=None)
        view.add_item(items.CheckoutStep("address", tr.text(locale, "discord.address.enter")))
        if saved:
            options = [discord.SelectOption(label=address_summary(s.address)[:100], value=str(s.id)) for s in saved]
            view.add_item(items.CheckoutChoice("saved", options,
                                               placeholder=tr.text(locale, "discord.address.saved")))
        view.add_item(items.CheckoutStep("abort", tr.text(locale, "button.cancel")))
        text = tr.text(locale, "discord.address.prompt")
        return (f"{error}\n\n{text}" if error else text), view

    async def step_address(self, interaction: discord.Interaction[Any]) -> None:
        buyer = await identify(interaction)
        if not await self._in_state(interaction, ADDRESS):
            return
        await interaction.response.send_modal(AddressModal(self, buyer.locale))

    async def address_typed(self, interaction: discord.Interaction[Any], text: str) -> None:
        buyer = await identify(interaction)
        key = conversation_key(interaction.user.id)
        data = await self._data_in(interaction, ADDRESS)
        if data is None:
            return
        tr = self.services.translator
        try:
            address = parse_address(text)
        except InvalidInput as exc:  # explained, and the form offered again
            content, view = await self._address_prompt(buyer, tr.error(buyer.locale, exc))
            await reply(interaction, content=content, view=view)
            return
        sealed = self.services.shop.customers.seal_address(address)
        await self.services.conversations.set_data(key, {**data, "address": sealed, "address_id": None})
        view = discord.ui.View(timeout=None)
        view.add_item(items.CheckoutStep("save", tr.text(buyer.locale, "button.save_address")))
        view.add_item(items.CheckoutStep("once", tr.text(buyer.locale, "button.use_address")))
        view.add_item(items.CheckoutStep("abort", tr.text(buyer.locale, "button.cancel")))
        await reply(interaction, content=present_address(tr, buyer.locale, address), view=view)

    async def step_save(self, interaction: discord.Interaction[Any], *, save: bool = True) -> None:
        buyer = await identify(interaction)
        key = conversation_key(interaction.user.id)
        state, data = await self.services.conversations.get(key)
        if state != ADDRESS or data.get("address") is None:  # a button from before the address was typed
            await answer_stale(interaction)
            return
        if save:
            customers = self.services.shop.customers
            saved = await customers.save_address(buyer.customer.id, customers.unseal_address(data["address"]))
            data = {**data, "address": None, "address_id": saved.id}
        await self._ask_method(interaction, buyer, data)

    async def step_once(self, interaction: discord.Interaction[Any]) -> None:
        await self.step_save(interaction, save=False)

    async def choose_saved(self, interaction: discord.Interaction[Any], value: str) -> None:
        buyer = await identify(interaction)
        data = await self._data_in(interaction, ADDRESS)
        if data is None:
            return
        if not value.isdigit() or not 0 < int(value) <= items.MAX_ID:
            raise NotFound(entity="address", id=value[:20])
        await self.services.shop.customers.address(buyer.customer.id, int(value))  # the buyer's own, or not found
        await self._ask_method(interaction, buyer, {**data, "address": None, "address_id": int(value)})

    # ---- the method, the summary, confirm ----

    def _method_prompt(self, locale: str, payments: PaymentService) -> tuple[str, discord.ui.View]:
        tr = self.services.translator
        options = [discord.SelectOption(label=method_label(m)[:100], value=m.id) for m in payments.methods.values()]
        view = discord.ui.View(timeout=None)
        view.add_item(items.CheckoutChoice("method", options[:25],
                                           placeholder=tr.text(locale, "checkout.choose_method")))
        view.add_item(items.CheckoutStep("abort", tr.text(locale, "button.cancel")))
        return tr.text(locale, "checkout.choose_method"), view

    async def _ask_method(self, interaction: discord.Interaction[Any], buyer: Buyer, data: dict[str, Any]) -> None:
        key = conversation_key(interaction.user.id)
        await self.services.conversations.set_data(key, data)
        content, view = await self._next_after_address(key, buyer, data)
        await edit(interaction, content=content, view=view)

    async def _next_after_address(self, key: str, buyer: Buyer,
                                  data: dict[str, Any]) -> tuple[str, discord.ui.View]:
        """An address the shop can't ship to is asked again; nothing due goes straight to the summary (no method
        to choose); everything else asks how to pay."""
        try:
            bill = await self._quote(buyer, {**data, "coupon": None})
        except ShippingUnavailable as exc:
            await self.services.conversations.set_state(key, ADDRESS)
            return await self._address_prompt(buyer, self.services.translator.error(buyer.locale, exc))
        if bill.total_minor == 0:
            return await self._summary(key, buyer, data, None)
        await self.services.conversations.set_state(key, METHOD)
        return self._method_prompt(buyer.locale, self._payments())

    async def _summary(self, key: str, buyer: Buyer, data: dict[str, Any], method: PaymentMethod | None,
                       notice: str = "") -> tuple[str, discord.ui.View]:
        """The itemised bill with Confirm, the coupon button and Cancel; a code that stopped applying is dropped
        and the buyer told why."""
        tr = self.services.translator
        try:
            bill = await self._quote(buyer, data)
        except CouponRejected as exc:
            data = {**data, "coupon": None}
            notice = "\n\n".join(part for part in (notice, tr.error(buyer.locale, exc)) if part)
            bill = await self._quote(buyer, data)
        await self.services.conversations.set_data(key, data)
        await self.services.conversations.set_state(key, CONFIRM)
        view = discord.ui.View(timeout=None)
        view.add_item(items.CheckoutStep("confirm", tr.text(buyer.locale, "button.confirm_order")))
        if data.get("coupon"):
            view.add_item(items.CheckoutStep("drop", tr.text(buyer.locale, "button.drop_coupon",
                                                             code=data["coupon"])[:80]))
        else:
            view.add_item(items.CheckoutStep("coupon", tr.text(buyer.locale, "button.coupon")))
        view.add_item(items.CheckoutStep("abort", tr.text(buyer.locale, "button.cancel")))
        summary = present_summary(tr, buyer.locale, bill, await self._address(buyer, data), method)
        text = f"{notice}\n\n{summary}" if notice else summary
        return discord.utils.escape_markdown(text)[:2000], view

    async def _quote(self, buyer: Buyer, data: dict[str, Any]) -> Bill:
        chosen = None if data["items"] is None else [(variant_id, quantity) for variant_id, quantity in data["items"]]
        customers = self.services.shop.customers
        return await self.services.shop.orders.quote(
            buyer.customer.id, items=chosen, address_id=data.get("address_id"),
            address=customers.unseal_address(data["address"]) if data.get("address") else None,
            coupon=data.get("coupon"))

    # ---- the coupon ----

    async def keep_coupon(self, interaction: discord.Interaction[Any], code: str) -> str:
        """`/shop code:`: the code waits for the buyer's next checkout; returns what to tell them (escaped)."""
        buyer = await identify(interaction)
        tr = self.services.translator
        try:
            coupon = await self.services.shop.coupons.check(buyer.customer.id, code)
        except CouponRejected as exc:
            return discord.utils.escape_markdown(tr.error(buyer.locale, exc))
        key = conversation_key(interaction.user.id)
        _, data = await self.services.conversations.get(key)
        await self.services.conversations.set_data(key, {**data, "coupon": coupon.code})
        return discord.utils.escape_markdown(tr.text(buyer.locale, "coupon.kept", code=coupon.code))

    async def step_coupon(self, interaction: discord.Interaction[Any]) -> None:
        buyer = await identify(interaction)
        if not await self._in_state(interaction, CONFIRM):
            return
        await interaction.response.send_modal(CouponModal(self, buyer.locale))

    async def coupon_typed(self, interaction: discord.Interaction[Any], text: str) -> None:
        buyer = await identify(interaction)
        key = conversation_key(interaction.user.id)
        data = await self._data_in(interaction, CONFIRM)
        if data is None:
            return
        notice = ""
        try:
            data = {**data, "coupon": (await self.services.shop.coupons.check(buyer.customer.id, text)).code}
        except CouponRejected as exc:
            notice = self.services.translator.error(buyer.locale, exc)
        content, view = await self._summary(key, buyer, data, self._method_of(data), notice)
        await reply(interaction, content=content, view=view)

    async def step_drop_coupon(self, interaction: discord.Interaction[Any]) -> None:
        buyer = await identify(interaction)
        key = conversation_key(interaction.user.id)
        data = await self._data_in(interaction, CONFIRM)
        if data is None:
            return
        data = {**data, "coupon": None}
        content, view = await self._summary(key, buyer, data, self._method_of(data))
        await edit(interaction, content=content, view=view)

    def _method_of(self, data: dict[str, Any]) -> PaymentMethod | None:
        payments = self.services.payments
        return payments.methods.get(data.get("method") or "") if payments is not None else None

    async def _address(self, buyer: Buyer, data: dict[str, Any]) -> ShippingAddress | None:
        customers = self.services.shop.customers
        if data.get("address_id"):
            return await customers.address(buyer.customer.id, data["address_id"])
        return customers.unseal_address(data["address"]) if data.get("address") else None

    async def choose_method(self, interaction: discord.Interaction[Any], value: str) -> None:
        buyer = await identify(interaction)
        key = conversation_key(interaction.user.id)
        data = await self._data_in(interaction, METHOD, CONFIRM)
        if data is None:
            return
        method = self._payments().methods.get(value)
        if method is None:
            raise NotFound(entity="payment_method", id=value[:40])
        content, view = await self._summary(key, buyer, {**data, "method": method.id}, method)
        await edit(interaction, content=content, view=view)

    async def step_confirm(self, interaction: discord.Interaction[Any]) -> None:
        buyer = await identify(interaction)
        key = conversation_key(interaction.user.id)
        data = await self._data_in(interaction, CONFIRM)
        if data is None:
            return
        chosen = None if data["items"] is None else [(variant_id, quantity) for variant_id, quantity in data["items"]]
        try:
            order = await self.services.shop.orders.checkout(
                buyer.customer.id, items=chosen, address_id=data.get("address_id"),
                address=self.services.shop.customers.unseal_address(data["address"]) if data.get("address") else None,
                coupon=data.get("coupon"))
        except CouponRejected as exc:   # its last use went to someone else since the summary: confirm again
            content, view = await self._summary(key, buyer, {**data, "coupon": None}, self._method_of(data),
                                                self.services.translator.error(buyer.locale, exc))
            await edit(interaction, content=content, view=view)
            return
        await self.services.conversations.set_data(key, {})
        await self.services.conversations.set_state(key, None)
        tr = self.services.translator
        if order.status is not OrderStatus.AWAITING_PAYMENT:   # free goods: paid at checkout
            await edit(interaction, content=tr.text(buyer.locale, "checkout.free_done", order=order.id), view=None)
            return
        await edit(interaction, content=tr.text(buyer.locale, "discord.checkout.placed", order=order.id), view=None)
        if data.get("method"):
            await self.payment.send_payment_request(interaction, buyer, order.id, data["method"])
        else:   # it stopped being free while the buyer looked: how would they like to pay?
            await self.payment.resend_payment(interaction, buyer, order.id)

    async def step_abort(self, interaction: discord.Interaction[Any]) -> None:
        buyer = await identify(interaction)
        key = conversation_key(interaction.user.id)
        await self.services.conversations.set_data(key, {})
        await self.services.conversations.set_state(key, None)
        await edit(interaction, content=self.services.translator.text(buyer.locale, "checkout.cancelled"), view=None)

    # ----

    async def _in_state(self, interaction: discord.Interaction[Any], wanted: str) -> bool:
        return await self._data_in(interaction, wanted) is not None

    async def _data_in(self, interaction: discord.Interaction[Any], *wanted: str) -> dict[str, Any] | None:
        """The checkout's data while the buyer is at one of the `wanted` steps; otherwise the press is from a
        finished or older step, answered as stale, and None."""
        state, data = await self.services.conversations.get(conversation_key(interaction.user.id))
        if state not in wanted:
            await answer_stale(interaction)
            return None
        return data

    def _payments(self) -> PaymentService:
        if self.services.payments is None or not self.services.payments.methods:
            raise NotFound(entity="payment_method", id="")
        return self.services.payments
