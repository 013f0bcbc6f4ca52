"""What a notification says, for any chat platform: outbox rows → the words a buyer or the staff read, as
`RichText` (`bots/common/rich_text.py`) each front-end renders in its own markup.

The templates in `locales/*/notify.po` mark emphasis with a small HTML subset (<b>, <code>, <blockquote>);
every value from a payload or from a person goes in through `escape`, so nobody's text can add emphasis.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from bots.common.presenters import shorten
from bots.common.referrals import reward_notice_terms
from bots.common.rich_text import RichText, escape, parse
from bots.i18n import Translator
from commerce.outbox import OutboxItem
from commerce.shop import Shop
from commerce.topics import Topic

MESSAGE_LIMIT: Final = 2000  # Discord's message limit, the smaller of the two (Telegram allows 4096)
RELAYED_MAX: Final = 1500  # a support message relayed to the other side, leaving room for the template
STAFF_ABOUT_UNREACHABLE: Final = "notify.staff.buyer_unreachable"  # fields: order

@dataclass(frozen=True, slots=True)
class BuyerNotice:
    """One notification for a buyer: the first text fits a photo caption, the rest are follow-ups."""

    order_id: int | None
    texts: tuple[RichText, ...]
    edits_card: bool  # the first text may replace the payment card's caption instead of being sent anew
    review_order: int | None = None  # offer "review this order"
    closes_card: bool = False  # after it the payment card has nothing more to show
    progress_only: bool = False  # news a live payment card already shows


Words = Callable[["NoticeWriter", OutboxItem, str], Awaitable[list[str]]]  # the texts, for a locale


@dataclass(frozen=True, slots=True)
class Notice:
    """What the shop says about one topic, to whom, and how the message behaves."""

    buyer: str | Words | None = None  # a template (the payload's values as fields), or what picks the words
    staff: str | Words | None = None
    edits_card: bool = False      # the buyer's first text may replace the payment card's caption
    closes_card: bool = False     # after it the payment card has nothing more to show
    progress_only: bool = False   # news a live payment card already shows
    must_reach: bool = False      # when no chat reaches the buyer, the staff are told instead
    offers_review: bool = False   # the buyer now holds what they bought
    relays_message: bool = False  # a support message: the words themselves go along


def notice_for(topic: str) -> Notice | None:
    """None for a topic nobody is told about (or one from a newer version)."""
    return NOTICES.get(topic)  # type: ignore[call-overload]  # a Topic is its text


class NoticeWriter:
    def __init__(self, shop: Shop, translator: Translator, *, limit: int = MESSAGE_LIMIT) -> None:
        self._shop = shop
        self._tr = translator
        self._limit = limit

    async def for_buyer(self, item: OutboxItem, locale: str) -> BuyerNotice | None:
        """None for a topic buyers are not told about."""
        notice = notice_for(item.topic)
        if notice is None or notice.buyer is None:
            return None
        texts = await self._texts(notice, notice.buyer, item, locale)
        order_id = item.payload.get("order_id")
        order_id = order_id if isinstance(order_id, int) else None
        return BuyerNotice(order_id, tuple(parse(text) for text in texts),
                           edits_card=notice.edits_card and order_id is not None,
                           review_order=order_id if notice.offers_review else None,
                           closes_card=notice.closes_card, progress_only=notice.progress_only)

    async def for_staff(self, item: OutboxItem, locale: str) -> RichText | None:
        notice = notice_for(item.topic)
        if notice is None or notice.staff is None:
            return None
        return parse("\n".join(await self._texts(notice, notice.staff, item, locale)))

    def staff_about_unreachable(self, item: OutboxItem, locale: str) -> RichText:
        """The buyer of an order could not be told something that had to reach them."""
        return parse(self._tr.text(locale, STAFF_ABOUT_UNREACHABLE, **self.fields(item.payload)))

    async def _texts(self, notice: Notice, words: str | Words, item: OutboxItem, locale: str) -> list[str]:
        if not isinstance(words, str):
            return await words(self, item, locale)
        text = self._tr.text(locale, words, **self.fields(item.payload))
        return [await self._with_relayed(item, text) if notice.relays_message else text]

    def fields(self, payload: dict[str, Any]) -> dict[str, str]:
        """Every payload value as text for a template (escaped), the order number also as `order` and the
        ticket as `ticket`."""
        fields = {key: escape(str(value)) for key, value in payload.items() if value is not None}
        if "order_id" in fields:
            fields["order"] = fields["order_id"]
        if "ticket_id" in fields:
            fields["ticket"] = fields["ticket_id"]
        return fields

    async def underpaid(self, item: OutboxItem, locale: str) -> list[str]:
        fields = self.fields(item.payload)
        # A shared receive address tells orders apart by exact amount: a top-up there matches nothing.
        if "remaining" not in fields or "address" not in fields or item.payload.get("shared_address"):
            return [self._tr.text(locale, "notify.underpaid_unknown", **fields)]
        return [self._tr.text(locale, "notify.underpaid", **fields)]

    async def refund_due(self, item: OutboxItem, locale: str) -> list[str]:
        return [self._tr.text(locale, f"notify.refund_due.{_reason(item.payload)}", **self.fields(item.payload))]

    async def staff_refund_due(self, item: OutboxItem, locale: str) -> list[str]:
        why = self._tr.text(locale, f"notify.refund_reason.{_reason(item.payload)}")
        return [self._tr.text(locale, "notify.staff.refund_due", **self.fields(item.payload), why=why)]

    async def cancelled(self, item: OutboxItem, locale: str) -> list[str]:
        fields = self.fields(item.payload)
        text = self._tr.text(locale, "notify.cancelled", **fields)
        if item.payload.get("reason"):
            text += "\n" + self._tr.text(locale, "notify.reason", reason=fields["reason"])
        return [text]

    async def refunded(self, item: OutboxItem, locale: str) -> list[str]:
        fields = self.fields(item.payload)
        text = self._tr.text(locale, "notify.refunded", **fields)
        if item.payload.get("note"):
            text += "\n" + self._tr.text(locale, "notify.refund_note", note=fields["note"])
        return [text]

    async def referral_reward(self, item: OutboxItem, locale: str) -> list[str]:
        terms = reward_notice_terms(self._tr, locale, item.payload, self._shop.rules.timezone)
        return [self._tr.text(locale, "notify.referral_reward", **self.fields(item.payload), terms=escape(terms))]

    async def referral_withdrawn(self, item: OutboxItem, locale: str) -> list[str]:
        why = "link" if item.payload.get("reason") == "link" else "refund"
        return [self._tr.text(locale, f"notify.referral_withdrawn.{why}", **self.fields(item.payload))]

    async def _with_relayed(self, item: OutboxItem, text: str) -> str:
        """A support message carries the words themselves, so nobody has to open the ticket to read them."""
        message_id = item.payload.get("message_id")
        if not isinstance(message_id, int):
            return text
        relayed = await self._shop.support.message_text(message_id)
        if not relayed or not relayed.strip():  # erased since, or never there
            return text
        return f"{text}\n<blockquote>{escape(shorten(relayed, RELAYED_MAX))}</blockquote>"

    async def delivery(self, item: OutboxItem, locale: str) -> list[str]:
        """The digital keys, each in <code>, split so no message passes the platform's length limit."""
        assert item.customer_id is not None
        order_id = int(item.payload["order_id"])
        items = await self._shop.fulfilment.delivered_items(item.customer_id, order_id)
        if not items:
            return [self._tr.text(locale, "notify.fulfilled", order=order_id)]
        texts = [self._tr.text(locale, "notify.digital_heading", order=order_id)]
        for delivered in items:
            line = self._tr.text(locale, "notify.digital_item", title=escape(delivered.title),
                                 content=escape(delivered.content))
            if len(texts[-1]) + len(line) + 2 > self._limit:
                texts.append(line)
            else:
                texts[-1] += "\n\n" + line
        return texts


