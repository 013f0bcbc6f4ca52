"""Wiring: `chatshop run` starts Discord beside Telegram (or explains the missing token), slash commands are
synced with their Japanese and English names, DMs report closed inboxes, the Telegram link matches."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from discord import app_commands

import bots.cli.runtime as runtime
from bots.cli.main import main
from bots.common.links import telegram_product_link
from bots.discord.delivery import send_dm
from bots.i18n import Translator

CONFIG = """\
[shop]
name = "Test"
[database]
url = "sqlite+aiosqlite:///data/shop.db"
[telegram]
enabled = {telegram}
[discord]
enabled = true
guild_ids = [1234]
[rates]
source = "fixed"
"""


def shop_dir(tmp_path: Path, *, telegram: bool) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "bot.toml").write_text(CONFIG.format(telegram=str(telegram).lower()), encoding="utf-8")
    return tmp_path


def test_run_with_discord_enabled_but_no_token_explains_how_to_get_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    folder = shop_dir(tmp_path, telegram=False)
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    assert main(["run", "--config", str(folder / "bot.toml")]) == 2
    err = capsys.readouterr().err
    assert "discord.com/developers/applications" in err and "export DISCORD_BOT_TOKEN=<token>" in err
    assert "Traceback" not in err


def test_one_run_serves_telegram_and_discord_on_the_same_shop(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    folder = shop_dir(tmp_path, telegram=True)
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "discord-token")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    started: dict[str, Any] = {}

    async def fake_telegram(settings: Any, shop: Any, stop: asyncio.Event, sender: Any, **kwargs: Any) -> None:
        started["telegram"] = shop
        started["senders"] = [sender]
        stop.set()  # as Ctrl-C would

    async def fake_discord(settings: Any, shop: Any, stop: asyncio.Event, sender: Any, **kwargs: Any) -> None:
        started["discord"] = (shop, kwargs["telegram_username"], settings.discord.guild_ids)
        started["senders"].append(sender)
        await stop.wait()

    async def username(_settings: Any, _stop: asyncio.Event) -> str:
        return "sakura_bot"

    import bots.discord.app
    import bots.telegram.app

    monkeypatch.setattr(bots.telegram.app, "run_telegram", fake_telegram)
    monkeypatch.setattr(bots.discord.app, "run_discord", fake_discord)
    monkeypatch.setattr(runtime, "_telegram_username", username)
    assert main(["run", "--config", str(folder / "bot.toml")]) == 0
    out = capsys.readouterr().out
    assert "discord: connecting" in out and "telegram: connecting" in out
    assert started["discord"] == (started["telegram"], "sakura_bot", [1234])
    telegram_sender, discord_sender = started["senders"]
    assert telegram_sender is discord_sender  # one outbox sender for the process, both channels on it


async def test_commands_are_synced_with_japanese_and_english_names(simcord_env: Any,
                                                                   translator: Translator) -> None:
    commands = {name: command for (name, _), command in simcord_env.backend.commands[None].items()}
    assert {"shop", "product", "search", "cart", "orders", "terms", "help", "language", "privacy", "support",
            "share"} <= set(commands)
    shop = commands["shop"]
    assert shop["name_localizations"]["ja"] == "ショップ"
    assert shop["description_localizations"]["ja"] == "ショップの商品を見る"
    assert shop["description_localizations"]["en-US"] == "Browse the shop"
    [option] = commands["product"]["options"]
    assert option["autocomplete"] and option["name_localizations"]["ja"] == "商品名"


def test_every_command_text_has_a_key_in_both_catalogs_matching_its_fallback(translator: Translator) -> None:
    """The English fallback in the code is what the en catalog says, and ja has its own words."""
    from bots.discord.cogs import cart, catalog, invite, link, orders, privacy, share, shop_info, support

    cogs = (catalog.Catalog, cart.Cart, orders.Orders, privacy.Privacy, share.Share, shop_info.ShopInfo,
            support.Support, link.Link, invite.Invite)
    texts: list[Any] = []
    for cog in cogs:
        for command in cog.__cog_app_commands__:
            texts += [command._locale_name, command._locale_description]
            for parameter in command._params.values():
                texts += [parameter._rename, parameter.description]
    texts = [t for t in texts if isinstance(t, app_commands.locale_str)]
    keyed = [t for t in texts if "key" in t.extras]
    assert len(keyed) >= 28
    for text in keyed:
        assert translator.catalogs["en"][text.extras["key"]] == text.message, text.extras["key"]
        assert translator.catalogs["ja"][text.extras["key"]] != text.message, text.extras["key"]


async def test_send_dm_reports_a_closed_inbox(simcord_env: Any, buyer: Any) -> None:
    bot = simcord_env.bot
    assert await send_dm(bot, buyer.id, content="Your order has shipped.") is True
    simcord_env.inject_error("POST", "/channels/*/messages", status=403, code=50007,
                             message="Cannot send messages to this user")
    assert await send_dm(bot, buyer.id, content="Your order has shipped.") is False


def test_the_telegram_link_is_the_one_the_telegram_bot_understands() -> None:
    from bots.telegram.deep_links import product_id_in, product_link

    assert telegram_product_link("sakura_bot", 42) == product_link("sakura_bot", 42)
    assert product_id_in(telegram_product_link("sakura_bot", 42).split("start=")[1]) == 42
