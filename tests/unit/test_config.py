"""bot.toml: what loads, what each mistake says, and that secrets are refused without being echoed."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import pytest
from pydantic import SecretStr, ValidationError

from bots.config import BitcoinMethod, ConfigError, EvmMethod, Settings, load_settings, parse_settings

EXAMPLE: Final = Path(__file__).resolve().parents[2] / "bots" / "bot.example.toml"
BASE: Final = Path("/srv/shop")

# Public test vectors (BIP32 vector 1, the Bitcoin wiki WIF examples, BIP39 "abandon … about",
# the Telegram docs token): recognisable, and worthless.
XPRV: Final = (
    "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi"
)
XPUB: Final = (
    "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"
)
HEX_KEY: Final = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
WIF: Final = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"
WIF_COMPRESSED: Final = "KwdMAjGmerYanjeui5SHS7JkmpZvVipYvB2LJGU1ZxJwYvP98617"
MNEMONIC: Final = " ".join(["abandon"] * 11 + ["about"])
TG_TOKEN: Final = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
USDT_CONTRACT: Final = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
SECRETS: Final = (XPRV, HEX_KEY, WIF, WIF_COMPRESSED, MNEMONIC, TG_TOKEN)

WATCH_ONLY: Final = (
    "chatshop is watch-only: give the account's extended PUBLIC key (xpub/zpub/tpub) in the "
    "environment variable named by xpub_env, never a private key or seed."
)
SHOP: Final = '[shop]\nname = "Sakura Goods"\n'
BTC: Final = """
[[payments.methods]]
id = "btc"
chain = "bitcoin"
xpub_env = "BTC_XPUB"
url = "https://mempool.space/api"
"""
USDT: Final = f"""
[[payments.methods]]
id = "usdt"
chain = "evm"
chain_id = 1
rpc_url_env = "ETH_RPC"
asset = "USDT"
token = "{USDT_CONTRACT}"
decimals = 6
receive_address = "0x{'ab' * 20}"
"""


def problems_of(text: str, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, BASE, environ or {})
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


# ---------------------------------------------------------------- files that load


def test_example_file_loads_without_any_environment() -> None:
    settings = load_settings(EXAMPLE, environ={})

    assert settings.telegram.enabled is True
    assert settings.discord.enabled is False
    assert settings.payments.methods == []
    assert settings.rates.source == "fixed"
    assert settings.rates.fixed == {
        "BTC": Decimal("15000000"), "LTC": Decimal("12000"), "ETH": Decimal("450000"), "USDT": Decimal("150"),
    }
    assert all(type(rate) is Decimal for rate in settings.rates.fixed.values())
    assert settings.database.url == f"sqlite+aiosqlite:///{EXAMPLE.parent / 'data' / 'shop.db'}"


def test_example_methods_load_once_uncommented(tmp_path: Path) -> None:
    text = re.sub(r"(?m)^# (?=\[|[a-z_]+ = )", "", EXAMPLE.read_text(encoding="utf-8"))
    text = text.replace('"0x…your address…"', f'"0x{"12" * 20}"')
    (tmp_path / "bot.toml").write_text(text, encoding="utf-8")

    settings = load_settings(tmp_path / "bot.toml", environ={"CHATSHOP_BTC_XPUB": XPUB})

    btc, usdt = settings.payments.methods
    assert isinstance(btc, BitcoinMethod) and isinstance(usdt, EvmMethod)
    assert (btc.chain, btc.asset, btc.confirmations) == ("bitcoin", "BTC", 1)
    assert btc.url == "https://mempool.space/api"
    assert (usdt.chain, usdt.asset, usdt.decimals, usdt.token) == ("evm", "USDT", 6, USDT_CONTRACT)
    assert settings.referrals.enabled and settings.referrals.reward == "percent"


def test_defaults_fill_every_section() -> None:
    settings = parse_settings(SHOP, BASE, {})

    assert settings.shop.currency == "JPY"
    assert settings.shop.default_locale == "ja"
    assert (settings.shop.payment_window_minutes, settings.shop.late_payment_window_hours) == (30, 24)
    assert settings.database.url == "sqlite+aiosqlite:////srv/shop/data/shop.db"
    assert settings.media.dir == Path("/srv/shop/data/media")
    assert settings.security.data_key_env == "CHATSHOP_DATA_KEY"
    assert (settings.telegram.mode, settings.telegram.webhook_port) == ("polling", 8080)
    assert settings.discord.guild_ids == []
    assert (settings.rates.source, settings.rates.cache_seconds, settings.rates.timeout_seconds) == (
        "coingecko", 60, 10,
    )
    assert settings.rates.max_jump == Decimal(3)
    assert parse_settings(SHOP + '[rates]\nmax_jump = "2.5"\n', BASE, {}).rates.max_jump == Decimal("2.5")


def test_relative_paths_are_resolved_against_the_config_folder(tmp_path: Path) -> None:
    config = tmp_path / "conf" / "bot.toml"
    config.parent.mkdir()
    config.write_text(SHOP + '[database]\nurl = "sqlite+aiosqlite:///../db/shop.db?mode=rwc"\n'
                      '[media]\ndir = "pictures"\n', encoding="utf-8")

    settings = load_settings(config, environ={})

    assert settings.database.url == f"sqlite+aiosqlite:///{tmp_path / 'db' / 'shop.db'}?mode=rwc"
    assert settings.media.dir == tmp_path / "conf" / "pictures"


@pytest.mark.parametrize("url", [
    "sqlite+aiosqlite:////var/lib/chatshop/shop.db",
    "sqlite+aiosqlite:///:memory:",
    "postgresql+asyncpg://shop:pw@db.internal:5432/shop",
])
def test_absolute_memory_and_postgres_urls_are_kept(url: str) -> None:
    assert parse_settings(SHOP + f'[database]\nurl = "{url}"\n', BASE, {}).database.url == url


def test_methods_get_their_asset_and_decimals_defaults() -> None:
    text = SHOP + BTC.replace('"btc"', '"ltc"') + 'network = "litecoin"\n' + f"""
