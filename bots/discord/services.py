"""What every cog needs, built once in the composition root and hung off the bot."""

from __future__ import annotations

from dataclasses import dataclass, field

from bots.common.legal import ShopTerms
from bots.common.media_store import MediaStore
from bots.discord.ephemeral_cards import EphemeralCards
from bots.discord.handlers import Handlers
from bots.i18n import Translator
from commerce.conversations import ConversationStore
from commerce.shop import Shop
from payments.requests import PaymentService


@dataclass(frozen=True, slots=True)
class ShopServices:
    shop: Shop
    translator: Translator
    conversations: ConversationStore  # checkout steps, kept in the database: they survive a restart
    shop_name: str
    terms: ShopTerms  # what /terms shows: [legal] and [shop] terms
    default_locale: str
    payments: PaymentService | None = None  # None: no payment method configured, checkout says so politely
    media_store: MediaStore | None = None  # None: cards are shown without their photo
    telegram_username: str | None = None  # known: /share also shows the Telegram deep link
    seller_role: str = ""  # [discord] seller_role: in a server, /seller needs Manage Server or this role
    ephemeral_cards: EphemeralCards = field(default_factory=EphemeralCards)  # payment messages the notifier may edit
    handlers: Handlers = field(default_factory=Handlers)  # the cogs a button hands its click to
