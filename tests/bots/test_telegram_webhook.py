"""Webhook mode on a real port on 127.0.0.1: only requests carrying the secret token reach the dispatcher."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiogram import Dispatcher, Router
from aiogram.filters import Command
from aiogram.methods import DeleteWebhook, SetWebhook
from aiogram.types import Message
from teremok import MockBot

from bots.telegram.webhook import run_webhook, webhook_path

SECRET = "s3cret-Token_for-tests"
WEBHOOK_URL = "https://shop.example/telegram/updates"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class Received:
    texts: list[str] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def update(update_id: int, text: str) -> dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(datetime.now(UTC).timestamp()), "text": text,
        "chat": {"id": 42, "type": "private"}, "from": {"id": 42, "is_bot": False, "first_name": "Hana"},
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text[0] == "/" else []}}


@dataclass
class Webhook:
    bot: MockBot
    url: str
    received: Received
    stop: asyncio.Event
    task: asyncio.Task[None]

    async def post(self, body: dict[str, Any], secret: str | None) -> int:
        headers = {HEADER: secret} if secret is not None else {}
        async with aiohttp.ClientSession() as client, client.post(self.url, json=body, headers=headers) as response:
            return response.status


@pytest.fixture
async def webhook() -> AsyncIterator[Webhook]:
    received = Received()

    async def record(message: Message) -> None:
        received.texts.append(message.text or "")
        received.arrived.set()

    router = Router()
    router.message.register(record, Command("start"))
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    bot = MockBot(dispatcher)
    port, stop = free_port(), asyncio.Event()
    path = webhook_path(WEBHOOK_URL)
    task = asyncio.create_task(run_webhook(bot, dispatcher, host="127.0.0.1", port=port, path=path,
                                           secret_token=SECRET, stop=stop, webhook_url=WEBHOOK_URL))
    for _ in range(200):  # until setWebhook is sent, which happens once the port is listening
        if bot.requests.set_webhook or task.done():
            break
        await asyncio.sleep(0.01)
    hook = Webhook(bot, f"http://127.0.0.1:{port}{path}", received, stop, task)
    yield hook
    stop.set()
    await asyncio.wait_for(task, 10)


async def test_the_webhook_is_set_with_the_secret_and_deleted_at_stop(webhook: Webhook) -> None:
    [set_webhook] = webhook.bot.requests.set_webhook
    assert isinstance(set_webhook, SetWebhook)
    assert set_webhook.url == WEBHOOK_URL and set_webhook.secret_token == SECRET
    assert set_webhook.allowed_updates == ["message"]  # only what the dispatcher handles
    assert webhook.bot.requests.delete_webhook == []

    webhook.stop.set()
    await asyncio.wait_for(webhook.task, 10)
    assert [type(r) for r in webhook.bot.requests.all][-1] is DeleteWebhook
    with pytest.raises(aiohttp.ClientConnectionError):  # nobody is listening any more
        await webhook.post(update(1, "/start"), SECRET)


async def test_an_update_with_the_secret_is_dispatched(webhook: Webhook) -> None:
    assert await webhook.post(update(10, "/start p_7"), SECRET) == 200
    await asyncio.wait_for(webhook.received.arrived.wait(), 5)
    assert webhook.received.texts == ["/start p_7"]


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET.upper()])
async def test_without_the_right_secret_nothing_is_dispatched(webhook: Webhook, secret: str | None) -> None:
    assert await webhook.post(update(20, "/start"), secret) == 401
    assert await webhook.post(update(21, "/start ok"), SECRET) == 200  # a good one afterwards still works
    await asyncio.wait_for(webhook.received.arrived.wait(), 5)
    assert webhook.received.texts == ["/start ok"]


@pytest.mark.parametrize("secret", ["s3cret-Tökén".encode(), SECRET.encode() + b"\xe9", "秘密".encode()])
async def test_a_secret_header_outside_ascii_is_refused_like_any_wrong_one(webhook: Webhook, secret: bytes) -> None:
    """Raw bytes on the wire (a client library would refuse to send them): 401, not a 500 and a traceback."""
    port = int(webhook.url.split(":")[2].split("/")[0])
    body = json.dumps(update(25, "/start")).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST " + webhook_path(WEBHOOK_URL).encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n"
                 + HEADER.encode() + b": " + secret + b"\r\nConnection: close\r\n\r\n" + body)
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    assert status_line.split()[1] == b"401"
    assert await webhook.post(update(26, "/start ok"), SECRET) == 200  # and the server is still fine
    await asyncio.wait_for(webhook.received.arrived.wait(), 5)
    assert webhook.received.texts == ["/start ok"]


async def test_stopping_finishes_the_update_in_hand() -> None:
    started, finished = asyncio.Event(), asyncio.Event()

    async def slow(message: Message) -> None:
        started.set()
        await asyncio.sleep(0.3)
        finished.set()

    dispatcher = Dispatcher()
    dispatcher.message.register(slow)
    bot, port, stop = MockBot(dispatcher), free_port(), asyncio.Event()
    task = asyncio.create_task(run_webhook(bot, dispatcher, host="127.0.0.1", port=port, path="/hook",
                                           secret_token=SECRET, stop=stop, webhook_url=WEBHOOK_URL))
    for _ in range(200):
        if bot.requests.set_webhook:
            break
        await asyncio.sleep(0.01)
    async with aiohttp.ClientSession() as client:
        response = await client.post(f"http://127.0.0.1:{port}/hook", json=update(30, "hello"),
                                     headers={HEADER: SECRET})
        assert response.status == 200
    await asyncio.wait_for(started.wait(), 5)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert finished.is_set()


@pytest.mark.parametrize("secret", ["", "has space", "x" * 257])
async def test_a_missing_or_invalid_secret_refuses_to_start(secret: str) -> None:
    dispatcher = Dispatcher()
    with pytest.raises(ValueError, match="secret"):
        await run_webhook(MockBot(dispatcher), dispatcher, host="127.0.0.1", port=free_port(), path="/",
                          secret_token=secret, stop=asyncio.Event(), webhook_url=WEBHOOK_URL)


def test_the_path_comes_from_the_public_url() -> None:
    assert webhook_path("https://shop.example/telegram/updates") == "/telegram/updates"
    assert webhook_path("https://shop.example") == "/"
