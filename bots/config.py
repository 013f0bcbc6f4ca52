"""``bot.toml``: one typed, frozen settings tree, loaded once at start.

Secrets never live in the file; it names the environment variables that hold them, and
:meth:`Settings.secret` reads them from the environment given to the loader. Every problem in a
file is reported at once, one line each, naming the key, the value and what was expected.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bots.config_checks import (
    always_eight,
    check_xpub_envs,
    describe_error,
    eip55_ok,
    exact_decimal,
    find_secrets,
    format_path,
    integer_between,
    matching,
    problem,
    show,
    syntax_problem,
    url_with,
)
from bots.config_env import check_env_names, nesting_problem
from bots.config_legal import LegalSection
from bots.config_pricing import ShippingSection, TaxSection, build_pricing, pricing_problems
from bots.config_referrals import ReferralsSection, referral_problems
from commerce.bill import Pricing

__all__ = [
    "BitcoinMethod",
    "ConfigError",
    "EvmMethod",
    "PaymentMethod",
    "Settings",
    "load_settings",
    "parse_settings",
]

_SQLITE: Final = "sqlite+aiosqlite://"
_POSTGRES: Final = "postgresql+asyncpg://"


class ConfigError(Exception):
    """``bot.toml`` cannot be used; ``problems`` holds one readable line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


EnvName = Annotated[
    str, matching(r"[A-Za-z_][A-Za-z0-9_]*", 'an environment variable name such as "CHATSHOP_BTC_XPUB"')
]
_SLUG_EXPECTED: Final = 'a short id of lowercase letters, digits and "-" such as "usdt-eth"'
Slug = Annotated[str, matching(r"[a-z0-9][a-z0-9-]{0,31}", _SLUG_EXPECTED)]
AssetSymbol = Annotated[
    str, matching(r"[A-Z0-9]{1,12}", 'an asset symbol in capitals such as "BTC" or "USDT"')
]
EvmAddress = Annotated[
    str,
    matching(r"0x[0-9a-fA-F]{40}", "an address of 0x and 40 hex digits with a valid checksum", eip55_ok),
]
Owner = Annotated[
    str,
    matching(r"(telegram|discord):[0-9]+", 'a seller such as "telegram:123456789" or "discord:<user id>"'),
]
HttpUrl = Annotated[str, url_with("http", "https", allow_empty=False)]
Tolerance = Annotated[Decimal, exact_decimal("0.5", Decimal(0), Decimal(10), "a percentage 0–10")]
Price = Annotated[Decimal, exact_decimal("15000000", Decimal(0), None, "a price above 0")]


def _is_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


def _base_dir(info: ValidationInfo) -> Path:
    context = info.context if isinstance(info.context, dict) else {}
    return Path(context.get("base_dir") or Path.cwd())


class ShopSection(_Section):
    name: Annotated[str, matching(r"(?s).{1,64}", "a shop name of 1–64 characters")]
    currency: Annotated[str, matching(r"[A-Z]{3}", 'a three-letter ISO 4217 code such as "JPY"')] = "JPY"
    default_locale: Literal["ja", "en"] = "ja"
    payment_window_minutes: Annotated[int, integer_between(5, 1440)] = 30
    late_payment_window_hours: Annotated[int, integer_between(0, 720)] = 24
    terms: str = ""
    paysupport: str = ""
    # The shop's calendar: where "today" starts in the sales summary.
    timezone: Annotated[str, matching(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*",
                                      'an IANA time zone such as "Asia/Tokyo"', _is_time_zone)] = "Asia/Tokyo"


class DatabaseSection(_Section):
    url: str = Field(default="sqlite+aiosqlite:///data/shop.db", validate_default=True)

    @field_validator("url")
    @classmethod
    def _absolute_sqlite_path(cls, url: str, info: ValidationInfo) -> str:
        """A relative SQLite path means "next to bot.toml", not "wherever the bot was started"."""
        if url.startswith(_POSTGRES) and len(url) > len(_POSTGRES):
            return url
        if not url.startswith(_SQLITE):
            raise problem(f'expected a URL starting with "{_SQLITE}/" or "{_POSTGRES}", got {show(url)}')
        path, _, query = url.removeprefix(_SQLITE).partition("?")
        if path and not path.startswith("/"):
            raise problem(f'expected "{_SQLITE}/" and a file path (three slashes), got {show(url)}')
        path = path.removeprefix("/")
        if path in ("", ":memory:") or path.startswith("/"):
            return url
        absolute = os.path.abspath(_base_dir(info) / path)
        return f"{_SQLITE}/{absolute}" + (f"?{query}" if query else "")


class MediaSection(_Section):
    dir: Path = Field(default=Path("data/media"), validate_default=True)

    @field_validator("dir", mode="before")
    @classmethod
    def _absolute_dir(cls, value: object, info: ValidationInfo) -> Path:
        if not isinstance(value, str | Path) or not str(value):
            raise problem(f'expected a folder path in quotes such as "data/media", got {show(value)}')
        return Path(os.path.abspath(_base_dir(info) / value))


