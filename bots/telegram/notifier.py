"""The outbox sender for Telegram: delivers due notifications to buyers and staff (DESIGN.md §3, "Notifications").

Status news about a payment edits the buyer's payment card in place where it still can ("seen" → "1/2
confirmations" → "paid"); anything the buyer must act on or keep (an underpayment, tracking, keys) is a new
message. Telegram's answers decide what happens to the outbox row: flood control → retried after the delay
Telegram asks for; a blocked bot → the buyer is marked unreachable and the message fails for good; other
errors → retried with backoff. One bad message never stops the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any, Final

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
)

from bots.i18n import Translator
from bots.telegram.render import quote
from commerce.events import Clock, system_clock
from commerce.message_refs import TELEGRAM
from commerce.money import format_units
from commerce.outbox import OutboxItem
from commerce.payment_records import PaymentRecords
from commerce.shop import Shop

logger = logging.getLogger(__name__)

PAYMENT_CARD: Final = "payment"
MESSAGE_LIMIT: Final = 4096
# Topics that only change what the payment card should say: edited in place when the card is known.
_EDITS_CARD: Final = frozenset({"order.payment_seen", "order.confirmations", "order.payment_confirmed",
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
_SELLER_TEMPLATES: Final = {
    "order.created": "notify.staff.order_created",
    "order.payment_confirmed": "notify.staff.order_paid",
    "order.late_payment": "notify.staff.late_payment",
    "order.payment_invalid": "notify.staff.payment_invalid",
    "order.cancel": "notify.staff.order_cancelled",
    "payment.unmatched": "notify.staff.payment_unmatched",
    "payment.closed_order": "notify.staff.payment_closed_order",
    "support.message": "notify.staff.support_message",
    "security.lockout": "notify.staff.security_lockout",
}


class _Paused(Exception):
    """Telegram's flood control: stop this pass; nothing more is sent before `until`."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until)
        self.until = until


