"""`chatshop` commands run in-process (and once as a real process) against SQLite in a temp dir."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

import bots.cli.runtime
from bots.app import open_shop
from bots.cli.main import main
from bots.config import load_settings
from commerce.catalog import NewProduct
from commerce.storage.db import SQLITE_APPLICATION_ID
from commerce.storage.migrate import head_revision

REPO = Path(__file__).resolve().parents[2]

CONFIG = """\
[shop]
name = "Test"
currency = "JPY"
[database]
url = "sqlite+aiosqlite:///data/shop.db"
[telegram]
enabled = false
[rates]
source = "fixed"
[sellers]
owners = ["telegram:1"]
"""

PRODUCTS = """\
product_ref,title,kind,category,sku,options,price,stock
tee,Sakura tee,physical,Clothes,TEE-S,size=S,3000,10
tee,,,,TEE-M,size=M,3000,4
"""


def shop_dir(tmp_path: Path, name: str = "shop") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "bot.toml").write_text(CONFIG, encoding="utf-8")
    return folder


def chatshop(folder: Path, *args: str) -> int:
    return main([*args, "--config", str(folder / "bot.toml")])


def import_products(folder: Path, text: str = PRODUCTS) -> None:
    csv_file = folder / "products.csv"
    csv_file.write_text(text, encoding="utf-8")
    assert chatshop(folder, "catalog", "import", str(csv_file)) == 0


def listing(folder: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert chatshop(folder, "catalog", "list", "--hidden") == 0
    return capsys.readouterr().out


# ---- init and migrate ----

def test_init_writes_bot_toml_creates_the_database_and_prints_next_steps(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "myshop"

    assert main(["init", str(target)]) == 0

    out = capsys.readouterr().out
    config = target / "bot.toml"
    example = REPO / "bots" / "bot.example.toml"
    assert config.read_text(encoding="utf-8") == example.read_text(encoding="utf-8")
    database = target / "data" / "shop.db"
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == SQLITE_APPLICATION_ID
        assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()
    assert (target / "data" / "media").is_dir()
    assert "export TELEGRAM_BOT_TOKEN=" in out
    key_line = next(line for line in out.splitlines() if "export CHATSHOP_DATA_KEY=" in line)
    Fernet(key_line.split("=", 1)[1].strip())  # a usable key
    assert "chatshop run" in out


def test_init_refuses_to_overwrite_without_force_and_keeps_the_database(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path)]) == 0
    config = tmp_path / "bot.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("Sakura Goods", "My Shop"), encoding="utf-8")
    import_products(tmp_path)
    capsys.readouterr()

    assert main(["init", str(tmp_path)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert "My Shop" in config.read_text(encoding="utf-8")

    assert main(["init", str(tmp_path), "--force"]) == 0
    assert "Sakura Goods" in config.read_text(encoding="utf-8")
    assert "kept the existing database" in capsys.readouterr().out
    assert "Sakura tee" in listing(tmp_path, capsys)


def test_migrate_reports_the_revision_then_that_it_is_up_to_date(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)

    assert chatshop(folder, "migrate") == 0
    assert f"database at revision {head_revision()} (was empty)" in capsys.readouterr().out

    assert main(["--config", str(folder / "bot.toml"), "migrate"]) == 0  # --config before the command
    assert "already up to date" in capsys.readouterr().out


def test_config_comes_from_chatshop_config_or_the_current_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHATSHOP_CONFIG", str(folder / "bot.toml"))
    assert main(["migrate"]) == 0
    assert (folder / "data" / "shop.db").exists()

    monkeypatch.delenv("CHATSHOP_CONFIG")
    monkeypatch.chdir(folder)
    assert main(["migrate"]) == 0
    assert "already up to date" in capsys.readouterr().out


def test_run_and_watch_prepare_the_database_and_say_there_is_nothing_to_watch(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)

    assert chatshop(folder, "run") == 0
    out = capsys.readouterr().out
    assert "telegram: disabled" in out and "discord: disabled" in out
    assert "nothing to watch" in out
    assert (folder / "data" / "shop.db").exists()

    assert chatshop(folder, "watch") == 0
    assert "no [[payments.methods]] in bot.toml: nothing to watch" in capsys.readouterr().out


def test_run_with_telegram_enabled_but_no_token_explains_how_to_get_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    folder = shop_dir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    config = folder / "bot.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("enabled = false", "enabled = true"),
                      encoding="utf-8")
    assert chatshop(folder, "run") == 2
    err = capsys.readouterr().err
    assert "@BotFather" in err and "export TELEGRAM_BOT_TOKEN=<token>" in err
    assert "Traceback" not in err


def test_watch_names_the_missing_xpub_variable(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    folder = shop_dir(tmp_path)
    monkeypatch.delenv("SHOP_TEST_XPUB", raising=False)
    with (folder / "bot.toml").open("a", encoding="utf-8") as config:
        config.write('\n[rates.fixed]\nBTC = "15000000"\n\n[[payments.methods]]\nid = "btc"\nchain = "bitcoin"\n'
                     'network = "regtest"\nxpub_env = "SHOP_TEST_XPUB"\nbackend = "bitcoind"\n'
                     'url = "http://127.0.0.1:9"\n')
    assert chatshop(folder, "watch") == 1
    assert "set the environment variable SHOP_TEST_XPUB" in capsys.readouterr().err


# ---- errors ----

def test_a_broken_bot_toml_exits_2_listing_every_problem_without_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "bot.toml").write_text(
        '[shop]\nname = "Test"\ncurrency = "yen"\npayment_window = 30\n[sellers]\nowners = ["alice"]\n',
        encoding="utf-8")

    assert chatshop(folder, "migrate") == 2

    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert lines[0] == "bot.toml has problems:"
    assert any("shop.currency" in line for line in lines)
    assert any("shop.payment_window" in line and "unknown key" in line for line in lines)
    assert any("sellers.owners" in line for line in lines)
    assert "Traceback" not in captured.err + captured.out


def test_a_missing_bot_toml_says_to_run_init(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "list", "--config", str(tmp_path / "nope.toml")]) == 2
    assert "chatshop init" in capsys.readouterr().err


def test_core_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    monkeypatch.setenv("CHATSHOP_DATA_KEY", "not-a-fernet-key")

    assert chatshop(folder, "run") == 1

    err = capsys.readouterr().err
    assert err.strip() == "the personal-data key is not a valid Fernet key (44 characters of URL-safe base64)"
    assert "not-a-fernet-key" not in err


def test_unexpected_errors_are_one_line_unless_debug(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    monkeypatch.setenv("CHATSHOP_DATA_KEY", Fernet.generate_key().decode())  # no "key not set" warning

    async def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(bots.cli.runtime, "_serve", explode)

    assert chatshop(folder, "run") == 1
    err = capsys.readouterr().err
    assert err.splitlines() == ["unexpected error: RuntimeError: boom", "run with --debug for details"]

    assert chatshop(folder, "run", "--debug") == 1
    assert "Traceback" in capsys.readouterr().err


def test_usage_without_a_command_shows_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "chatshop init" in capsys.readouterr().out
    assert main(["catalog"]) == 2
    assert "import" in capsys.readouterr().out
    assert main(["bogus"]) == 2


def test_every_command_has_help_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    commands = [["init"], ["migrate"], ["run"], ["watch"], ["backup"], ["restore"], ["catalog"],
                ["catalog", "import"], ["catalog", "export"], ["catalog", "list"]]
    for command in commands:
        assert main([*command, "--help"]) == 0
        out = capsys.readouterr().out
        assert "example" in out and "--config" in out, command


# ---- backup and restore ----

def test_backup_then_restore_brings_the_data_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    import_products(folder)
    backup_file = tmp_path / "backups" / "shop.db"

    assert chatshop(folder, "backup", str(backup_file)) == 0
    assert "backed up" in capsys.readouterr().out
    assert not Path(f"{backup_file}-wal").exists()
    with sqlite3.connect(backup_file) as copy:
        assert copy.execute("SELECT count(*) FROM variant").fetchone()[0] == 2

    import_products(folder, "title,price\nLater pot,5000\n")
    assert "Later pot" in listing(folder, capsys)

    assert chatshop(folder, "restore", str(backup_file)) == 1  # "Later pot" would be lost
    assert "1 product" in capsys.readouterr().err
    assert chatshop(folder, "restore", str(backup_file), "--force") == 0
    assert "restored" in capsys.readouterr().out
    after = listing(folder, capsys)
    assert "Sakura tee" in after and "Later pot" not in after

    assert chatshop(folder, "backup", str(backup_file)) == 1
    assert "--force" in capsys.readouterr().err
    assert chatshop(folder, "backup", str(backup_file), "--force") == 0


def test_restore_refuses_files_that_are_not_chatshop_databases(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    import_products(folder)
    random_file = tmp_path / "random.bin"
    random_file.write_bytes(os.urandom(8192))
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE alembic_version (version_num TEXT)")
        db.execute("INSERT INTO alembic_version VALUES ('0001')")
    capsys.readouterr()

    assert chatshop(folder, "restore", str(random_file)) == 1
    assert "not a chatshop backup" in capsys.readouterr().err
    assert chatshop(folder, "restore", str(other)) == 1
    assert "not a chatshop one" in capsys.readouterr().err
    assert chatshop(folder, "restore", str(tmp_path / "missing.db")) == 1
    assert "no such file" in capsys.readouterr().err

    assert "Sakura tee" in listing(folder, capsys)


async def place_order(folder: Path) -> None:
    settings = load_settings(folder / "bot.toml", environ={})
    async with open_shop(settings) as shop:
        [owner] = await shop.sellers.bootstrap_owners(["telegram:1"])
        product = await shop.catalog.create_product(owner, NewProduct(title="Gift code", price="500",
                                                                      kind="digital"))
        await shop.catalog.add_digital_items(owner, product.variants[0].id, ["CODE-1"])
        buyer = await shop.customers.identify("telegram", 77)
        await shop.orders.checkout(buyer.id, items=[(product.variants[0].id, 1)])


def test_restore_over_a_database_with_orders_needs_force(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    assert chatshop(folder, "migrate") == 0
    backup_file = tmp_path / "empty.db"
    assert chatshop(folder, "backup", str(backup_file)) == 0
    asyncio.run(place_order(folder))
    capsys.readouterr()

    assert chatshop(folder, "restore", str(backup_file)) == 1
    err = capsys.readouterr().err
    assert "1 order" in err and "--force" in err

    assert chatshop(folder, "restore", str(backup_file), "--force") == 0
    with sqlite3.connect(folder / "data" / "shop.db") as db:
        assert db.execute("SELECT count(*) FROM orders").fetchone()[0] == 0


def test_restore_refuses_a_backup_from_a_newer_chatshop(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    import_products(folder)
    newer = tmp_path / "newer.db"
    assert chatshop(folder, "backup", str(newer)) == 0
    with sqlite3.connect(newer) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    capsys.readouterr()

    assert chatshop(folder, "restore", str(newer), "--force") == 1

    assert "newer chatshop" in capsys.readouterr().err
    assert "Sakura tee" in listing(folder, capsys)


# ---- a real process ----

def test_the_module_runs_as_a_program_with_chatshop_config(tmp_path: Path) -> None:
    folder = shop_dir(tmp_path)
    env = {**os.environ, "CHATSHOP_CONFIG": str(folder / "bot.toml"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}

    done = subprocess.run([sys.executable, "-m", "bots.cli.main", "migrate"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 0, done.stderr
    assert f"database at revision {head_revision()}" in done.stdout
    assert (folder / "data" / "shop.db").exists()

    shown = subprocess.run([sys.executable, "-m", "bots.cli.main", "--help"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120, check=False)
    assert shown.returncode == 0 and "catalog" in shown.stdout


def test_backup_and_restore_point_postgresql_users_to_pg_dump(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "pg"
    folder.mkdir()
    (folder / "bot.toml").write_text(CONFIG.replace(
        "sqlite+aiosqlite:///data/shop.db", "postgresql+asyncpg://shop@127.0.0.1:1/shop"), encoding="utf-8")

    assert chatshop(folder, "backup", str(tmp_path / "b.db")) == 1
    assert "pg_dump" in capsys.readouterr().err
    assert chatshop(folder, "restore", str(tmp_path / "b.db")) == 1
    assert "pg_dump" in capsys.readouterr().err
