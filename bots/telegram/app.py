"""Running the Telegram front-end: the bot, its command menus (each language; each seller's chat), long polling,
its notification channel on the process's outbox sender, clean stop.

`chatshop run` calls `run_telegram` inside its task group, beside the payment watchers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramUnauthorizedError

from bots.common.legal import ShopTerms
from bots.common.media_store import MediaStore
from bots.common.outbox_sender import OutboxSender
from bots.common.payment_view import method_label
from bots.common.reconnect import Outage, TokenRefused, keep_trying
from bots.config import Settings
from bots.i18n import Translator
from bots.telegram.broadcast_sender import TelegramBroadcastSender
from bots.telegram.command_menu import set_all_seller_menus, set_commands
from bots.telegram.connection import ConnectionWatch, transient_reason
from bots.telegram.dispatcher import build_dispatcher
from bots.telegram.fsm_storage import DatabaseStorage
from bots.telegram.notifier import TelegramChannel
from bots.telegram.session import ShopSession
from bots.telegram.webhook import run_webhook, webhook_path
from commerce.conversations import ConversationStore
from commerce.shop import Shop
from payments.requests import PaymentService

log = logging.getLogger(__name__)


def make_bot(token: str, api_url: str = "") -> Bot:
    """A bot speaking HTML, against Telegram or a self-hosted Bot API server (`telegram.api_url`)."""
    session = ShopSession(api=TelegramAPIServer.from_base(api_url.rstrip("/"))) if api_url else ShopSession()
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def owner_chats(settings: Settings) -> list[int]:
    return [int(owner.partition(":")[2]) for owner in settings.sellers.owners if owner.startswith("telegram:")]


async def run_telegram(settings: Settings, shop: Shop, stop: asyncio.Event, sender: OutboxSender, *,
                       payments: PaymentService | None = None,
                       announce: Callable[[str], None] = lambda _line: None) -> None:
    """Answer on Telegram until `stop` is set; finish the update in hand and return. Notifications go out through
    `sender` (the process's one outbox sender, run by the caller), which Telegram's channel is attached to.

    Telegram being unreachable, at start or later, is waited out (logged once per outage; `announce` is told
    when the bot answers); a refused token raises `TokenRefused` once everything here has stopped.
    """
    token = settings.telegram_token()
    assert token is not None, "checked by the caller"
    locale = settings.shop.default_locale
    translator = Translator.load(default=locale)
    bot = make_bot(token.get_secret_value(), settings.telegram.api_url)
    watch = ConnectionWatch(Outage("Telegram", log), stop, token.get_secret_value())
    bot.session.middleware(watch)
    methods = payments.methods.values() if payments is not None else ()
    terms = ShopTerms.from_settings(settings, map(method_label, methods))
    dispatcher = build_dispatcher(shop, translator, shop_name=settings.shop.name, terms=terms,
                                  default_locale=locale, payments=payments,
                                  # Long polling: Telegram gives updates to this process alone.
                                  storage=DatabaseStorage(ConversationStore(shop.db),
                                                          sole_writer=settings.telegram.mode == "polling"),
                                  media_store=MediaStore(settings.media.dir))
    sender.attach(TelegramChannel(bot, shop, translator, default_locale=locale, owners_chat_ids=owner_chats(settings)))
    broadcasts = TelegramBroadcastSender(bot, shop, translator, leave_to_discord=settings.discord.enabled)
    stopping = asyncio.Event()  # `stop`, or a refused token: everything below winds down
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(_stop_when(stopping, stop, watch.refused), name="telegram stop")
            group.create_task(broadcasts.run(stopping), name="telegram broadcasts")
            group.create_task(_set_menus(bot, shop, translator, locale, watch, stopping), name="telegram menus")
            if settings.telegram.mode == "webhook":
                secret = settings.secret(settings.telegram.webhook_secret_env)
                if secret is None:
                    raise RuntimeError(f"webhook mode needs a secret token in {settings.telegram.webhook_secret_env}")
                group.create_task(run_webhook(
                    bot, dispatcher, host=settings.telegram.webhook_host, port=settings.telegram.webhook_port,
                    path=webhook_path(settings.telegram.webhook_url), secret_token=secret.get_secret_value(),
                    stop=stopping, webhook_url=settings.telegram.webhook_url, outage=watch.outage,
                    announce=announce), name="telegram webhook")
            else:
                group.create_task(_poll(bot, dispatcher, watch, stopping, announce), name="telegram polling")
    except* TelegramUnauthorizedError:
        watch.refused.set()
    finally:
        await bot.session.close()
    if watch.refused.is_set():
        raise TokenRefused("Telegram", settings.telegram.token_env)


async def _stop_when(stopping: asyncio.Event, *events: asyncio.Event) -> None:
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
    stopping.set()


async def _poll(bot: Bot, dispatcher: Dispatcher, watch: ConnectionWatch, stop: asyncio.Event,
                announce: Callable[[str], None]) -> None:
    """Long polling from the first moment Telegram answers until `stop`."""
    token = bot.token
    me = await keep_trying(bot.me, stop=stop, outage=watch.outage,
                           transient=lambda error: transient_reason(error, token))
    if me is None:
        return
    announce(f"telegram: answering as @{me.username}")
    # bot.me() is remembered, so start_polling's own call doesn't reach Telegram again.
    polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False))
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({polling, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if not polling.done():
            await dispatcher.stop_polling()
        await polling  # its failure, if it failed


async def _set_menus(bot: Bot, shop: Shop, translator: Translator, locale: str, watch: ConnectionWatch,
                     stop: asyncio.Event) -> None:
    """The "/" menus, once Telegram answers."""
    token = bot.token

    async def set_all() -> None:
        await set_commands(bot, translator, locale)
        await set_all_seller_menus(bot, shop, translator, locale)

    await keep_trying(set_all, stop=stop, outage=watch.outage, transient=lambda error: transient_reason(error, token))
