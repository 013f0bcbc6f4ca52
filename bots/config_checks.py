"""The parts of ``bots.config`` that look at single values rather than at the settings tree.

* Refusing secrets: chatshop only watches the chain, so a private key or seed in ``bot.toml`` (or in
  the environment variable that should hold an extended *public* key) is a mistake stopped at load
  time. Messages name the key path and never repeat the secret: at most its first four characters.
* Field checks that raise our own "expected …, got …" text instead of pydantic's.
* The wording of every pydantic and tomllib error as one ``key.path: …`` line.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Final, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator
from pydantic_core import ErrorDetails, PydanticCustomError

from commerce.errors import InvalidAmount
from commerce.money import Money
from payments.uri import checksum_address

Loc = tuple[str | int, ...]

_B58: Final = "1-9A-HJ-NP-Za-km-z"
_EXTENDED_PRIVATE: Final = re.compile(rf"(?<![{_B58}])(?:[xyztuv]prv|Ltpv|Mtpv)[{_B58}]{{20,}}")
_EXTENDED_PUBLIC: Final = re.compile(rf"(?:[xyztuv]pub|Ltub|Mtub)[{_B58}]{{100,}}")
_HEX_KEY: Final = re.compile(r"(?<![0-9A-Za-z])(?:0x)?[0-9a-fA-F]{64}(?![0-9A-Za-z])")
_WIF: Final = re.compile(rf"(?<![{_B58}])[5KLc][{_B58}]{{50,51}}(?![{_B58}])")
_TELEGRAM_TOKEN: Final = re.compile(r"(?<!\w)\d+:[A-Za-z0-9_-]{30,}")
_DISCORD_TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}")
_MNEMONIC_LENGTHS: Final = frozenset({12, 15, 18, 21, 24})
_ENV_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# 20+ letters and digits with capitals, small letters and digits all in, no "_": a key, not a variable's name.
_RANDOM_LOOKING: Final = re.compile(r"(?=.*[A-Z])(?=.*[a-z])(?=.*[0-9])[A-Za-z0-9]{20,}")
_HEX_RUN: Final = re.compile(r"[0-9a-fA-F]{32,}")
_SECRET_KEY_NAMES: Final = frozenset(
    {"private_key", "privatekey", "privkey", "priv_key", "secret_key", "secretkey",
     "seed", "seed_phrase", "mnemonic", "xprv", "wif"}
)
_PUBLIC_PREFIXES: Final = "xpub, ypub, zpub, tpub, upub, vpub, Ltub or Mtub"
_URL_PASSWORD: Final = re.compile(r"(://[^:/@\s]*:)[^@/\s]+@")

WATCH_ONLY: Final = (
    "chatshop is watch-only: give the account's extended PUBLIC key (xpub/zpub/tpub) in the "
    "environment variable named by xpub_env, never a private key or seed."
)
_WATCH_ONLY_EVM: Final = (
    "chatshop is watch-only: give a receive_address, or the account's extended PUBLIC key "
    "(xpub/zpub/tpub) in the environment variable named by xpub_env, never a private key."
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One refused value: where it is and why (the message never contains the value)."""

    loc: Loc
    message: str


