"""Webhook mode (`telegram.mode = "webhook"`): Telegram POSTs updates to us instead of being polled.

Behind a load balancer several replicas can serve one webhook. Every request must carry the secret token
Telegram was given in `setWebhook` (header `X-Telegram-Bot-Api-Secret-Token`); anything else is 401.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bots.common.reconnect import Outage, keep_trying
from bots.telegram.connection import transient_reason

log = logging.getLogger(__name__)

FINISH_SECONDS: Final = 30.0  # at stop, how long updates already accepted may take to finish
# Telegram: 1–256 characters, only A-Z, a-z, 0-9, "_" and "-".
_SECRET_CHARS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def webhook_path(webhook_url: str) -> str:
    """The path Telegram will POST to: the path of `telegram.webhook_url` ("/" when it has none)."""
    return urlsplit(webhook_url).path or "/"


class _UpdateHandler(SimpleRequestHandler):
    """aiogram's handler, except that stopping waits for accepted updates instead of closing the bot session
    (the session belongs to `run_telegram`: the shared outbox sender may still use it after the web server stops),
    and that a secret header with characters outside ASCII is refused (401) like any other wrong one."""

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        # aiohttp decodes headers as UTF-8 (undecodable bytes kept as surrogates); compare_digest on str
        # raises TypeError for non-ASCII text, which aiohttp would answer with a 500 and a traceback.
        incoming = telegram_secret_token.encode("utf-8", "surrogateescape")
        return hmac.compare_digest(incoming, self.secret_token.encode("ascii"))

    async def close(self) -> None:
        pending = set(self._background_feed_update_tasks)
        if pending:
            log.info("webhook: finishing %d update(s) before stopping", len(pending))
            _, late = await asyncio.wait(pending, timeout=FINISH_SECONDS)
            for task in late:
                task.cancel()


async def run_webhook(bot: Bot, dispatcher: Dispatcher, *, host: str, port: int, path: str, secret_token: str,
                      stop: asyncio.Event, webhook_url: str, outage: Outage | None = None,
                      announce: Callable[[str], None] = lambda _line: None, **workflow_data: Any) -> None:
    """Serve `path` on host:port, point Telegram's webhook at `webhook_url` with `secret_token` (retried with
    backoff while Telegram can't be reached), and run until `stop` is set; then delete the webhook, finish the
    updates in hand and return."""
    if not secret_token or not set(secret_token) <= _SECRET_CHARS or len(secret_token) > 256:
        # An empty token would make aiogram accept every request: refuse to start instead.
        raise ValueError("the webhook secret must be 1–256 characters of A-Z, a-z, 0-9, _ and -")
    app = web.Application()
    _UpdateHandler(dispatcher, bot, secret_token=secret_token, **workflow_data).register(app, path=path)
    setup_application(app, dispatcher, bot=bot, **workflow_data)
    runner = web.AppRunner(app, access_log=None)  # the access log would hold every buyer's update timing
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        set_webhook = await keep_trying(
            lambda: bot.set_webhook(webhook_url, secret_token=secret_token,
                                    allowed_updates=dispatcher.resolve_used_update_types()),
            stop=stop, outage=outage or Outage("Telegram", log),
            transient=lambda error: transient_reason(error, bot.token))
        if set_webhook is None:  # stopped before Telegram answered
            return
        log.info("webhook: listening on %s:%s%s for %s", host, port, path, webhook_url)
        announce(f"telegram: answering at {webhook_url}")
        try:
            await stop.wait()
        finally:
            try:
                await bot.delete_webhook()
            except Exception:  # a failed goodbye must not hide why we stopped
                log.warning("webhook: could not delete the webhook at stop", exc_info=True)
    finally:
        await runner.cleanup()  # stops accepting, then waits for updates in hand (see _UpdateHandler.close)
