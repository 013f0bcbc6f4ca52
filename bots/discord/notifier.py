"""Notifications on Discord: the outbox sender's Discord channel (docs/architecture.md#notifications).

Buyers hear by DM. Status news about a payment edits the DM payment message in place when there is one
(`message_refs`, platform "discord"); anything else is a new DM. The words are the shared ones
(`bots.common.notices`, a small HTML subset), turned into Discord Markdown here; every value was escaped for
Markdown first (and for HTML, so the conversion can't be fooled), so nobody's text can add formatting.

Discord's answers decide what happens to the outbox row: 403 (DMs closed, no shared server) or an unknown
user → the buyer is unreachable here (the sender tries their other platforms, and the next time they use the
bot they are told what they missed); 429 → Discord is paused for the delay it asks for; 5xx and network
trouble → retried with backoff. The staff are the owners in bot.toml with `discord:` identities and every
seller with a Discord identity, by DM.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, Final

import aiohttp
import discord
from discord.utils import escape_markdown

from bots.common.notices import NoticeWriter
from bots.common.outbox_sender import OutboxSender, RetryLater, Unreachable, platform_unreachable
from bots.common.platforms import DISCORD
from bots.common.rich_text import RichText
from bots.discord.ephemeral_cards import EphemeralCards
from bots.i18n import Translator
from commerce.events import Clock, system_clock
from commerce.message_refs import Contact
from commerce.outbox import OutboxItem
from commerce.shop import Shop

logger = logging.getLogger(__name__)

PAYMENT_CARD: Final = "payment"
MESSAGE_LIMIT: Final = 2000

def to_markdown(rich: RichText) -> str:
    """A notice in Discord Markdown: text escaped, bold as **…**, a code span literal (a key like `AB_CD` stays
    copyable; a backtick inside is fenced with double backticks), a quoted block as "> " lines."""
    out: list[str] = []
    quoted: list[str] = []

    def end_quote() -> None:
        if quoted:
            out.append("\n".join(f"> {line}" for line in "".join(quoted).split("\n")))
            quoted.clear()

    for span in rich:
        if span.code:
            text = f"`` {span.text.replace('``', '` `')} ``" if "`" in span.text else (
                f"`{span.text}`" if span.text else "")
        else:
            text = escape_markdown(span.text)
        if span.bold and text.strip():
            text = f"**{text}**"
        if span.quote:
            quoted.append(text)
            continue
        end_quote()
        out.append(text)
    end_quote()
    return "".join(out)


def discord_owner_ids(owners: list[Any]) -> list[int]:
    """The `discord:<id>` owners of bot.toml."""
    ids = []
    for owner in owners:
        platform, _, external_id = str(owner).partition(":")
        if platform == DISCORD and external_id.isdigit():
            ids.append(int(external_id))
    return ids



class DiscordChannel:
    platform = DISCORD

    def __init__(self, client: discord.Client, shop: Shop, translator: Translator, *, default_locale: str,
                 owner_ids: list[int], ephemeral_cards: EphemeralCards | None = None) -> None:
        self._client = client
        self._ephemeral = ephemeral_cards
        self._shop = shop
        self._tr = translator
        self._default_locale = default_locale
        self._owners = list(owner_ids)
        self._words = NoticeWriter(shop, translator, limit=MESSAGE_LIMIT)

    async def to_buyer(self, item: OutboxItem, contact: Contact) -> None:
        locale = self._tr.locale_for(contact.locale, None, self._default_locale)
        notice = await self._words.for_buyer(item, locale)
        if notice is None:
            logger.debug("no discord message for topic %s; skipped", item.topic)
            return
        if not contact.external_id.isdigit():
            raise Unreachable(f"not a Discord user id: {contact.external_id[:30]}")
        texts = [_fit(to_markdown(text)) for text in notice.texts]
        with _translated_errors():
            if notice.edits_card and notice.order_id is not None:
                live = await self._edit_ephemeral(notice.order_id, texts[0], final=notice.closes_card)
                # News that only moves a counter is shown live on the payment message: not worth a DM each time.
                if await self._edit_card(notice.order_id, texts[0]) or (live and notice.progress_only):
                    texts = texts[1:]
            if not texts:
                return
            user = await self._user(int(contact.external_id))
            for text in texts:
                await user.send(content=text)

    async def to_staff(self, item: OutboxItem) -> None:
        text = await self._words.for_staff(item, self._default_locale)
        if text is None:
            logger.debug("no discord message for staff topic %s; skipped", item.topic)
            return
        await self._tell_staff(_fit(to_markdown(text)))

    async def to_staff_about_unreachable(self, item: OutboxItem) -> None:
        await self._tell_staff(_fit(to_markdown(self._words.staff_about_unreachable(item, self._default_locale))))

    async def _staff_ids(self) -> list[int]:
        ids = dict.fromkeys(self._owners)
        for member in await self._shop.sellers.staff():
            for contact in await self._shop.message_refs.contacts(member.customer_id):
                if contact.platform == DISCORD and contact.external_id.isdigit():
                    ids[int(contact.external_id)] = None
        return list(ids)

    async def _tell_staff(self, text: str) -> None:
        for user_id in await self._staff_ids():
            try:
                with _translated_errors():
                    user = await self._user(user_id)
                    await user.send(content=text)
            except Unreachable:
                logger.warning("discord staff member %s can't be sent DMs; skipped", user_id)

    async def _user(self, user_id: int) -> discord.User:
        return self._client.get_user(user_id) or await self._client.fetch_user(user_id)

    async def _edit_ephemeral(self, order_id: int, text: str, *, final: bool) -> bool:
        """Update the ephemeral payment message shown in a server, while its interaction token lasts. It may
        have been dismissed, so news that matters still comes by DM too; only progress counts are not."""
        cards = self._ephemeral
        message = cards.find(order_id) if cards is not None else None
        if cards is None or message is None:
            return False
        try:
            await message.edit(content=text, attachments=[], view=None)
        except discord.HTTPException as exc:
            logger.info("ephemeral payment message of order %s not editable (%s)", order_id, exc.text)
            cards.forget(order_id)
            return False
        if final:
            cards.forget(order_id)
        return True

    async def _edit_card(self, order_id: int, text: str) -> bool:
        """Rewrite the DM payment message (the QR and buttons go: they are no use now); False when there is
        none or it can no longer be edited."""
        card = await self._shop.message_refs.find(order_id, DISCORD, PAYMENT_CARD)
        if card is None:
            return False
        message = self._client.get_partial_messageable(card.chat_id).get_partial_message(card.message_id)
        try:
            await message.edit(content=text, attachments=[], view=None)
        except (discord.NotFound, discord.Forbidden) as exc:
            logger.info("payment message of order %s not editable (%s); sending a new DM", order_id, exc.text)
            return False
        return True


def _fit(text: str) -> str:
    """Within Discord's limit (a quoted support message gains "> " on every line)."""
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT - 1] + "…"