def format_path(loc: Sequence[str | int]) -> str:
    """``("payments", "methods", 0, "id")`` -> ``payments.methods[0].id``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        name = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else '"' + part.replace('"', '\\"') + '"'
        text += f".{name}" if text else name
    return text


def peek(secret: str) -> str:
    """The first four characters and an ellipsis: enough to recognise, useless to steal."""
    return secret[:4] + "…"


@cache
def _bip39_words() -> frozenset[str]:
    # bip_utils (no type information; ~0.2 s and ~10 MB to import) only when a key is being checked.
    from bip_utils import Bip39Languages  # type: ignore[import-untyped]
    from bip_utils.bip.bip39.bip39_mnemonic_utils import Bip39WordsListGetter  # type: ignore[import-untyped]

    words = Bip39WordsListGetter.Instance().GetByLanguage(Bip39Languages.ENGLISH)
    return frozenset(words.GetWordAtIdx(i) for i in range(words.Length()))


def _looks_like_mnemonic(text: str) -> int:
    """The word count if ``text`` is a BIP39 phrase (≥ 90 % wordlist words), else 0."""
    words = re.split(r"[\s,]+", text.strip().lower())
    if len(words) not in _MNEMONIC_LENGTHS:
        return 0
    known = sum(word in _bip39_words() for word in words)
    return len(words) if known >= 0.9 * len(words) else 0


def describe_private_key(text: str) -> tuple[str, str] | None:
    """``(what it looks like, what to do instead)`` when ``text`` contains private key material."""
    if match := _EXTENDED_PRIVATE.search(text):
        return f"an extended private key ({peek(match.group())})", WATCH_ONLY
    if match := _HEX_KEY.search(text):
        return f"a raw private key (64 hex digits, {peek(match.group())})", _WATCH_ONLY_EVM
    if match := _WIF.search(text):
        return f"a WIF private key ({peek(match.group())})", WATCH_ONLY
    if words := _looks_like_mnemonic(text):
        return (
            f"a {words}-word recovery phrase (BIP39 mnemonic)",
            WATCH_ONLY + " If this phrase controls real funds, treat it as exposed and move them.",
        )
    return None


def env_name_ok(value: object) -> bool:
    """A name for an environment variable, and not a token or key that was pasted where its name belongs."""
    return isinstance(value, str) and _ENV_NAME.fullmatch(value) is not None \
        and _RANDOM_LOOKING.fullmatch(value) is None and _HEX_RUN.search(value) is None


def token_platform(text: str) -> str | None:
    """"Telegram" or "Discord" when `text` holds what looks like that platform's bot token."""
    if _TELEGRAM_TOKEN.search(text):
        return "Telegram"
    return "Discord" if _DISCORD_TOKEN.search(text) else None


def _token_env(data: Mapping[str, object], platform: str, default: str) -> str:
    section = data.get(platform)
    name = section.get("token_env") if isinstance(section, dict) else None
    return name if isinstance(name, str) and env_name_ok(name) else default


def _describe_token(data: Mapping[str, object], text: str) -> str | None:
    platform = token_platform(text)
    if platform is None:
        return None
    default = "TELEGRAM_BOT_TOKEN" if platform == "Telegram" else "DISCORD_BOT_TOKEN"
    env = _token_env(data, platform.lower(), default)
    return (
        f"this looks like a {platform} bot token. Tokens and keys never go in the file: remove it "
        f"and set the environment variable named by [{platform.lower()}] token_env ({env}) instead."
    )


def _walk(value: object, loc: Loc) -> Iterator[tuple[Loc, object]]:
    yield loc, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*loc, index))


def find_secrets(data: Mapping[str, object]) -> list[Finding]:
    """Every key named like a private key and every string value holding key material or a token."""
    findings: list[Finding] = []
    skip: set[Loc] = set()
    for loc, value in _walk(dict(data), ()):
        if any(loc[: len(done)] == done for done in skip):
            continue
        name = loc[-1] if loc else None
        if isinstance(name, str) and name.lower().replace("-", "_") in _SECRET_KEY_NAMES:
            findings.append(Finding(loc, (
                "chatshop never takes private keys, seeds or mnemonics, so this key is not allowed. "
                "Remove it. " + WATCH_ONLY
            )))
            skip.add(loc)
        elif isinstance(value, str) and not (isinstance(name, str) and name.endswith("_env")):  # see config_env
            if token := _describe_token(data, value):
                findings.append(Finding(loc, token))
            elif found := describe_private_key(value):
                what, advice = found
                findings.append(Finding(loc, f"this looks like {what}. {advice}"))
    return findings


