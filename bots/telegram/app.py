"""Running the Telegram front-end: the bot, its command menus in each language, long polling, clean stop.

`chatshop run` calls `run_telegram` inside its task group, beside the payment watchers.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import BotCommand

from bots.config import Settings
from bots.i18n import SUPPORTED, Translator
from bots.telegram.dispatcher import build_dispatcher
from commerce.shop import Shop

log = logging.getLogger(__name__)

COMMANDS: Final = ("start", "search", "cart", "orders", "language", "help", "terms")

NO_TOKEN_HELP: Final = """\
Telegram is enabled in bot.toml, but the bot has no token.
  1. In Telegram, open @BotFather, send /newbot and follow its questions.
  2. It answers with a token like 123456789:AAE…; keep it secret.
  3. Give it to chatshop through the environment, then start again:
       export {env}=<token>
       chatshop run
(Or set enabled = false under [telegram] in bot.toml.)"""


def make_bot(token: str, api_url: str = "") -> Bot:
    """A bot speaking HTML, against Telegram or a self-hosted Bot API server (`telegram.api_url`)."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url.rstrip("/"))) if api_url else None
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


async def set_commands(bot: Bot, translator: Translator, default_locale: str) -> None:
    """The "/" menu in each language, and the default one for everybody else."""
    for locale in SUPPORTED:
        commands = [BotCommand(command=name, description=translator.text(locale, f"command.{name}"))
                    for name in COMMANDS]
        await bot.set_my_commands(commands, language_code=locale)
        if locale == default_locale:
            await bot.set_my_commands(commands)


async def run_telegram(settings: Settings, shop: Shop, stop: asyncio.Event, **services: Any) -> None:
    """Poll Telegram until `stop` is set, then finish the update in hand and return."""
    token = settings.telegram_token()
    assert token is not None, "checked by the caller"
    translator = Translator.load(default=settings.shop.default_locale)
    bot = make_bot(token.get_secret_value(), settings.telegram.api_url)
    dispatcher = build_dispatcher(shop, translator, shop_name=settings.shop.name, terms=settings.shop.terms,
                                  default_locale=settings.shop.default_locale, **services)
    try:
        await set_commands(bot, translator, settings.shop.default_locale)
        polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not polling.done():
            await dispatcher.stop_polling()
        await polling
        stopping.cancel()
    finally:
        await bot.session.close()
