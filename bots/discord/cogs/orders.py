"""`/orders`: the buyer's own orders, a button each, paged; an order's detail (edited in place) with what its
status allows — show the payment again, cancel, review, ask the shop about it, the receipt of a paid order (a PNG
and a PDF attached) — and Back to the list.

Buttons carry an order id and a page only; every press re-reads the order as its buyer in the core, so a forged
or someone else's order id is "not found" and nothing is shown or changed.
"""

from __future__ import annotations

import io
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bots.common.payment_view import method_label
from bots.common.presenters import ORDERS_PAGE_SIZE, present_order_detail, present_order_list
from bots.common.receipt_view import receipt_for, render_receipt
from bots.discord.cogs.payment import Payment
from bots.discord.cogs.support import Support
from bots.discord.command_translator import command_text
from bots.discord.context import Buyer, edit, identify, private, reply
from bots.discord.render import order_detail_message, order_list_message
from bots.discord.services import ShopServices


class Orders(commands.Cog):
    def __init__(self, services: ShopServices, payment: Payment, support: Support) -> None:
        self.services = services
        services.handlers.orders = self  # the buttons' clicks come here
        self.payment = payment
        self.support = support

    @app_commands.command(name=command_text("discord.command.orders", "orders"),
                          description=command_text("discord.command.orders.description", "Your orders"))
    async def orders_command(self, interaction: discord.Interaction[Any]) -> None:
        buyer = await identify(interaction)
        embed, view = await self._list(buyer, 0)
        await reply(interaction, embed=embed, view=view)

    # ---- clicks (from bots/discord/items_buyer.py) ----

    async def show_page(self, interaction: discord.Interaction[Any], page: int) -> None:
        buyer = await identify(interaction)
        embed, view = await self._list(buyer, page)
        await edit(interaction, embed=embed, view=view)

    async def open_order(self, interaction: discord.Interaction[Any], order_id: int, page: int) -> None:
        buyer = await identify(interaction)
        embed, view = await self._detail(buyer, order_id, page)
        await edit(interaction, embed=embed, view=view)

    async def show_payment(self, interaction: discord.Interaction[Any], order_id: int, page: int) -> None:
        buyer = await identify(interaction)
        await self.payment.resend_payment(interaction, buyer, order_id)

    async def cancel_order(self, interaction: discord.Interaction[Any], order_id: int, page: int) -> None:
        """Cancel before paying; the detail is redrawn in place with its new status."""
        buyer = await identify(interaction)
        order = await self.services.shop.orders.cancel(buyer.customer.id, order_id)
        embed, view = await self._detail(buyer, order.id, page)
        await edit(interaction, content=self.services.translator.text(buyer.locale, "payment.cancelled",
                                                                      order=order.id), embed=embed, view=view)

    async def ask_support(self, interaction: discord.Interaction[Any], order_id: int, page: int) -> None:
        buyer = await identify(interaction)
        order = await self.services.shop.orders.get(buyer.customer.id, order_id)  # theirs, before they write
        await self.support.ask(interaction, buyer, order_id=order.id)

    async def send_receipt(self, interaction: discord.Interaction[Any], order_id: int, page: int) -> None:
        """The receipt (or qualified invoice) of a paid order as a PNG and a PDF, privately. The core refuses
        someone else's order ("not found") and an unpaid one (ReceiptUnavailable), in words."""
        buyer = await identify(interaction)
        receipt = await self.services.shop.orders.receipt(buyer.customer.id, order_id)
        await interaction.response.defer(ephemeral=private(interaction), thinking=True)  # drawing takes a moment
        view = receipt_for(self.services.translator, buyer.locale, receipt.detail, shop_name=self.services.shop_name,
                           transfers=receipt.transfers, method_names=self._method_names(),
                           timezone=self.services.shop.rules.timezone)
        files = await render_receipt(view, order_id)
        await reply(interaction, content=self.services.translator.text(buyer.locale, "receipt.caption", id=order_id,
                                                                       title=view.title),
                    files=[discord.File(io.BytesIO(files.png), filename=files.png_name),
                           discord.File(io.BytesIO(files.pdf), filename=files.pdf_name)],
                    ephemeral=private(interaction))

    # ---- views ----

    async def _list(self, buyer: Buyer, page: int) -> tuple[discord.Embed, discord.ui.View | None]:
        found = await self.services.shop.orders.history(buyer.customer.id, limit=ORDERS_PAGE_SIZE + 1,
                                                        offset=page * ORDERS_PAGE_SIZE)
        view = present_order_list(self.services.translator, buyer.locale, found[:ORDERS_PAGE_SIZE], page=page,
                                  has_next=len(found) > ORDERS_PAGE_SIZE)
        return order_list_message(view)

    async def _detail(self, buyer: Buyer, order_id: int, page: int) -> tuple[discord.Embed, discord.ui.View | None]:
        detail = await self.services.shop.orders.detail(buyer.customer.id, order_id)  # theirs, or "not found"
        return order_detail_message(present_order_detail(self.services.translator, buyer.locale, detail, page=page,
                                                         method_names=self._method_names()))

    def _method_names(self) -> dict[str, str]:
        payments = self.services.payments
        return {m.id: method_label(m) for m in payments.methods.values()} if payments is not None else {}