def check_xpub_envs(data: Mapping[str, object], environ: Mapping[str, str]) -> list[Finding]:
    """The environment variables named by ``xpub_env`` must hold extended PUBLIC keys."""
    findings: list[Finding] = []
    payments = data.get("payments")
    methods = payments.get("methods") if isinstance(payments, dict) else None
    if not isinstance(methods, list):
        return findings
    for index, method in enumerate(methods):
        env = method.get("xpub_env") if isinstance(method, dict) else None
        value = environ.get(env, "").strip() if isinstance(env, str) else ""
        if not isinstance(env, str) or not env_name_ok(env) or not value:
            continue
        loc: Loc = ("payments", "methods", index, "xpub_env")
        if found := describe_private_key(value):
            what, advice = found
            message = f"the environment variable {env} holds what looks like {what}. {advice}"
            findings.append(Finding(loc, message))
        elif not _EXTENDED_PUBLIC.fullmatch(value):
            findings.append(Finding(loc, (
                f"the environment variable {env} should hold an extended public key starting with "
                f"{_PUBLIC_PREFIXES}, got {peek(value)} ({len(value)} characters)"
            )))
        elif not _checksum_ok(value):
            findings.append(Finding(loc, (
                f"the environment variable {env} holds an extended public key ({peek(value)}) whose "
                "checksum does not match — was it copied completely?"
            )))
    return findings


def _checksum_ok(extended_key: str) -> bool:
    from bip_utils import Base58ChecksumError, Base58Decoder

    try:
        Base58Decoder.CheckDecode(extended_key)
    except (Base58ChecksumError, ValueError):
        return False
    return True


# Field checks: each raises our own error text, so messages read "expected …, got …".


def show(value: object) -> str:
    """A value as the seller would have typed it in TOML, with URL passwords hidden."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = _URL_PASSWORD.sub(r"\1***@", value)
        return json.dumps(text if len(text) <= 60 else text[:59] + "…", ensure_ascii=False)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return str(value)


def problem(message: str, key: str = "") -> PydanticCustomError:
    """A validation error whose text is ours; ``key`` names the field when raised by a model check."""
    return PydanticCustomError("chatshop", "{message}", {"message": message, "key": key})


def integer_between(low: int, high: int | None = None) -> BeforeValidator:
    expected = f"an integer {low}–{high}" if high is not None else f"an integer of at least {low}"

    def check(value: object) -> int:
        out_of_range = isinstance(value, int) and (value < low or (high is not None and value > high))
        if isinstance(value, bool) or not isinstance(value, int) or out_of_range:
            raise problem(f"expected {expected}, got {show(value)}")
        return value

    return BeforeValidator(check)


def matching(pattern: str, expected: str, extra: Callable[[str], bool] = lambda _: True) -> BeforeValidator:
    compiled = re.compile(pattern)

    def check(value: object) -> str:
        if not isinstance(value, str) or not compiled.fullmatch(value) or not extra(value):
            raise problem(f"expected {expected}, got {show(value)}")
        return value

    return BeforeValidator(check)


def exact_decimal(example: str, low: Decimal, high: Decimal | None, expected_range: str) -> BeforeValidator:
    """Money and percentages are exact: TOML floats are refused, quoted decimals are parsed."""

    def check(value: object) -> Decimal:
        number: Decimal | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = Decimal(value)
        elif isinstance(value, str):
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                number = None
        if number is None or not number.is_finite():
            raise problem(f'expected a decimal number in quotes like "{example}", got {show(value)}')
        if number < low or (high is not None and number > high) or (high is None and number == low):
            raise problem(f"expected {expected_range}, got {show(value)}")
        return number

    return BeforeValidator(check)


def url_with(*schemes: str, allow_empty: bool) -> BeforeValidator:
    names = " or ".join(f"{scheme}://" for scheme in schemes)
    expected = f"an {names} URL" + (' (or "" for none)' if allow_empty else "")

    def check(value: object) -> str:
        if isinstance(value, str) and (value == "" and allow_empty or _is_url(value, schemes)):
            return value
        raise problem(f"expected {expected}, got {show(value)}")

    return BeforeValidator(check)


def _is_url(value: str, schemes: tuple[str, ...]) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in schemes and bool(parts.hostname)


def eip55_ok(address: str) -> bool:
    """Mixed-case addresses carry an EIP-55 checksum; all-lower/upper ones do not."""
    try:
        checksum_address(address)
    except ValueError:
        return False
    return True


def always_eight(value: object) -> int:
    if isinstance(value, bool) or value != 8 or not isinstance(value, int):
        raise problem(f"expected 8 (bitcoin-family amounts always have 8 decimals), got {show(value)}")
    return value


# Wording: pydantic's errors and tomllib's, as one "key.path: expected …, got …" line each.


def syntax_problem(source_name: str, exc: tomllib.TOMLDecodeError) -> str:
    message = str(exc)
    if match := re.fullmatch(r"(?s)(.*) \(at line (\d+), column (\d+)\)", message):
        reason, line, column = match.groups()
        return f"{source_name} line {line}, column {column}: {reason}"
    if message.endswith(" (at end of document)"):
        return f"{source_name} at the end of the file: {message.removesuffix(' (at end of document)')}"
    return f"{source_name}: {message}"


def _quoted_choices(pydantic_list: str) -> str:
    """Pydantic's ``'a', 'b' or 'c'`` as ``"a", "b", "c"``."""
    return ", ".join(json.dumps(choice) for choice in re.findall(r"'([^']*)'", pydantic_list))


