"""Support: `/support` opens a ticket; replying to one of the bot's "request #N" messages adds to it, from
the buyer or from staff; `/tickets` is the staff's list; `/paysupport` says how to get help with a payment.

Who may read, answer or close a ticket is decided by the core on every message and press; the notifier
relays each new message to the other side (outbox topics support.message / support.reply).
"""

from __future__ import annotations

import re
import string
from typing import Final

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bots.i18n import SUPPORTED, Translator
from bots.telegram.callbacks import MAX_ID
from bots.telegram.handlers.buyer.support_views import (
    SupportAction,
    SupportCallback,
    cancel_markup,
    render_open_tickets,
    render_ticket,
)
from bots.telegram.render import Reply, edit, plain, quote, send
from commerce.customers import CustomerDTO
from commerce.shop import Shop

# Messages that name one ticket: a reply to any of them adds to that ticket.
TICKET_MESSAGES: Final = ("support.opened", "support.added", "support.staff.sent", "notify.support_reply",
                          "notify.staff.support_message")


class SupportForm(StatesGroup):
    message = State()  # the buyer's first message of a new ticket
    staff_reply = State()  # data: ticket_id


def _template_pattern(template: str) -> re.Pattern[str] | None:
    """A sent message's plain text → its ticket number (Telegram drops the tags; other fields match anything)."""
    parts: list[str] = []
    for literal, field, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(re.sub(r"<[^>]+>", "", literal)))
        if field is not None:
            parts.append(r"(?P<ticket>\d{1,10})" if field == "ticket" and "(?P<ticket>" not in "".join(parts)
                         else r".*?")
    pattern = "".join(parts)
    return re.compile(pattern, re.DOTALL) if "(?P<ticket>" in pattern else None


def ticket_in(translator: Translator, text: str | None) -> int | None:
    """The ticket a message of ours is about, in whichever language it was sent; None for any other message."""
    if not text:
        return None
    for locale in SUPPORTED:
        for key in TICKET_MESSAGES:
            template = translator.catalogs.get(locale, {}).get(key)
            pattern = _template_pattern(template) if template else None
            found = pattern.search(text) if pattern else None
            if found and 1 <= int(found["ticket"]) <= MAX_ID:
                return int(found["ticket"])
    return None


async def ask_for_message(message: Message, state: FSMContext, translator: Translator, locale: str) -> None:
    await state.set_state(SupportForm.message)
    await state.set_data({})
    await send(message, Reply(quote(translator.text(locale, "support.prompt")),
                              cancel_markup(translator, locale)))


async def ask_about_order(event: Message | CallbackQuery, state: FSMContext, translator: Translator, locale: str,
                          order_id: int) -> None:
    """From an order's detail: the buyer's next message opens a ticket about that order (the core checks it is
    theirs when the ticket is opened)."""
    await state.set_state(SupportForm.message)
    await state.set_data({"order_id": order_id})
    await send(event, Reply(quote(translator.text(locale, "support.order_prompt", order=order_id)),
                            cancel_markup(translator, locale)))


async def open_ticket(message: Message, shop: Shop, customer: CustomerDTO, state: FSMContext,
                      translator: Translator, locale: str) -> None:
    order_id = (await state.get_data()).get("order_id")
    await state.clear()
    ticket = await shop.support.open(customer.id, message.text or "",
                                     order_id=int(order_id) if order_id is not None else None)
    await send(message, plain(translator.text(locale, "support.opened", ticket=ticket.id)))


async def add_to_ticket(message: Message, shop: Shop, customer: CustomerDTO, translator: Translator,
                        locale: str) -> None:
    """A reply to one of our ticket messages: the buyer adds to their request, or staff answer it."""
    assert message.reply_to_message is not None  # the filter below
    ticket_id = ticket_in(translator, message.reply_to_message.text)
    assert ticket_id is not None  # the filter below
    ticket = await shop.support.reply(customer.id, ticket_id, message.text or "")
    key = "support.added" if ticket.customer_id == customer.id else "support.staff.sent"
    await send(message, plain(translator.text(locale, key, ticket=ticket.id)))


