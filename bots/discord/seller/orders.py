"""`/seller orders list [status]`: the shop's orders for its staff, as on Telegram's `/orders_admin`.

The list is an embed with a select to open one order; its detail (lines, buyer, payment, the shipping address
for roles that fulfil orders — the core decides) offers the moves its status allows: Ship (a modal asks the
tracking number), Deliver, Cancel, Refund (a modal for the note or refund transaction id), Accept late
payment / Refund late payment. Every click re-reads the order and the core checks the role (and, for refunds,
a fresh two-factor code) again. Everything here is ephemeral: orders are staff business.
"""

from __future__ import annotations

import re
from typing import Any, Final

import discord
from discord import app_commands
from discord.ui import Button, DynamicItem, Select

from bots.common.staff_orders import StaffOrderView, present_staff_order
from bots.discord.command_translator import command_text
from bots.discord.context import MAX_ID, Buyer, edit, identify, reply, services_of
from bots.discord.errors import answer_stale, report_error
from bots.discord.items import ShopItem
from bots.discord.services import ShopServices
from bots.i18n import Translator
from commerce.fulfilment import NOTE_MAX, TRACKING_MAX
from commerce.orders import OrderDTO
from commerce.roles import Permission, require
from commerce.status import OrderAction, OrderStatus

LIST_SIZE: Final = 25  # a select holds 25 options
STATUS_CHOICES: Final = (OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID, OrderStatus.SHIPPED,
                         OrderStatus.DELIVERED, OrderStatus.PAID_LATE, OrderStatus.REFUNDED, OrderStatus.CANCELLED)
# The buttons an order's detail may offer, in order: (item move, core action, label key, style).
# Each move's custom_id word and button style.
_MOVES: Final = {OrderAction.SHIP: ("ship", discord.ButtonStyle.primary),
                 OrderAction.DELIVER: ("deliver", discord.ButtonStyle.success),
                 OrderAction.ACCEPT_LATE: ("accept", discord.ButtonStyle.success),
                 OrderAction.REFUND: ("refund", discord.ButtonStyle.secondary),
                 OrderAction.CANCEL: ("cancel", discord.ButtonStyle.danger)}


def add_to(group: app_commands.Group, services: ShopServices) -> None:
    orders = app_commands.Group(name=command_text("dso.command.orders", "orders"),
                                description=command_text("dso.command.orders.description",
                                                         "The shop's orders: ship, deliver, cancel, refund"),
                                parent=group)

    @orders.command(name=command_text("dso.command.orders.list", "list"),
                    description=command_text("dso.command.orders.list.description", "Orders by status, newest first"))
    @app_commands.rename(status=command_text("dso.option.status", "status"))
    @app_commands.describe(status=command_text("dso.option.status.description", "Only orders in this status"))
    @app_commands.choices(status=[app_commands.Choice(name=command_text(f"status.{s.value}", s.value), value=s.value)
                                  for s in STATUS_CHOICES])
    async def list_orders(interaction: discord.Interaction[Any], status: str | None = None) -> None:
        await show_list(interaction, OrderStatus(status) if status else None)


# ---- presenting ----


def _list_message(tr: Translator, locale: str, orders: list[OrderDTO],
                  status: OrderStatus | None) -> tuple[discord.Embed, discord.ui.View | None]:
    label = tr.status(locale, status) if status else tr.text(locale, "so.filter.all")
    lines = [tr.text(locale, "so.list.line", id=o.id, status=tr.status(locale, o.status),
                     total=tr.money(locale, o.total)) for o in orders]
    if len(orders) == LIST_SIZE:
        lines.append(tr.text(locale, "dso.list.more", shown=LIST_SIZE))
    embed = discord.Embed(title=tr.text(locale, "so.list.heading", status=label),
                          description="\n".join(lines) or tr.text(locale, "so.list.empty"))
    if not orders:
        return embed, None
    view = discord.ui.View(timeout=None)
    options = [discord.SelectOption(label=line[:100], value=str(o.id)) for o, line in zip(orders, lines, strict=False)]
    view.add_item(PickOrder(status, options, placeholder=tr.text(locale, "dso.list.placeholder")))
    return embed, view


