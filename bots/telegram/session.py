"""The HTTP session the bot talks to Telegram through: aiogram's aiohttp one, minus a hidden per-call cost.

aiogram parses every answer with `Response[method.__returning__]`. pydantic keeps parametrised generic
models in a weak-value cache, so once the garbage collector drops one (it does, every few hundred calls
on a busy bot) the next call rebuilds its whole schema (~3 ms): about a fifth of the time of a button
press. Holding the few types a bot uses keeps the cache warm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.methods.base import Response

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import TelegramMethod
    from aiogram.methods.base import TelegramType

# `Response[X]` for each answer type seen; a handful (Message, bool, list[Update], …), never evicted.
_RESPONSE_TYPES: dict[Any, type[Response[Any]]] = {}


class PinnedResponseTypes(BaseSession):
    """Mix in before a `BaseSession` subclass: answers are parsed exactly as aiogram does, with their
    `Response[...]` model kept alive."""

    def check_response(self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int,
                       content: str) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in _RESPONSE_TYPES:
            _RESPONSE_TYPES[returning] = Response[returning]  # type: ignore[valid-type]  # a runtime type argument
        return super().check_response(bot, method, status_code, content)


class ShopSession(PinnedResponseTypes, AiohttpSession):
    """The session `make_bot` gives every bot."""
