"""Starting out with chatshop: the commands it prints work where the user is, the README's tour runs as written
on the sample catalog, and each command loads only what it needs (`--help` and `catalog list` no chat framework).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest

from bots.cli.main import COMMANDS, build_parser, command_word, main
from commerce.storage.db import Database
from commerce.storage.migrate import head_revision, is_chatshop_database, newest_revision, upgrade

REPO: Final = Path(__file__).resolve().parents[2]
PROGRAM: Final = Path(sys.executable).parent / "chatshop"  # the console script beside the tests' Python


def fresh_shell(**extra: str) -> dict[str, str]:
    """The environment of a new terminal: the virtualenv not activated, no token, no chatshop settings."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CHATSHOP_", "TELEGRAM_", "DISCORD_", "VIRTUAL_ENV"))}
    return {**env, "PATH": os.defpath, **extra}


def shell(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=180,
                          check=False)


def printed_after(text: str, label: str) -> str:
    """The command printed after `label` on one line (`4. start the shop:  …`), or on the line below it."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if label in line:
            rest = line.split(label, 1)[1].strip()
            return rest or lines[index + 1].strip()
    raise AssertionError(f"no {label!r} in:\n{text}")


@pytest.mark.parametrize("where", ["a folder of one's own", "the repository"])
def test_the_start_commands_chatshop_prints_work_in_a_fresh_shell(tmp_path: Path, where: str) -> None:
    """`init` says how to start the shop, and `run` without a token says how to start again: both commands run
    as printed, from where the user is, in a shell where `chatshop` alone is not a command."""
    cwd = tmp_path if where == "a folder of one's own" else REPO
    shop = "myshop" if cwd == tmp_path else str(tmp_path / "myshop")
    env = fresh_shell()

    init = shell(f"{shlex.quote(str(PROGRAM))} init {shlex.quote(shop)}", cwd, env)
    assert init.returncode == 0, init.stderr
    start = printed_after(init.stdout, "4. start the shop:")
    assert not start.startswith("chatshop ")  # not on PATH here

    first = shell(start, cwd, env)
    assert first.returncode == 2, first.stderr  # chatshop ran on myshop/bot.toml, and only the token is missing
    assert first.stderr.startswith("Telegram is enabled in bot.toml, but the bot has no token.")
    again = printed_after(first.stderr, "export TELEGRAM_BOT_TOKEN=<token>")  # the line below it
    assert again == start

    second = shell(again, cwd, env)
    assert second.returncode == 2 and second.stderr == first.stderr


def test_run_started_by_run_shop_sh_says_to_start_it_again_the_same_way(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bot.toml").write_text('[shop]\nname = "Shop"\n', encoding="utf-8")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("CHATSHOP_START_COMMAND", "scripts/run-shop.sh")  # what scripts/run-shop.sh exports
    assert main(["run", "--config", str(tmp_path / "bot.toml")]) == 2
    assert "export TELEGRAM_BOT_TOKEN=<token>\n       scripts/run-shop.sh\n" in capsys.readouterr().err


def test_run_shop_sh_exports_the_command_line_it_was_started_with() -> None:
    script = (REPO / "scripts" / "run-shop.sh").read_text(encoding="utf-8")
    assert "printf -v CHATSHOP_START_COMMAND '%q ' \"$0\" \"$@\"" in script
    assert script.index("CHATSHOP_START_COMMAND") < script.index('cd "$(dirname "$0")/.."')  # before it moves


def tour_commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    tour = readme.split("## A short tour", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in tour.splitlines() if line.startswith(".venv/bin/chatshop ")]


def test_the_readme_tour_runs_as_written_on_the_sample_catalog(tmp_path: Path) -> None:
    """Each chatshop line of the tour, as written, in a copy of the repository's layout (its own bot.toml and
    data); `run` (which needs a bot token and runs until stopped) and `doctor` (which then reports that) aside."""
    (tmp_path / "bot.toml").write_bytes((REPO / "bots" / "bot.example.toml").read_bytes())
    (tmp_path / ".venv").symlink_to(PROGRAM.parent.parent)
    (tmp_path / "examples").symlink_to(REPO / "examples")
    outputs = []
    for command in tour_commands():
        words = shlex.split(command, comments=True)
        if command_word(words[1:]) in ("run", "doctor"):
            continue
        done = shell(command, tmp_path, fresh_shell())
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
        outputs.append(done.stdout)
    imported, listed = next(o for o in outputs if o.startswith("imported")), next(o for o in outputs if "桜" in o)
    assert imported.startswith("imported 4 products (6 variants) from examples/products.csv")
    for title in ("桜Tシャツ", "Uji matcha 30 g", "風呂敷 Furoshiki", "はじめての抹茶ガイド (PDF)"):
        assert title in listed
    assert "4 products" in listed
    assert (tmp_path / "shop-backup.db").is_file() and (tmp_path / "myshop" / "bot.toml").is_file()


def test_the_sample_catalog_has_both_languages_a_variant_and_a_digital_product() -> None:
    rows = (REPO / "examples" / "products.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "product_ref,title,description,kind,category,visible,sku,options,price,stock,photos"
    assert any(re.search("[\u3040-\u30ff\u4e00-\u9fff]", row) for row in rows[1:])
    assert any(re.fullmatch("[A-Za-z0-9 ]+", row.split(",")[1]) for row in rows[1:])  # an English title
    assert sum(row.startswith("sakura-tee,") for row in rows) == 3 and any(",digital," in row for row in rows)


# ---- what each command loads ----

FRAMEWORKS: Final = ("aiogram", "discord", "httpx", "bip_utils", "alembic", "sqlalchemy", "pydantic", "rich")


def loaded_by(argv: list[str], cwd: Path) -> dict[str, object]:
    """In a fresh interpreter: run chatshop with `argv`; its exit status and which FRAMEWORKS it imported."""
    code = ("import contextlib, io, json, sys\n"
            "from bots.cli.main import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    status = main({argv!r})\n"
            f"print(json.dumps({{'status': status, 'loaded': sorted({{m.split('.')[0] for m in sys.modules}}"
            f" & set({FRAMEWORKS!r}))}}))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120,
                          check=False, env=fresh_shell())
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_help_loads_no_framework_at_all(tmp_path: Path) -> None:
    assert loaded_by(["--help"], tmp_path) == {"status": 0, "loaded": []}


def test_catalog_list_loads_the_database_but_no_chat_framework(tmp_path: Path) -> None:
    (tmp_path / "bot.toml").write_bytes((REPO / "bots" / "bot.example.toml").read_bytes())
    assert loaded_by(["migrate"], tmp_path)["status"] == 0
    result = loaded_by(["catalog", "list"], tmp_path)
    assert result["status"] == 0
    assert {"sqlalchemy", "pydantic", "rich"} <= set(result["loaded"])
    assert not {"aiogram", "discord", "httpx", "bip_utils", "alembic"} & set(result["loaded"])  # schema up to date


def test_the_newest_revision_read_from_the_files_is_alembics_head() -> None:
    assert newest_revision() == head_revision() is not None


async def test_an_up_to_date_database_not_marked_as_ours_still_goes_through_alembic(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    try:
        assert await upgrade(db) == (None, head_revision())
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql("PRAGMA application_id = 0")
        assert not await is_chatshop_database(db)
        assert await upgrade(db) == (head_revision(), head_revision())
        assert await is_chatshop_database(db)  # marked again
    finally:
        await db.dispose()


def test_every_command_is_listed_with_the_summary_its_own_module_gives_it() -> None:
    listed = {command.name: command.summary for command in COMMANDS}
    registered: dict[str, str] = {}
    for module in dict.fromkeys(command.module for command in COMMANDS):
        commands = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(module).register(commands, argparse.ArgumentParser(add_help=False))
        registered |= {action.dest: action.help or "" for action in commands._choices_actions}
    assert registered == listed


@pytest.mark.parametrize(("argv", "word"), [
    (["catalog", "list"], "catalog"), (["--config", "run", "watch"], "watch"),
    (["--conf", "x.toml", "doctor"], "doctor"), (["--config=x.toml", "--debug", "backup", "f"], "backup"),
    (["--help"], None)])
def test_the_command_word_is_found_as_argparse_finds_it(argv: list[str], word: str | None) -> None:
    assert command_word(argv) == word
    if word is not None:
        args, _ = build_parser(argv).parse_known_args(argv)
        assert getattr(args, "handler", None) is not None  # the command's own module registered it