@contextlib.contextmanager
def _translated_errors() -> Iterator[None]:
    """Discord's refusals in the outbox sender's terms."""
    try:
        yield
    except discord.Forbidden as exc:  # 50007: DMs closed, no shared server, or the bot is blocked
        raise Unreachable(exc.text or "forbidden") from None
    except discord.NotFound as exc:  # an unknown user (deleted account)
        raise Unreachable(exc.text or "unknown user") from None
    except discord.RateLimited as exc:
        raise RetryLater(f"rate limited: retry after {exc.retry_after:.0f}s",
                         delay=timedelta(seconds=max(1.0, exc.retry_after)), pause=True) from None
    except discord.HTTPException as exc:
        if exc.status == 429:
            raise RetryLater("rate limited", delay=timedelta(seconds=5), pause=True) from None
        if exc.status >= 500:
            raise platform_unreachable(f"{type(exc).__name__} {exc.status}: {exc.text[:200]}") from None
        raise RetryLater(f"{type(exc).__name__} {exc.status}: {exc.text[:200]}") from None
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise platform_unreachable(f"{type(exc).__name__}: {exc}") from None


async def tell_missed(interaction: discord.Interaction[Any], shop: Shop, translator: Translator, locale: str,
                      since: datetime) -> bool:
    """The user's DMs were found closed at `since`: after this interaction's own answer, tell them so privately,
    with the notifications they missed, and try DMs again from now on. True when told."""
    user_id = interaction.user.id
    await shop.message_refs.mark_reachable(DISCORD, user_id)  # (identifying them did it already, as a rule)
    customer = await shop.customers.identify(DISCORD, user_id)
    words = NoticeWriter(shop, translator, limit=MESSAGE_LIMIT)
    parts = []
    for item in await shop.outbox.missed(customer.id, since):
        notice = await words.for_buyer(item, locale)
        if notice is not None:
            parts.extend(to_markdown(text) for text in notice.texts)
    heading = translator.text(locale, "discord.dm_closed")
    if parts:
        heading += " " + translator.text(locale, "discord.dm_closed.missed")
    try:
        await interaction.followup.send(content=_fit("\n\n".join([heading, *parts])), ephemeral=True)
    except discord.HTTPException:
        logger.warning("could not tell discord user %s about closed DMs", user_id, exc_info=True)
        return False
    return True


class DiscordNotifier(OutboxSender):
    """An outbox sender with only Discord attached (the tests; `chatshop run` shares one sender)."""

    def __init__(self, client: discord.Client, shop: Shop, translator: Translator, *, default_locale: str,
                 owner_ids: list[int], clock: Clock = system_clock) -> None:
        super().__init__(shop, clock=clock)
        services = getattr(client, "services", None)  # a ShopBot carries the ephemeral payment messages it sent
        self.attach(DiscordChannel(client, shop, translator, default_locale=default_locale, owner_ids=owner_ids,
                                   ephemeral_cards=getattr(services, "ephemeral_cards", None)))
