"""`chatshop init` (a commented bot.toml and a fresh database) and `chatshop migrate`."""

from __future__ import annotations

import argparse
import asyncio
from importlib.resources import files
from pathlib import Path

from bots.app import migrate_database
from bots.cli.common import Cli, CliError, Commands, add_command, check_database_path
from bots.config import Settings, load_settings
from commerce.privacy import PersonalDataCipher
from commerce.storage.private_files import private_mkdir


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    init = add_command(
        commands, "init", common, summary="create bot.toml and the database in a folder",
        description="Write a commented bot.toml into DIR, create the data folder and the database, and "
                    "print the next steps (bot token, data key). An existing bot.toml is kept unless "
                    "--force is given; an existing database is never deleted.",
        epilog="examples:\n  chatshop init myshop\n  chatshop init --force")
    init.add_argument("dir", nargs="?", type=Path, metavar="DIR",
                      help="folder for bot.toml (default: where --config points, i.e. ./bot.toml)")
    init.add_argument("--force", action="store_true", help="overwrite an existing bot.toml")
    init.set_defaults(handler=init_command)

    migrate = add_command(
        commands, "migrate", common, summary="bring the database schema up to date",
        description="Apply the database migrations this version of chatshop needs. Safe to run at any "
                    "time; `chatshop run` does it on start too.",
        epilog="example:\n  chatshop migrate --config /srv/shop/bot.toml")
    migrate.set_defaults(handler=migrate_command)


def example_config() -> str:
    return files("bots").joinpath("bot.example.toml").read_text(encoding="utf-8")


def init_command(args: argparse.Namespace, cli: Cli) -> int:
    target = args.dir / "bot.toml" if args.dir is not None else cli.config_path
    if target.exists() and not args.force:
        raise CliError(f"{target} already exists; add --force to overwrite it (the database is kept)")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(example_config(), encoding="utf-8")
    except OSError as error:
        raise CliError(f"{target}: cannot be written ({error.strerror or error})") from None
    cli.say(f"wrote {target}")
    settings = load_settings(target, environ=cli.environ)
    check_database_path(settings)
    private_mkdir(settings.media.dir)
    before, after = asyncio.run(migrate_database(settings))
    state = "created" if before is None else "kept the existing"
    cli.say(f"{state} database ({_database_name(settings)}), schema revision {after}")
    _next_steps(cli, target, settings)
    return 0


def _database_name(settings: Settings) -> str:
    url = settings.database.url
    return url.split("///", 1)[1] if url.startswith("sqlite") else url.split("@")[-1]


def _next_steps(cli: Cli, target: Path, settings: Settings) -> None:
    key_env = settings.security.data_key_env
    token_env = settings.telegram.token_env
    cli.say("\nnext steps:", style="bold")
    cli.say(f"  1. edit {target}: the shop name and currency, your user id under [sellers] owners,")
    cli.say("     and your payment methods")
    cli.say(f"  2. give the bot its token from @BotFather:  export {token_env}=<token>")
    cli.say(f"  3. the key that encrypts buyers' addresses is made on first start in {settings.security.data_key_file}")
    cli.say("     (readable by you only): keep a copy of it somewhere safe, apart from the database backups.")
    cli.say(f"     Or set one yourself:  export {key_env}={PersonalDataCipher.generate_key()}")
    cli.say(f"  4. start the shop:  {cli.start_command(target)}")


def migrate_command(_args: argparse.Namespace, cli: Cli) -> int:
    settings = cli.settings()
    before, after = asyncio.run(migrate_database(settings))
    if before == after:
        cli.say(f"already up to date (revision {after})")
    else:
        cli.say(f"database at revision {after} (was {before or 'empty'})")
    return 0