[[payments.methods]]
id = "eth"
chain = "evm"
chain_id = 1
rpc_url = "https://rpc.example"
asset = "ETH"
receive_address = "{USDT_CONTRACT}"
"""
    ltc, eth = parse_settings(text, BASE, {}).payments.methods
    assert isinstance(ltc, BitcoinMethod) and isinstance(eth, EvmMethod)

    assert (ltc.asset, ltc.decimals, ltc.underpaid_tolerance_percent) == ("LTC", 8, Decimal(0))
    assert (eth.asset, eth.decimals, eth.token, eth.confirmations) == ("ETH", 18, None, 12)


def test_secrets_come_only_from_the_environ_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "from-the-process")
    settings = parse_settings(SHOP, BASE, {"DISCORD_BOT_TOKEN": "d-token", "CHATSHOP_DATA_KEY": ""})

    assert settings.telegram_token() is None
    assert isinstance(settings.discord_token(), SecretStr)
    assert settings.secret("DISCORD_BOT_TOKEN") == SecretStr("d-token")
    assert settings.data_key() is None
    assert "d-token" not in repr(settings) + str(settings.model_dump())


def test_load_settings_defaults_to_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bot.toml").write_text(SHOP, encoding="utf-8")
    monkeypatch.setitem(os.environ, "TELEGRAM_BOT_TOKEN", "t-token")

    token = load_settings(tmp_path / "bot.toml").telegram_token()

    assert token is not None and token.get_secret_value() == "t-token"


def test_settings_are_frozen() -> None:
    settings = parse_settings(SHOP, BASE, {})
    with pytest.raises(ValidationError):
        settings.shop.name = "Other"


def test_valid_xpub_in_the_environment_is_accepted() -> None:
    settings = parse_settings(SHOP + BTC, BASE, {"BTC_XPUB": XPUB})
    assert settings.secret("BTC_XPUB") == SecretStr(XPUB)


# ---------------------------------------------------------------- what each mistake says


def test_missing_file_says_how_to_create_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_settings(Path("bot.toml"), environ={})
    assert caught.value.problems == ['bot.toml: no such file — run "chatshop init" to create one']


def test_syntax_error_names_the_file_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "bot.toml").write_text(SHOP + "currency = JPY\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "bot.toml", environ={})
    assert caught.value.problems == ["bot.toml line 3, column 12: Invalid value"]


def case(name: str, text: str, *expected: str, env: dict[str, str] | None = None) -> Any:
    return pytest.param(text, env or {}, list(expected), id=name)


CHECKSUM_EXPECTED: Final = "an address of 0x and 40 hex digits with a valid checksum"
NOT_ALLOWED: Final = (
    "chatshop never takes private keys, seeds or mnemonics, so this key is not allowed. Remove it."
)

BROKEN: Final = [
    case("toml-syntax", SHOP + "currency = JPY\n",
         "bot.toml line 3, column 12: Invalid value"),
    case("wrong-type-text", "[shop]\nname = 5\n",
         "shop.name: expected a shop name of 1–64 characters, got 5"),
    case("wrong-type-bool", SHOP + '[telegram]\nenabled = "yes"\n',
         'telegram.enabled: expected true or false, got "yes"'),
    case("wrong-type-int", SHOP + USDT.replace("decimals = 6", 'decimals = "six"'),
         'payments.methods[0].decimals: expected an integer 0–36, got "six"'),
    case("out-of-range", SHOP + "payment_window_minutes = 2\n",
         "shop.payment_window_minutes: expected an integer 5–1440, got 2"),
    case("port-range", SHOP + "[telegram]\nwebhook_port = 70000\n",
         "telegram.webhook_port: expected an integer 1–65535, got 70000"),
    case("currency", SHOP + 'currency = "yen"\n',
         'shop.currency: expected a three-letter ISO 4217 code such as "JPY", got "yen"'),
    case("enum-locale", SHOP + 'default_locale = "fr"\n',
         'shop.default_locale: expected one of "ja", "en", got "fr"'),
    case("enum-mode", SHOP + '[telegram]\nmode = "hook"\n',
         'telegram.mode: expected one of "polling", "webhook", got "hook"'),
    case("missing-required", '[shop]\ncurrency = "JPY"\n',
         "shop.name: required, but missing"),
    case("unknown-key-hint", '[shop]\nnmae = "Sakura"\n',
         "shop.name: required, but missing",
         'shop.nmae: unknown key (did you mean "name"?)'),
    case("unknown-section-hint", SHOP + "[telegarm]\nenabled = true\n",
         'telegarm: unknown key (did you mean "telegram"?)'),
    case("bad-chain", SHOP + '[[payments.methods]]\nid = "sol"\nchain = "solana"\n',
         'payments.methods[0].chain: expected one of "bitcoin", "evm", got "solana"'),
    case("duplicate-id", SHOP + BTC + USDT + BTC,
         'payments.methods[2].id: "btc" is already used by payments.methods[0]'),
    case("float-money", SHOP + "[rates.fixed]\nBTC = 1.5\n",
         'rates.fixed.BTC: expected a decimal number in quotes like "15000000", got 1.5'),
    case("zero-price", SHOP + '[rates.fixed]\nBTC = "0"\n',
         'rates.fixed.BTC: expected a price above 0, got "0"'),
    case("max-jump-of-one", SHOP + "[rates]\nmax_jump = 1\n",
         "rates.max_jump: expected a factor from 1.1 to 1000, got 1"),
    case("fixed-rate-missing", SHOP + '[rates]\nsource = "fixed"\n[rates.fixed]\nBTC = "1"\n' + USDT,
         'rates.fixed: no rate for "USDT", which payments.methods[0] uses '
         '(with source = "fixed" every payment method\'s asset needs a rate)'),
    case("url-and-url-env", SHOP + BTC + 'url_env = "BTC_URL"\n',
         "payments.methods[0]: expected exactly one of url or url_env, got both"),
    case("no-url", SHOP + BTC.replace('url = "https://mempool.space/api"', ""),
         "payments.methods[0]: expected exactly one of url or url_env, got neither"),
    case("asset-network", SHOP + BTC + 'network = "litecoin"\nasset = "BTC"\n',
         'payments.methods[0].asset: expected "LTC" on network "litecoin", got "BTC"'),
    case("bitcoin-decimals", SHOP + BTC + "decimals = 6\n",
         "payments.methods[0].decimals: expected 8 (bitcoin-family amounts always have 8 decimals), got 6"),
    case("float-percent", SHOP + BTC + "underpaid_tolerance_percent = 0.5\n",
         "payments.methods[0].underpaid_tolerance_percent: "
         'expected a decimal number in quotes like "0.5", got 0.5'),
    case("token-decimals-missing", SHOP + USDT.replace("decimals = 6\n", ""),
         "payments.methods[0].decimals: required, but missing"),
    case("bad-address", SHOP + USDT.replace(f"0x{'ab' * 20}", "0x1234"),
         f'payments.methods[0].receive_address: expected {CHECKSUM_EXPECTED}, got "0x1234"'),
    case("bad-address-checksum", SHOP + USDT.replace(USDT_CONTRACT, "0xD" + USDT_CONTRACT[3:]),
         f'payments.methods[0].token: expected {CHECKSUM_EXPECTED}, got "0xD{USDT_CONTRACT[3:]}"'),
    case("bad-owner", SHOP + '[sellers]\nowners = ["telegram:123", "tg:456"]\n',
         'sellers.owners[1]: expected a seller such as "telegram:123456789" or "discord:<user id>", '
         'got "tg:456"'),
    case("bad-guild", SHOP + "[discord]\nguild_ids = [0]\n",
         "discord.guild_ids[0]: expected an integer of at least 1, got 0"),
    case("webhook-needs-url", SHOP + '[telegram]\nmode = "webhook"\n',
         'telegram.webhook_url: required when mode = "webhook": '
         "the public https:// address Telegram sends updates to"),
    case("bad-database", SHOP + '[database]\nurl = "mysql://root:hunter2@db/shop"\n',
         'database.url: expected a URL starting with "sqlite+aiosqlite:///" or "postgresql+asyncpg://", '
         'got "mysql://root:***@db/shop"'),
    case("bad-env-name", SHOP + '[telegram]\ntoken_env = "telegram token"\n',
         'telegram.token_env: expected the name of an environment variable such as "TELEGRAM_BOT_TOKEN" (letters, '
         'digits and _), got 14 characters, not shown in case it is a secret'),
    case("xprv-in-file",
         SHOP + BTC.replace('xpub_env = "BTC_XPUB"', f'xpub = "{XPRV}"'),
         f"payments.methods[0].xpub: this looks like an extended private key (xprv…). {WATCH_ONLY}",
         "payments.methods[0].xpub_env: required, but missing"),
    case("hex-key", SHOP + f'terms = "{HEX_KEY}"\n',
         "shop.terms: this looks like a raw private key (64 hex digits, 0x4c…). chatshop is watch-only: "
         "give a receive_address, or the account's extended PUBLIC key (xpub/zpub/tpub) in the "
         "environment variable named by xpub_env, never a private key."),
    case("wif", SHOP + f'paysupport = "{WIF}"\n',
         f"shop.paysupport: this looks like a WIF private key (5Hue…). {WATCH_ONLY}"),
    case("wif-compressed", SHOP + f'[media]\ndir = "{WIF_COMPRESSED}"\n',
         f"media.dir: this looks like a WIF private key (KwdM…). {WATCH_ONLY}"),
    case("mnemonic", SHOP + f'terms = "{MNEMONIC}"\n',
         f"shop.terms: this looks like a 12-word recovery phrase (BIP39 mnemonic). {WATCH_ONLY} "
         "If this phrase controls real funds, treat it as exposed and move them."),
    case("private-key-name", SHOP + BTC + 'private_key = "anything"\n',
         f"payments.methods[0].private_key: {NOT_ALLOWED} {WATCH_ONLY}"),
    case("seed-name", SHOP + '[security]\nseed = "anything"\n',
         f"security.seed: {NOT_ALLOWED} {WATCH_ONLY}"),
    case("token-in-file", SHOP + f'[telegram]\ntoken = "{TG_TOKEN}"\n',
         "telegram.token: this looks like a Telegram bot token. Tokens and keys never go in the file: "
         "remove it and set the environment variable named by [telegram] token_env "
         "(TELEGRAM_BOT_TOKEN) instead."),
    case("env-xpub-holds-xprv", SHOP + BTC,
         "payments.methods[0].xpub_env: the environment variable BTC_XPUB holds what looks like an "
         f"extended private key (xprv…). {WATCH_ONLY}",
         env={"BTC_XPUB": XPRV}),
    case("env-xpub-not-xpub", SHOP + BTC,
         "payments.methods[0].xpub_env: the environment variable BTC_XPUB should hold an extended "
         "public key starting with xpub, ypub, zpub, tpub, upub, vpub, Ltub or Mtub, got bc1q… "
         "(42 characters)",
         env={"BTC_XPUB": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"}),
    case("env-xpub-checksum", SHOP + BTC,
         "payments.methods[0].xpub_env: the environment variable BTC_XPUB holds an extended public "
         "key (xpub…) whose checksum does not match — was it copied completely?",
         env={"BTC_XPUB": XPUB[:-1] + "9"}),
]


@pytest.mark.parametrize(("text", "environ", "expected"), BROKEN)
def test_each_mistake_gets_one_clear_line(text: str, environ: dict[str, str], expected: list[str]) -> None:
    assert problems_of(text, environ) == expected


def test_every_problem_in_a_file_is_reported_at_once() -> None:
    text = f"""
