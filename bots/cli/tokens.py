"""What `chatshop run` says about a bot token that is missing, or that the platform refused.

Each text ends with the command that starts the shop again from where the user is (`Cli.start_command`).
"""

from __future__ import annotations

from typing import Final

TELEGRAM_NO_TOKEN: Final = """\
Telegram is enabled in bot.toml, but the bot has no token.
  1. In Telegram, open @BotFather, send /newbot and follow its questions.
  2. It answers with a token like 123456789:AAE…; keep it secret.
  3. Give it to chatshop through the environment, then start again:
       export {env}=<token>
       {start}
(Or set enabled = false under [telegram] in bot.toml.)"""

DISCORD_NO_TOKEN: Final = """\
Discord is enabled in bot.toml, but the bot has no token.
  1. Open https://discord.com/developers/applications, press "New Application" and name it.
  2. Under "Bot", press "Reset Token" and copy the token; keep it secret. No privileged intents are needed.
  3. Under "OAuth2 → URL Generator", tick "bot" and "applications.commands", then open the URL to invite the
     bot to your server (Send Messages, Embed Links and Attach Files are enough).
  4. Give the token to chatshop through the environment, then start again:
       export {env}=<token>
       {start}
(Put your server's ID in guild_ids under [discord] for commands that appear at once,
 or set enabled = false under [discord] in bot.toml.)"""

# Where each platform gives out a bot's current token.
_WHERE_TOKENS_ARE: Final = {
    "Telegram": "@BotFather (/mybots → your bot → API Token)",
    "Discord": "the developer portal (your application → Bot → Reset Token)",
}


def token_refused(platform: str, env: str, start: str) -> str:
    """One line: the platform said 401 to the token in `env`."""
    where = _WHERE_TOKENS_ARE.get(platform, "the platform")
    return (f"{platform} refused the bot token in {env} (401 Unauthorized: wrong, or revoked). Copy the current "
            f"token from {where}, export {env}=<token> and start again: {start}")
