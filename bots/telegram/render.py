"""Views → Telegram: HTML text (every string escaped here, once) and inline keyboards; sending and editing.

A product card with photos is a photo message with the card as its caption. Telegram can swap a photo
message's media and caption in place, but can't turn a text message into a photo or back: then the new
message is sent and the pressed one deleted, so the chat still shows one screen, not a trail of them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Final

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
)
from aiogram.utils.text_decorations import html_decoration

from bots.common.media_store import MediaStore
from bots.common.views import Action, CartView, ListView, MenuView, ProductCardView, Rows
from bots.telegram.callbacks import SWITCH_INLINE_KINDS, callback_for

logger = logging.getLogger(__name__)

CAPTION_MAX: Final = 1024  # sendPhoto caption limit (UTF-16 units; markup counted too, to be safe)
TEXT_MAX: Final = 4096
# What Telegram says when a file_id isn't this bot's or no longer exists.
_REFUSED_FILE_ID: Final = ("wrong file identifier", "wrong remote file identifier", "file reference",
                           "file_id_invalid", "can't use file of type")


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
    photo: str | None = None  # a media reference: the message is that photo, with `text` as its caption


@functools.lru_cache(maxsize=4096)
def button_for(action: Action) -> InlineKeyboardButton:
    """aiogram's types are frozen: the same button (an Action is a frozen value) is built and validated once."""
    if action.kind in SWITCH_INLINE_KINDS:  # opens "@bot <title>" in a chat the user picks: no payload reaches us
        return InlineKeyboardButton(text=action.label, switch_inline_query=action.value or "")
    return InlineKeyboardButton(text=action.label, callback_data=payload_of(action))


@functools.lru_cache(maxsize=4096)
def payload_of(action: Action) -> str:
    """The packed payload of a button; the same buttons come back on every menu and card, and building and
    packing their CallbackData (two pydantic round trips) was most of what a keyboard cost."""
    return callback_for(action).pack()


@functools.lru_cache(maxsize=1024)
def keyboard(rows: Rows) -> InlineKeyboardMarkup | None:
    """The same screens come back (a category's first page, a popular card), so a keyboard, like its buttons,
    is built once per `rows` (frozen values); nothing changes a markup once it is built."""
    buttons = [[button_for(action) for action in row] for row in rows if row]
    # The buttons are validated already (button_for); validating the markup would walk them all again.
    return InlineKeyboardMarkup.model_construct(inline_keyboard=buttons) if buttons else None


class RenderedReplies:
    """Replies built from values the core hands out again while they are fresh (a card or a page of the
    catalog's recent reads, and the translator): kept while those very objects come back, built afresh
    once the core gives a new one (a change, or its few seconds are up). Presenting and escaping a popular
    card or a category's first page again on every press was about a twentieth of what the press cost."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._entries: dict[tuple[Hashable, ...], tuple[tuple[object, ...], Reply]] = {}

    def get(self, sources: tuple[object, ...], key: tuple[Hashable, ...], build: Callable[[], Reply]) -> Reply:
        """`build()`'s reply: it may depend only on `sources` (compared by identity) and `key` (by value)."""
        entry_key = (*map(id, sources), *key)
        entry = self._entries.get(entry_key)
        if entry is not None and all(a is b for a, b in zip(entry[0], sources, strict=True)):
            return entry[1]  # the same objects, not others that reused their ids
        reply = build()
        if entry_key not in self._entries and len(self._entries) >= self._size:
            del self._entries[next(iter(self._entries))]  # the oldest
        self._entries[entry_key] = (sources, reply)
        return reply


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
    """The card, as the caption of its photo when it has one (the description shortened to fit 1024)."""
    return Reply(card_text(view, CAPTION_MAX if view.photo else TEXT_MAX), keyboard(view.rows), photo=view.photo)


def card_text(view: ProductCardView, limit: int) -> str:
    shown = [view.price, view.shipping, view.availability, view.rating]
    facts = "\n".join(quote(fact) for fact in shown if fact)

    def compose(description: str) -> str:
        return "\n\n".join([bold(view.title), *([quote(description)] if description else []), facts])

    text = compose(view.description)
    if utf16_len(text) <= limit:
        return text
    # The longest start of the description that still fits once escaped (`&` grows to `&amp;`).
    shortest, longest = 0, len(view.description)
    while shortest < longest:
        middle = (shortest + longest + 1) // 2
        if utf16_len(compose(_cut(view.description, middle))) <= limit:
            shortest = middle
        else:
            longest = middle - 1
    return compose(_cut(view.description, shortest))