[shop]
nmae = "Sakura"
currency = "yen"
terms = "{XPRV}"

[telegram]
mode = "hook"
webhook_port = 0

[rates.fixed]
ETH = 0.1

[[payments.methods]]
id = "BTC"
chain = "bitcoin"
url = "https://mempool.space/api"
xpub_env = "BTC_XPUB"

[[payments.methods]]
id = "eth"
chain = "evm"
chain_id = 1
rpc_url = "https://rpc.example"
asset = "ETH"
decimals = 99
"""
    problems = problems_of(text)

    assert problems == [
        f"shop.terms: this looks like an extended private key (xprv…). {WATCH_ONLY}",
        "shop.name: required, but missing",
        'shop.currency: expected a three-letter ISO 4217 code such as "JPY", got "yen"',
        'shop.nmae: unknown key (did you mean "name"?)',
        'telegram.mode: expected one of "polling", "webhook", got "hook"',
        "telegram.webhook_port: expected an integer 1–65535, got 0",
        'rates.fixed.ETH: expected a decimal number in quotes like "15000000", got 0.1',
        "payments.methods[0].id: "
        'expected a short id of lowercase letters, digits and "-" such as "usdt-eth", got "BTC"',
        "payments.methods[1].decimals: expected an integer 0–36, got 99",
    ]


SECRET_PLACES: Final = {
    "shop.terms": SHOP + 'terms = "{secret}"\n',
    "telegram.token_env": SHOP + '[telegram]\ntoken_env = "{secret}"\n',
    "payments.methods[0].xpub_env": SHOP + BTC.replace('"BTC_XPUB"', '"{secret}"'),
}


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("key", SECRET_PLACES)
def test_secret_values_never_appear_in_messages(secret: str, key: str) -> None:
    message = "\n".join(problems_of(SECRET_PLACES[key].replace("{secret}", secret)))

    assert message.startswith(key + ": ")
    assert secret not in message
    assert secret[6:20] not in message


@pytest.mark.parametrize("secret", SECRETS)
def test_secret_in_the_xpub_environment_variable_is_never_echoed(secret: str) -> None:
    message = "\n".join(problems_of(SHOP + BTC, {"BTC_XPUB": secret}))

    assert "payments.methods[0].xpub_env: the environment variable BTC_XPUB" in message
    assert secret[6:20] not in message


def test_messages_do_not_leak_pydantic_wording() -> None:
    message = "\n".join(problems_of(SHOP + '[discord]\nguild_ids = "1"\nenabled = 1\n[rates]\nfixed = 3\n'))

    assert message.splitlines() == [
        'discord.enabled: expected true or false, got 1',
        'discord.guild_ids: expected a list in square brackets, got "1"',
        "rates.fixed: expected a table (a [section] or { key = value }), got 3",
    ]
    assert "Input should" not in message and "pydantic" not in message


def test_settings_type_is_the_loaded_tree() -> None:
    assert isinstance(parse_settings(SHOP, BASE, {}), Settings)
