"""What every `chatshop` command shares: the invocation context, output helpers and CLI errors."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeAlias

if TYPE_CHECKING:  # imported where used: `chatshop --help` must not pay for pydantic, SQLAlchemy or rich
    from decimal import Decimal

    from rich.console import Console

    from bots.config import Settings
    from commerce.errors import CommerceError

from commerce.storage.private_files import private_mkdir

CONFIG_ENV: Final = "CHATSHOP_CONFIG"
DEFAULT_CONFIG: Final = "bot.toml"
# Set by scripts/run-shop.sh to the command line the user typed, so "start again with …" names that script.
START_COMMAND_ENV: Final = "CHATSHOP_START_COMMAND"


class CliError(Exception):
    """A refusal or failure the user can act on: one line of text, and the exit status."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@dataclass(frozen=True, slots=True)
class Cli:
    """One invocation: where the config is, the environment, and where output goes."""

    config_path: Path
    environ: Mapping[str, str]
    out: Console
    err: Console
    debug: bool = False
    program: str = "chatshop"  # how to type chatshop in the user's shell (see `program_name`)

    def settings(self) -> Settings:
        from bots.config import load_settings

        if not self.config_path.exists() and not self.config_path.is_symlink():
            raise CliError(f"{self.config_path}: no such file — create one with: {self.command('init')}", exit_code=2)
        settings = load_settings(self.config_path, environ=self.environ)
        check_database_path(settings)
        return settings

    def command(self, *words: str, config: Path | None = None) -> str:
        """A chatshop command line that works where the user is, e.g. `.venv/bin/chatshop run --config
        myshop/bot.toml` (`--config` only when the file is not ./bot.toml)."""
        config = self.config_path if config is None else config
        line = [self.program, *map(shlex.quote, words)]
        if Path(os.path.abspath(config)) != Path(os.path.abspath(DEFAULT_CONFIG)):
            line += ["--config", shlex.quote(str(config))]
        return " ".join(line)

    def start_command(self, config: Path | None = None) -> str:
        """How the user starts the shop again: the script they used (scripts/run-shop.sh), else `… run`."""
        return self.environ.get(START_COMMAND_ENV, "").strip() or self.command("run", config=config)

    def say(self, text: str, *, style: str | None = None) -> None:
        """One message, never wrapped or parsed as rich markup (it may contain user data or paths)."""
        self.out.print(text, style=style, markup=False, highlight=False, soft_wrap=True)

    def warn(self, text: str) -> None:
        self.err.print(text, style="yellow", markup=False, highlight=False, soft_wrap=True)

    def fail(self, text: str) -> None:
        self.err.print(text, style="bold red", markup=False, highlight=False, soft_wrap=True)


Handler = Callable[[argparse.Namespace, Cli], int]


Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def paragraph(text: str) -> str:
    """Help text wrapped for a terminal (the raw help formatter keeps our line breaks as they are)."""
    return textwrap.fill(" ".join(text.split()), width=88)


def add_command(commands: Commands, name: str, common: argparse.ArgumentParser, *, summary: str,
                description: str, epilog: str, raw_description: bool = False) -> argparse.ArgumentParser:
    """A (sub)command parser taking the common options, with its description wrapped and examples kept."""
    return commands.add_parser(
        name, parents=[common], help=summary, epilog=epilog,
        description=description if raw_description else paragraph(description),
        formatter_class=argparse.RawDescriptionHelpFormatter)


