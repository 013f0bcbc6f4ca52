"""What a notification says, for any chat platform: outbox rows → the words a buyer or the staff read.

The templates in `locales/*/notify.po` use a small HTML subset (<b>, <code>, <blockquote>), which Telegram
shows as is and the Discord adapter turns into Markdown. Every value from a payload or from a person is
escaped by the platform's `quote` before it goes in, so nobody's text can add markup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from bots.common.presenters import shorten
from bots.i18n import Translator
from commerce.outbox import OutboxItem
from commerce.shop import Shop

MESSAGE_LIMIT: Final = 2000  # Discord's message limit, the smaller of the two (Telegram allows 4096)
RELAYED_MAX: Final = 1500  # a support message relayed to the other side, leaving room for the template
# Topics that only change what the payment card should say: edited in place when the card is known.
EDITS_CARD: Final = frozenset({"order.payment_seen", "order.confirmations", "order.payment_confirmed",
                               "order.payment_invalid", "order.expire", "order.cancel"})
# One template per topic whose fields are just the order number (and escaped payload values).
_BUYER_TEMPLATES: Final = {
    "order.payment_seen": "notify.payment_seen",
    "order.confirmations": "notify.confirmations",
    "order.payment_vanished": "notify.payment_vanished",
    "order.payment_invalid": "notify.payment_invalid",
    "order.expire": "notify.expired",
    "order.late_payment": "notify.late_payment",
    "order.accept_late": "notify.accept_late",
    "order.ship": "notify.shipped",
    "order.deliver": "notify.delivered",
    "support.reply": "notify.support_reply",
}
_STAFF_TEMPLATES: Final = {
    "order.created": "notify.staff.order_created",
    "order.payment_confirmed": "notify.staff.order_paid",
    "order.nothing_due": "notify.staff.order_free",
    "order.late_payment": "notify.staff.late_payment",
    "order.payment_invalid": "notify.staff.payment_invalid",
    "order.cancel": "notify.staff.order_cancelled",
    "payment.unmatched": "notify.staff.payment_unmatched",
    "support.message": "notify.staff.support_message",
    "security.lockout": "notify.staff.security_lockout",
    "rate.out_of_range": "notify.staff.rate_out_of_range",
    "rate.jumped": "notify.staff.rate_jumped",
    "rate.restored": "notify.staff.rate_restored",
}
STAFF_ABOUT_UNREACHABLE: Final = "notify.staff.buyer_unreachable"  # fields: order
# After these the buyer holds what they bought: the message offers to review it.
_REVIEW_AFTER: Final = frozenset({"order.deliver", "order.fulfil"})

Quote = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class BuyerNotice:
    """One notification for a buyer: the first text fits a photo caption, the rest are follow-ups."""

    order_id: int | None
    texts: tuple[str, ...]
    edits_card: bool  # the first text may replace the payment card's caption instead of being sent anew
    review_order: int | None = None  # offer "review this order"


class NoticeWriter:
    def __init__(self, shop: Shop, translator: Translator, quote: Quote, *, limit: int = MESSAGE_LIMIT) -> None:
        self._shop = shop
        self._tr = translator
        self._quote = quote
        self._limit = limit

    async def for_buyer(self, item: OutboxItem, locale: str) -> BuyerNotice | None:
        """None for a topic buyers are not told about."""
        texts = await self._buyer_texts(item, locale)
        if texts is None:
            return None
        order_id = item.payload.get("order_id")
        order_id = order_id if isinstance(order_id, int) else None
        return BuyerNotice(order_id, tuple(texts), edits_card=item.topic in EDITS_CARD and order_id is not None,
                           review_order=order_id if item.topic in _REVIEW_AFTER else None)

    async def for_staff(self, item: OutboxItem, locale: str) -> str | None:
        if item.topic == "payment.refund_due":
            why = self._tr.text(locale, f"notify.refund_reason.{_reason(item.payload)}")
            return self._tr.text(locale, "notify.staff.refund_due", **self.fields(item.payload), why=why)
        key = _STAFF_TEMPLATES.get(item.topic)
        if key is None:
            return None
        return await self._with_relayed(item, self._tr.text(locale, key, **self.fields(item.payload)))

    def fields(self, payload: dict[str, Any]) -> dict[str, str]:
        """Every payload value as escaped text, with the order number as `order` and the ticket as `ticket`."""
        fields = {key: self._quote(str(value)) for key, value in payload.items() if value is not None}
        if "order_id" in fields:
            fields["order"] = fields["order_id"]
        if "ticket_id" in fields:
            fields["ticket"] = fields["ticket_id"]
        return fields

    async def _buyer_texts(self, item: OutboxItem, locale: str) -> list[str] | None:
        topic, payload = item.topic, item.payload
        fields = self.fields(payload)
        if topic == "order.payment_confirmed":
            return [self._tr.text(locale, "notify.paid", **fields)]
        if topic == "order.underpaid":
            # A shared receive address tells orders apart by exact amount: a top-up there matches nothing.
            if "remaining" not in fields or "address" not in fields or payload.get("shared_address"):
                return [self._tr.text(locale, "notify.underpaid_unknown", **fields)]
            return [self._tr.text(locale, "notify.underpaid", **fields)]
        if topic == "payment.refund_due":
            return [self._tr.text(locale, f"notify.refund_due.{_reason(payload)}", **fields)]
        if topic == "order.cancel":
            text = self._tr.text(locale, "notify.cancelled", **fields)
            if payload.get("reason"):
                text += "\n" + self._tr.text(locale, "notify.reason", reason=fields["reason"])
            return [text]
        if topic == "order.refund":
            text = self._tr.text(locale, "notify.refunded", **fields)
            if payload.get("note"):
                text += "\n" + self._tr.text(locale, "notify.refund_note", note=fields["note"])
            return [text]
        if topic == "order.fulfil":
            return await self._delivery(item, locale)
        key = _BUYER_TEMPLATES.get(topic)
        if key is None:
            return None
        return [await self._with_relayed(item, self._tr.text(locale, key, **fields))]

    async def _with_relayed(self, item: OutboxItem, text: str) -> str:
        """A support message carries the words themselves, so nobody has to open the ticket to read them."""
        message_id = item.payload.get("message_id")
        if not item.topic.startswith("support.") or not isinstance(message_id, int):
            return text
        relayed = await self._shop.support.message_text(message_id)
        if not relayed or not relayed.strip():  # erased since, or never there
            return text
        return f"{text}\n<blockquote>{self._quote(shorten(relayed, RELAYED_MAX))}</blockquote>"

    async def _delivery(self, item: OutboxItem, locale: str) -> list[str]:
        """The digital keys, each in <code>, split so no message passes the platform's length limit."""
        assert item.customer_id is not None
        order_id = int(item.payload["order_id"])
        items = await self._shop.fulfilment.delivered_items(item.customer_id, order_id)
        if not items:
            return [self._tr.text(locale, "notify.fulfilled", order=order_id)]
        texts = [self._tr.text(locale, "notify.digital_heading", order=order_id)]
        for delivered in items:
            line = self._tr.text(locale, "notify.digital_item", title=self._quote(delivered.title),
                                 content=self._quote(delivered.content))
            if len(texts[-1]) + len(line) + 2 > self._limit:
                texts.append(line)
            else:
                texts[-1] += "\n\n" + line
        return texts


REFUND_REASONS: Final = frozenset({"overpaid", "closed_order", "expired", "too_late"})


def _reason(payload: dict[str, Any]) -> str:
    reason = payload.get("reason")
    return reason if isinstance(reason, str) and reason in REFUND_REASONS else "overpaid"