def describe_error(
    error: ErrorDetails, root: type[BaseModel], tags: Mapping[str, type[BaseModel]]
) -> tuple[Loc, str]:
    """One pydantic error as ``(key path, "key.path: expected …, got …")``.

    ``tags`` are the discriminated-union tags pydantic puts in error paths, mapped to their models.
    """
    raw_loc = tuple(error["loc"])
    loc: Loc = tuple(
        part for i, part in enumerate(raw_loc)
        if part != "[key]" and not (part in tags and i and isinstance(raw_loc[i - 1], int))
    )
    kind, ctx, value = error["type"], error.get("ctx") or {}, error["input"]
    got = f", got {show(value)}"
    if kind == "chatshop":
        loc = (*loc, ctx["key"]) if ctx["key"] else loc
        message = ctx["message"]
    elif kind == "missing":
        message = "required, but missing"
    elif kind == "extra_forbidden":
        message = "unknown key" + _hint(str(raw_loc[-1]), _known_keys(root, tags, raw_loc[:-1]))
    elif kind == "literal_error":
        message = f"expected one of {_quoted_choices(ctx['expected'])}{got}"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        loc = (*loc, "chain")
        choices = _quoted_choices(ctx.get("expected_tags", "'bitcoin', 'evm'"))
        message = "required, but missing"
        if "tag" in ctx:
            message = f"expected one of {choices}, got {show(ctx['tag'])}"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        message = f"expected a table (a [section] or {{ key = value }}){got}"
    elif kind == "list_type":
        message = f"expected a list in square brackets{got}"
    elif kind == "string_type":
        message = f"expected text in quotes{got}"
    elif kind in ("bool_type", "bool_parsing"):
        message = f"expected true or false{got}"
    else:  # not produced by the fields above; kept readable in case a new field forgets its check
        message = f"{error['msg'].removeprefix('Value error, ')}{got}"
    return loc, f"{format_path(loc)}: {message}"


def _known_keys(
    root: type[BaseModel], tags: Mapping[str, type[BaseModel]], parent: Sequence[str | int]
) -> list[str]:
    model: type[BaseModel] | None = root
    for part in parent:
        if isinstance(part, int):
            continue
        if part in tags:
            model = tags[part]
            continue
        if model is None or part not in model.model_fields:
            return []
        annotation = model.model_fields[part].annotation
        if get_origin(annotation) is list:
            annotation = get_args(annotation)[0]
        model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return list(model.model_fields) if model is not None else []


def _hint(key: str, known: list[str]) -> str:
    if close := difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.6):
        return f' (did you mean "{close[0]}"?)'
    return f" (keys here: {', '.join(known)})" if known else ""


def minor_units(amount: Decimal, currency: str, key: str, problems: list[str]) -> int:
    """`amount` (a checked decimal) in minor units of `currency`; a problem line naming `key` when it has more
    decimals than the currency (a fee of "0.5" in yen), and 0 in its place."""
    try:
        return Money.parse(amount, currency).minor
    except InvalidAmount:
        problems.append(f"{key}: {show(str(amount))} has more decimals than {currency} has")
        return 0