def _detail_message(view: StaffOrderView, origin: OrderStatus | None) -> tuple[discord.Embed, discord.ui.View]:
    embed = discord.Embed(title=view.heading, description="\n".join([*view.facts, view.total]))
    embed.add_field(name=view.buyer_label, value=view.buyer[:1024])
    embed.add_field(name=view.payment_label, value=view.payment[:1024])
    if view.address is not None:
        embed.add_field(name=view.address_label, value="\n".join(view.address)[:1024], inline=False)
    buttons = discord.ui.View(timeout=None)
    for move in view.moves:
        word, style = _MOVES[move.action]
        buttons.add_item(MoveOrder(word, view.order_id, origin, move.label, style))
    buttons.add_item(ListOrders(origin, view.back))
    return embed, buttons


# ---- handlers (called by the items) ----


async def show_list(interaction: discord.Interaction[Any], status: OrderStatus | None) -> None:
    services, seller = services_of(interaction), await identify(interaction)
    orders = await services.shop.orders.orders_by_status(seller.customer.id, status, limit=LIST_SIZE)
    embed, view = _list_message(services.translator, seller.locale, orders, status)
    if interaction.type is discord.InteractionType.component:
        await edit(interaction, embed=embed, view=view)
    else:
        await reply(interaction, embed=embed, view=view)


async def show_order(interaction: discord.Interaction[Any], order_id: int, origin: OrderStatus | None, *,
                     notice: str | None = None) -> None:
    """The order's detail in place of the list (`origin`: the list it came from, for "back")."""
    services, seller = services_of(interaction), await identify(interaction)
    embed, view = await _detail(services, seller, order_id, origin)
    await edit(interaction, content=notice, embed=embed, view=view)


async def _detail(services: ShopServices, seller: Buyer, order_id: int,
                  origin: OrderStatus | None) -> tuple[discord.Embed, discord.ui.View]:
    detail = await services.shop.orders.staff_detail(seller.customer.id, order_id)  # role-checked in the core
    role = await services.shop.sellers.role_of(seller.customer.id)
    buyer = (await services.shop.customers.get(detail.order.customer_id)).identities
    return _detail_message(present_staff_order(services.translator, seller.locale, detail, buyer, role), origin)


async def move_order(interaction: discord.Interaction[Any], move: str, order_id: int,
                     origin: OrderStatus | None) -> None:
    """Deliver, cancel or accept a late payment in one click; ship and refund ask first, in a modal."""
    services, seller = services_of(interaction), await identify(interaction)
    shop, tr, locale = services.shop, services.translator, seller.locale
    if move in ("ship", "refund"):
        permission = Permission.MANAGE_ORDERS if move == "ship" else Permission.REFUND
        require(await shop.sellers.role_of(seller.customer.id), permission)  # before asking anything
        await interaction.response.send_modal(FulfilmentModal(tr, locale, move, order_id, origin))
        return
    if move == "deliver":
        order = await shop.fulfilment.deliver(seller.customer.id, order_id)
    elif move == "cancel":
        order = await shop.fulfilment.cancel(seller.customer.id, order_id)
    else:
        order = await shop.fulfilment.accept_late(seller.customer.id, order_id)
    await show_order(interaction, order.id, origin,
                     notice=tr.text(locale, "so.done", status=tr.status(locale, order.status)))


