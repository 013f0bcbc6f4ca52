"""Broadcasts: `/broadcast` asks a seller for the text; `bots.telegram.broadcast_sender` delivers it within
Telegram's limits.

Creating one needs the BROADCAST permission and a two-factor code from the last ten minutes, both checked in
the core; `/broadcast` asks the core first only so that nobody types a message that will be refused. What
every platform's sender shares (resuming after a restart, batches, the report) is `bots.common.broadcast_sender`.
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from bots.i18n import Translator
from bots.telegram.render import plain, send
from commerce.broadcasts import TEXT_MAX
from commerce.customers import CustomerDTO
from commerce.roles import Permission, require
from commerce.shop import Shop

logger = logging.getLogger(__name__)



class BroadcastForm(StatesGroup):
    text = State()


# ---- the seller's side ----


async def start_broadcast(message: Message, state: FSMContext, shop: Shop, customer: CustomerDTO,
                          translator: Translator, locale: str) -> None:
    require(await shop.sellers.role_of(customer.id), Permission.BROADCAST)
    await shop.two_factor.require_recent(customer.id)
    await state.set_state(BroadcastForm.text)
    await send(message, plain(translator.text(locale, "broadcast.ask_text", limit=TEXT_MAX)))


async def create_broadcast(message: Message, state: FSMContext, shop: Shop, customer: CustomerDTO,
                           translator: Translator, locale: str) -> None:
    # The core refuses a step-up gone stale while typing; the conversation stays on this step for a retry.
    broadcast = await shop.broadcasts.create(customer.id, message.text or "")
    await state.clear()
    await send(message, plain(translator.text(locale, "broadcast.queued", id=broadcast.id,
                                              recipients=broadcast.pending)))


async def cancel_broadcast(message: Message, state: FSMContext, translator: Translator, locale: str) -> None:
    await state.clear()
    await send(message, plain(translator.text(locale, "broadcast.cancelled")))


async def remind_text(message: Message, translator: Translator, locale: str) -> None:
    await send(message, plain(translator.text(locale, "broadcast.text_expected")))


def build_broadcast_router() -> Router:
    router = Router(name="broadcast")
    router.message.register(start_broadcast, Command("broadcast"))
    router.message.register(cancel_broadcast, Command("cancel"), StateFilter(BroadcastForm))
    router.message.register(create_broadcast, BroadcastForm.text, F.text, ~F.text.startswith("/"))
    router.message.register(remind_text, BroadcastForm.text)
    return router
