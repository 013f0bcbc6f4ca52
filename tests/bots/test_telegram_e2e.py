"""End to end through the real aiogram HTTP client: `chatshop run` as a process, pointed by
telegram.api_url at a fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from tests.support.fake_bot_api import FakeBotApi

TOKEN = "123456789:AAE-test-token-for-the-fake-bot-api-server"


def config(folder: Path, api_url: str) -> Path:
    path = folder / "bot.toml"
    path.write_text(f"""
[shop]
name = "Sakura Goods"
currency = "JPY"
default_locale = "ja"
[database]
url = "sqlite+aiosqlite:///data/shop.db"
[telegram]
enabled = true
api_url = "{api_url}"
[rates]
source = "fixed"
""", encoding="utf-8")
    return path


async def test_chatshop_run_answers_start_through_the_real_http_client(tmp_path: Path) -> None:
    api = FakeBotApi(TOKEN)
    url = await api.start()
    api.send_text(555, "/start", language="en")
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN}
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli.main", "run", "--config", str(config(tmp_path, url)), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        for _ in range(300):
            if api.sent("sendMessage") or process.returncode is not None:
                break
            await asyncio.sleep(0.1)
        assert process.returncode is None, (await process.stdout.read()).decode() if process.stdout else ""
        [greeting] = api.sent("sendMessage")
        answered_after = greeting.at - started
        print(f"first answer {answered_after:.2f} s after the process started")
        assert greeting.fields["chat_id"] == "555"
        assert "Sakura Goods" in greeting.fields["text"]
        assert {c.fields.get("language_code") for c in api.sent("setMyCommands")} >= {"ja", "en"}
        assert TOKEN not in (greeting.fields.get("text") or "")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert await asyncio.wait_for(process.wait(), 15) == 0     # Ctrl-C / SIGTERM: a clean stop
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            await api.stop()
