"""`chatshop restore` loses nothing by surprise: it names what the backup lacks and refuses without --force,
refuses while a shop has the database open, and keeps the database it replaces as a dated 0600 file."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.exc import OperationalError

from bots.app import open_shop
from bots.cli.main import main
from bots.config import Settings, load_settings
from commerce.catalog import NewProduct
from commerce.privacy import ShippingAddress
from commerce.storage.database_lock import exclusive_database_lock

REPO = Path(__file__).resolve().parents[2]
CONFIG = """\
[shop]
name = "Test"
[database]
url = "sqlite+aiosqlite:///data/shop.db"
[telegram]
enabled = false
"""
HOME = ShippingAddress(name="Taro Sato", postal_code="150-0001", region="Tokyo", city="Shibuya", line1="1-2-3")
ENVIRON = {"CHATSHOP_DATA_KEY": Fernet.generate_key().decode()}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "bot.toml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


@pytest.fixture(autouse=True)
def data_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATSHOP_DATA_KEY", ENVIRON["CHATSHOP_DATA_KEY"])


def chatshop(folder: Path, *args: str) -> int:
    return main([*args, "--config", str(folder / "bot.toml")])


def settings_of(folder: Path) -> Settings:
    return load_settings(folder / "bot.toml", environ=ENVIRON)


async def first_product(folder: Path) -> None:
    async with open_shop(settings_of(folder)) as shop:
        [owner] = await shop.sellers.bootstrap_owners(["telegram:1"])
        await shop.catalog.create_product(owner, NewProduct(title="Tea cup", price="1200", stock=3))


async def a_day_of_business(folder: Path) -> None:
    """After the backup: a product, a customer who orders, a new owner (a role) who enrols in 2FA."""
    async with open_shop(settings_of(folder)) as shop:
        [owner] = await shop.sellers.bootstrap_owners(["telegram:1"])
        product = await shop.catalog.create_product(owner, NewProduct(title="Teapot", price="5000", stock=2))
        buyer = await shop.customers.identify("telegram", 77)
        await shop.orders.checkout(buyer.id, items=[(product.variants[0].id, 1)], address=HOME)
        [partner] = await shop.sellers.bootstrap_owners(["telegram:2"])
        await shop.two_factor.enrol(partner)


def titles(database: Path) -> list[str]:
    with sqlite3.connect(database) as db:
        return [title for (title,) in db.execute("SELECT title FROM product ORDER BY id")]


def test_restore_names_what_would_be_lost_and_refuses_without_force(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(first_product(folder))
    assert chatshop(folder, "backup", str(folder / "backup.db")) == 0
    asyncio.run(a_day_of_business(folder))
    capsys.readouterr()

    assert chatshop(folder, "restore", str(folder / "backup.db")) == 1

    err = " ".join(capsys.readouterr().err.split())
    for lost in ("1 product", "2 customers", "1 role", "1 2FA enrolment", "1 order", "--force", "Nothing was changed"):
        assert lost in err
    database = folder / "data" / "shop.db"
    assert titles(database) == ["Tea cup", "Teapot"]
    assert sorted(p.name for p in database.parent.iterdir() if "replaced" in p.name or "restoring" in p.name) == []

    assert chatshop(folder, "restore", str(folder / "backup.db"), "--force") == 0

    out = " ".join(capsys.readouterr().out.split())
    [kept] = database.parent.glob("shop.replaced-*.db")
    assert f"kept as {kept}" in out
    assert titles(database) == ["Tea cup"] and titles(kept) == ["Tea cup", "Teapot"]
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_restoring_a_backup_of_the_database_as_it_is_needs_no_force(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(first_product(folder))
    assert chatshop(folder, "backup", str(folder / "backup.db")) == 0

    assert chatshop(folder, "restore", str(folder / "backup.db")) == 0

    assert "restored" in capsys.readouterr().out
    assert titles(folder / "data" / "shop.db") == ["Tea cup"]


async def restore_while_the_shop_is_open(folder: Path) -> int:
    async with open_shop(settings_of(folder)) as shop:
        await shop.customers.identify("telegram", 5)
        return await asyncio.to_thread(chatshop, folder, "restore", str(folder / "backup.db"), "--force")


def test_restore_refuses_while_a_shop_has_the_database_open_even_with_force(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(first_product(folder))
    assert chatshop(folder, "backup", str(folder / "backup.db")) == 0
    capsys.readouterr()

    assert asyncio.run(restore_while_the_shop_is_open(folder)) == 1

    err = capsys.readouterr().err
    assert "a chatshop process" in err and "open; stop it, then restore" in err
    assert list((folder / "data").glob("shop.replaced-*")) == []
    assert chatshop(folder, "restore", str(folder / "backup.db"), "--force") == 0  # the shop has stopped


def test_a_killed_shop_leaves_no_lock_behind(folder: Path) -> None:
    asyncio.run(first_product(folder))
    assert chatshop(folder, "backup", str(folder / "backup.db")) == 0
    code = ("import asyncio, sys\nfrom commerce.storage.db import Database\n"
            "async def main():\n    db = Database(sys.argv[1])\n"
            "    async with db.uow(write=False) as uow:\n        await uow.connection()\n"
            "    print('open', flush=True)\n    await asyncio.sleep(600)\nasyncio.run(main())\n")
    url = settings_of(folder).database.url
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-c", code, url], stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline() == "open\n"
        assert chatshop(folder, "restore", str(folder / "backup.db"), "--force") == 1
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    started = time.monotonic()
    assert chatshop(folder, "restore", str(folder / "backup.db"), "--force") == 0
    assert time.monotonic() - started < 30


async def open_during_restore(folder: Path) -> str:
    settings = settings_of(folder)
    database = Path(settings.database.url.split("///", 1)[1])
    with exclusive_database_lock(database), pytest.raises(OperationalError) as refused:
        async with open_shop(settings):
            pass
    return str(refused.value.orig)


def test_a_shop_does_not_start_on_a_database_being_restored(folder: Path) -> None:
    asyncio.run(first_product(folder))
    assert "is being replaced by `chatshop restore`" in asyncio.run(open_during_restore(folder))