def _cut(text: str, limit: int) -> str:
    return "" if limit < 2 else text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def utf16_len(text: str) -> int:
    """Telegram measures text in UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def render_cart(view: CartView) -> Reply:
    if view.total is None:
        return Reply(quote(view.heading), keyboard(view.rows))
    lines = [quote(line.text) if line.available else f"<s>{quote(line.text)}</s>"
             for line in view.lines]
    text = "\n".join([bold(view.heading), *lines, "", bold(view.total)])
    return Reply(text, keyboard(view.rows))


async def send(target: Message | CallbackQuery, reply: Reply, media: MediaStore | None = None) -> None:
    """A new message in the chat of a command, or of the message whose button was pressed.

    `media` is where a reply's photo comes from; without it (or when the photo can't be read) the reply
    is sent as text.
    """
    if isinstance(target, Message) and (reply.photo is None or media is None):
        await target.answer(reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.markup)
    elif isinstance(target, Message):
        assert target.bot is not None
        await _send_to(target.bot, target.chat.id, reply, media)
    else:
        await target.answer()
        await _send_to_chat_of(target, reply, media)


async def send_documents(callback: CallbackQuery, documents: Sequence[tuple[bytes, str]], caption: str) -> None:
    """Files (bytes, file name) as documents in the chat of the pressed message, `caption` (plain text) on the
    first; a document keeps an image as drawn, where a photo would be recompressed and shrunk."""
    await callback.answer()  # the files can take a moment: the button stops spinning first
    chat_id = callback.message.chat.id if callback.message is not None else callback.from_user.id
    assert callback.bot is not None
    for number, (data, name) in enumerate(documents):
        await callback.bot.send_document(chat_id, BufferedInputFile(data, filename=name),
                                         caption=quote(caption) if number == 0 else None, parse_mode=ParseMode.HTML)


async def edit(callback: CallbackQuery, reply: Reply, *, notice: str | None = None,
               media: MediaStore | None = None) -> None:
    """Replace the pressed message in place (paging, cart edits, a card's gallery), then stop the spinner."""
    message = callback.message
    wants_photo = reply.photo is not None and media is not None
    if not isinstance(message, Message):  # too old to edit, or an inline message: show it afresh
        await _send_to_chat_of(callback, reply, media)
    elif message.photo and wants_photo:
        assert media is not None and reply.photo is not None
        if not await _edit_photo(message, reply, media):  # the photo is unreadable: the card as text
            await _replace(message, replace(reply, photo=None), media)
    elif message.photo or wants_photo:  # text ↔ photo: Telegram can't convert a message
        await _replace(message, reply, media)
    else:
        try:
            await message.edit_text(reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.markup)
        except TelegramBadRequest as exc:
            if not _unchanged(exc):  # a double tap: it already shows this
                raise
    await callback.answer(notice)


def _unchanged(exc: TelegramBadRequest) -> bool:
    return "message is not modified" in exc.message


async def _edit_photo(message: Message, reply: Reply, media: MediaStore) -> bool:
    async def swap(photo: str | BufferedInputFile) -> Message | bool:
        try:
            return await message.edit_media(
                InputMediaPhoto(media=photo, caption=reply.text, parse_mode=ParseMode.HTML), reply_markup=reply.markup)
        except TelegramBadRequest as exc:
            if _unchanged(exc):
                return True
            raise

    assert reply.photo is not None
    return await _with_photo(media, reply.photo, swap)


async def _replace(message: Message, reply: Reply, media: MediaStore | None) -> None:
    """The new screen first, then the old one goes (if it can't — older than 48 hours — it simply stays)."""
    assert message.bot is not None
    await _send_to(message.bot, message.chat.id, reply, media)
    try:
        await message.delete()
    except TelegramBadRequest as exc:
        logger.info("could not delete a replaced message: %s", exc.message)


async def _send_to_chat_of(callback: CallbackQuery, reply: Reply, media: MediaStore | None = None) -> None:
    chat_id = callback.message.chat.id if callback.message is not None else callback.from_user.id
    assert callback.bot is not None
    await _send_to(callback.bot, chat_id, reply, media)


async def _send_to(bot: Bot, chat_id: int, reply: Reply, media: MediaStore | None) -> None:
    if reply.photo is not None and media is not None:
        async def send_photo(photo: str | BufferedInputFile) -> Message:
            return await bot.send_photo(chat_id, photo, caption=reply.text, parse_mode=ParseMode.HTML,
                                        reply_markup=reply.markup)

        if await _with_photo(media, reply.photo, send_photo):
            return
    await bot.send_message(chat_id, reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.markup)


async def _with_photo(media: MediaStore, reference: str,
                      show: Callable[[str | BufferedInputFile], Awaitable[Message | bool]]) -> bool:
    """`show` the photo by its Telegram file_id, else by uploading it (and remember the id Telegram gives it).

    False when there is no photo to show: the file is missing or broken on disk.
    """
    photo = await _photo(media, reference)
    if photo is None:
        return False
    try:
        shown = await show(photo)
    except TelegramBadRequest as exc:
        if not isinstance(photo, str) or not any(part in exc.message.lower() for part in _REFUSED_FILE_ID):
            raise
        logger.info("Telegram refused a remembered file_id for %s; uploading it again", reference)
        media.forget_file_id(reference, photo)
        photo = await _photo(media, reference)
        if photo is None:
            return False
        shown = await show(photo)
    if isinstance(photo, BufferedInputFile) and isinstance(shown, Message) and shown.photo:
        await media.remember_file_id(reference, shown.photo[-1].file_id)
    return True


async def _photo(media: MediaStore, reference: str) -> str | BufferedInputFile | None:
    file_id = await media.file_id_for(reference)
    if file_id is not None:
        return file_id
    try:
        jpeg = await media.read(reference)
    except (OSError, ValueError) as exc:
        logger.warning("product photo %s can't be read (%s); showing the card as text", reference[:80], exc)
        return None
    return BufferedInputFile(jpeg, filename="photo.jpg")
