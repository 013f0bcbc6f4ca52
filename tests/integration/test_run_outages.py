"""`chatshop run` as a real process while Telegram or Discord can't be reached, refuses the token, or comes back;
and Ctrl-C at moments of its start-up.

Telegram is the fake Bot API server (tests/support/fake_bot_api.py) on a fixed port of 127.0.0.1: not started
(connection refused), answering, answering 401. Discord's REST address is pointed at a small local server.
"""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import zxingcpp
from aiohttp import web
from PIL import Image

from bots.app import open_shop
from bots.common.reconnect import SETTLE
from bots.config import load_settings
from bots.i18n import Translator
from commerce.catalog import NewProduct
from tests.support.anvil import Anvil, free_port, mine, send_eth
from tests.support.fake_bot_api import Call, FakeBotApi

TOKEN = "123456789:AAE-test-token-for-the-fake-bot-api-server"
DISCORD_TOKEN = "MTA4MjM0NTY3ODkwMTIzNDU2Nw.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"
SHOP_ADDRESS = "0x00000000000000000000000000000000c0ffee02"
UNREACHABLE = "Telegram can't be reached"
BACK = "Telegram answering again"


def write_config(folder: Path, *, api_url: str = "", discord: bool = False, anvil: Anvil | None = None) -> Path:
    text = f"""
[shop]
name = "Sakura Goods"
default_locale = "ja"
[telegram]
enabled = {"false" if discord else "true"}
api_url = "{api_url}"
[discord]
enabled = {"true" if discord else "false"}
[rates]
source = "fixed"
[rates.fixed]
ETH = "450000"
[sellers]
owners = ["telegram:1"]
"""
    if anvil is not None:
        text += f"""
[payments]
watch_interval_seconds = 1
[[payments.methods]]
id = "eth"
chain = "evm"
chain_id = 31337
rpc_url = "{anvil.url}"
asset = "ETH"
receive_address = "{SHOP_ADDRESS}"
confirmations = 1
"""
    path = folder / "bot.toml"
    path.write_text(text, encoding="utf-8")
    return path


class ShopProcess:
    """`chatshop run` in its own process; stdout and stderr are collected line by line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, config: Path, env: dict[str, str], *, prelude: str = "") -> ShopProcess:
        """What the `chatshop` console script does, after `prelude`."""
        code = prelude + "from bots.cli import main\nraise SystemExit(main())\n"
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, "run", "--config", str(config), env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.lines.append(line.decode(errors="replace").rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    async def wait_for_line(self, fragment: str, seconds: float = 60, *, count: int = 1) -> None:
        """Until `count` lines hold `fragment`."""
        deadline = time.monotonic() + seconds
        while sum(fragment in line for line in self.lines) < count:
            assert self.process.returncode is None or not self._reader.done(), \
                f"exited {self.process.returncode} before {fragment!r}:\n{self.output}"
            assert time.monotonic() < deadline, f"no {fragment!r} after {seconds} s:\n{self.output}"
            await asyncio.sleep(0.05)

    async def finish(self, seconds: float = 60) -> int:
        """The exit status once the process has ended by itself (all output read)."""
        code = await asyncio.wait_for(self.process.wait(), seconds)
        await asyncio.wait_for(self._reader, 10)
        return code

    async def stop(self, signal_number: int = signal.SIGTERM) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal_number)
        try:
            return await self.finish(30)
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()


async def wait_until(condition: Callable[[], object], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


def order_statuses(folder: Path) -> list[str]:
    with sqlite3.connect(folder / "data" / "shop.db") as db:
        return [row[0] for row in db.execute("SELECT status FROM orders")]


async def buy_with_eth(api: FakeBotApi, product_id: int) -> int:
    """A buyer opens the product's link, buys it with ETH; the amount in wei from the payment card."""
    translator = Translator.load()
    api.send_text(555, f"/start p_{product_id}", language="en")
    await wait_until(api.last_with_buttons, "the product card")
    api.press(555, api.last_with_buttons(), translator.text("en", "button.buy_now"))
    await wait_until(lambda: any("ETH" in t for t in (api.last_with_buttons() or Call("", {}, {}, 0)).buttons()),
                     "the payment methods")
    methods = api.last_with_buttons()
    api.press(555, methods, next(t for t in methods.buttons() if "ETH" in t))
    confirm = translator.text("en", "button.confirm_order")
    await wait_until(lambda: confirm in (api.last_with_buttons() or Call("", {}, {}, 0)).buttons(), "the summary")
    api.press(555, api.last_with_buttons(), confirm)
    await wait_until(lambda: api.sent("sendPhoto"), "the payment card")
    [card] = api.sent("sendPhoto")
    uri = zxingcpp.read_barcodes(Image.open(io.BytesIO(next(iter(card.files.values())))))[0].text
    return int(uri.split("value=")[1])


