"""Errors become words: a core refusal is explained in the buyer's language (the same keys as Telegram);
anything else is logged with its traceback and answered with an apology. Always ephemeral: an error is
nobody else's business. A button this bot no longer understands gets a polite answer too."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bots.discord.context import hinted_locale, reply, services_of
from bots.i18n import Translator
from commerce.errors import CommerceError

log = logging.getLogger(__name__)

CUSTOM_ID_PREFIX = "cs:"  # every button and select of ours; anything else under it is stale or forged


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        error = error.__cause__ or error
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    translator = services_of(interaction).translator
    locale = hinted_locale(interaction)
    if isinstance(error, CommerceError):
        text = _discord_wording(translator, locale, error) or translator.error(locale, error)
    elif isinstance(error, app_commands.CheckFailure | app_commands.CommandOnCooldown):
        text = translator.text(locale, "discord.not_allowed")
    else:
        log.error("error.unexpected in interaction %s", interaction.id, exc_info=error)
        text = translator.text(locale, "error.unexpected")
    try:
        await reply(interaction, content=text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell user %s about an error", interaction.user.id, exc_info=True)


def _discord_wording(translator: Translator, locale: str, error: CommerceError) -> str | None:
    """Refusals whose shared text names a Telegram command (`/verify <code>`) have Discord wording:
    `dso.error.<code>.<reason>`, then `dso.error.<code>`; None for the rest."""
    catalog = translator.catalogs.get(locale, {})
    reason = error.fields.get("reason")
    for key in (f"dso.error.{error.code}.{reason}", f"dso.error.{error.code}"):
        if key in catalog:
            return translator.text(locale, key, **error.fields)
    return None


async def answer_stale(interaction: discord.Interaction[Any]) -> None:
    text = services_of(interaction).translator.text(hinted_locale(interaction), "discord.stale_button")
    await reply(interaction, content=text, ephemeral=True)


async def answer_form_expired(interaction: discord.Interaction[Any]) -> None:
    text = services_of(interaction).translator.text(hinted_locale(interaction), "discord.form_expired")
    await reply(interaction, content=text, ephemeral=True)


def is_orphaned_form(interaction: discord.Interaction[Any], open_forms: set[str]) -> bool:
    """A form (modal) submitted that this process never opened: it was open across a restart. Discord offers
    no persistent modals, and discord.py would drop the answers without a word."""
    if interaction.type is not discord.InteractionType.modal_submit or not isinstance(interaction.data, dict):
        return False
    return str(interaction.data.get("custom_id", "")) not in open_forms


def is_stale_component(interaction: discord.Interaction[Any], patterns: list[Any]) -> bool:
    """A click on one of our components that no item understands (an older version's), or one that isn't on
    the message it claims to come from (forged): discord.py would drop both without a word."""
    if interaction.type is not discord.InteractionType.component or not isinstance(interaction.data, dict):
        return False
    custom_id = str(interaction.data.get("custom_id", ""))
    if not custom_id.startswith(CUSTOM_ID_PREFIX):
        return False
    if not any(p.fullmatch(custom_id) for p in patterns):
        return True
    return interaction.message is not None and custom_id not in _custom_ids(interaction.message.components)


def _custom_ids(components: list[Any]) -> set[str]:
    found: set[str] = set()
    for component in components:
        if isinstance(getattr(component, "custom_id", None), str):
            found.add(component.custom_id)
        found |= _custom_ids(list(getattr(component, "children", [])))
    return found
