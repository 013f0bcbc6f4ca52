"""The `/seller` components as `DynamicItem`s (persistent across restarts): the order picker, an order's moves,
the way back to the list, and a broadcast's Send/Discard. Ids only; the core re-reads the order and checks
the role on every click, so a forged custom_id from a buyer ends in "not allowed" and changes nothing.

The work is done by the feature modules (imported inside `run`: they import this module to build views).
"""

from __future__ import annotations

import re
from typing import Any, Final

import discord
from discord.ui import Button, DynamicItem, Select

from bots.discord.context import MAX_ID
from bots.discord.errors import answer_stale
from bots.discord.items import ShopItem
from commerce.status import OrderStatus

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
        from bots.discord.seller import orders

        chosen = self.item.values[0] if self.item.values else ""
        if not chosen.isdigit() or not 0 < int(chosen) <= MAX_ID:
            await answer_stale(interaction)
            return
        await orders.show_order(interaction, int(chosen), self.status)


class ListOrders(ShopItem, DynamicItem[Button[Any]], template=rf"cs:so:list:(?P<status>(?:{_STATUS})?)"):
    def __init__(self, status: OrderStatus | None, label: str = "") -> None:
        self.status = status
        super().__init__(Button(label=label[:80] or "-", custom_id=f"cs:so:list:{_suffix(status)}"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> ListOrders:
        return cls(_status(match["status"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        from bots.discord.seller import orders

        await orders.show_list(interaction, self.status)


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
        from bots.discord.seller import orders

        await orders.move_order(interaction, self.move, self.order_id, self.status)


class DecideBroadcast(ShopItem, DynamicItem[Button[Any]], template=r"cs:bc:(?P<decision>send|discard)"):
    """The text is on the ephemeral preview only its author sees; the core checks the role and the code."""

    def __init__(self, send: bool, label: str = "") -> None:
        self.send = send
        style = discord.ButtonStyle.success if send else discord.ButtonStyle.secondary
        super().__init__(Button(label=label[:80] or "-", custom_id=f"cs:bc:{'send' if send else 'discard'}",
                                style=style))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> DecideBroadcast:
        return cls(match["decision"] == "send", item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        from bots.discord.seller import broadcast

        await broadcast.decide(interaction, self.send)


SELLER_ORDER_ITEMS: Final = (PickOrder, ListOrders, MoveOrder, DecideBroadcast)
