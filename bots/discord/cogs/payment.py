"""The payment message: the QR payment card attached, the exact amount and address in code blocks, the
network warning and the expiry; buttons Check status / Change method / Cancel. Ephemeral in a server
(plain in a DM). Every press re-reads the order as its buyer, so someone else's order is "not found"."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import Any, Final

import discord
from discord.ext import commands

from bots.common.payment_view import PaymentButton, caption_fields, method_label, payment_buttons, payment_card
from bots.discord import items
from bots.discord.context import Buyer, edit, identify, private, reply
from bots.discord.services import ShopServices
from commerce.errors import NotFound
from commerce.orders import OrderDTO
from commerce.payment_records import AmountTaken
from commerce.status import OrderStatus
from media.payment_card import render_payment_card
from payments.errors import RateUnavailable
from payments.requests import PaymentRequestView, PaymentService

log = logging.getLogger(__name__)


def method_select(services: ShopServices, payments: PaymentService, locale: str, order_id: int) -> discord.ui.View:
    options = [discord.SelectOption(label=method_label(m)[:100], value=m.id) for m in payments.methods.values()]
    view = discord.ui.View(timeout=None)
    view.add_item(items.PayWith(order_id, options[:25],
                                placeholder=services.translator.text(locale, "checkout.choose_method")))
    return view


_PAYMENT_WORDS: Final = {PaymentButton.STATUS: "st", PaymentButton.CHANGE_METHOD: "ch", PaymentButton.CANCEL: "cx"}


class Payment(commands.Cog):
    def __init__(self, services: ShopServices) -> None:
        self.services = services
        services.handlers.payment = self  # the buttons' clicks come here

    async def send_payment_request(self, interaction: discord.Interaction[Any], buyer: Buyer, order_id: int,
                                   method_id: str) -> None:
        """Ask for payment with `method_id` and send the card. A quote that can't be had right now leaves the
        order awaiting payment, says so politely and offers the methods again."""
        payments, tr, locale = self._payments(), self.services.translator, buyer.locale
        if not interaction.response.is_done():  # quotes and QR drawing can take longer than Discord's 3 s
            await interaction.response.defer(ephemeral=private(interaction), thinking=True)
        try:
            view = await payments.request_payment(buyer.customer.id, order_id, method_id)
        except (RateUnavailable, AmountTaken) as exc:
            retry = discord.ui.View(timeout=None)
            retry.add_item(items.PaymentAction("ch", order_id, tr.text(locale, "button.choose_method")))
            await reply(interaction, content=tr.error(locale, exc), view=retry, ephemeral=True)
            return
        await self._send_card(interaction, locale, view)

    async def resend_payment(self, interaction: discord.Interaction[Any], buyer: Buyer, order_id: int) -> None:
        """The payment message again (from an order's detail): the open request's card, or the methods to
        choose from when the order has none yet. Only the buyer's own order awaiting payment."""
        payments = self._payments()
        order, view = await payments.to_resume(buyer.customer.id, order_id)  # the core: theirs, awaiting payment
        if view is None:
            await reply(interaction, content=self.services.translator.text(buyer.locale, "checkout.choose_method"),
                        view=method_select(self.services, payments, buyer.locale, order.id))
            return
        await interaction.response.defer(ephemeral=private(interaction), thinking=True)
        await self._send_card(interaction, buyer.locale, view)

    async def _send_card(self, interaction: discord.Interaction[Any], locale: str, view: PaymentRequestView) -> None:
        png = await asyncio.to_thread(render_payment_card,
                                      payment_card(self.services.translator, locale, view,
                                                   shop_name=self.services.shop_name))
        file = discord.File(io.BytesIO(png), filename=f"order-{view.order.id}.png")
        message = await interaction.followup.send(
            content=payment_text(self.services, locale, view), file=file, view=self._buttons(locale, view.order.id),
            ephemeral=private(interaction), wait=True)
        if private(interaction):  # ephemeral: editable through this interaction's token for a while only
            self.services.ephemeral_cards.remember(view.order.id, message)
        else:  # a DM message can be edited by the notifier for as long as it exists
            await self.services.shop.message_refs.remember(order_id=view.order.id, platform="discord",
                                                           chat_id=message.channel.id, message_id=message.id)

    async def check_status(self, interaction: discord.Interaction[Any], order_id: int) -> None:
        buyer = await identify(interaction)
        order = await self.services.shop.orders.get(buyer.customer.id, order_id)
        tr = self.services.translator
        if order.status is OrderStatus.AWAITING_PAYMENT:
            await reply(interaction, content=tr.text(buyer.locale, "payment.status_alert", order=order.id,
                                                     status=tr.status(buyer.locale, order.status)))
            return
        # The message still asks for payment: bring it up to date (the QR is no use any more).
        keep = None
        if order.status is OrderStatus.CONFIRMING:
            keep = discord.ui.View(timeout=None)
            keep.add_item(items.PaymentAction("st", order.id, tr.text(buyer.locale, "button.check_status")))
        await edit(interaction, content=status_text(self.services, buyer.locale, order), view=keep)

    async def choose_method(self, interaction: discord.Interaction[Any], order_id: int) -> None:
        buyer = await identify(interaction)
        order = await self.services.shop.orders.get(buyer.customer.id, order_id)  # ownership, before anything
        payments = self._payments()
        await reply(interaction, content=self.services.translator.text(buyer.locale, "checkout.choose_method"),
                    view=method_select(self.services, payments, buyer.locale, order.id))

    async def pay_with(self, interaction: discord.Interaction[Any], order_id: int, method_id: str) -> None:
        buyer = await identify(interaction)
        if method_id not in self._payments().methods:
            raise NotFound(entity="payment_method", id=method_id[:40])
        await self.send_payment_request(interaction, buyer, order_id, method_id)

    async def cancel_order(self, interaction: discord.Interaction[Any], order_id: int) -> None:
        buyer = await identify(interaction)
        order = await self.services.shop.orders.cancel(buyer.customer.id, order_id)
        text = self.services.translator.text(buyer.locale, "payment.cancelled", order=order.id)
        await edit(interaction, content=text, view=None)

    def _buttons(self, locale: str, order_id: int) -> discord.ui.View:
        tr = self.services.translator
        view = discord.ui.View(timeout=None)
        for button, label in payment_buttons(tr, locale):
            view.add_item(items.PaymentAction(_PAYMENT_WORDS[button], order_id, label))
        return view

    def _payments(self) -> PaymentService:
        if self.services.payments is None or not self.services.payments.methods:
            raise NotFound(entity="payment_method", id="")
        return self.services.payments


def payment_text(services: ShopServices, locale: str, view: PaymentRequestView) -> str:
    """The amount and the address in code blocks (one tap copies them), the network warning and the expiry."""
    fields = caption_fields(services.translator, locale, view)
    return services.translator.text(locale, "discord.payment.text", **fields)


def status_text(services: ShopServices, locale: str, order: OrderDTO) -> str:
    tr = services.translator
    return tr.text(locale, "payment.status_alert", order=order.id, status=tr.status(locale, order.status))