class SecuritySection(_Section):
    data_key_env: EnvName = "CHATSHOP_DATA_KEY"
    # Used when the variable is unset; `chatshop run` makes it on first start (bots/data_key.py).
    data_key_file: Path = Field(default=Path("chatshop-data.key"), validate_default=True)

    @field_validator("data_key_file", mode="before")
    @classmethod
    def _absolute_file(cls, value: object, info: ValidationInfo) -> Path:
        if not isinstance(value, str | Path) or not str(value):
            raise problem(f'expected a file path in quotes such as "chatshop-data.key", got {show(value)}')
        return Path(os.path.abspath(_base_dir(info) / value))


class TelegramSection(_Section):
    enabled: bool = True
    token_env: EnvName = "TELEGRAM_BOT_TOKEN"
    api_url: Annotated[str, url_with("http", "https", allow_empty=True)] = ""
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: Annotated[str, url_with("https", allow_empty=True)] = ""
    webhook_secret_env: EnvName = "TELEGRAM_WEBHOOK_SECRET"
    webhook_host: str = "127.0.0.1"
    webhook_port: Annotated[int, integer_between(1, 65535)] = 8080

    @model_validator(mode="after")
    def _webhook_needsurl_with(self) -> Self:
        if self.mode == "webhook" and not self.webhook_url:
            raise problem(
                'required when mode = "webhook": the public https:// address Telegram sends updates to',
                key="webhook_url",
            )
        return self


class DiscordSection(_Section):
    enabled: bool = False
    token_env: EnvName = "DISCORD_BOT_TOKEN"
    guild_ids: list[Annotated[int, integer_between(1)]] = []
    seller_role: str = ""


class SellersSection(_Section):
    owners: list[Owner] = []


class RatesSection(_Section):
    source: Literal["coingecko", "kraken", "fixed"] = "coingecko"
    fixed: dict[AssetSymbol, Price] = {}
    cache_seconds: Annotated[int, integer_between(1, 3600)] = 60
    timeout_seconds: Annotated[int, integer_between(1, 60)] = 10
    # A fetched rate more than this many times above or below the last good one is refused (payments/rate_checks.py).
    max_jump: Annotated[Decimal, exact_decimal("3", Decimal("1.1"), Decimal(1000), "a factor from 1.1 to 1000")] = (
        Decimal(3))


def _exactly_one(first: str, first_value: object, second: str, second_value: object) -> None:
    if (first_value is None) == (second_value is None):
        got = "neither" if first_value is None else "both"
        raise problem(f"expected exactly one of {first} or {second}, got {got}")


class BitcoinMethod(_Section):
    """A Bitcoin-family chain watched through Esplora or bitcoind, paid to addresses from an xpub."""

    id: Slug
    chain: Literal["bitcoin"]
    network: Literal["mainnet", "testnet", "regtest", "litecoin", "litecoin-testnet", "litecoin-regtest"] = (
        "mainnet"
    )
    asset: AssetSymbol
    xpub_env: EnvName
    backend: Literal["esplora", "bitcoind"] = "esplora"
    url: HttpUrl | None = None
    url_env: EnvName | None = None
    confirmations: Annotated[int, integer_between(0, 100)] = 1
    underpaid_tolerance_percent: Tolerance = Decimal(0)
    decimals: Annotated[int, BeforeValidator(always_eight)] = 8

    @model_validator(mode="before")
    @classmethod
    def _default_asset(cls, data: Any) -> Any:
        if isinstance(data, dict) and "asset" not in data:
            network = data.get("network", "mainnet")
            litecoin = isinstance(network, str) and network.startswith("litecoin")
            return {**data, "asset": "LTC" if litecoin else "BTC"}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _exactly_one("url", self.url, "url_env", self.url_env)
        expected = "LTC" if self.network.startswith("litecoin") else "BTC"
        if self.asset != expected:
            got = show(self.asset)
            raise problem(f'expected "{expected}" on network "{self.network}", got {got}', key="asset")
        return self


class EvmMethod(_Section):
    """An EVM chain: the native coin, or an ERC-20 token when ``token`` is set."""

    id: Slug
    chain: Literal["evm"]
    chain_id: Annotated[int, integer_between(1)]
    rpc_url: HttpUrl | None = None
    rpc_url_env: EnvName | None = None
    asset: AssetSymbol
    token: EvmAddress | None = None
    decimals: Annotated[int, integer_between(0, 36)]
    receive_address: EvmAddress | None = None
    xpub_env: EnvName | None = None
    confirmations: Annotated[int, integer_between(0, 1000)] = 12
    underpaid_tolerance_percent: Tolerance = Decimal(0)

    @model_validator(mode="before")
    @classmethod
    def _native_decimals(cls, data: Any) -> Any:
        """Native coins have 18 decimals; a token's must be stated, guessing would misprice it."""
        if isinstance(data, dict) and "decimals" not in data and data.get("token") is None:
            return {**data, "decimals": 18}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _exactly_one("rpc_url", self.rpc_url, "rpc_url_env", self.rpc_url_env)
        if self.receive_address is None and self.xpub_env is None:
            message = "required, but missing (or name an extended public key with xpub_env)"
            raise problem(message, key="receive_address")
        _exactly_one("receive_address", self.receive_address, "xpub_env", self.xpub_env)
        return self


