"""A buyer's side of a private Telegram chat, driven through the real dispatcher by teremok.

It keeps what the chat shows: every message the bot sent, updated by the bot's edits, so a test can
press a button on a particular message and see whether that message changed in place.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage, TelegramMethod
from aiogram.types import InlineKeyboardButton, Message, User
from teremok import DispatchResult, MockBot, MockCallbackQuery, MockMessageText, MockUser
from teremok.responses import AutoResponder


class RecordingResponder(AutoResponder):
    """teremok's auto-responder, remembering which message each send produced (for its message_id)."""

    def __init__(self) -> None:
        super().__init__()
        self.results: dict[int, Message] = {}

    def make_message(self, bot: Bot, method: TelegramMethod[Any]) -> Message:
        message = super().make_message(bot, method)
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
            if isinstance(request, SendMessage):
                sent = responder.results[id(request)]
                self.messages[sent.message_id] = self.last = sent
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


def edits(result: DispatchResult) -> list[EditMessageText]:
    return [r for r in result.requests.all if isinstance(r, EditMessageText)]


def alert(result: DispatchResult) -> AnswerCallbackQuery:
    """The one answer to the pressed button (every press must stop its spinner exactly once)."""
    answers = [r for r in result.requests.all if isinstance(r, AnswerCallbackQuery)]
    assert len(answers) == 1, answers
    return answers[0]
