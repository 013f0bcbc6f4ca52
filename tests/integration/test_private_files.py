"""The shop's files are for its own user only: the database with its -wal and -shm, backups, photos, and the
folders chatshop makes for them (0600 and 0700, whatever the umask)."""

from __future__ import annotations

import asyncio
import io
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from bots.app import open_shop
from bots.cli.main import main
from bots.common.media_store import MediaStore
from bots.config import load_settings
from media.photos import process_photo


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common default, under which files come out 0644 and folders 0755 unless made otherwise."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 120)).save(out, "JPEG")
    return out.getvalue()


async def use_the_shop(config: Path) -> dict[str, int]:
    """Write through a running shop and save a photo; the modes of the database's companions meanwhile."""
    settings = load_settings(config, environ={})
    async with open_shop(settings) as shop:
        await shop.customers.identify("telegram", 5)
        await MediaStore(settings.media.dir).save(process_photo(jpeg()))
        data = Path(settings.database.url.split("///", 1)[1]).parent
        return {path.name: mode(path) for path in data.glob("shop.db-*")}


def test_init_a_running_shop_and_a_backup_make_nothing_others_can_read(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    assert main(["init", str(folder)]) == 0
    config = folder / "bot.toml"
    data = folder / "data"
    assert (mode(data), mode(data / "shop.db"), mode(data / "media")) == (0o700, 0o600, 0o700)

    assert asyncio.run(use_the_shop(config)) == {"shop.db-wal": 0o600, "shop.db-shm": 0o600}
    [photo] = (data / "media").rglob("*.jpg")
    assert (mode(photo), mode(photo.parent)) == (0o600, 0o700)

    backups = folder / "backups"
    assert main(["backup", str(backups / "shop-1.db"), "--config", str(config)]) == 0
    assert (mode(backups), mode(backups / "shop-1.db")) == (0o700, 0o600)
    assert main(["backup", str(backups / "shop-1.db"), "--force", "--config", str(config)]) == 0
    assert mode(backups / "shop-1.db") == 0o600


def test_a_database_an_older_version_left_readable_to_others_is_made_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / "shop.db") as made_before:
        made_before.execute("PRAGMA journal_mode = WAL")
        made_before.execute("CREATE TABLE t (x)")
    assert mode(data / "shop.db") == 0o644
    (tmp_path / "bot.toml").write_text('[shop]\nname = "Old"\n[telegram]\nenabled = false\n', encoding="utf-8")

    assert main(["migrate", "--config", str(tmp_path / "bot.toml")]) == 0

    assert mode(data / "shop.db") == 0o600
    assert mode(data) == 0o755  # a folder the operator made is theirs to decide
