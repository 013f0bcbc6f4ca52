"""A small Bot API server on 127.0.0.1 for end-to-end tests of the real aiogram HTTP client.

Long-polls `getUpdates` from a queue the test fills, records every other call (form or multipart bodies,
including uploaded files) and answers with well-formed Bot API objects.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Sakura Goods", "username": "sakura_goods_bot"}


@dataclass
class Call:
    method: str
    fields: dict[str, Any]
    files: dict[str, bytes]
    at: float
    result: Any = None

    def buttons(self) -> dict[str, str]:
        """Inline button text → callback data of the message this call sent."""
        markup = json.loads(self.fields.get("reply_markup") or "{}")
        return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row
                if "callback_data" in b}


@dataclass
class FakeBotApi:
    token: str
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(100))
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    port: int = 0  # 0: any free port; set it to come back on the same one after `stop`
    unauthorized: bool = False  # answer every call 401, as Telegram does for a wrong or revoked token
    _stopping: bool = False

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post(f"/bot{self.token}/{{method}}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        """Stop serving, like a Telegram that went away: a long poll in progress fails (502, as a proxy in front
        of it would answer) instead of finishing normally; then every connection is refused."""
        self._stopping = True
        self._new_update.set()
        try:
            if self._runner is not None:
                await self._runner.cleanup()
        finally:
            self._stopping = False

    def send_text(self, user_id: int, text: str, *, language: str = "ja") -> None:
        """A private-chat message from a user, as Telegram would deliver it."""
        user = {"id": user_id, "is_bot": False, "first_name": "Buyer", "language_code": language}
        self.updates.append({"update_id": next(self._update_ids), "message": {
            "message_id": next(self._message_ids), "date": int(time.time()), "text": text, "from": user,
            "chat": {"id": user_id, "type": "private", "first_name": "Buyer"},
            **({"entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]}
               if text.startswith("/") else {})}})
        self._new_update.set()

    def press(self, user_id: int, call: Call, text: str, *, language: str = "en") -> None:
        """The user taps the button labelled `text` on the message `call` sent."""
        user = {"id": user_id, "is_bot": False, "first_name": "Buyer", "language_code": language}
        self.updates.append({"update_id": next(self._update_ids), "callback_query": {
            "id": str(next(self._message_ids)), "from": user, "chat_instance": "ci", "message": call.result,
            "data": call.buttons()[text]}})
        self._new_update.set()

    def last_with_buttons(self) -> Call | None:
        return next((c for c in reversed(self.calls) if c.buttons() and isinstance(c.result, dict)), None)

    def sent(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if self.unauthorized:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        form = await request.post()
        fields: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = value.file.read()
            else:
                fields[key] = value
        if method == "getUpdates":
            updates = await self._poll(fields)
            if self._stopping:
                return web.json_response({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502)
            return web.json_response({"ok": True, "result": updates})
        result = self._result(method, fields)
        self.calls.append(Call(method, fields, files, time.monotonic(), result))
        return web.json_response({"ok": True, "result": result})

    async def _poll(self, fields: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(fields.get("offset") or 0)
        deadline = time.monotonic() + min(float(fields.get("timeout") or 0), 1.0)
        while True:
            pending = [u for u in self.updates if u["update_id"] >= offset]
            if pending or time.monotonic() >= deadline or self._stopping:
                return pending
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), max(0.01, deadline - time.monotonic()))

    def _result(self, method: str, fields: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method.startswith(("send", "edit")) and "chat_id" in fields:
            chat = {"id": int(fields["chat_id"]), "type": "private", "first_name": "Buyer"}
            message_id = int(fields["message_id"]) if "message_id" in fields else next(self._message_ids)
            message: dict[str, Any] = {"message_id": message_id, "date": int(time.time()),
                                       "chat": chat, "from": BOT_USER}
            if "text" in fields:
                message["text"] = fields["text"]
            if method == "sendPhoto":
                message["photo"] = [{"file_id": "photo1", "file_unique_id": "u1", "width": 720, "height": 900}]
                message["caption"] = fields.get("caption", "")
            return message
        return True
