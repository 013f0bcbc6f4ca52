"""A Bot API session for benchmarks: everything a real one does short of the network.

Each request is serialised as aiogram's aiohttp session would (`prepare_value` on every field, files
collected), and answered with what Telegram answers: the message as sent (text or caption, its keyboard,
the photo sizes of a photo with a file_id — the same one when a file_id was sent, a new one for an
upload), or `true`; the answer is then parsed by aiogram as a real one is. Telegram also returns the
formatting entities of an HTML text; those are left out.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any, Final

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

from bots.telegram.session import PinnedResponseTypes

TOKEN: Final = "42:BENCH"
_ATTACHED: Final = "attach://"
_PHOTO_SIZES: Final = ((90, 90), (320, 320), (800, 800))


class RecordingSession(PinnedResponseTypes, BaseSession):
    """Counts the calls by Bot API method (`calls`)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: dict[str, int] = {}
        self._message_ids = itertools.count(1_000)
        self._file_ids = itertools.count(1)

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType],
                           timeout: int | None = None) -> TelegramType:  # noqa: ASYNC109 — BaseSession's signature
        files: dict[str, Any] = {}
        form = {key: self.prepare_value(value, bot=bot, files=files)
                for key, value in method.model_dump(warnings=False).items()}
        name = method.__api_method__
        self.calls[name] = self.calls.get(name, 0) + 1
        result: Any = True
        if method.__returning__ is not bool:  # sendMessage, sendPhoto, editMessage…: the message as Telegram has it
            result = self._message(form)
        response = self.check_response(bot, method, 200, self.json_dumps({"ok": True, "result": result}))
        return response.result  # type: ignore[return-value]  # check_response raised if it is missing

    def _message(self, form: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(form.get("chat_id") or 0)
        message: dict[str, Any] = {"message_id": next(self._message_ids), "date": int(time.time()),
                                   "chat": {"id": chat_id, "type": "private"},
                                   "from": {"id": 42, "is_bot": True, "first_name": "Shop"}}
        if "reply_markup" in form and form["reply_markup"]:
            message["reply_markup"] = json.loads(form["reply_markup"])
        media = json.loads(form["media"]) if "media" in form else None  # editMessageMedia
        photo = media["media"] if media else form.get("photo")
        if photo is None:
            message["text"] = form.get("text", "")
            return message
        message["caption"] = (media or form).get("caption", "")
        file_id = f"AgACAgUAAxkBAAI{next(self._file_ids):012d}" if photo.startswith(_ATTACHED) else photo
        message["photo"] = [{"file_id": file_id, "file_unique_id": f"{file_id[-12:]}{width}", "width": width,
                             "height": height} for width, height in _PHOTO_SIZES]
        return message

    async def stream_content(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover — never downloads
        raise NotImplementedError

    async def close(self) -> None:
        return None
