"""`/link`: one customer across Telegram and Discord. `/link` alone gives a one-time code to type into the shop's
Discord bot; `/link CODE` takes a code the Discord bot gave. Either way one cart and one order history follow.

The code, its expiry, wrong guesses and the merge are the core's (commerce/links.py); its refusals (wrong,
expired, used or own code, too many guesses, two seller accounts) reach the errors router. Only in a private
chat: a code shown in a group could be typed by anyone there.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bots.i18n import Translator
from bots.telegram.render import Reply, plain, quote, send
from commerce.customers import CustomerDTO
from commerce.shop import Shop


def render_link_code(tr: Translator, locale: str, code: str, minutes: int) -> Reply:
    return Reply(tr.text(locale, "link.issued", code=quote(code), minutes=minutes))


async def link_accounts(message: Message, command: CommandObject, shop: Shop, customer: CustomerDTO,
                        translator: Translator, locale: str) -> None:
    if message.chat.type != ChatType.PRIVATE:
        await send(message, plain(translator.text(locale, "link.private_only")))
        return
    if not command.args:
        issued = await shop.links.issue(customer.id)
        await send(message, render_link_code(translator, locale, issued.code, issued.minutes))
        return
    await shop.links.redeem(customer.id, command.args)
    await send(message, plain(translator.text(locale, "link.linked")))


def build_link_router() -> Router:
    router = Router(name="link")
    router.message.register(link_accounts, Command("link"))
    return router
