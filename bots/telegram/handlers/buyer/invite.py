"""`/invite`: the buyer's invite link (`?start=r_<code>`, credited when a newcomer opens it — see
bots/telegram/middleware.py), the reward on offer, how many friends joined and earned them a reward, and the
reward coupons they may still use. Only in a private chat: the rewards are the buyer's own business."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.types import Message

from bots.common.links import telegram_invite_link
from bots.common.referrals import present_invite
from bots.i18n import Translator
from bots.telegram.handlers.buyer.invite_views import render_invite
from bots.telegram.render import plain, send
from commerce.customers import CustomerDTO
from commerce.shop import Shop


async def show_invite(message: Message, bot: Bot, shop: Shop, customer: CustomerDTO, translator: Translator,
                      locale: str, shop_name: str) -> None:
    if message.chat.type != ChatType.PRIVATE:
        await send(message, plain(translator.text(locale, "invite.private_only")))
        return
    invite = await shop.referrals.invite(customer.id)
    me = await bot.me()  # remembered by aiogram after the first call
    link = telegram_invite_link(me.username, invite.code) if me.username else None
    view = present_invite(translator, locale, invite, shop_name=shop_name, link=link, timezone=shop.rules.timezone)
    await send(message, render_invite(translator, locale, view, shop_name=shop_name))


def build_invite_router() -> Router:
    router = Router(name="invite")
    router.message.register(show_invite, Command("invite"))
    return router
