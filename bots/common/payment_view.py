"""Checkout and payment, described for any chat platform: plain (unescaped) text in the reader's language.

Pure functions: typed addresses are parsed here, core DTOs become previews, summaries, the payment card
and the fields of the payment caption. Nothing here is markup; each platform escapes on the way out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Final

from babel import Locale

from bots.common.bill_view import present_bill
from bots.common.legal import terms_line
from bots.common.presenters import label
from bots.i18n import Translator
from commerce.bill import Bill
from commerce.cart import CartDTO
from commerce.catalog import ProductDTO, ProductKind, VariantDTO
from commerce.errors import InvalidInput
from commerce.money import Money, format_units
from commerce.privacy import ShippingAddress
from media.payment_card import PaymentCard
from payments.methods import PaymentMethod
from payments.requests import PaymentRequestView

# "東京都渋谷区…": the prefecture ends in 都, 道, 府 or 県 after two or three characters.
_PREFECTURE: Final = re.compile(r"^(.{2,3}?[都道府県])(.+)$")
_PHONE: Final = re.compile(r"^\+?[0-9()\- ]{7,20}$")
_POSTAL_CODE: Final = re.compile(r"^[0-9A-Z][0-9A-Z -]{1,14}$")


def parse_address(text: str) -> ShippingAddress:
    """One message, one item per line: name / postal code / prefecture and city / street [/ more] [/ phone].

    Raises InvalidInput naming the first field that is missing or malformed.
    """
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    name, postal_code, place, street, *extra = [*lines, "", "", "", ""][: max(4, len(lines))]
    postal_code = unicodedata.normalize("NFKC", postal_code).removeprefix("〒").strip().upper()
    if postal_code and not _POSTAL_CODE.fullmatch(postal_code):
        raise InvalidInput(field="postal_code", reason="format")
    country = country_code(extra[-1]) if extra else None
    if country is not None:
        extra.pop()
    phone = ""
    if extra and _PHONE.fullmatch(unicodedata.normalize("NFKC", extra[-1])):
        phone = unicodedata.normalize("NFKC", extra.pop())
    region, city = _region_and_city(unicodedata.normalize("NFKC", place))
    return ShippingAddress(name=name, postal_code=postal_code, region=region, city=city, line1=street,
                           line2=" ".join(extra), country=country or "JP", phone=phone)


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    """Country names in English and Japanese (and the codes themselves) → ISO 3166 alpha-2 code."""
    names: dict[str, str] = {}
    for language in ("en", "ja"):
        for code, name in Locale(language).territories.items():
            if code.isalpha() and len(code) == 2:
                names[name.casefold()] = code
                names[code.casefold()] = code
    names |= {"usa": "US", "uk": "GB", "日本国": "JP", "アメリカ合衆国": "US"}
    return names


def country_code(line: str) -> str | None:
    """The country a typed address line names ("France", "フランス", "fr"), or None when it names none."""
    return _countries().get(unicodedata.normalize("NFKC", line).strip().rstrip(".").casefold())


def _region_and_city(place: str) -> tuple[str, str]:
    if match := _PREFECTURE.match(place.replace(" ", "")):
        return match.group(1), match.group(2)
    region, _, city = place.replace(",", " ").partition(" ")
    return (region, city.strip()) if city.strip() else ("", region)


def address_summary(address: ShippingAddress) -> str:
    """One line for a button: who, and where."""
    return label(", ".join(address.lines()[:3]))


def method_label(method: PaymentMethod) -> str:
    return f"{method.asset} ({method.network_name})"


@dataclass(frozen=True, slots=True)
class PreviewLine:
    title: str
    quantity: int
    total: Money


@dataclass(frozen=True, slots=True)
class OrderPreview:
    """What the buyer is about to order, before the order exists (the core re-checks it all at checkout)."""

    lines: tuple[PreviewLine, ...]
    total: Money
    needs_shipping: bool


def preview_cart(cart: CartDTO) -> OrderPreview:
    lines = tuple(PreviewLine(_titled(line.title, (v for _, v in line.options)), line.quantity, line.line_total)
                  for line in cart.lines)
    return OrderPreview(lines, cart.total, any(line.kind == ProductKind.PHYSICAL for line in cart.lines))


def preview_variant(product: ProductDTO, variant: VariantDTO) -> OrderPreview:
    line = PreviewLine(_titled(product.title, (v for _, v in variant.options)), 1, variant.price)
    return OrderPreview((line,), variant.price, product.kind == ProductKind.PHYSICAL)


def _titled(title: str, options: Iterable[str]) -> str:
    joined = " / ".join(options)
    return f"{title} ({joined})" if joined else title


def present_summary(tr: Translator, locale: str, bill: Bill, address: ShippingAddress | None,
                    method: PaymentMethod | None) -> str:
    """The order before it is placed, as the itemised bill it will have; `method` None when nothing is due."""
    lines = [tr.text(locale, "checkout.summary"), "", *present_bill(tr, locale, bill)]
    if address is not None:
        lines += ["", tr.text(locale, "checkout.ship_to"), *address.lines()]
    lines += ["", tr.text(locale, "checkout.pay_with", method=method_label(method)) if method is not None
              else tr.text(locale, "checkout.nothing_to_pay")]
    lines += ["", terms_line(tr, locale)]
    return "\n".join(lines)


def present_address(tr: Translator, locale: str, address: ShippingAddress) -> str:
    return "\n".join([tr.text(locale, "checkout.ship_to"), *address.lines(), "", tr.text(locale, "checkout.save_ask")])


def payment_card(tr: Translator, locale: str, view: PaymentRequestView, *, shop_name: str) -> PaymentCard:
    """The QR card, labelled in the buyer's language."""
    request = view.request
    return PaymentCard(
        uri=request.uri, amount=view.amount_text,
        network=tr.text(locale, "payment.network", asset=request.asset, network=view.method.network_name),
        address=request.address, expires=tr.datetime(locale, request.expires_at), shop_name=shop_name,
        title=tr.text(locale, "payment.title", order=view.order.id),
        labels={"amount": tr.text(locale, "payment.amount"), "network": tr.text(locale, "payment.network_label"),
                "address": tr.text(locale, "payment.address"), "expires": tr.text(locale, "payment.expires_label")})


