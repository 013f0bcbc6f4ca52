"""`chatshop`: the command line for running and looking after a shop.

Every command reads bot.toml (`--config PATH`, else `$CHATSHOP_CONFIG`, else ./bot.toml). Exit status:
0 done, 1 refused or failed (one line says why), 2 bad usage or a bot.toml with problems.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence

from rich.console import Console
from sqlalchemy.exc import DBAPIError

from bots.cli import backup, catalog, doctor, init, runtime
from bots.cli.common import CONFIG_ENV, Cli, CliError, Handler, config_path, describe_commerce_error
from bots.config import ConfigError
from commerce.errors import CommerceError

DESCRIPTION = """\
chatshop runs a shop inside Telegram and Discord, paid in crypto.

Start with `chatshop init`, edit bot.toml, then `chatshop run`."""

EPILOG = f"""\
examples:
  chatshop init myshop                      create myshop/bot.toml and the database
  chatshop run --config myshop/bot.toml     start the shop
  chatshop catalog import products.csv      add products from a CSV file
  chatshop backup shop-backup.db            copy the database while the shop runs
  chatshop doctor                           check config, database, tokens, chains and rates

The config file is --config PATH, else ${CONFIG_ENV}, else ./bot.toml.
Run `chatshop COMMAND --help` for the details of a command."""


def build_parser() -> argparse.ArgumentParser:
    # Options in `common` work before and after the command; SUPPRESS keeps a command's parser from
    # overwriting a value given before the command with its own default.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                        help=f"the bot.toml to use (default: ${CONFIG_ENV}, else ./bot.toml)")
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback when something unexpected goes wrong")
    parser = argparse.ArgumentParser(prog="chatshop", description=DESCRIPTION, epilog=EPILOG,
                                     parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in (init, runtime, doctor, catalog, backup):
        module.register(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error argparse has already explained
        return exit_.code if isinstance(exit_.code, int) else 2
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    cli = Cli(config_path(getattr(args, "config", None), os.environ), os.environ, Console(),
              Console(stderr=True), debug=getattr(args, "debug", False))
    return run_command(handler, args, cli)


def run_command(handler: Handler, args: argparse.Namespace, cli: Cli) -> int:
    """Run one command, turning every failure into a short message and an exit status."""
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