async def test_the_shop_rides_out_telegram_being_away_and_the_watcher_keeps_working(
        tmp_path: Path, anvil: Anvil) -> None:
    port = free_port()
    api = FakeBotApi(TOKEN, port=port)  # not started yet: every connection is refused
    config = write_config(tmp_path, api_url=f"http://127.0.0.1:{port}", anvil=anvil)
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN}
    async with open_shop(load_settings(config, environ=env)) as shop:
        [owner] = await shop.sellers.bootstrap_owners(["telegram:1"])
        product = await shop.catalog.create_product(owner, NewProduct(title="Gift card", price="4500",
                                                                      kind="digital"))
        await shop.catalog.add_digital_items(owner, product.variants[0].id, ["GIFT-0001"])
    shop_process = await ShopProcess.start(config, env)
    try:
        # Telegram can't be reached at start: the process stays up and says so once, not on every retry.
        await shop_process.wait_for_line(UNREACHABLE)
        await asyncio.sleep(4)  # several retries (1 + 2 s of backoff)
        assert shop_process.process.returncode is None, shop_process.output
        assert shop_process.output.count(UNREACHABLE) == 1

        await api.start()  # Telegram comes back: the bot answers and sells
        await shop_process.wait_for_line(BACK)
        await shop_process.wait_for_line("telegram: answering as @sakura_goods_bot")
        wei = await buy_with_eth(api, product.id)
        await asyncio.sleep(SETTLE)  # Telegram answers long enough for a new failure to be a new outage

        await api.stop()  # away again, and the buyer pays meanwhile: the watcher still sees it
        await shop_process.wait_for_line(UNREACHABLE, count=2)
        send_eth(anvil, anvil.accounts[0], SHOP_ADDRESS, wei)
        mine(anvil, 1)
        await wait_until(lambda: set(order_statuses(tmp_path)) & {"paid", "fulfilled"}, "the order paid", 60)
        assert not any("GIFT-0001" in str(call.fields.get("text", "")) for call in api.calls)

        await api.start()  # back: the notification that waited is delivered, with the digital key
        await wait_until(lambda: any("GIFT-0001" in str(call.fields.get("text", "")) for call in api.calls),
                         "the digital key after Telegram came back")
        assert shop_process.output.count(UNREACHABLE) == 2, shop_process.output  # once per outage
        assert shop_process.output.count(BACK) == 2, shop_process.output
    finally:
        status = await shop_process.stop()
        await api.stop()
    assert status == 0, shop_process.output
    assert "Traceback" not in shop_process.output
    assert "Failed to fetch updates" not in shop_process.output  # aiogram's per-attempt log never shows
    assert TOKEN not in shop_process.output


@pytest.mark.parametrize("when", ["at start", "while running"])
async def test_a_token_telegram_refuses_stops_the_shop_with_one_line(tmp_path: Path, when: str) -> None:
    api = FakeBotApi(TOKEN, unauthorized=when == "at start")
    url = await api.start()
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN}
    shop_process = await ShopProcess.start(write_config(tmp_path, api_url=url), env)
    try:
        if when == "while running":
            await shop_process.wait_for_line("telegram: answering as @sakura_goods_bot")
            api.unauthorized = True  # the token is revoked in @BotFather
            api.send_text(555, "/start")  # the next long poll is refused
        status = await shop_process.finish()
    finally:
        await shop_process.stop()
        await api.stop()
    assert status == 1, shop_process.output
    last = shop_process.lines[-1]
    assert last.startswith("Telegram refused the bot token in TELEGRAM_BOT_TOKEN (401 Unauthorized")
    assert "@BotFather" in last and "export TELEGRAM_BOT_TOKEN=<token>" in last
    assert "Traceback" not in shop_process.output and "ExceptionGroup" not in shop_process.output
    assert TOKEN not in shop_process.output