def config_path(explicit: str | None, environ: Mapping[str, str]) -> Path:
    """`--config`, else `$CHATSHOP_CONFIG`, else `./bot.toml`."""
    return Path(explicit or environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def program_name(environ: Mapping[str, str], argv0: str | None = None, cwd: Path | None = None) -> str:
    """How to type chatshop in the user's shell: `chatshop` when that name on PATH is this very program (an
    activated virtualenv, pipx), else its path — relative when it is below the current folder, such as
    `.venv/bin/chatshop`, which a fresh shell in the project folder can run."""
    script = Path(argv0 if argv0 is not None else sys.argv[0])
    if script.name != "chatshop":  # `python -m bots.cli.main`: the console script installed beside this Python
        script = Path(sys.executable).parent / "chatshop"
        if not script.is_file():
            return "chatshop"
    found = shutil.which("chatshop", path=environ.get("PATH", ""))
    try:
        if found is not None and os.path.samefile(found, script):
            return "chatshop"
    except OSError:
        pass
    absolute = Path(os.path.abspath(script))  # not resolve(): a virtualenv's bin/ is the path to keep
    try:
        text = str(absolute.relative_to(cwd or Path.cwd()))
    except ValueError:
        text = str(absolute)
    return shlex.quote(text if os.sep in text else f".{os.sep}{text}")


def sqlite_path(settings: Settings, purpose: str) -> Path:
    """The database file of a SQLite shop; a clear refusal for PostgreSQL (`purpose` says what for)."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database.url)
    if url.get_backend_name() != "sqlite":
        raise CliError(f"{purpose} works on SQLite databases only; for PostgreSQL use pg_dump / pg_restore")
    if not url.database or url.database == ":memory:":
        raise CliError(f"{purpose} needs a database file, but database.url points to an in-memory database")
    return Path(url.database)


def check_database_path(settings: Settings) -> None:
    """Refuse a SQLite path that can't be opened before the driver tries (its failure is noisy)."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database.url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    path = Path(url.database)
    if path.exists() and not path.is_file():
        raise CliError(f"database.url: {path} exists but is not a database file")
    try:
        private_mkdir(path.parent)  # 0700: the database holds buyers' data
    except OSError as error:
        raise CliError(f"database.url: cannot create the folder {path.parent} ({error.strerror or error})") \
            from None
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.R_OK | os.W_OK)):
        raise CliError(f"database.url: {path} is not writable by this user")


def format_price(amount: Decimal, currency: str, locale: str) -> str:
    from babel.numbers import format_currency

    return format_currency(amount, currency, locale=locale)


_REASONS: Final[dict[str, str]] = {
    "required": "required, but empty",
    "too_long": "too long (at most {limit} characters)",
    "too_many": "too many (at most {limit})",
    "range": "expected a whole number from {minimum} to {maximum}",
    "choice": "expected one of {choices}",
    "not_text": "not plain text (it holds a NUL character or other binary data)",
    "digital_stock": "digital products get their stock from the codes added to them; leave it empty",
    "bad_key": "the personal-data key is not a valid Fernet key (44 characters of URL-safe base64)",
    "wrong_key": "the personal-data key cannot decrypt the stored data (was the key changed?)",
    "no_key": "no personal-data key is set (see [security] data_key_env and data_key_file in bot.toml)",
}


def explain_reason(fields: Mapping[str, Any]) -> str:
    """The human words for a core error's `reason` (and its limit fields)."""
    reason = str(fields.get("reason", ""))
    template = _REASONS.get(reason)
    if template is None:
        return reason.replace("_", " ") or "not accepted"
    values = dict(fields)
    if isinstance(values.get("choices"), list | tuple):
        values["choices"] = ", ".join(str(choice) for choice in values["choices"])
    try:
        return template.format(**values)
    except KeyError:
        return reason.replace("_", " ")


def describe_commerce_error(error: CommerceError) -> str:
    """One line for an error from the core that reached the top of a command."""
    fields = error.fields
    if error.code == "personal_data_locked":
        return explain_reason(fields)
    if error.code == "not_found":
        return f"{fields.get('entity', 'item')} {fields.get('id', '')} not found".replace("  ", " ")
    if error.code == "invalid_input":
        return f"{fields.get('field', 'input')}: {explain_reason(fields)}"
    if error.code == "invalid_amount":
        return f'price "{fields.get("value")}" is not a valid amount of {fields.get("currency")}'
    detail = ", ".join(f"{key}={value}" for key, value in fields.items())
    return f"{error.code.replace('_', ' ')}" + (f" ({detail})" if detail else "")