class FulfilmentModal(discord.ui.Modal):
    """The tracking number for Ship, or the note (e.g. the refund transaction id) for Refund."""

    def __init__(self, tr: Translator, locale: str, move: str, order_id: int, origin: OrderStatus | None) -> None:
        shipping = move == "ship"
        super().__init__(title=tr.text(locale, "dso.modal.ship" if shipping else "dso.modal.refund", id=order_id)[:45],
                         custom_id=f"cs:so:form:{move}:{order_id}")
        self.move, self.order_id, self.origin = move, order_id, origin
        self.answer: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=tr.text(locale, "dso.modal.tracking" if shipping else "dso.modal.refund_note")[:45],
            custom_id="tracking" if shipping else "note",
            required=shipping, max_length=TRACKING_MAX if shipping else NOTE_MAX,
            style=discord.TextStyle.short if shipping else discord.TextStyle.paragraph)
        self.add_item(self.answer)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self._submit(interaction)
        except Exception as exc:  # noqa: BLE001 — every failure is reported to the user and logged
            await report_error(interaction, exc)

    async def _submit(self, interaction: discord.Interaction[Any]) -> None:
        services, seller = services_of(interaction), await identify(interaction)
        tr, locale = services.translator, seller.locale
        fulfilment = services.shop.fulfilment
        if self.move == "ship":
            order = await fulfilment.ship(seller.customer.id, self.order_id, self.answer.value)
        else:
            order = await fulfilment.refund(seller.customer.id, self.order_id, self.answer.value)
        await show_order(interaction, order.id, self.origin,
                         notice=tr.text(locale, "so.done", status=tr.status(locale, order.status)))


# ---- the persistent components (DynamicItem): ids only in the custom_id ----


_ID: Final = r"[1-9][0-9]{0,9}"
_STATUS: Final = "|".join(s.value for s in OrderStatus)
MOVES: Final = ("ship", "deliver", "cancel", "refund", "accept")


def _status(text: str | None) -> OrderStatus | None:
    return OrderStatus(text) if text else None


def _suffix(status: OrderStatus | None) -> str:
    return status.value if status else ""


class PickOrder(ShopItem, DynamicItem[Select[Any]], template=rf"cs:so:pick:(?P<status>(?:{_STATUS})?)"):
    """`status`: the list the order is picked from, so that "back" returns to it."""

    def __init__(self, status: OrderStatus | None, options: list[discord.SelectOption] | None = None,
                 placeholder: str | None = None) -> None:
        self.status = status
        super().__init__(Select(custom_id=f"cs:so:pick:{_suffix(status)}",
                                options=options or [discord.SelectOption(label="-")], placeholder=placeholder))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Select[Any],
                             match: re.Match[str]) -> PickOrder:
        return cls(_status(match["status"]), item.options)

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        chosen = self.item.values[0] if self.item.values else ""
        if not chosen.isdigit() or not 0 < int(chosen) <= MAX_ID:
            await answer_stale(interaction)
            return
        await show_order(interaction, int(chosen), self.status)


class ListOrders(ShopItem, DynamicItem[Button[Any]], template=rf"cs:so:list:(?P<status>(?:{_STATUS})?)"):
    def __init__(self, status: OrderStatus | None, label: str = "") -> None:
        self.status = status
        super().__init__(Button(label=label[:80] or "-", custom_id=f"cs:so:list:{_suffix(status)}"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> ListOrders:
        return cls(_status(match["status"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await show_list(interaction, self.status)


class MoveOrder(ShopItem, DynamicItem[Button[Any]],
                template=rf"cs:so:(?P<move>{'|'.join(MOVES)}):(?P<order>{_ID}):(?P<status>(?:{_STATUS})?)"):
    def __init__(self, move: str, order_id: int, status: OrderStatus | None, label: str = "",
                 style: discord.ButtonStyle = discord.ButtonStyle.secondary) -> None:
        self.move, self.order_id, self.status = move, order_id, status
        self.ids = (order_id,)
        super().__init__(Button(label=label[:80] or "-", custom_id=f"cs:so:{move}:{order_id}:{_suffix(status)}",
                                style=style))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> MoveOrder:
        return cls(match["move"], int(match["order"]), _status(match["status"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await move_order(interaction, self.move, self.order_id, self.status)


SELLER_ORDER_ITEMS: Final = (PickOrder, ListOrders, MoveOrder)
