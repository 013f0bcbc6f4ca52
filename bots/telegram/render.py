"""Views → Telegram: HTML text (every string escaped here, once) and inline keyboards; sending and editing."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.text_decorations import html_decoration

from bots.common.views import CartView, ListView, MenuView, OrdersView, ProductCardView, Rows
from bots.telegram.callbacks import callback_for


def quote(text: str) -> str:
    """Escape user content (titles, descriptions, category names, translations) for HTML parse mode."""
    return html_decoration.quote(text)


def bold(text: str) -> str:
    return f"<b>{quote(text)}</b>"


@dataclass(frozen=True, slots=True)
class Reply:
    """One message: HTML text and its keyboard."""

    text: str
    markup: InlineKeyboardMarkup | None = None


def keyboard(rows: Rows) -> InlineKeyboardMarkup | None:
    buttons = [[InlineKeyboardButton(text=action.label, callback_data=callback_for(action).pack()) for action in row]
               for row in rows if row]
    return InlineKeyboardMarkup(inline_keyboard=buttons) if buttons else None


def plain(text: str) -> Reply:
    return Reply(quote(text))


def render_menu(view: MenuView) -> Reply:
    return Reply(quote(view.text), keyboard(view.rows))


def render_list(view: ListView) -> Reply:
    parts = [bold(view.heading)]
    if view.footer:
        parts.append(quote(view.footer))
    return Reply("\n".join(parts), keyboard(view.rows))


def render_card(view: ProductCardView) -> Reply:
    parts = [bold(view.title)]
    if view.description:
        parts.append(quote(view.description))
    facts = [view.price, view.availability, *([view.rating] if view.rating else [])]
    parts.append("\n".join(quote(fact) for fact in facts))
    return Reply("\n\n".join(parts), keyboard(view.rows))


def render_cart(view: CartView) -> Reply:
    if view.total is None:
        return Reply(quote(view.heading), keyboard(view.rows))
    lines = [quote(line.text) if line.available else f"<s>{quote(line.text)}</s>"
             for line in view.lines]
    text = "\n".join([bold(view.heading), *lines, "", bold(view.total)])
    return Reply(text, keyboard(view.rows))


def render_orders(view: OrdersView) -> Reply:
    lines = [quote(line) for line in view.lines]
    heading = bold(view.heading) if lines else quote(view.heading)
    return Reply("\n".join([heading, *lines]))


async def send(target: Message | CallbackQuery, reply: Reply) -> None:
    """A new message in the chat of a command, or of the message whose button was pressed."""
    if isinstance(target, Message):
        await target.answer(reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.markup)
    else:
        await target.answer()
        await _send_to_chat_of(target, reply)


async def edit(callback: CallbackQuery, reply: Reply, *, notice: str | None = None) -> None:
    """Replace the pressed message in place (paging, cart edits), then stop the button's spinner."""
    if isinstance(callback.message, Message):
        try:
            await callback.message.edit_text(reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.markup)
        except TelegramBadRequest as exc:
            if "message is not modified" not in exc.message:  # a double tap: it already shows this
                raise
    else:  # too old to edit, or an inline message: show it afresh
        await _send_to_chat_of(callback, reply)
    await callback.answer(notice)


async def _send_to_chat_of(callback: CallbackQuery, reply: Reply) -> None:
    chat_id = callback.message.chat.id if callback.message is not None else callback.from_user.id
    assert callback.bot is not None
    await callback.bot.send_message(chat_id, reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.markup)