async def list_tickets(message: Message, shop: Shop, customer: CustomerDTO, translator: Translator,
                       locale: str) -> None:
    tickets = await shop.support.open_tickets(customer.id)
    await send(message, render_open_tickets(translator, locale, tickets))


async def view_ticket(callback: CallbackQuery, callback_data: SupportCallback, shop: Shop, customer: CustomerDTO,
                      translator: Translator, locale: str) -> None:
    ticket = await shop.support.get(customer.id, callback_data.ticket_id or 0)
    await send(callback, render_ticket(translator, locale, ticket))


async def ask_for_reply(callback: CallbackQuery, callback_data: SupportCallback, shop: Shop, customer: CustomerDTO,
                        state: FSMContext, translator: Translator, locale: str) -> None:
    ticket = await shop.support.get(customer.id, callback_data.ticket_id or 0)  # may they? asked on every press
    await state.set_state(SupportForm.staff_reply)
    await state.set_data({"ticket_id": ticket.id})
    text = quote(translator.text(locale, "support.staff.prompt", ticket=ticket.id))
    await send(callback, Reply(text, cancel_markup(translator, locale)))


async def send_staff_reply(message: Message, shop: Shop, customer: CustomerDTO, state: FSMContext,
                           translator: Translator, locale: str) -> None:
    ticket_id = int((await state.get_data())["ticket_id"])
    await state.clear()
    ticket = await shop.support.reply(customer.id, ticket_id, message.text or "")
    await send(message, plain(translator.text(locale, "support.staff.sent", ticket=ticket.id)))


async def close_ticket(callback: CallbackQuery, callback_data: SupportCallback, shop: Shop, customer: CustomerDTO,
                       translator: Translator, locale: str) -> None:
    ticket = await shop.support.close(customer.id, callback_data.ticket_id or 0)
    await edit(callback, render_ticket(translator, locale, ticket),
               notice=translator.text(locale, "support.closed", ticket=ticket.id))


async def cancel(callback: CallbackQuery, state: FSMContext, translator: Translator, locale: str) -> None:
    await state.clear()
    await edit(callback, plain(translator.text(locale, "support.cancelled")))


async def explain_payment_support(message: Message, translator: Translator, locale: str) -> None:
    await send(message, plain(translator.text(locale, "paysupport.text")))


def _replies_to_a_ticket(message: Message, translator: Translator) -> bool:
    replied = message.reply_to_message
    return (replied is not None and replied.from_user is not None and replied.from_user.is_bot
            and ticket_in(translator, replied.text) is not None)


def build_support_router() -> Router:
    """Include before the catalog router: its catch-all search would otherwise take replies to tickets."""
    router = Router(name="support")
    writing = F.text & ~F.text.startswith("/")
    router.message.register(ask_for_message, Command("support"))
    router.message.register(explain_payment_support, Command("paysupport"))
    router.message.register(list_tickets, Command("tickets"))
    router.message.register(open_ticket, StateFilter(SupportForm.message), writing)
    router.message.register(send_staff_reply, StateFilter(SupportForm.staff_reply), writing)
    router.message.register(add_to_ticket, StateFilter(None), writing, _replies_to_a_ticket)
    ticket_press = F.ticket_id
    router.callback_query.register(view_ticket, SupportCallback.filter((F.action == SupportAction.VIEW) & ticket_press))
    router.callback_query.register(ask_for_reply, SupportCallback.filter(
        (F.action == SupportAction.REPLY) & ticket_press))
    router.callback_query.register(close_ticket, SupportCallback.filter(
        (F.action == SupportAction.CLOSE) & ticket_press))
    router.callback_query.register(cancel, SupportCallback.filter(F.action == SupportAction.CANCEL))
    return router
