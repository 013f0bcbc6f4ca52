"""Slash-command names and descriptions in each language, read from `locales/` (discord.po).

Each `locale_str` in the cogs carries its catalog key (`key=`) and an English fallback; Discord shows the
Japanese text to `ja` clients and the English one to `en-US`/`en-GB`, everybody else sees the fallback.
"""

from __future__ import annotations

from typing import Final

import discord
from discord import app_commands

from bots.i18n import Translator

DISCORD_LANGUAGES: Final[dict[discord.Locale, str]] = {
    discord.Locale.japanese: "ja",
    discord.Locale.american_english: "en",
    discord.Locale.british_english: "en",
}


def language_of(locale: discord.Locale | None) -> str | None:
    """A Discord client locale as one of ours ("ja"/"en"), or None for the rest."""
    return DISCORD_LANGUAGES.get(locale) if locale is not None else None


def command_text(key: str, english: str) -> app_commands.locale_str:
    """A command name/description: `english` is what Discord shows without a translation for the client."""
    return app_commands.locale_str(english, key=key)


class CatalogCommandTranslator(app_commands.Translator):
    def __init__(self, translator: Translator) -> None:
        self._translator = translator

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        language = language_of(locale)
        key = string.extras.get("key")
        if language is None or not isinstance(key, str):
            return None
        return self._translator.catalogs.get(language, {}).get(key)
