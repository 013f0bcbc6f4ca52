"""One message catalog for every front-end: gettext `.po` files whose msgid is a dotted key.

Translate first, then `.format()` the fields in (so translators can move the fields). Templates may hold markup (the
Telegram payment caption has <b>/<code>); escaping the values is the caller's job, never ours.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton
from babel.messages.pofile import read_po
from babel.numbers import format_currency

from commerce.errors import CommerceError
from commerce.money import Money
from commerce.status import OrderStatus

LOCALES_DIR: Final = Path(__file__).resolve().parents[1] / "locales"
SUPPORTED: Final = ("ja", "en")
DOMAIN: Final = "chatshop"

# Field values that name something the buyer should read in their own language: `field="postal_code"`
# is shown as "postal code" / 「郵便番号」 when `field.postal_code` exists, else as `field.other`.
_LABELLED: Final = ("field", "entity", "status")

_KEY: Final = r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+"
# `tr.text(locale, "key"`, `.text(loc, "key"`, `t("key"`, `_t("key"`; the first argument of `.text(`
# may itself hold one level of brackets (`.text(user.locale(), "key"`).
_KEY_IN_CALL: Final = re.compile(
    rf"""(?:\.text\(\s*(?:[^,()"']|\([^()]*\))+,\s*|\b_?t\(\s*)["']({_KEY})["']"""
)


class _Lenient(dict[str, Any]):
    """Format fields where a missing one reads as an ellipsis instead of raising."""

    def __missing__(self, key: str) -> str:
        return "…"


@lru_cache(maxsize=8192)
def _format_currency(amount: Decimal, currency: str, locale: str) -> str:
    """Babel's formatting costs ~0.2 ms; a shop shows the same few hundred prices over and over."""
    return format_currency(amount, currency, locale=locale)


def catalog_files(locale: str, directory: Path = LOCALES_DIR) -> list[Path]:
    return sorted((directory / locale / "LC_MESSAGES").glob("*.po"))


@dataclass(frozen=True, slots=True)
class Translator:
    catalogs: Mapping[str, Mapping[str, str]]
    default: str = "ja"

    @classmethod
    def load(cls, default: str = "ja", directory: Path = LOCALES_DIR) -> Translator:
        """Read every supported catalog once. Fuzzy and empty entries are skipped, as gettext does.

        A locale's messages may be split over several .po files (one per feature: chatshop.po, checkout.po…);
        they are merged, and a key defined in two files is an error.
        """
        if default not in SUPPORTED:
            raise ValueError(f"default locale must be one of {', '.join(SUPPORTED)}, got {default!r}")
        catalogs: dict[str, dict[str, str]] = {}
        for locale in SUPPORTED:
            merged: dict[str, str] = {}
            for path in catalog_files(locale, directory):
                with path.open("rb") as po:
                    catalog = read_po(po, locale=locale, domain=DOMAIN)
                for message in catalog:
                    if message.id and message.string and not message.fuzzy:
                        if str(message.id) in merged:
                            raise ValueError(f"{path}: {message.id} is already defined in another catalog file")
                        merged[str(message.id)] = str(message.string)
            catalogs[locale] = merged
        return cls(catalogs, default)

    def text(self, locale: str, key: str, **fields: Any) -> str:
        """`key` in `locale` (unknown locale, or a key it lacks → the default locale; neither → KeyError),
        translated first, then `.format(**fields)`."""
        return self._template(locale, key).format(**fields)

    def error(self, locale: str, exc: CommerceError) -> str:
        """The buyer-facing words for a core error: `error.<code>.<reason>`, `error.<code>.<field>`, then
        `error.<code>`. Field, entity and status values are shown by their label; a missing field
        is tolerated."""
        fields = _Lenient(exc.fields)
        candidates = [f"error.{exc.code}.{fields[name]}" for name in ("reason", "field") if name in fields]
        key = next((k for k in candidates if self._find(locale, k) is not None), f"error.{exc.code}")
        for name in _LABELLED:
            if name in fields:
                fields[name] = self._label(locale, name, fields[name])
        for name, value in fields.items():
            if isinstance(value, Money):
                fields[name] = self.money(locale, value)
        return self._template(locale, key).format_map(fields)

    def money(self, locale: str, money: Money) -> str:
        """A fiat amount the way the locale writes it: ja "￥1,200", en "¥1,200" / "$12.50"."""
        return _format_currency(money.amount, money.currency, self._locale(locale))

    def datetime(self, locale: str, when: dt.datetime, tz: str = "Asia/Tokyo") -> str:
        """Month, day and 24-hour time in `tz`: ja "11月23日 14:30", en "Nov 23, 14:30"."""
        if when.tzinfo is None:
            raise ValueError("a naive datetime has no place in a message: pass a timezone-aware one")
        locale = self._locale(locale)
        zone = ZoneInfo(tz)
        date = format_skeleton("MMMd", when, tzinfo=zone, locale=locale)
        time = format_skeleton("Hm", when, tzinfo=zone, locale=locale)
        joiner = str(Locale.parse(locale).datetime_formats["short"])
        return joiner.replace("{1}", date).replace("{0}", time)

    def date(self, locale: str, when: dt.datetime, tz: str = "Asia/Tokyo") -> str:
        """The calendar day in `tz`, with its year (for documents kept for years): ja "2025年11月23日",
        en "Nov 23, 2025"."""
        if when.tzinfo is None:
            raise ValueError("a naive datetime has no place in a message: pass a timezone-aware one")
        return format_skeleton("yMMMd", when, tzinfo=ZoneInfo(tz), locale=self._locale(locale))

    def status(self, locale: str, status: OrderStatus) -> str:
        return self.text(locale, f"status.{status.value}")

    def locale_for(self, stored: str | None, platform_hint: str | None, default: str) -> str:
        """The buyer's stored choice, else their platform's language ("ja-JP" → "ja"), else `default`."""
        for candidate in (stored, platform_hint):
            language = re.split(r"[-_]", candidate.strip().lower(), maxsplit=1)[0] if candidate else ""
            if language in SUPPORTED:
                return language
        return default if default in SUPPORTED else self.default

    @staticmethod
    def keys_used_in_code(root: Path) -> set[str]:
        """Every literal key passed to `.text(locale, "…"` or `t("…"` in the Python files under `root`."""
        keys: set[str] = set()
        for path in sorted(root.rglob("*.py")):
            keys.update(_KEY_IN_CALL.findall(path.read_text(encoding="utf-8")))
        return keys

    def _locale(self, locale: str) -> str:
        return locale if locale in self.catalogs else self.default

    def _find(self, locale: str, key: str) -> str | None:
        found = self.catalogs[self._locale(locale)].get(key)
        return found if found is not None else self.catalogs[self.default].get(key)

    def _template(self, locale: str, key: str) -> str:
        found = self._find(locale, key)
        if found is None:
            raise KeyError(f"no message {key!r} in locales/{self._locale(locale)}/LC_MESSAGES/{DOMAIN}.po")
        return found

    def _label(self, locale: str, kind: str, value: Any) -> str:
        label = self._find(locale, f"{kind}.{value}")
        if label is None:
            label = self._find(locale, f"{kind}.other")
        return str(value) if label is None else label
