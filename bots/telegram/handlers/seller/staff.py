"""Staff roles, changed by an owner in the chat: `/staff` lists them (with a Revoke button each),
`/grant <telegram user id> <staff|seller>` and `/revoke <telegram user id>`. The core checks the role and a fresh
two-factor code on every change; the handler checks them first only so that a refused `/grant` creates no
customer for the target. After a change, the person's "/" menu follows their new role.
"""

from __future__ import annotations

import re
from typing import Final

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bots.i18n import Translator
from bots.telegram.command_menu import sync_seller_menu
from bots.telegram.handlers.seller.staff_views import StaffAction, StaffCallback, render_staff
from bots.telegram.render import Reply, edit, plain, send
from commerce.customers import CustomerDTO
from commerce.roles import Permission, require
from commerce.shop import Shop

_GRANT_ARGS: Final = re.compile(r"\s*([1-9][0-9]{0,15})\s+(staff|seller)\s*", re.IGNORECASE)
_REVOKE_ARGS: Final = re.compile(r"\s*([1-9][0-9]{0,15})\s*")


async def _require_owner(shop: Shop, customer: CustomerDTO, *, step_up: bool = False) -> None:
    require(await shop.sellers.role_of(customer.id), Permission.MANAGE_ROLES)
    if step_up:
        await shop.two_factor.require_recent(customer.id)


async def _staff_reply(shop: Shop, customer: CustomerDTO, translator: Translator, locale: str) -> Reply:
    members = [(member, ", ".join((await shop.customers.get(member.customer_id)).identities)
                or f"#{member.customer_id}") for member in await shop.sellers.staff()]
    return render_staff(translator, locale, members, viewer_id=customer.id)


async def list_staff(message: Message, shop: Shop, customer: CustomerDTO, translator: Translator,
                     locale: str) -> None:
    await _require_owner(shop, customer)  # SellerService.staff() itself takes no actor yet
    await send(message, await _staff_reply(shop, customer, translator, locale))


async def grant_role(message: Message, command: CommandObject, bot: Bot, shop: Shop, customer: CustomerDTO,
                     translator: Translator, locale: str, default_locale: str) -> None:
    match = _GRANT_ARGS.fullmatch(command.args or "")
    await _require_owner(shop, customer, step_up=match is not None)
    if match is None:
        await send(message, plain(translator.text(locale, "st.grant_usage")))
        return
    target = await shop.customers.identify("telegram", match.group(1))
    granted = await shop.sellers.grant(customer.id, target.id, match.group(2).lower())
    await send(message, plain(translator.text(locale, "st.granted", who=f"telegram:{match.group(1)}",
                                              role=translator.text(locale, f"st.role.{granted.role.value}"))))
    await sync_seller_menu(bot, shop, translator, default_locale, target.id)


async def revoke_role(message: Message, command: CommandObject, bot: Bot, shop: Shop, customer: CustomerDTO,
                      translator: Translator, locale: str, default_locale: str) -> None:
    match = _REVOKE_ARGS.fullmatch(command.args or "")
    await _require_owner(shop, customer, step_up=match is not None)
    if match is None:
        await send(message, plain(translator.text(locale, "st.revoke_usage")))
        return
    target = await shop.customers.identify("telegram", match.group(1))
    await shop.sellers.revoke(customer.id, target.id)
    await send(message, plain(translator.text(locale, "st.revoked", who=f"telegram:{match.group(1)}")))
    await sync_seller_menu(bot, shop, translator, default_locale, target.id)


async def revoke_pressed(callback: CallbackQuery, callback_data: StaffCallback, bot: Bot, shop: Shop,
                         customer: CustomerDTO, translator: Translator, locale: str, default_locale: str) -> None:
    await shop.sellers.revoke(customer.id, callback_data.customer_id)
    await edit(callback, await _staff_reply(shop, customer, translator, locale),
               notice=translator.text(locale, "st.revoked_notice"))
    await sync_seller_menu(bot, shop, translator, default_locale, callback_data.customer_id)


def build_staff_router() -> Router:
    router = Router(name="staff")
    router.message.register(list_staff, Command("staff"))
    router.message.register(grant_role, Command("grant"))
    router.message.register(revoke_role, Command("revoke"))
    router.callback_query.register(revoke_pressed, StaffCallback.filter(F.action == StaffAction.REVOKE))
    return router
