"""Direct messages for notifications (payment seen/confirmed, shipped…); the outbox sender calls this."""

from __future__ import annotations

import logging
from typing import Any

import discord

log = logging.getLogger(__name__)


async def send_dm(client: discord.Client, user_id: int, *, content: str, embed: discord.Embed | None = None,
                  file: discord.File | None = None) -> bool:
    """Send a DM; False when the person can't be reached (DMs closed, no shared server, unknown user)."""
    kwargs: dict[str, Any] = {"content": content}
    if embed is not None:
        kwargs["embed"] = embed
    if file is not None:
        kwargs["file"] = file
    try:
        user = client.get_user(user_id) or await client.fetch_user(user_id)
        await user.send(**kwargs)
    except discord.Forbidden:
        return False
    except discord.NotFound:
        log.info("discord user %s no longer exists", user_id)
        return False
    return True