REFUND_REASONS: Final = frozenset({"overpaid", "closed_order", "expired", "too_late"})

W, T = NoticeWriter, Topic
# One table from topic to notice: every topic the core queues is here (a test checks it).
NOTICES: Final[dict[Topic, Notice]] = {
    T.ORDER_PAYMENT_SEEN: Notice(buyer="notify.payment_seen", edits_card=True),
    T.ORDER_CONFIRMATIONS: Notice(buyer="notify.confirmations", edits_card=True, progress_only=True),
    T.ORDER_PAYMENT_CONFIRMED: Notice(buyer="notify.paid", staff="notify.staff.order_paid", edits_card=True,
                                      closes_card=True, must_reach=True),
    T.ORDER_NOTHING_DUE: Notice(staff="notify.staff.order_free"),
    T.ORDER_UNDERPAID: Notice(buyer=W.underpaid, must_reach=True),
    T.ORDER_PAYMENT_VANISHED: Notice(buyer="notify.payment_vanished"),
    T.ORDER_PAYMENT_INVALID: Notice(buyer="notify.payment_invalid", staff="notify.staff.payment_invalid",
                                    edits_card=True, closes_card=True),
    T.ORDER_EXPIRE: Notice(buyer="notify.expired", edits_card=True, closes_card=True, must_reach=True),
    T.ORDER_CANCEL: Notice(buyer=W.cancelled, staff="notify.staff.order_cancelled", edits_card=True,
                           closes_card=True),
    T.ORDER_LATE_PAYMENT: Notice(buyer="notify.late_payment", staff="notify.staff.late_payment", must_reach=True),
    T.ORDER_ACCEPT_LATE: Notice(buyer="notify.accept_late"),
    T.ORDER_FULFIL: Notice(buyer=W.delivery, must_reach=True, offers_review=True),
    T.ORDER_SHIP: Notice(buyer="notify.shipped", must_reach=True),
    T.ORDER_DELIVER: Notice(buyer="notify.delivered", offers_review=True),
    T.ORDER_REFUND: Notice(buyer=W.refunded, must_reach=True),
    T.ORDER_CREATED: Notice(staff="notify.staff.order_created"),
    T.PAYMENT_REFUND_DUE: Notice(buyer=W.refund_due, staff=W.staff_refund_due, must_reach=True),
    T.PAYMENT_UNMATCHED: Notice(staff="notify.staff.payment_unmatched"),
    T.SUPPORT_MESSAGE: Notice(staff="notify.staff.support_message", relays_message=True),
    T.SUPPORT_REPLY: Notice(buyer="notify.support_reply", must_reach=True, relays_message=True),
    T.REFERRAL_REWARD: Notice(buyer=W.referral_reward),
    T.REFERRAL_WITHDRAWN: Notice(buyer=W.referral_withdrawn),
    T.SECURITY_LOCKOUT: Notice(staff="notify.staff.security_lockout"),
    T.RATE_OUT_OF_RANGE: Notice(staff="notify.staff.rate_out_of_range"),
    T.RATE_JUMPED: Notice(staff="notify.staff.rate_jumped"),
    T.RATE_RESTORED: Notice(staff="notify.staff.rate_restored"),
}


def _reason(payload: dict[str, Any]) -> str:
    reason = payload.get("reason")
    return reason if isinstance(reason, str) and reason in REFUND_REASONS else "overpaid"
