"""`*_env` keys hold the name of an environment variable: a token or key pasted there is refused as a secret and
never shown, not even in part; and a bot.toml nested absurdly deep gets one clean line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest

from bots.config import ConfigError, parse_settings

SHOP: Final = '[shop]\nname = "Sakura Goods"\n[rates]\nsource = "fixed"\n[rates.fixed]\nETH = "450000"\n'
EVM: Final = ('[[payments.methods]]\nid = "eth"\nchain = "evm"\nchain_id = 1\nasset = "ETH"\n'
              'receive_address = "0x000000000000000000000000000000000000dEaD"\n')

# (where, pasted value, what the message calls it). Made-up values in the shapes of real ones.
PASTED: Final = [
    ("[telegram]\ntoken_env", "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "a Telegram bot token"),
    ("[discord]\ntoken_env", "MTA4MjM0NTY3ODkwMTIzNDU2Nw.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789",
     "a Discord bot token"),
    ("[security]\ndata_key_env", "q3mVd0Y4pJ8Xz0p5w7z0Y2J8hQe7Gm1J2k3L4m5N6o8=", "a token or key"),
    ("[telegram]\nwebhook_secret_env", "s3cret-Token_for-tests-very-long-random-9f8e7d6c", "a token or key"),
    ("[discord]\ntoken_env", "AbCdEfGh12345678IjKlMnOp", "a token or key"),  # letters and digits only
    ("[telegram]\ntoken_env", "9aa3d95b3bc440fa88ea12eaa4456161", "a token or key"),  # an API key in hex
    (EVM + "rpc_url_env", "https://mainnet.infura.io/v3/9aa3d95b3bc440fa88ea12eaa4456161",
     "a URL (it may hold a password or an API key)"),
    (EVM.replace('receive_address = "0x000000000000000000000000000000000000dEaD"\n', 'rpc_url = "https://rpc.example"\n')
     + "xpub_env",
     "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8",
     "a token or key"),
]


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, Path("/srv/shop"), {})
    return caught.value.problems


def pieces(secret: str, size: int = 6) -> set[str]:
    """Every run of `size` characters of the secret that is not plain punctuation."""
    return {secret[i:i + size] for i in range(len(secret) - size + 1) if any(c.isalnum() for c in secret[i:i + size])}


@pytest.mark.parametrize(("where", "secret", "kind"), PASTED)
def test_a_secret_in_an_env_key_is_refused_as_a_secret_and_never_shown(where: str, secret: str, kind: str) -> None:
    [problem] = problems_of(f'{SHOP}{where} = "{secret}"\n')
    key = where.rsplit("\n", 1)[-1]
    assert f"this looks like {kind}, not the name of an environment variable; it is not shown here" in problem
    assert f'{key} = "' in problem  # says what to write instead
    assert not {piece for piece in pieces(secret) if piece in problem}


@pytest.mark.parametrize("value", ['"telegram token"', '"TELEGRAM-TOKEN"', "12345", "true", '["A", "B"]'])
def test_anything_else_that_is_not_a_variable_name_is_refused_without_being_shown(value: str) -> None:
    [problem] = problems_of(f"{SHOP}[telegram]\ntoken_env = {value}\n")
    assert problem.startswith('telegram.token_env: expected the name of an environment variable such as '
                              '"TELEGRAM_BOT_TOKEN" (letters, digits and _), got ')
    assert "not shown in case it is a secret" in problem
    if value.startswith('"'):
        assert value.strip('"') not in problem


@pytest.mark.parametrize("name", ["TELEGRAM_BOT_TOKEN", "MY_SHOP_TOKEN_2", "shop_bot_token", "_PRIVATE",
                                  "CHATSHOP_ETH_RPC_MAINNET_BACKUP_URL"])
def test_real_variable_names_are_accepted(name: str) -> None:
    settings = parse_settings(f'{SHOP}[telegram]\ntoken_env = "{name}"\n', Path("/srv/shop"), {name: "123:abc"})
    assert settings.telegram.token_env == name and settings.telegram_token() is not None


def test_the_cli_never_prints_a_token_pasted_into_token_env(tmp_path: Path) -> None:
    secret = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    (tmp_path / "bot.toml").write_text(f'{SHOP}[telegram]\ntoken_env = "{secret}"\n', encoding="utf-8")
    for command in (["run"], ["doctor"], ["catalog", "list"]):
        done = subprocess.run([sys.executable, "-m", "bots.cli.main", *command, "--config", str(tmp_path / "bot.toml")],
                              capture_output=True, text=True, timeout=120, check=False,
                              env={**os.environ, "TELEGRAM_BOT_TOKEN": "x"})
        assert done.returncode == 2, done.stderr
        output = done.stdout + done.stderr
        assert "telegram.token_env: this looks like a Telegram bot token" in output
        assert not any(piece in output for piece in pieces(secret)), output


@pytest.mark.parametrize("text", [
    "x = " + "[" * 5000 + "]" * 5000,
    "x = " + "{a = " * 3000 + "1" + "}" * 3000,
    "[shop]\nname = " + "[" * 900 + "]" * 900,
    "[" + ".".join(["a"] * 5000) + "]\nb = 1",
    "[shop." + ".".join(["a"] * 200) + "]\nb = 1",
])
def test_a_file_nested_too_deep_gets_one_line_not_a_recursion_error(text: str) -> None:
    [problem] = problems_of(text + "\n")
    assert problem.startswith("bot.toml: ") and "nested" in problem and "at most 4" in problem


def test_the_deepest_real_config_is_not_too_deep() -> None:
    settings = parse_settings(SHOP + EVM + 'rpc_url = "https://rpc.example"\n[discord]\nguild_ids = [1, 2]\n',
                              Path("/srv/shop"), {})
    assert settings.payments.methods[0].id == "eth" and settings.discord.guild_ids == [1, 2]
