"""The key that encrypts buyers' personal data: the environment variable `[security] data_key_env` names
(CHATSHOP_DATA_KEY), else the key file `[security] data_key_file` (default `chatshop-data.key` beside
bot.toml).

On a first `chatshop run` with neither, and nothing encrypted in the database yet, a fresh key is written
to the key file, readable by its owner only. The file sits beside bot.toml, outside the data folder, so a
copy of the database (or of the data folder) never carries the key that opens it. `run` refuses to start
when the database holds encrypted data that the key it has can't read: a lost or changed key is found
before a buyer meets it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from bots.config import ConfigError, Settings
from commerce.errors import PersonalDataLocked
from commerce.privacy import PersonalDataCipher
from commerce.sealed_data import sealed_samples, unreadable
from commerce.storage.db import Database
from commerce.storage.private_files import PRIVATE_FILE

KEEP_A_COPY = "keep a copy of it somewhere safe, apart from the database backups: without it the addresses " \
              "buyers gave can't be read"


class DataKeyError(Exception):
    """The shop must not start with this key: one line that says why and what to do."""


@dataclass(frozen=True, slots=True)
class DataKey:
    secret: SecretStr | None
    source: str  # "$CHATSHOP_DATA_KEY", the key file's path, or "" when there is no key
    created: bool = False


def find_data_key(settings: Settings) -> DataKey:
    """The configured key, if any; nothing is created. A key file that can't be read is a config problem."""
    env = settings.security.data_key_env
    if (secret := settings.data_key()) is not None:
        return DataKey(secret, f"${env}")
    path = settings.security.data_key_file
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return DataKey(None, "")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "not a key file"
        raise ConfigError([f"security.data_key_file: {path} can't be read ({reason})"]) from None
    return DataKey(SecretStr(text), str(path)) if text else DataKey(None, "")


def ready_data_key(settings: Settings, *, warn: Callable[[str], None]) -> DataKey:
    """For `chatshop run`: the key, made on first start, checked against what the database holds."""
    return asyncio.run(_ready(settings, warn))


async def _ready(settings: Settings, warn: Callable[[str], None]) -> DataKey:
    env = settings.security.data_key_env
    key = find_data_key(settings)
    db = Database(settings.database.url)
    try:
        samples = await sealed_samples(db)
    finally:
        await db.dispose()
    path = settings.security.data_key_file
    if key.secret is None:
        if samples:
            raise DataKeyError(f"the database holds encrypted personal data ({', '.join(samples)}) but no key is "
                               f"set: set {env} to the key it was encrypted with, or put the key file back at "
                               f"{path}")
        key = DataKey(_create_key_file(path), str(path), created=True)
        warn(f"{env} is not set: made a new data key in {path} (readable by you only); {KEEP_A_COPY}")
    elif key.source == str(path):
        warn(f"{env} is not set: using the data key in {path}")
    try:
        cipher = PersonalDataCipher(key.secret.get_secret_value())  # type: ignore[union-attr]  # set above
    except PersonalDataLocked:
        if key.source != str(path):
            raise  # the environment's: told as every command tells it
        raise DataKeyError(f"the data key in {path} is not a valid key (44 characters of URL-safe base64, as "
                           "chatshop makes them)") from None
    if locked := unreadable(cipher, samples):
        raise DataKeyError(f"the data key in {key.source} can't decrypt the {', '.join(locked)} already in the "
                           f"database (was the key changed?): start with the key they were encrypted with")
    return key


def _create_key_file(path: Path) -> SecretStr:
    """A fresh key in a new file, 0600 from the start (a second process starting at once reads the first's)."""
    key = PersonalDataCipher.generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return SecretStr(path.read_text(encoding="ascii").strip())
    except OSError as error:
        raise DataKeyError(f"can't write a data key file at {path} ({error.strerror or error}); set "
                           "[security] data_key_file in bot.toml to a writable place, or set the key yourself "
                           "in the environment") from None
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key + "\n")
    return SecretStr(key)