class PaymentButton(StrEnum):
    """The buttons under a payment message, on every platform, in this order."""

    STATUS = "status"
    CHANGE_METHOD = "change_method"
    CANCEL = "cancel"


_BUTTON_LABELS: Final = {PaymentButton.STATUS: "button.check_status",
                         PaymentButton.CHANGE_METHOD: "button.change_method",
                         PaymentButton.CANCEL: "button.cancel_order"}


def payment_buttons(tr: Translator, locale: str) -> list[tuple[PaymentButton, str]]:
    """(button, label) for a payment message: check the status, change the method, cancel the order."""
    return [(button, tr.text(locale, key)) for button, key in _BUTTON_LABELS.items()]


def caption_fields(tr: Translator, locale: str, view: PaymentRequestView) -> dict[str, str]:
    """The values of the `payment.caption` template, unescaped: the exact amount, address, network, expiry."""
    request = view.request
    total = tr.text(locale, "payment.order_total", total=tr.money(locale, view.order.total))
    if request.due_minor != view.order.total.minor:   # part was paid with another request: this asks for the rest
        total = tr.text(locale, "payment.rest_of", total=tr.money(locale, view.order.total), due=tr.money(
            locale, Money.from_minor(request.due_minor, view.order.total.currency)))
    return {"order": str(view.order.id), "amount": format_units(request.amount_units, request.decimals),
            "asset": request.asset, "total": total, "address": request.address,
            "network": view.method.network_name, "time": tr.datetime(locale, request.expires_at)}
