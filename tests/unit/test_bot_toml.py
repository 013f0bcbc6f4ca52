"""The repository's own bot.toml: committed, the same text as the template `chatshop init` writes, and a shop
that runs as it is."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest

from bots.config import load_settings

REPO: Final = Path(__file__).resolve().parents[2]
ROOT_CONFIG: Final = REPO / "bot.toml"
TEMPLATE: Final = REPO / "bots" / "bot.example.toml"


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, timeout=30, check=False)


def in_git_checkout() -> bool:
    return shutil.which("git") is not None and git("rev-parse", "--git-dir").returncode == 0


def edited_for_a_shop() -> bool:
    """The root bot.toml changed from what is committed, while the committed one matches the committed template:
    someone set up their shop in this clone (the tests must not fail on that)."""
    if not in_git_checkout() or git("diff", "--quiet", "HEAD", "--", "bot.toml").returncode == 0:
        return False
    return git("show", "HEAD:bot.toml").stdout == git("show", "HEAD:bots/bot.example.toml").stdout


def test_the_root_bot_toml_is_the_template_init_writes() -> None:
    """One text: bots/bot.example.toml (shipped in the package for `chatshop init`) and the root bot.toml."""
    if ROOT_CONFIG.read_bytes() != TEMPLATE.read_bytes() and edited_for_a_shop():
        pytest.skip("bot.toml holds this clone's shop settings; the committed one matches the template")
    assert ROOT_CONFIG.read_text(encoding="utf-8") == TEMPLATE.read_text(encoding="utf-8"), (
        "bot.toml and bots/bot.example.toml differ: change both (copy the template over bot.toml)")


def test_the_root_bot_toml_is_committed_not_ignored() -> None:
    if not in_git_checkout():
        pytest.skip("not a git checkout")
    assert git("check-ignore", "-q", "bot.toml").returncode == 1  # 1: not ignored


def test_the_root_bot_toml_runs_as_it_is() -> None:
    """SQLite next to it, Telegram by long polling with the token from the environment, fixed rates, no payment
    method yet: nothing to fill in but the token."""
    files = [TEMPLATE] if edited_for_a_shop() else [TEMPLATE, ROOT_CONFIG]
    for loaded, folder in ((load_settings(path, environ={}), path.parent) for path in files):
        assert loaded.database.url == f"sqlite+aiosqlite:///{folder / 'data' / 'shop.db'}"
        assert loaded.telegram.enabled and loaded.telegram.mode == "polling"
        assert loaded.telegram.token_env == "TELEGRAM_BOT_TOKEN" and loaded.telegram_token() is None
        assert loaded.rates.source == "fixed" and loaded.payments.methods == []


def test_chatshop_run_in_the_repository_uses_the_root_bot_toml(tmp_path: Path) -> None:
    """From the repository folder, with no --config: the root bot.toml is read, and the only thing missing is the
    token (which `run` explains before touching the database)."""
    if edited_for_a_shop():
        pytest.skip("bot.toml holds this clone's shop settings")
    env = {key: value for key, value in os.environ.items()
           if key not in ("TELEGRAM_BOT_TOKEN", "CHATSHOP_CONFIG", "CHATSHOP_START_COMMAND")}
    env["PATH"] = os.defpath  # a fresh shell: the virtualenv not activated
    program = Path(sys.executable).parent / "chatshop"  # the console script of the Python running the tests
    done = subprocess.run([str(program), "run"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("Telegram is enabled in bot.toml, but the bot has no token.")
    typed = os.path.relpath(program, REPO) if program.is_relative_to(REPO) else str(program)
    assert f"export TELEGRAM_BOT_TOKEN=<token>\n       {typed} run\n" in done.stderr
