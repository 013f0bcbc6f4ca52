"""The composition root: `bot.toml` settings in, one wired `Shop` out.

Every entry point (the chat front-ends, the watcher, the CLI) builds its shop here, so the database,
the shop rules and the personal-data key are read from the settings in exactly one place.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from bots.config import Settings
from bots.config_referrals import build_referral_rules
from bots.data_key import find_data_key
from commerce.events import Clock, system_clock
from commerce.privacy import PersonalDataCipher
from commerce.shop import Shop, ShopRules
from commerce.storage.db import Database
from commerce.storage.migrate import upgrade

__all__ = ["build_shop", "migrate_database", "open_shop", "shop_rules"]


def shop_rules(settings: Settings) -> ShopRules:
    return ShopRules(
        currency=settings.shop.currency,
        payment_window=timedelta(minutes=settings.shop.payment_window_minutes),
        late_payment_window=timedelta(hours=settings.shop.late_payment_window_hours),
        timezone=settings.shop.timezone,
        pricing=settings.pricing(),
        referrals=build_referral_rules(settings.referrals, settings.shop.currency),
    )


def build_shop(settings: Settings, *, clock: Clock | None = None) -> Shop:
    """A shop on the configured database; nothing is connected or migrated yet.

    The data key comes from the environment, else from the key file (bots/data_key.py). Without one the
    shop still runs, but shipping addresses can't be stored or read.
    Raises `PersonalDataLocked(reason="bad_key")` when the key is set but is not a Fernet key.
    """
    key = find_data_key(settings).secret
    cipher = PersonalDataCipher(key.get_secret_value() if key is not None else None)
    return Shop(Database(settings.database.url), shop_rules(settings), cipher, clock or system_clock)


@asynccontextmanager
async def open_shop(settings: Settings, *, clock: Clock | None = None) -> AsyncIterator[Shop]:
    """A shop ready to serve: schema migrated, owners from `bot.toml` bootstrapped; disposed at exit."""
    shop = build_shop(settings, clock=clock)
    try:
        await upgrade(shop.db)
        await shop.sellers.bootstrap_owners(list(settings.sellers.owners))
        yield shop
    finally:
        await shop.db.dispose()


async def migrate_database(settings: Settings) -> tuple[str | None, str | None]:
    """Bring the configured database to the newest schema; returns the revisions (before, after)."""
    db = Database(settings.database.url)
    try:
        return await upgrade(db)
    finally:
        await db.dispose()
