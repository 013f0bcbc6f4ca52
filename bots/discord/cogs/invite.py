"""`/invite`: the buyer's invite code, how a friend uses it, the reward on offer, how many friends joined and
earned them a reward, and the reward coupons they may still use. Always ephemeral.

A friend new to the shop uses a code with `/invite code:<code>` as their first command: like Telegram's
`?start=r_<code>` link, the code is recorded when the customer is created (commerce/customers.py) and
counts for nobody who was here before. The Telegram link is shown too when the Telegram bot is known."""

from __future__ import annotations

from typing import Any, Final

import discord
from discord import app_commands
from discord.ext import commands

from bots.common.links import telegram_invite_link
from bots.common.referrals import InviteView, join_result, present_invite
from bots.discord.command_translator import command_text
from bots.discord.context import identify, reply
from bots.discord.render import md
from bots.discord.services import ShopServices
from bots.i18n import Translator
from commerce.referrals import normalise_invite_code

CODE_MAX: Final = 32  # what Discord lets through; the core checks the form


def invite_message(tr: Translator, locale: str, view: InviteView, *, joined: str | None = None) -> str:
    parts = [f"**{md(view.heading)}**", md(view.offer), tr.text(locale, "invite.code_discord", code=view.code)]
    if joined is not None:
        parts.insert(0, md(joined))
    if view.link is not None:
        parts.append(tr.text(locale, "invite.link_discord", link=view.link))
    parts.append(md(view.progress))
    if view.rewards_heading is not None:
        lines = [f"`{reward.code}` — {md(reward.terms)}" for reward in view.rewards]
        if view.more_rewards is not None:
            lines.append(md(view.more_rewards))
        parts.append("\n".join([md(view.rewards_heading), *lines]))
    return "\n\n".join(parts)


class Invite(commands.Cog):
    def __init__(self, services: ShopServices) -> None:
        self.services = services

    @app_commands.command(name=command_text("discord.command.invite", "invite"),
                          description=command_text("discord.command.invite.description",
                                                   "Invite friends and see your rewards"))
    @app_commands.rename(code=command_text("discord.option.invite.code", "code"))
    @app_commands.describe(code=command_text("discord.option.invite.code.description",
                                             "A friend's invite code (counts only when you are new to the shop)"))
    async def invite_command(self, interaction: discord.Interaction[Any],
                             code: app_commands.Range[str, 1, CODE_MAX] | None = None) -> None:
        typed = normalise_invite_code(code) if code is not None else None
        buyer = await identify(interaction, referral=typed)
        shop, tr = self.services.shop, self.services.translator
        invite = await shop.referrals.invite(buyer.customer.id)
        username = self.services.telegram_username
        view = present_invite(tr, buyer.locale, invite, shop_name=self.services.shop_name,
                              link=telegram_invite_link(username, invite.code) if username else None,
                              timezone=shop.rules.timezone)
        joined = tr.text(buyer.locale, f"invite.join.{join_result(invite, typed)}") if typed is not None else None
        await reply(interaction, content=invite_message(tr, buyer.locale, view, joined=joined)[:2000], ephemeral=True)
