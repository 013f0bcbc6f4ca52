"""``[legal]`` in ``bot.toml``: the seller's legal disclosure, shown by ``/terms``.

A shop selling to buyers in Japan must show who sells, how to reach them, what is paid when, and the terms
for delivery and returns (特定商取引法に基づく表記, the Act on Specified Commercial Transactions; see
docs/legal.md). Every text may be one string for both languages or a table ``{ ja = "…", en = "…" }``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict

from bots.config_checks import problem, show

__all__ = ["LegalSection", "LegalText"]

MAX_TEXT: Final = 1000
_EMAIL: Final = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")
_PHONE: Final = re.compile(r"\+?[0-9()\- ]+")
_PHONE_DIGITS: Final = range(8, 16)  # 03-1234-5678 has 10, +81 3 1234 5678 has 11; E.164 allows 15


class _LegalModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


def _text_check(value: object) -> str:
    if not isinstance(value, str):
        raise problem(f"expected text in quotes, got {show(value)}")
    if len(value) > MAX_TEXT:
        raise problem(f"expected at most {MAX_TEXT} characters, got {len(value)}")
    return value


Text = Annotated[str, BeforeValidator(_text_check)]


class LegalText(_LegalModel):
    """One text in each language; a plain string in ``bot.toml`` is the same text in both."""

    ja: Text = ""
    en: Text = ""

    def pick(self, locale: str) -> str:
        """The text in ``locale``, else in the other language; "" when there is none."""
        first, second = (self.ja, self.en) if locale == "ja" else (self.en, self.ja)
        return first.strip() or second.strip()

    def __bool__(self) -> bool:
        return bool(self.ja.strip() or self.en.strip())


def _localized(value: object) -> Any:
    if isinstance(value, str):
        return {"ja": _text_check(value), "en": value}
    if isinstance(value, dict | LegalText):
        return value
    raise problem(f'expected text in quotes, or a table such as {{ ja = "…", en = "…" }}, got {show(value)}')


Localized = Annotated[LegalText, BeforeValidator(_localized)]


def _email_check(value: object) -> str:
    text = _text_check(value)
    if text and (len(text) > 254 or not _EMAIL.fullmatch(text)):
        raise problem(f'expected an e-mail address such as "shop@example.com" (or "" for none), got {show(value)}')
    return text


def _phone_check(value: object) -> str:
    text = _text_check(value)
    written = unicodedata.normalize("NFKC", text)  # ０３ー… typed in full width reads as 03-…
    digits = sum(char.isdigit() for char in written)
    if text and (not _PHONE.fullmatch(written) or digits not in _PHONE_DIGITS):
        raise problem('expected a phone number such as "03-1234-5678" or "+81 3-1234-5678" (or "" for none), '
                      f"got {show(value)}")
    return text


class LegalSection(_LegalModel):
    seller_name: Localized = LegalText()        # 販売業者: the legal name of the person or company
    representative: Localized = LegalText()     # 運営統括責任者: for a company, who is responsible
    address: Localized = LegalText()            # 所在地
    phone: Annotated[str, BeforeValidator(_phone_check)] = ""   # 電話番号
    email: Annotated[str, BeforeValidator(_email_check)] = ""   # メールアドレス
    # An individual may leave address and phone out and promise them on request (請求があれば遅滞なく開示します).
    disclose_on_request: bool = False
    extra_fees: Localized = LegalText()         # 商品代金以外の必要料金: shipping, bank fees…
    payment_methods: Localized = LegalText()    # お支払い方法; empty: the configured methods are listed
    payment_due: Localized = LegalText()        # お支払い時期; empty: within the payment window
    delivery: Localized = LegalText()           # 商品の引渡し時期
    returns: Localized = LegalText()            # 返品・交換・キャンセルについて
    hours: Localized = LegalText()              # 営業時間
    price_note: Localized = LegalText()         # 販売価格; empty: on each product page, tax included

    @property
    def is_empty(self) -> bool:
        """Nothing set: ``/terms`` shows only ``[shop] terms``."""
        return self == LegalSection()

    def missing_required(self) -> list[str]:
        """The keys a shop selling in Japan must fill in and hasn't, as ``legal.<key>`` (with the alternative
        where the law allows one). ``representative`` is left out: only a company needs it."""
        on_request = " (or legal.disclose_on_request = true)"
        wanted = [("legal.seller_name", bool(self.seller_name)),
                  ("legal.address" + on_request, bool(self.address) or self.disclose_on_request),
                  ("legal.phone" + on_request, bool(self.phone.strip()) or self.disclose_on_request),
                  ("legal.email", bool(self.email.strip())),
                  ("legal.delivery", bool(self.delivery)),
                  ("legal.returns", bool(self.returns))]
        return [key for key, present in wanted if not present]