class FakeDiscordRest:
    """Discord's REST API as far as logging in goes: `GET /users/@me` answers 401."""

    def __init__(self) -> None:
        self.logins = 0
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        async def me(_request: web.Request) -> web.Response:
            self.logins += 1
            return web.json_response({"message": "401: Unauthorized", "code": 0}, status=401)

        app = web.Application()
        app.router.add_get("/api/v10/users/@me", me)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/api/v10"  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def discord_at(url: str) -> str:
    """Run chatshop with discord.py's REST calls sent to `url` (discord.py has no setting for it)."""
    return f"import discord.http\ndiscord.http.Route.BASE = {url!r}\n"


async def test_a_token_discord_refuses_stops_the_shop_with_one_line(tmp_path: Path) -> None:
    rest = FakeDiscordRest()
    url = await rest.start()
    env = {**os.environ, "DISCORD_BOT_TOKEN": DISCORD_TOKEN}
    shop_process = await ShopProcess.start(write_config(tmp_path, discord=True), env, prelude=discord_at(url))
    try:
        status = await shop_process.finish()
    finally:
        await shop_process.stop()
        await rest.stop()
    assert status == 1, shop_process.output
    assert rest.logins == 1
    last = shop_process.lines[-1]
    assert last.startswith("Discord refused the bot token in DISCORD_BOT_TOKEN (401 Unauthorized")
    assert "developer portal" in last
    assert "Traceback" not in shop_process.output and DISCORD_TOKEN not in shop_process.output


async def test_discord_being_unreachable_is_retried_and_ctrl_c_still_stops_cleanly(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/api/v10"  # nobody listens
    env = {**os.environ, "DISCORD_BOT_TOKEN": DISCORD_TOKEN}
    shop_process = await ShopProcess.start(write_config(tmp_path, discord=True), env, prelude=discord_at(url))
    try:
        await shop_process.wait_for_line("Discord can't be reached")
        await asyncio.sleep(4)  # several retries
        assert shop_process.process.returncode is None, shop_process.output
        assert shop_process.output.count("Discord can't be reached") == 1
    finally:
        status = await shop_process.stop(signal.SIGINT)
    assert status == 0, shop_process.output
    assert shop_process.lines[-1] == "stopped"
    assert "Traceback" not in shop_process.output


def interrupt_while_importing(module: str) -> str:
    """A prelude that presses Ctrl-C (SIGINT to the process itself) the moment `module` starts to load."""
    return ("import os, signal, sys\n"
            "class CtrlC:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            f"        if name == {module!r}:\n"
            "            sys.meta_path.remove(self)\n"
            "            os.kill(os.getpid(), signal.SIGINT)\n"
            "sys.meta_path.insert(0, CtrlC())\n")


# Moments of start-up: while a module loads (the `run` command's own; the database layer, first thing in the
# event loop; aiogram, as the Telegram front-end starts), or just after a line is printed (the config read,
# next the event loop and migrations; the database ready; the bot starting; Telegram found away).
START_UP_MOMENTS = [("import", "bots.cli.runtime"), ("import", "bots.app"), ("import", "aiogram"),
                    ("line", "telegram: enabled in bot.toml"), ("line", "database ready"),
                    ("line", "telegram: connecting"), ("line", UNREACHABLE)]


@pytest.mark.parametrize(("kind", "moment"), START_UP_MOMENTS)
async def test_ctrl_c_at_any_moment_of_start_up_exits_cleanly(tmp_path: Path, kind: str, moment: str) -> None:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN}
    config = write_config(tmp_path, api_url=f"http://127.0.0.1:{free_port()}")
    if kind == "import":
        shop_process = await ShopProcess.start(config, env, prelude=interrupt_while_importing(moment))
    else:
        shop_process = await ShopProcess.start(config, env)
        await shop_process.wait_for_line(moment)
        shop_process.process.send_signal(signal.SIGINT)
    status = await shop_process.finish()
    assert status in (0, 130), shop_process.output
    for sign_of_trouble in ("Traceback", "Exception in", "RuntimeError", "Fatal"):
        assert sign_of_trouble not in shop_process.output
