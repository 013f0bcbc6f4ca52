"""What support looks like in the chat: a ticket with its messages, the staff's list of open tickets, and
the buttons under them (pure functions from core DTOs to replies)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bots.common.presenters import label, shorten
from bots.i18n import Translator
from bots.telegram.callbacks import RowId
from bots.telegram.render import Reply, bold, plain, quote
from commerce.support import TicketDTO

SHOWN_MESSAGES: Final = 10
MESSAGE_PREVIEW: Final = 500


class SupportAction(StrEnum):
    VIEW = "v"
    REPLY = "r"
    CLOSE = "c"
    CANCEL = "x"


class SupportCallback(CallbackData, prefix="sp"):
    action: SupportAction
    ticket_id: RowId | None = None


def cancel_row(tr: Translator, locale: str) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text=tr.text(locale, "button.cancel"),
                                 callback_data=SupportCallback(action=SupportAction.CANCEL).pack())]


def render_ticket(tr: Translator, locale: str, ticket: TicketDTO) -> Reply:
    status = tr.text(locale, "support.status_open" if ticket.status == "open" else "support.status_closed")
    lines = [bold(tr.text(locale, "support.ticket_heading", ticket=ticket.id, subject=ticket.subject)), quote(status)]
    for message in ticket.messages[-SHOWN_MESSAGES:]:
        who = tr.text(locale, "support.from_shop" if message.from_shop else "support.from_customer")
        lines.append(f"\n<b>{quote(who)}</b> {quote(tr.datetime(locale, message.created_at))}\n"
                     f"{quote(shorten(message.text, MESSAGE_PREVIEW))}")
    rows = []
    if ticket.status == "open":
        rows.append([
            InlineKeyboardButton(text=tr.text(locale, "support.button_reply"), callback_data=SupportCallback(
                action=SupportAction.REPLY, ticket_id=ticket.id).pack()),
            InlineKeyboardButton(text=tr.text(locale, "support.button_close"), callback_data=SupportCallback(
                action=SupportAction.CLOSE, ticket_id=ticket.id).pack())])
    return Reply("\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows) if rows else None)


def render_open_tickets(tr: Translator, locale: str, tickets: list[TicketDTO]) -> Reply:
    if not tickets:
        return plain(tr.text(locale, "support.no_open_tickets"))
    rows = [[InlineKeyboardButton(text=label(f"#{t.id} {t.subject}"), callback_data=SupportCallback(
        action=SupportAction.VIEW, ticket_id=t.id).pack())] for t in tickets]
    return Reply(bold(tr.text(locale, "support.open_tickets", count=len(tickets))),
                 InlineKeyboardMarkup(inline_keyboard=rows))


def cancel_markup(tr: Translator, locale: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[cancel_row(tr, locale)])
