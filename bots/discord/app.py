"""The Discord storefront, wired: a `commands.Bot` with the shop's services hanging off it, one cog per
feature, persistent items, localized slash commands synced at start; and `run_discord` for `chatshop run`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Final

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bots.common.legal import ShopTerms
from bots.common.media_store import MediaStore
from bots.common.outbox_sender import OutboxSender
from bots.common.payment_view import method_label
from bots.common.reconnect import Backoff, Outage, TokenRefused
from bots.config import Settings
from bots.discord.broadcasts import DiscordBroadcastSender
from bots.discord.cogs.cart import Cart
from bots.discord.cogs.catalog import Catalog
from bots.discord.cogs.checkout import Checkout
from bots.discord.cogs.invite import Invite
from bots.discord.cogs.link import Link
from bots.discord.cogs.orders import Orders
from bots.discord.cogs.payment import Payment
from bots.discord.cogs.privacy import Privacy
from bots.discord.cogs.reviews import Reviews
from bots.discord.cogs.share import Share
from bots.discord.cogs.shop_info import ShopInfo
from bots.discord.cogs.support import Support
from bots.discord.command_translator import CatalogCommandTranslator
from bots.discord.errors import (
    answer_form_expired,
    answer_stale,
    is_orphaned_form,
    is_stale_component,
    report_error,
)
from bots.discord.items import ALL_ITEMS
from bots.discord.items_buyer import BUYER_ITEMS
from bots.discord.notifier import DiscordChannel, discord_owner_ids
from bots.discord.seller import build_seller_group
from bots.discord.seller.broadcast import SELLER_BROADCAST_ITEMS
from bots.discord.seller.coupons import SELLER_COUPON_ITEMS
from bots.discord.seller.orders import SELLER_ORDER_ITEMS
from bots.discord.seller.products import SELLER_PRODUCT_ITEMS
from bots.discord.seller.sales import SELLER_SALES_ITEMS
from bots.discord.services import ShopServices
from bots.i18n import Translator
from commerce.conversations import ConversationStore
from commerce.shop import Shop
from payments.requests import PaymentService

log = logging.getLogger(__name__)

# The /seller features' persistent items.
SELLER_ITEMS: Final = (*SELLER_PRODUCT_ITEMS, *SELLER_SALES_ITEMS, *SELLER_ORDER_ITEMS, *SELLER_BROADCAST_ITEMS,
                       *SELLER_COUPON_ITEMS)
EVERY_ITEM: Final = (*ALL_ITEMS, *BUYER_ITEMS, *SELLER_ITEMS)  # registered at start; anything else is stale
GATEWAY_AUTHENTICATION_FAILED: Final = 4004  # the gateway's close code for a token it refuses


def intents() -> discord.Intents:
    """The minimum: guilds (for the server and channel cache). No message content, no members, no presence:
    the shop only answers interactions."""
    return discord.Intents(guilds=True)


class ShopBot(commands.Bot):
    def __init__(self, services: ShopServices, *, guild_ids: tuple[int, ...] = ()) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=intents(), help_command=None,
                         allowed_mentions=discord.AllowedMentions.none())
        self.services = services
        self.guild_ids = guild_ids

    async def setup_hook(self) -> None:
        await self.tree.set_translator(CatalogCommandTranslator(self.services.translator))
        self.tree.on_error = self._on_app_command_error
        catalog, payment, support = Catalog(self.services), Payment(self.services), Support(self.services)
        checkout = Checkout(self.services, payment)
        for cog in (catalog, Cart(self.services), checkout, payment, Orders(self.services, payment, support),
                    ShopInfo(self.services), Privacy(self.services), support, Reviews(self.services),
                    Link(self.services), Share(self.services, catalog, checkout), Invite(self.services)):
            await self.add_cog(cog)
        seller = build_seller_group(self.services)
        if seller is not None:
            self.tree.add_command(seller)
        self.add_dynamic_items(*EVERY_ITEM)
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """To each configured server at once; else globally (Discord may take up to an hour to show them)."""
        if not self.guild_ids:
            await self.tree.sync()
            return
        for guild_id in self.guild_ids:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """A click on one of our components that no item understands any more: say so, change nothing."""
        known = [item.__discord_ui_compiled_template__ for item in EVERY_ITEM]
        if is_stale_component(interaction, known):
            await answer_stale(interaction)
        elif (forms := self._open_forms()) is not None and is_orphaned_form(interaction, forms):
            await answer_form_expired(interaction)

    def _open_forms(self) -> set[str] | None:
        """custom_ids of the modals this process has open. discord.py keeps them in its view store and has no
        public way to ask; without one the check is skipped (nothing is worse than before)."""
        store = getattr(self._connection, "_view_store", None)
        modals = getattr(store, "_modals", None)
        return set(modals) if isinstance(modals, dict) else None

    @staticmethod
    async def _on_app_command_error(interaction: discord.Interaction[Any],
                                    error: app_commands.AppCommandError) -> None:
        await report_error(interaction, error)


def build_bot(shop: Shop, translator: Translator, settings: Settings, *, payments: PaymentService | None = None,
              telegram_username: str | None = None, media_store: MediaStore | None = None) -> ShopBot:
    methods = payments.methods.values() if payments is not None else ()
    services = ShopServices(
        shop=shop, translator=translator, conversations=ConversationStore(shop.db), shop_name=settings.shop.name,
        terms=ShopTerms.from_settings(settings, map(method_label, methods)),
        default_locale=settings.shop.default_locale, payments=payments,
        media_store=media_store or MediaStore(settings.media.dir), telegram_username=telegram_username,
        seller_role=settings.discord.seller_role)
    return ShopBot(services, guild_ids=tuple(settings.discord.guild_ids))


async def run_discord(settings: Settings, shop: Shop, stop: asyncio.Event, sender: OutboxSender, *,
                      payments: PaymentService | None = None, telegram_username: str | None = None,
                      announce: Callable[[str], None] = lambda _line: None) -> None:
    """Connect to Discord and answer until `stop` is set; then close the connection and return. Once logged in,
    Discord's notification channel (DMs) is attached to `sender`, the process's one outbox sender.

    Discord being unreachable at start is waited out with backoff (logged once per outage; `announce` is told
    when the bot is logged in); once connected, discord.py reconnects by itself. A refused token raises
    `TokenRefused`.
    """
    token = settings.discord_token()
    assert token is not None, "checked by the caller"
    translator = Translator.load(default=settings.shop.default_locale)
    outage, backoff = Outage("Discord", log), Backoff()
    while not stop.is_set():
        # A fresh client for each attempt: a login that failed half-way has already added its cogs.
        bot = build_bot(shop, translator, settings, payments=payments, telegram_username=telegram_username)
        try:
            async with bot:
                await bot.login(token.get_secret_value())
                outage.recovered()
                announce(f"discord: answering as {bot.user}")
                await _serve_discord(bot, settings, shop, translator, stop, sender, outage)
            return
        except discord.LoginFailure:
            raise TokenRefused("Discord", settings.discord.token_env) from None
        except discord.ConnectionClosed as closed:
            if closed.code == GATEWAY_AUTHENTICATION_FAILED:
                raise TokenRefused("Discord", settings.discord.token_env) from None
            raise
        except (OSError, TimeoutError, aiohttp.ClientError, discord.DiscordServerError, discord.GatewayNotFound) \
                as error:
            outage.failed(f"{type(error).__name__}: {error}"[:200])
            await backoff.wait(stop)


class GatewayOutage(logging.Filter):
    """discord.py reconnects its gateway by itself, logging every failed attempt with a traceback: on its logger,
    those records become one outage (logged once, when it starts and when a session is ready or resumed)."""

    RECONNECT: Final = "Attempting a reconnect in %.2fs"  # discord.client's message for each attempt

    def __init__(self, outage: Outage) -> None:
        super().__init__()
        self.outage = outage

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != self.RECONNECT:
            return True
        error = record.exc_info[1] if record.exc_info else None
        self.outage.failed(f"{type(error).__name__}: {error}"[:200] if error else "gateway closed")
        return False

    async def connected(self) -> None:
        self.outage.recovered()


async def _serve_discord(bot: ShopBot, settings: Settings, shop: Shop, translator: Translator, stop: asyncio.Event,
                         sender: OutboxSender, outage: Outage) -> None:
    """A logged-in bot: its notification channel, the gateway and broadcasts, until `stop`."""
    sender.attach(DiscordChannel(bot, shop, translator, default_locale=settings.shop.default_locale,
                                 owner_ids=discord_owner_ids(settings.sellers.owners),
                                 ephemeral_cards=bot.services.ephemeral_cards))
    broadcasts = DiscordBroadcastSender(bot, shop, translator, leave_to_telegram=settings.telegram.enabled)
    reconnects = GatewayOutage(outage)
    for event in ("on_ready", "on_resumed"):
        bot.add_listener(reconnects.connected, event)
    discord_log = logging.getLogger("discord.client")
    discord_log.addFilter(reconnects)
    gateway = asyncio.create_task(bot.connect(), name="discord gateway")
    sending = asyncio.create_task(broadcasts.run(stop), name="discord broadcasts")
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({gateway, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        discord_log.removeFilter(reconnects)
        stopped.cancel()
        await bot.close()
        stop_sending = not stop.is_set()
        if stop_sending:  # the gateway gave up before `stop`: the broadcast sender is stopped here
            sending.cancel()
        await asyncio.gather(sending, return_exceptions=stop_sending)
        await gateway  # its failure, if it failed