class TelegramNotifier:
    def __init__(self, bot: Bot, shop: Shop, translator: Translator, *, default_locale: str,
                 owners_chat_ids: list[int], clock: Clock = system_clock) -> None:
        self._bot = bot
        self._shop = shop
        self._tr = translator
        self._default_locale = default_locale
        self._owners = list(owners_chat_ids)
        self._clock = clock
        self._requests = PaymentRecords(shop.db, clock)
        self._resume_at: datetime | None = None

    async def run(self, stop: asyncio.Event, interval: timedelta = timedelta(seconds=1)) -> None:
        """Deliver until `stop` is set. A full batch is followed at once by the next one."""
        while not stop.is_set():
            handled = 0
            try:
                handled = await self.send_due()
            except Exception:  # the database may be briefly away: log and keep going
                logger.exception("notification pass failed")
            if handled:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval.total_seconds())

    async def send_due(self, limit: int = 50) -> int:
        """One pass over the due outbox messages; returns how many were settled (sent, failed or rescheduled)."""
        if self._resume_at is not None and self._clock() < self._resume_at:
            return 0
        self._resume_at = None
        handled = 0
        for item in await self._shop.outbox.due(limit=limit):
            try:
                await self._settle(item)
            except _Paused as pause:
                self._resume_at = pause.until
                return handled + 1
            handled += 1
        return handled

    # ---- one message ----

    async def _settle(self, item: OutboxItem) -> None:
        outbox = self._shop.outbox
        try:
            delivered = await (self._to_staff(item) if item.audience == "sellers" else self._to_buyer(item))
        except TelegramRetryAfter as exc:
            delay = timedelta(seconds=max(1, exc.retry_after))
            await outbox.mark_retry(item.id, item.attempts, f"flood control: retry after {exc.retry_after}s",
                                    delay=delay)
            raise _Paused(self._clock() + delay) from None
        except TelegramAPIError as exc:  # network trouble, Telegram's 5xx, a refused request: try again later
            logger.warning("telegram refused outbox message %s (%s): %s", item.id, item.topic, exc.message)
            await outbox.mark_retry(item.id, item.attempts, f"{type(exc).__name__}: {exc.message}")
        except Exception as exc:
            logger.exception("could not deliver outbox message %s (%s)", item.id, item.topic)
            await outbox.mark_retry(item.id, item.attempts, f"unexpected: {type(exc).__name__}")
        else:
            if delivered is None:
                await outbox.mark_sent(item.id)
            else:
                await outbox.mark_failed(item.id, delivered)

    async def _to_buyer(self, item: OutboxItem) -> str | None:
        """Send to the buyer; returns why it can never be delivered, or None when it was (or needs nothing)."""
        if item.customer_id is None:
            return "no customer"
        chat = await self._shop.message_refs.telegram_chat(item.customer_id)
        if chat is None:
            return "buyer unreachable on telegram"
        chat_id, stored_locale = chat
        locale = self._tr.locale_for(stored_locale, None, self._default_locale)
        texts = await self._buyer_texts(item, locale)
        if texts is None:
            logger.debug("no telegram message for topic %s; skipped", item.topic)
            return None
        try:
            if item.topic in _EDITS_CARD and await self._edit_card(item, texts[0]):
                texts = texts[1:]
            for text in texts:
                await self._bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
        except TelegramForbiddenError:
            await self._shop.message_refs.mark_unreachable(TELEGRAM, chat_id)
            logger.info("buyer %s blocked the bot; their notifications stop", item.customer_id)
            return "buyer blocked the bot"
        return None

    async def _to_staff(self, item: OutboxItem) -> str | None:
        key = _SELLER_TEMPLATES.get(item.topic)
        if key is None:
            logger.debug("no telegram message for staff topic %s; skipped", item.topic)
            return None
        text = self._tr.text(self._default_locale, key, **_fields(item.payload))
        for chat_id in self._owners:
            try:
                await self._bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
            except TelegramForbiddenError:
                logger.warning("staff chat %s blocked the bot; skipped", chat_id)
        return None

    async def _edit_card(self, item: OutboxItem, caption: str) -> bool:
        """Rewrite the payment card's caption; False when there is none or it can no longer be edited."""
        order_id = item.payload.get("order_id")
        if not isinstance(order_id, int):
            return False
        card = await self._shop.message_refs.find(order_id, TELEGRAM, PAYMENT_CARD)
        if card is None:
            return False
        try:
            await self._bot.edit_message_caption(chat_id=card.chat_id, message_id=card.message_id, caption=caption,
                                                 parse_mode=ParseMode.HTML)
        except TelegramBadRequest as exc:
            if "not modified" in exc.message:  # it already says this (a replayed event)
                return True
            logger.info("payment card of order %s not editable (%s); sending a new message", order_id, exc.message)
            return False
        except TelegramNotFound:
            return False
        return True

    # ---- words ----

    async def _buyer_texts(self, item: OutboxItem, locale: str) -> list[str] | None:
        """The HTML message(s) for the buyer, first one fit for a caption; None for a topic we don't show."""
        topic, payload = item.topic, item.payload
        fields = _fields(payload)
        if topic == "order.payment_confirmed":
            texts = [self._tr.text(locale, "notify.paid", **fields)]
            if payload.get("overpaid_units"):
                excess = await self._crypto(payload["order_id"], int(payload["overpaid_units"]))
                texts[0] += "\n" + self._tr.text(locale, "notify.overpaid", excess=quote(excess or "…"))
            return texts
        if topic == "order.underpaid":
            remaining = await self._crypto(payload["order_id"], int(payload["remaining_units"]))
            if remaining is None:
                return [self._tr.text(locale, "notify.underpaid_unknown", **fields)]
            return [self._tr.text(locale, "notify.underpaid", **fields, remaining=quote(remaining))]
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
        return None if key is None else [self._tr.text(locale, key, **fields)]

    async def _delivery(self, item: OutboxItem, locale: str) -> list[str]:
        """The digital keys, each in <code>, split so no message passes Telegram's length limit."""
        assert item.customer_id is not None
        order_id = int(item.payload["order_id"])
        items = await self._shop.fulfilment.delivered_items(item.customer_id, order_id)
        if not items:
            return [self._tr.text(locale, "notify.fulfilled", order=order_id)]
        texts = [self._tr.text(locale, "notify.digital_heading", order=order_id)]
        for delivered in items:
            line = self._tr.text(locale, "notify.digital_item", title=quote(delivered.title),
                                 content=quote(delivered.content))
            if len(texts[-1]) + len(line) + 2 > MESSAGE_LIMIT:
                texts.append(line)
            else:
                texts[-1] += "\n\n" + line
        return texts

    async def _crypto(self, order_id: int, units: int) -> str | None:
        """`units` of the order's payment asset, exactly ("0.00012 BTC"); None when no request is open."""
        request = await self._requests.open_request_for(order_id)
        if request is None:
            return None
        return f"{format_units(units, request.decimals)} {request.asset}"


def _fields(payload: dict[str, Any]) -> dict[str, str]:
    """Every payload value as escaped text, with the order number as `order`."""
    fields = {key: quote(str(value)) for key, value in payload.items() if value is not None}
    if "order_id" in fields:
        fields["order"] = fields["order_id"]
    if "ticket_id" in fields:
        fields["ticket"] = fields["ticket_id"]
    return fields
