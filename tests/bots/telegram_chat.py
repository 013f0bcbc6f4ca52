"""A buyer's side of a private Telegram chat, driven through the real dispatcher by teremok.

It keeps what the chat shows: every message the bot sent, updated by the bot's edits and deletions, so a
test can press a button on a particular message and see whether that message changed in place. Photos get
a file_id the way Telegram gives one (a fresh id for an upload, the same id when sent by id), so code that
remembers file_ids can be tested.
"""

from __future__ import annotations

import itertools
from typing import Any

from aiogram import Bot
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageMedia,
    EditMessageText,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import InlineKeyboardButton, Message, PhotoSize, User
from teremok import DispatchResult, MockBot, MockCallbackQuery, MockMessageText, MockUser
from teremok.responses import AutoResponder
from teremok.validation import MAX_CAPTION, validate_html

_uploads = itertools.count(1)


class RecordingResponder(AutoResponder):
    """teremok's auto-responder, remembering which message each send produced (for its message_id)."""

    def __init__(self) -> None:
        super().__init__()
        self.results: dict[int, Message] = {}

    def make_message(self, bot: Bot, method: TelegramMethod[Any]) -> Message:
        message = super().make_message(bot, method)
        photo = method.photo if isinstance(method, SendPhoto) else \
            method.media.media if isinstance(method, EditMessageMedia) else None
        if photo is not None:
            file_id = photo if isinstance(photo, str) else f"photo-{next(_uploads)}"
            update: dict[str, Any] = {"photo": [PhotoSize(file_id=file_id, file_unique_id=f"u-{file_id}",
                                                          width=800, height=800)]}
            if isinstance(method, EditMessageMedia):
                update["caption"] = method.media.caption
            message = message.model_copy(update=update)
        self.results[id(method)] = message
        return message


def recording_bot(*args: Any, **kwargs: Any) -> MockBot:
    bot = MockBot(*args, **kwargs)
    bot.mock_session.auto = RecordingResponder()
    return bot


class TelegramChat:
    def __init__(self, bot: MockBot, user_id: int, language_code: str | None = "en") -> None:
        self.bot = bot
        self.user: User = MockUser(user_id=user_id, first_name="Hana", language_code=language_code)
        self.messages: dict[int, Message] = {}  # what the chat shows now, by message_id
        self.last: Message | None = None  # the newest message the bot sent

    async def send(self, text: str) -> DispatchResult:
        return self._track(await self.bot.dispatch(MockMessageText(text, user=self.user)))

    async def press(self, label: str, on: Message | None = None) -> DispatchResult:
        """Tap the one button whose text contains `label`, on `on` (default: the newest message)."""
        message = on or self.last
        assert message is not None, "no message to press a button on"
        button = self.button(label, message)
        assert button.callback_data is not None
        return await self.press_data(button.callback_data, message)

    async def press_data(self, data: str, on: Message | None = None) -> DispatchResult:
        """Send raw callback data, as a forged or stale button would."""
        query = MockCallbackQuery(data, user=self.user, message=on or self.last)
        return self._track(await self.bot.dispatch(query))

    def button(self, label: str, message: Message | None = None) -> InlineKeyboardButton:
        message = message or self.last
        assert message is not None and message.reply_markup is not None, "the message has no buttons"
        found = [b for row in message.reply_markup.inline_keyboard for b in row if label in b.text]
        assert len(found) == 1, f"{len(found)} buttons contain {label!r}: {self.labels(message)}"
        return found[0]

    def rows(self, message: Message | None = None) -> list[list[InlineKeyboardButton]]:
        message = message or self.last
        assert message is not None and message.reply_markup is not None, "the message has no buttons"
        return message.reply_markup.inline_keyboard

    def labels(self, message: Message | None = None) -> list[str]:
        message = message or self.last
        if message is None or message.reply_markup is None:
            return []
        return [b.text for row in message.reply_markup.inline_keyboard for b in row]

    def message(self, message_id: int) -> Message:
        return self.messages[message_id]

    def _track(self, result: DispatchResult) -> DispatchResult:
        responder = self.bot.mock_session.auto
        assert isinstance(responder, RecordingResponder)
        for request in result.requests.all:
            if isinstance(request, SendMessage | SendPhoto):
                sent = responder.results.get(id(request))
                if sent is None:  # a queued result (an error Telegram returned): nothing appeared in the chat
                    continue
                self.messages[sent.message_id] = self.last = sent
            elif isinstance(request, EditMessageMedia):
                # teremok checks the captions of sends, not of media edits: check them as Telegram would
                caption = request.media.caption or ""
                assert len(caption.encode("utf-16-le")) // 2 <= MAX_CAPTION, "media caption is too long"
                if request.media.parse_mode == "HTML":
                    validate_html(caption)
                assert request.message_id is not None
                shown = responder.results[id(request)]
                edited = self.messages[request.message_id].model_copy(
                    update={"photo": shown.photo, "caption": shown.caption, "reply_markup": request.reply_markup})
                self.messages[request.message_id] = edited
                if self.last is not None and self.last.message_id == request.message_id:
                    self.last = edited
            elif isinstance(request, DeleteMessage):
                self.messages.pop(request.message_id, None)
                if self.last is not None and self.last.message_id == request.message_id:
                    self.last = None
            elif isinstance(request, EditMessageText):
                assert request.message_id is not None
                edited = self.messages[request.message_id].model_copy(
                    update={"text": request.text, "reply_markup": request.reply_markup})
                self.messages[request.message_id] = edited
                if self.last is not None and self.last.message_id == request.message_id:
                    self.last = edited
        return result


def sent(result: DispatchResult) -> list[SendMessage]:
    return [r for r in result.requests.all if isinstance(r, SendMessage)]


def photos_sent(result: DispatchResult) -> list[SendPhoto]:
    return [r for r in result.requests.all if isinstance(r, SendPhoto)]


def media_edits(result: DispatchResult) -> list[EditMessageMedia]:
    return [r for r in result.requests.all if isinstance(r, EditMessageMedia)]


def deleted(result: DispatchResult) -> list[int]:
    return [r.message_id for r in result.requests.all if isinstance(r, DeleteMessage)]


def edits(result: DispatchResult) -> list[EditMessageText]:
    return [r for r in result.requests.all if isinstance(r, EditMessageText)]


def alert(result: DispatchResult) -> AnswerCallbackQuery:
    """The one answer to the pressed button (every press must stop its spinner exactly once)."""
    answers = [r for r in result.requests.all if isinstance(r, AnswerCallbackQuery)]
    assert len(answers) == 1, answers
    return answers[0]
