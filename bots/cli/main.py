"""`chatshop`: the command line for running and looking after a shop.

Every command reads bot.toml (`--config PATH`, else `$CHATSHOP_CONFIG`, else ./bot.toml). Exit status:
0 done, 1 refused or failed (one line says why), 2 bad usage or a bot.toml with problems, 130 interrupted.

Each command's module is imported only when that command is asked for: `chatshop --help` lists them from
`COMMANDS` without importing any, and `chatshop catalog list` never loads the chat front-ends.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bots.cli.common import CONFIG_ENV, Cli, CliError, Handler, config_path, program_name


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    module: str  # registers the command (and its neighbours in the same module) with `register`
    summary: str  # the line `chatshop --help` shows; the module registers the same (a test checks)


COMMANDS: Final = (
    Command("init", "bots.cli.init", "create bot.toml and the database in a folder"),
    Command("migrate", "bots.cli.init", "bring the database schema up to date"),
    Command("run", "bots.cli.runtime", "start the shop: every enabled bot, the watcher and the sender"),
    Command("watch", "bots.cli.runtime", "run only the payment watcher"),
    Command("doctor", "bots.cli.doctor", "check bot.toml, the database, tokens, chain backends and rates"),
    Command("catalog", "bots.cli.catalog", "import, export or list products (CSV)"),
    Command("coupons", "bots.cli.coupons", "create, list, pause, resume or delete coupon codes"),
    Command("orders", "bots.cli.orders_export", "export order lines for accounting (CSV)"),
    Command("backup", "bots.cli.backup", "copy the SQLite database to a file (while the shop runs)"),
    Command("restore", "bots.cli.backup", "replace the database with a backup file"),
)

DESCRIPTION = """\
chatshop runs a shop inside Telegram and Discord, paid in crypto.

Start with `%(prog)s init`, edit bot.toml, then `%(prog)s run`."""

EPILOG = f"""\
examples:
  %(prog)s init myshop                      create myshop/bot.toml and the database
  %(prog)s run --config myshop/bot.toml     start the shop
  %(prog)s catalog import products.csv      add products from a CSV file
  %(prog)s backup shop-backup.db            copy the database while the shop runs
  %(prog)s doctor                           check config, database, tokens, chains and rates

The config file is --config PATH, else ${CONFIG_ENV}, else ./bot.toml.
Run `%(prog)s COMMAND --help` for the details of a command."""


def build_parser(argv: Sequence[str] = (), *, prog: str = "chatshop") -> argparse.ArgumentParser:
    """The parser for `argv`: the command named in it is registered by its module, the others only listed."""
    # Options in `common` work before and after the command; SUPPRESS keeps a command's parser from
    # overwriting a value given before the command with its own default.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                        help=f"the bot.toml to use (default: ${CONFIG_ENV}, else ./bot.toml)")
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback when something unexpected goes wrong")
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION, epilog=EPILOG,
                                     parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    wanted = command_word(argv)
    chosen = next((command.module for command in COMMANDS if command.name == wanted), None)
    registered = False
    for command in COMMANDS:
        if command.module != chosen:
            # Listed for --help and usage errors; never run (the command word picks its module above).
            commands.add_parser(command.name, help=command.summary, add_help=False)
        elif not registered:
            importlib.import_module(command.module).register(commands, common)
            registered = True
    return parser


def command_word(argv: Sequence[str]) -> str | None:
    """The command in `argv`: the first word that is neither an option nor the value of --config."""
    words = iter(argv)
    for word in words:
        option = word.partition("=")[0]
        if len(option) > 2 and "--config".startswith(option):  # argparse accepts any unique prefix
            if "=" not in word:
                next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def main(argv: Sequence[str] | None = None) -> int:
    cli: Cli | None = None
    try:
        words = list(sys.argv[1:] if argv is None else argv)
        program = program_name(os.environ)
        parser = build_parser(words, prog=program)
        try:
            args = parser.parse_args(words)
        except SystemExit as exit_:  # --help, or a usage error argparse has already explained
            return exit_.code if isinstance(exit_.code, int) else 2
        handler: Handler | None = getattr(args, "handler", None)
        if handler is None:
            parser.print_help()
            return 2
        from rich.console import Console

        cli = Cli(config_path(getattr(args, "config", None), os.environ), os.environ, Console(),
                  Console(stderr=True), debug=getattr(args, "debug", False), program=program)
        return run_command(handler, args, cli)
    except KeyboardInterrupt:  # Ctrl-C while a command's modules load or its parser is built
        if cli is not None:
            cli.fail("interrupted")
        else:
            print("interrupted", file=sys.stderr)
        return 130


def run_command(handler: Handler, args: argparse.Namespace, cli: Cli) -> int:
    """Run one command, turning every failure into a short message and an exit status."""
    import asyncio

    from sqlalchemy.exc import DBAPIError

    from bots.cli.common import describe_commerce_error
    from bots.config import ConfigError
    from commerce.errors import CommerceError

    try:
        return handler(args, cli)
    except ConfigError as error:
        cli.fail(f"{cli.config_path.name} has problems:")
        for problem in error.problems:
            cli.fail(f"  {problem}")
        return 2
    except CliError as error:
        cli.fail(error.message)
        return error.exit_code
    except CommerceError as error:
        cli.fail(describe_commerce_error(error))
        return 1
    except DBAPIError as error:
        cli.fail(f"database error: {_first_line(error.orig or error)}")
        cli.fail("check database.url in bot.toml, or run with --debug for details")
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        cli.fail("interrupted")
        return 130
    except Exception as error:  # noqa: BLE001 — the last line of defence: one line, not a traceback
        if cli.debug:
            cli.err.print_exception()
        else:
            detail = _first_line(error)
            cli.fail(f"unexpected error: {type(error).__name__}" + (f": {detail}" if detail else ""))
            cli.fail("run with --debug for details")
        return 1


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else ""


if __name__ == "__main__":
    raise SystemExit(main())
