"""The shop's terms and legal disclosure (特定商取引法に基づく表記), described for any chat platform.

Pure functions over ``[legal]`` and ``[shop] terms`` from bot.toml: ``/terms`` shows a titled list of
"label: value" lines in the buyer's language (the statutory headings in Japanese), then the free text; the
checkout summary ends with one line pointing at ``/terms``. Plain text: each platform escapes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from babel.lists import format_list

from bots.config_legal import LegalSection
from bots.i18n import Translator

if TYPE_CHECKING:
    from bots.config import Settings

_DEFAULT_WINDOW: Final = 30  # minutes, as [shop] payment_window_minutes


@dataclass(frozen=True, slots=True)
class ShopTerms:
    """Everything ``/terms`` shows, read once from bot.toml at start."""

    text: str = ""  # [shop] terms: free text, after the disclosure (or alone when [legal] is empty)
    legal: LegalSection = field(default_factory=LegalSection)
    payment_method_labels: tuple[str, ...] = ()  # listed when [legal] payment_methods is empty
    payment_window_minutes: int = _DEFAULT_WINDOW

    @classmethod
    def from_settings(cls, settings: Settings, payment_method_labels: Iterable[str] = ()) -> ShopTerms:
        return cls(settings.shop.terms, settings.legal, tuple(payment_method_labels),
                   settings.shop.payment_window_minutes)


def present_shop_terms(tr: Translator, locale: str, terms: ShopTerms, *, shop_name: str) -> str:
    return present_terms(tr, locale, terms.legal, shop_name=shop_name, terms=terms.text,
                         payment_method_labels=terms.payment_method_labels,
                         payment_window_minutes=terms.payment_window_minutes)


def present_terms(tr: Translator, locale: str, legal: LegalSection, *, shop_name: str, terms: str,
                  payment_method_labels: Sequence[str], payment_window_minutes: int) -> str:
    """The disclosure's title and one "label: value" line per field that has a value, then ``terms``; only
    ``terms`` when ``[legal]`` is empty; ``terms.empty`` when there is nothing at all."""
    free_text = terms.strip()
    if legal.is_empty:
        return free_text or tr.text(locale, "terms.empty")
    fields = _disclosures(tr, locale, legal, payment_method_labels, payment_window_minutes)
    lines = [tr.text(locale, "legal.title", shop=shop_name), ""]
    lines += [tr.text(locale, "legal.line", label=tr.text(locale, key), value=value) for key, value in fields if value]
    if free_text:
        lines += ["", free_text]
    return "\n".join(lines)


def _disclosures(tr: Translator, locale: str, legal: LegalSection, method_labels: Sequence[str],
                 window_minutes: int) -> list[tuple[str, str]]:
    """(label key, value) in the usual order of the disclosure; "" for a field left out."""
    on_request = tr.text(locale, "legal.on_request") if legal.disclose_on_request else ""
    methods = legal.payment_methods.pick(locale)
    if not methods and method_labels:
        methods = tr.text(locale, "legal.payment_methods_auto",
                          methods=format_list(list(method_labels), style="standard", locale=locale))
    return [
        ("legal.label.seller_name", legal.seller_name.pick(locale)),
        ("legal.label.representative", legal.representative.pick(locale)),
        ("legal.label.address", legal.address.pick(locale) or on_request),
        ("legal.label.phone", legal.phone.strip() or on_request),
        ("legal.label.email", legal.email.strip()),
        ("legal.label.hours", legal.hours.pick(locale)),
        ("legal.label.price", legal.price_note.pick(locale) or tr.text(locale, "legal.price_default")),
        ("legal.label.extra_fees", legal.extra_fees.pick(locale)),
        ("legal.label.payment_methods", methods),
        ("legal.label.payment_due", legal.payment_due.pick(locale)
         or tr.text(locale, "legal.payment_due_default", minutes=window_minutes)),
        ("legal.label.delivery", legal.delivery.pick(locale)),
        ("legal.label.returns", legal.returns.pick(locale)),
    ]


def terms_line(tr: Translator, locale: str) -> str:
    """The last line under the checkout summary: paying accepts the terms shown by /terms."""
    return tr.text(locale, "legal.checkout_notice")


def pages(text: str, fits: Callable[[str], bool]) -> list[str]:
    """``text`` in as few messages as ``fits`` allows (each platform measures its own escaped length), broken
    between lines; a line too long for one message is cut where it must be."""
    done: list[str] = []
    current = ""
    for line in text.split("\n"):
        joined = f"{current}\n{line}" if current else line
        if fits(joined):
            current = joined
            continue
        if current:
            done.append(current)
        current = line
        while current and not fits(current):
            cut = _longest_fitting(current, fits)
            done.append(current[:cut])
            current = current[cut:]
    done.append(current)
    return [page.strip("\n") for page in done if page.strip()]


def _longest_fitting(text: str, fits: Callable[[str], bool]) -> int:
    """The length of the longest start of ``text`` that fits (at least 1, so cutting always moves on)."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text[:middle]):
            low = middle
        else:
            high = middle - 1
    return low
