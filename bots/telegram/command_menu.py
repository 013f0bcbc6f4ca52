"""The "/" command menus: one per language for everybody, and a longer one in each seller's own chat.

A seller's menu is set with `BotCommandScopeChat` (their private chat id is their Telegram user id), in every
language, and lists only the commands their role may use (the core still checks each one). It is set for
every seller at start-up and changed as soon as an owner grants or revokes a role in the chat.
"""

from __future__ import annotations

import logging
from typing import Final

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat

from bots.common.platforms import TELEGRAM
from bots.i18n import SUPPORTED, Translator
from commerce.roles import Permission, Role, can
from commerce.shop import Shop

logger = logging.getLogger(__name__)

COMMANDS: Final = ("start", "search", "cart", "orders", "language", "help", "terms", "link", "invite")

# Seller commands and the permission that makes each one worth showing (None: every role).
SELLER_COMMANDS: Final[tuple[tuple[str, Permission | None], ...]] = (
    ("sell", Permission.MANAGE_OWN_PRODUCTS),
    ("stock", Permission.MANAGE_OWN_PRODUCTS),
    ("orders_admin", Permission.VIEW_ORDERS),
    ("sales", Permission.VIEW_SALES),
    ("coupons", Permission.MANAGE_COUPONS),
    ("tickets", Permission.ANSWER_SUPPORT),
    ("broadcast", Permission.BROADCAST),
    ("staff", Permission.MANAGE_ROLES),
    ("2fa", None),
    ("verify", None),
)


def buyer_commands(translator: Translator, locale: str) -> list[BotCommand]:
    return [BotCommand(command=name, description=translator.text(locale, f"command.{name}")) for name in COMMANDS]


def seller_commands(translator: Translator, locale: str, role: Role) -> list[BotCommand]:
    """The buyer's menu (a chat-scoped menu replaces it) followed by what `role` may do."""
    return [*buyer_commands(translator, locale), *(
        BotCommand(command=name, description=translator.text(locale, f"command.{name}"))
        for name, permission in SELLER_COMMANDS if permission is None or can(role, permission))]


async def set_commands(bot: Bot, translator: Translator, default_locale: str) -> None:
    """The "/" menu in each language, and the default one for everybody else."""
    for locale in SUPPORTED:
        commands = buyer_commands(translator, locale)
        await bot.set_my_commands(commands, language_code=locale)
        if locale == default_locale:
            await bot.set_my_commands(commands)


async def set_seller_menu(bot: Bot, translator: Translator, default_locale: str, chat_id: int,
                          role: Role | None) -> None:
    """Show `role`'s commands in the seller's private chat, or the buyer's menu again when `role` is None.

    A chat the bot can't reach (the person never opened it) is logged and skipped: the role itself is stored.
    """
    scope = BotCommandScopeChat(chat_id=chat_id)
    try:
        for locale in SUPPORTED:
            if role is None:
                await bot.delete_my_commands(scope=scope, language_code=locale)
            else:
                await bot.set_my_commands(seller_commands(translator, locale, role), scope=scope,
                                          language_code=locale)
            if locale == default_locale:  # for a Telegram app in a language the shop doesn't speak
                if role is None:
                    await bot.delete_my_commands(scope=scope)
                else:
                    await bot.set_my_commands(seller_commands(translator, locale, role), scope=scope)
    except TelegramAPIError as exc:
        logger.info("seller command menu for chat %s not updated: %s", chat_id, exc.message)


async def sync_seller_menu(bot: Bot, shop: Shop, translator: Translator, default_locale: str,
                           customer_id: int) -> None:
    """After a role changed: the person's menu follows their role now, on their Telegram identity if any."""
    chat_id = await telegram_chat_id(shop, customer_id)
    if chat_id is not None:
        await set_seller_menu(bot, translator, default_locale, chat_id, await shop.sellers.role_of(customer_id))


async def set_all_seller_menus(bot: Bot, shop: Shop, translator: Translator, default_locale: str) -> None:
    """At start-up: every owner, staff member and seller with a Telegram identity gets their menu."""
    for member in await shop.sellers.staff():
        chat_id = await telegram_chat_id(shop, member.customer_id)
        if chat_id is not None:
            await set_seller_menu(bot, translator, default_locale, chat_id, member.role)


async def telegram_chat_id(shop: Shop, customer_id: int) -> int | None:
    for identity in (await shop.customers.get(customer_id)).identities:
        platform, _, external_id = identity.partition(":")
        if platform == TELEGRAM:
            return int(external_id)
    return None
