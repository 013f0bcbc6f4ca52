"""Running the Telegram front-end: the bot, its command menus (each language; each seller's chat), long polling,
its notification channel on the process's outbox sender, clean stop.

`chatshop run` calls `run_telegram` inside its task group, beside the payment watchers.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bots.common.outbox_sender import OutboxSender
from bots.config import Settings
from bots.i18n import Translator
from bots.telegram.command_menu import set_all_seller_menus, set_commands
from bots.telegram.dispatcher import build_dispatcher
from bots.telegram.fsm_storage import DatabaseStorage
from bots.telegram.handlers.broadcast import TelegramBroadcastSender
from bots.telegram.media_store import MediaStore
from bots.telegram.notifier import TelegramChannel
from bots.telegram.session import ShopSession
from bots.telegram.webhook import run_webhook, webhook_path
from commerce.conversations import ConversationStore
from commerce.shop import Shop
from payments.requests import PaymentService

log = logging.getLogger(__name__)

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
    session = ShopSession(api=TelegramAPIServer.from_base(api_url.rstrip("/"))) if api_url else ShopSession()
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def owner_chats(settings: Settings) -> list[int]:
    return [int(owner.partition(":")[2]) for owner in settings.sellers.owners if owner.startswith("telegram:")]


async def run_telegram(settings: Settings, shop: Shop, stop: asyncio.Event, sender: OutboxSender, *,
                       payments: PaymentService | None = None) -> None:
    """Poll Telegram until `stop` is set; finish the update in hand and return. Notifications go out through
    `sender` (the process's one outbox sender, run by the caller), which Telegram's channel is attached to."""
    token = settings.telegram_token()
    assert token is not None, "checked by the caller"
    locale = settings.shop.default_locale
    translator = Translator.load(default=locale)
    bot = make_bot(token.get_secret_value(), settings.telegram.api_url)
    dispatcher = build_dispatcher(shop, translator, shop_name=settings.shop.name, terms=settings.shop.terms,
                                  default_locale=locale, payments=payments,
                                  # Long polling: Telegram gives updates to this process alone.
                                  storage=DatabaseStorage(ConversationStore(shop.db),
                                                          sole_writer=settings.telegram.mode == "polling"),
                                  media_store=MediaStore(settings.media.dir))
    sender.attach(TelegramChannel(bot, shop, translator, default_locale=locale, owners_chat_ids=owner_chats(settings)))
    broadcasts = TelegramBroadcastSender(bot, shop, translator, leave_to_discord=settings.discord.enabled)
    try:
        await set_commands(bot, translator, locale)
        await set_all_seller_menus(bot, shop, translator, locale)
        async with asyncio.TaskGroup() as group:
            group.create_task(broadcasts.run(stop), name="telegram broadcasts")
            if settings.telegram.mode == "webhook":
                secret = settings.secret(settings.telegram.webhook_secret_env)
                if secret is None:
                    raise RuntimeError(f"webhook mode needs a secret token in {settings.telegram.webhook_secret_env}")
                group.create_task(run_webhook(
                    bot, dispatcher, host=settings.telegram.webhook_host, port=settings.telegram.webhook_port,
                    path=webhook_path(settings.telegram.webhook_url), secret_token=secret.get_secret_value(),
                    stop=stop, webhook_url=settings.telegram.webhook_url), name="telegram webhook")
                return
            polling = group.create_task(
                dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False), name="telegram polling")
            await stop.wait()
            if not polling.done():
                await dispatcher.stop_polling()
    finally:
        await bot.session.close()
