"""Who is interacting and how to answer them: the customer behind the Discord user, their language, and
replies that work whether or not the interaction was already answered (or deferred). Someone whose DMs were
found closed is told so after the answer, with the notifications they missed (bots/discord/notifier.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final

import discord

from bots.discord.command_translator import language_of
from bots.discord.services import ShopServices
from commerce.customers import CustomerDTO

log = logging.getLogger(__name__)

MAX_ID: Final = 2**31 - 1  # ids are INTEGER columns (32-bit on PostgreSQL)
DMS_CLOSED: Final = "dms_closed_since"  # interaction.extras: the notifier found this user's DMs closed then


@dataclass(frozen=True, slots=True)
class Buyer:
    customer: CustomerDTO
    locale: str


def services_of(interaction: discord.Interaction[Any]) -> ShopServices:
    services = getattr(interaction.client, "services", None)
    if not isinstance(services, ShopServices):
        raise RuntimeError("the Discord client is not a chatshop bot")
    return services


def hinted_locale(interaction: discord.Interaction[Any]) -> str:
    """The language before the customer is known: the one chosen earlier in this interaction, else Discord's."""
    known = interaction.extras.get("locale")
    if isinstance(known, str):
        return known
    services = services_of(interaction)
    return services.translator.locale_for(None, language_of(interaction.locale), services.default_locale)


async def identify(interaction: discord.Interaction[Any], *, referral: str | None = None) -> Buyer:
    """The customer (created on first contact) and their language: stored choice, else Discord's, else the
    shop's default. `referral`: a friend's invite code, counted only when this is the first contact."""
    services = services_of(interaction)
    hint = language_of(interaction.locale)
    user = interaction.user
    # Read before `identify`, which counts any contact as "reachable again": closed DMs stay closed, so
    # the user is told after the answer (`reply`/`edit`), with what they missed.
    closed_since = await services.shop.message_refs.unreachable_since("discord", user.id)
    if closed_since is not None:
        interaction.extras[DMS_CLOSED] = closed_since
    customer = await services.shop.customers.identify("discord", user.id, display_name=user.display_name,
                                                      locale=hint, referral=referral)
    locale = services.translator.locale_for(customer.locale, hint, services.default_locale)
    interaction.extras["locale"] = locale
    return Buyer(customer, locale)


async def _after_answer(interaction: discord.Interaction[Any]) -> None:
    """Someone whose DMs were found closed hears so, privately, once the interaction is answered."""
    since = interaction.extras.pop(DMS_CLOSED, None)
    if since is None:
        return
    from bots.discord.notifier import tell_missed  # the notifier is the only other user of the words

    services = services_of(interaction)
    try:
        await tell_missed(interaction, services.shop, services.translator, hinted_locale(interaction), since)
    except Exception:  # a nicety: never in the way of the answer itself
        log.exception("closed-DM follow-up failed for user %s", interaction.user.id)


def private(interaction: discord.Interaction[Any]) -> bool:
    """Private answers are ephemeral in a server; in a DM everything is private already."""
    return interaction.guild_id is not None


async def reply(interaction: discord.Interaction[Any], *, content: str | None = None,
                embed: discord.Embed | None = None, view: discord.ui.View | None = None,
                files: list[discord.File] | None = None, ephemeral: bool = True) -> None:
    """A new message answering the interaction: its response, or a follow-up when already answered."""
    kwargs: dict[str, Any] = {"ephemeral": ephemeral}
    if content is not None:
        kwargs["content"] = content
    if embed is not None:
        kwargs["embed"] = embed
    if view is not None:
        kwargs["view"] = view
    if files:
        kwargs["files"] = files
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)
    await _after_answer(interaction)


async def edit(interaction: discord.Interaction[Any], *, content: str | None = None,
               embed: discord.Embed | None = None, view: discord.ui.View | None = None,
               files: list[discord.File] | None = None) -> None:
    """Replace the clicked message in place (text, embed, buttons and attachments all at once)."""
    kwargs: dict[str, Any] = {"content": content, "embed": embed, "view": view, "attachments": files or []}
    if interaction.response.is_done():
        await interaction.edit_original_response(**kwargs)
    else:
        await interaction.response.edit_message(**kwargs)
    await _after_answer(interaction)
