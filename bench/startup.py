"""Start-up: seconds from launching `chatshop run` to its first Telegram answer, and where they go.

Usage: python -m bench.startup [--repeat 5]

Each run starts a fresh `python -m bots.cli.main run` (new SQLite database, no payment methods) against
the fake Bot API server of the end-to-end tests, with a `/start` already waiting, and times the first
`sendMessage`. It also times, in fresh interpreters, importing the CLI and importing the Telegram front-end
(aiogram's ~300 pydantic models are built at import). Target (docs/architecture.md#performance): ready ≤ 3 s
after start.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.fake_bot_api import FakeBotApi

TOKEN = "123456789:AAE-bench-token-for-the-fake-bot-api-server"

CONFIG = """
[shop]
name = "Bench Shop"
currency = "JPY"
default_locale = "ja"
[database]
url = "sqlite+aiosqlite:///data/shop.db"
[telegram]
enabled = true
api_url = "{api_url}"
[rates]
source = "fixed"
"""


async def first_answer() -> float:
    api = FakeBotApi(TOKEN)
    url = await api.start()
    api.send_text(555, "/start", language="en")
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "bot.toml"
        config.write_text(CONFIG.format(api_url=url), encoding="utf-8")
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bots.cli.main", "run", "--config", str(config),
            env={**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN},
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        try:
            while not api.sent("sendMessage"):
                if process.returncode is not None:
                    raise RuntimeError("chatshop run exited before answering")
                await asyncio.sleep(0.02)
            return api.sent("sendMessage")[0].at - started
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            await process.wait()
            await api.stop()


def import_seconds(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                                env={**os.environ}).stdout)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    answers = [await first_answer() for _ in range(args.repeat)]
    cli = [import_seconds("import bots.cli.main") for _ in range(args.repeat)]
    aiogram = [import_seconds("import aiogram") for _ in range(args.repeat)]
    front = [import_seconds("import bots.cli.main; from bots.telegram.app import run_telegram")
             for _ in range(args.repeat)]
    print(f"first answer after start : {statistics.median(answers):.2f} s  (runs: "
          f"{', '.join(f'{a:.2f}' for a in answers)})  target ≤ 3 s")
    print(f"  import the CLI         : {statistics.median(cli):.2f} s")
    print(f"  import aiogram alone   : {statistics.median(aiogram):.2f} s")
    print(f"  CLI + Telegram front   : {statistics.median(front):.2f} s")


if __name__ == "__main__":
    asyncio.run(main())