PaymentMethod = Annotated[BitcoinMethod | EvmMethod, Field(discriminator="chain")]
_METHOD_MODELS: Final[dict[str, type[BaseModel]]] = {"bitcoin": BitcoinMethod, "evm": EvmMethod}


class PaymentsSection(_Section):
    methods: list[PaymentMethod] = []
    watch_interval_seconds: Annotated[int, integer_between(1, 300)] = 5


def _section() -> Any:
    """A section may be left out; it is then validated from ``{}`` so its defaults are resolved too."""
    return Field(default_factory=dict, validate_default=True)


class Settings(_Section):
    shop: ShopSection = _section()
    database: DatabaseSection = _section()
    media: MediaSection = _section()
    security: SecuritySection = _section()
    telegram: TelegramSection = _section()
    discord: DiscordSection = _section()
    sellers: SellersSection = _section()
    rates: RatesSection = _section()
    payments: PaymentsSection = _section()
    tax: TaxSection = _section()
    shipping: ShippingSection = _section()
    legal: LegalSection = _section()
    referrals: ReferralsSection = _section()

    _environ: dict[str, str] = PrivateAttr(default_factory=dict)

    def secret(self, env_name: str) -> SecretStr | None:
        """The secret in environment variable ``env_name``, or ``None`` when it is unset or empty."""
        value = self._environ.get(env_name, "").strip()
        return SecretStr(value) if value else None

    def telegram_token(self) -> SecretStr | None:
        return self.secret(self.telegram.token_env)

    def discord_token(self) -> SecretStr | None:
        return self.secret(self.discord.token_env)

    def data_key(self) -> SecretStr | None:
        return self.secret(self.security.data_key_env)

    def pricing(self) -> Pricing:
        """How orders are billed: [tax] and [shipping] in the shop's currency (docs/bills.md)."""
        return build_pricing(self.tax, self.shipping, self.shop.currency)


def load_settings(path: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate ``path``; relative paths inside it are taken from the file's folder."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f'{path}: no such file — run "chatshop init" to create one']) from None
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: not UTF-8 text"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot be read ({exc.strerror or exc})"]) from None
    env = os.environ if environ is None else environ
    return parse_settings(text, path.resolve().parent, env, source_name=path.name)


def parse_settings(
    text: str, base_dir: Path, environ: Mapping[str, str], *, source_name: str = "bot.toml"
) -> Settings:
    """Validate ``bot.toml`` text; raise :class:`ConfigError` listing every problem found."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([syntax_problem(source_name, exc)]) from None
    except RecursionError:  # tomllib reads nested [ ] and { } recursively
        raise ConfigError([f"{source_name}: lists or tables nested too deeply to read; bot.toml needs at most 4 "
                           "levels (such as payments.methods[0].id)"]) from None
    if nested := nesting_problem(data, source_name):
        raise ConfigError([nested])
    findings = check_env_names(data) + find_secrets(data) + check_xpub_envs(data, environ)
    problems = [f"{format_path(finding.loc)}: {finding.message}" for finding in findings]
    refused = [finding.loc for finding in findings]
    try:
        settings = Settings.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc, line = describe_error(error, Settings, _METHOD_MODELS)
            if not any(loc[: len(secret)] == secret for secret in refused):
                problems.append(line)
        raise ConfigError(problems + _duplicate_ids(data)) from None
    problems += (_duplicate_ids(data) + _missing_fixed_rates(settings)
                 + pricing_problems(settings.tax, settings.shipping, settings.shop.currency)
                 + referral_problems(settings.referrals, settings.shop.currency))
    if problems:
        raise ConfigError(problems)
    settings._environ = dict(environ)
    return settings


def _duplicate_ids(data: Mapping[str, Any]) -> list[str]:
    payments = data.get("payments")
    methods = payments.get("methods") if isinstance(payments, dict) else None
    first_use: dict[str, int] = {}
    problems: list[str] = []
    for index, method in enumerate(methods if isinstance(methods, list) else []):
        method_id = method.get("id") if isinstance(method, dict) else None
        if not isinstance(method_id, str):
            continue
        if method_id in first_use:
            problems.append(
                f"payments.methods[{index}].id: {show(method_id)} is already used by "
                f"payments.methods[{first_use[method_id]}]"
            )
        else:
            first_use[method_id] = index
    return problems


def _missing_fixed_rates(settings: Settings) -> list[str]:
    if settings.rates.source != "fixed":
        return []
    problems: list[str] = []
    reported: set[str] = set()
    for index, method in enumerate(settings.payments.methods):
        if method.asset not in settings.rates.fixed and method.asset not in reported:
            reported.add(method.asset)
            problems.append(
                f'rates.fixed: no rate for "{method.asset}", which payments.methods[{index}] uses '
                '(with source = "fixed" every payment method\'s asset needs a rate)'
            )
    return problems
