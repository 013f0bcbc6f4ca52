"""Checks on the raw ``bot.toml`` data before the settings tree is validated: the shape of the file, and
that every ``*_env`` key holds the *name* of an environment variable.

A bot token, key or URL pasted into ``token_env`` (or any ``*_env`` key) instead of its variable's name is a
secret in the wrong place: it is refused, and no part of it is ever printed — not even the first characters
that ``bots.config_checks`` shows of key material found elsewhere in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from bots.config_checks import Finding, Loc, describe_private_key, env_name_ok, format_path, token_platform

MAX_DEPTH: Final = 16  # bot.toml needs 4 (payments.methods[0].id); anything far deeper is not a config

# An example name for each kind of *_env key, for the advice; others get a generic one.
_EXAMPLES: Final = {
    ("telegram", "token_env"): "TELEGRAM_BOT_TOKEN",
    ("discord", "token_env"): "DISCORD_BOT_TOKEN",
    ("telegram", "webhook_secret_env"): "TELEGRAM_WEBHOOK_SECRET",
    ("security", "data_key_env"): "CHATSHOP_DATA_KEY",
    ("methods", "xpub_env"): "CHATSHOP_BTC_XPUB",
    ("methods", "url_env"): "CHATSHOP_BTC_URL",
    ("methods", "rpc_url_env"): "CHATSHOP_ETH_RPC",
}


def nesting_problem(data: Mapping[str, object], source_name: str) -> str | None:
    """One line when the file nests tables or lists deeper than any bot.toml does (found without recursion)."""
    stack: list[tuple[Loc, object]] = [((), dict(data))]
    while stack:
        loc, value = stack.pop()
        if len(loc) > MAX_DEPTH:
            shown = format_path(loc[:6])
            return (f"{source_name}: {shown}… is nested more than {MAX_DEPTH} levels deep; bot.toml needs at most "
                    "4 (such as payments.methods[0].id)")
        if isinstance(value, dict):
            stack.extend(((*loc, key), item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend(((*loc, index), item) for index, item in enumerate(value))
    return None


def check_env_names(data: Mapping[str, object]) -> list[Finding]:
    """Every ``*_env`` value must be an environment variable's name; the value itself is never shown."""
    findings: list[Finding] = []
    stack: list[tuple[Loc, object]] = [((), dict(data))]
    while stack:
        loc, value = stack.pop()
        if isinstance(value, dict):
            stack.extend(((*loc, key), item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend(((*loc, index), item) for index, item in enumerate(value))
        if loc and isinstance(loc[-1], str) and loc[-1].endswith("_env") and not env_name_ok(value):
            findings.append(Finding(loc, _env_problem(loc, value)))
    return sorted(findings, key=lambda finding: format_path(finding.loc))


def _env_problem(loc: Loc, value: object) -> str:
    names = [part for part in loc if isinstance(part, str)]
    example = _EXAMPLES.get((names[-2], names[-1]) if len(names) > 1 else ("", ""), "SHOP_SECRET")
    kind = secret_kind(value) if isinstance(value, str) else None
    if kind is not None:
        return (f"this looks like {kind}, not the name of an environment variable; it is not shown here. Put it in "
                f"an environment variable (export {example}=…) and write that variable's name here: "
                f"{names[-1]} = \"{example}\". If this file was shared, treat the secret as exposed and replace it.")
    size = f"{len(value)} characters" if isinstance(value, str) else f"a {_toml_type(value)}"
    return (f"expected the name of an environment variable such as \"{example}\" (letters, digits and _), got "
            f"{size}, not shown in case it is a secret")


def secret_kind(text: str) -> str | None:
    """What `text` looks like when it looks like a secret (a token, a key, a URL with credentials), else None."""
    if platform := token_platform(text):
        return f"a {platform} bot token"
    if describe_private_key(text) is not None:
        return "a private key or recovery phrase"
    if "://" in text:
        return "a URL (it may hold a password or an API key)"
    if len(text) >= 16 and not env_name_ok(text.replace("-", "_").replace("=", "").replace("/", "_")) \
            or len(text) >= 40 and " " not in text:
        return "a token or key"
    return None


def _toml_type(value: object) -> str:
    if isinstance(value, bool):
        return "true/false value"
    if isinstance(value, int | float):
        return "number"
    return {dict: "table", list: "list"}.get(type(value), "value")
