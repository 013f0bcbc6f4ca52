"""Support tickets: a buyer writes, the shop's staff answer, messages relayed both ways via the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select

from commerce.errors import InvalidInput, NotFound, TicketClosed
from commerce.events import Clock, actor_of, notify, record, system_clock
from commerce.roles import Permission
from commerce.sellers import require_permission
from commerce.storage.db import Database, UnitOfWork
from commerce.storage.tables import Order, SupportMessage, SupportTicket
from commerce.topics import Topic

SUBJECT_MAX: Final = 120
TEXT_MAX: Final = 2000


@dataclass(frozen=True, slots=True)
class MessageDTO:
    id: int
    from_shop: bool
    text: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TicketDTO:
    id: int
    customer_id: int
    order_id: int | None
    subject: str
    status: str
    messages: tuple[MessageDTO, ...]


def _text(value: str, field: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(field=field, reason="required")
    if len(value) > limit:
        raise InvalidInput(field=field, reason="too_long", limit=limit)
    return value


class SupportService:
    def __init__(self, db: Database, clock: Clock = system_clock) -> None:
        self._db = db
        self._clock = clock

    async def open(self, customer_id: int, text: str, *, subject: str = "", order_id: int | None = None) -> TicketDTO:
        text = _text(text, "text", TEXT_MAX)
        subject = (subject.strip() or text.splitlines()[0])[:SUBJECT_MAX]
        now = self._clock()
        async with self._db.uow() as uow:
            if order_id is not None:
                order = await uow.session.get(Order, order_id)
                if order is None or order.customer_id != customer_id:
                    raise NotFound(entity="order", id=order_id)
            ticket = SupportTicket(customer_id=customer_id, order_id=order_id, subject=subject, created_at=now,
                                   updated_at=now)
            uow.session.add(ticket)
            await uow.flush()
            first = SupportMessage(ticket_id=ticket.id, author_id=customer_id, text=text, created_at=now)
            uow.session.add(first)
            await uow.flush()
            record(uow.session, actor=actor_of(customer_id), action="support.open", entity="ticket",
                   entity_id=ticket.id, at=now)
            notify(uow.session, topic=Topic.SUPPORT_MESSAGE, at=now, audience="sellers", ticket_id=ticket.id,
                   message_id=first.id)
            await uow.flush()
            dto = await self._dto(uow, ticket)
            await uow.commit()
            return dto

    async def reply(self, author_id: int, ticket_id: int, text: str) -> TicketDTO:
        """A message on a ticket: from its buyer, or from staff (who need the support permission)."""
        text = _text(text, "text", TEXT_MAX)
        now = self._clock()
        async with self._db.uow() as uow:
            ticket = await self._ticket(uow, ticket_id)
            from_shop = ticket.customer_id != author_id
            if from_shop:
                await require_permission(uow, author_id, Permission.ANSWER_SUPPORT)
            if ticket.status != "open":
                raise TicketClosed(ticket_id=ticket_id)
            message = SupportMessage(ticket_id=ticket_id, author_id=author_id, from_shop=from_shop, text=text,
                                     created_at=now)
            uow.session.add(message)
            ticket.updated_at = now
            await uow.flush()
            if from_shop:
                record(uow.session, actor=actor_of(author_id), action="support.reply", entity="ticket",
                       entity_id=ticket_id, at=now)
                notify(uow.session, topic=Topic.SUPPORT_REPLY, at=now, customer_id=ticket.customer_id,
                       ticket_id=ticket_id, message_id=message.id)
            else:
                notify(uow.session, topic=Topic.SUPPORT_MESSAGE, at=now, audience="sellers", ticket_id=ticket_id,
                       message_id=message.id)
            await uow.flush()
            dto = await self._dto(uow, ticket)
            await uow.commit()
            return dto

    async def close(self, actor_id: int, ticket_id: int) -> TicketDTO:
        now = self._clock()
        async with self._db.uow() as uow:
            ticket = await self._ticket(uow, ticket_id)
            if ticket.customer_id != actor_id:
                await require_permission(uow, actor_id, Permission.ANSWER_SUPPORT)
            ticket.status, ticket.updated_at = "closed", now
            record(uow.session, actor=actor_of(actor_id), action="support.close", entity="ticket",
                   entity_id=ticket_id, at=now)
            dto = await self._dto(uow, ticket)
            await uow.commit()
            return dto

    async def get(self, viewer_id: int, ticket_id: int) -> TicketDTO:
        async with self._db.uow(write=False) as uow:
            ticket = await self._ticket(uow, ticket_id)
            if ticket.customer_id != viewer_id:
                await require_permission(uow, viewer_id, Permission.ANSWER_SUPPORT)
            return await self._dto(uow, ticket)

    async def open_tickets(self, actor_id: int) -> list[TicketDTO]:
        async with self._db.uow(write=False) as uow:
            await require_permission(uow, actor_id, Permission.ANSWER_SUPPORT)
            rows = (await uow.session.execute(select(SupportTicket).where(SupportTicket.status == "open")
                                              .order_by(SupportTicket.updated_at.desc()).limit(50))).scalars()
            return [await self._dto(uow, row) for row in rows]

    async def message_text(self, message_id: int) -> str | None:
        """For the notification sender (the system, not a person): the text it relays to the other side."""
        async with self._db.uow(write=False) as uow:
            message = await uow.session.get(SupportMessage, message_id)
            return None if message is None else message.text

    @staticmethod
    async def _ticket(uow: UnitOfWork, ticket_id: int) -> SupportTicket:
        ticket = await uow.session.get(SupportTicket, ticket_id)
        if ticket is None:
            raise NotFound(entity="ticket", id=ticket_id)
        return ticket

    @staticmethod
    async def _dto(uow: UnitOfWork, ticket: SupportTicket) -> TicketDTO:
        rows = (await uow.session.execute(select(SupportMessage).where(SupportMessage.ticket_id == ticket.id)
                                          .order_by(SupportMessage.id))).scalars()
        assert ticket.id is not None
        return TicketDTO(ticket.id, ticket.customer_id, ticket.order_id, ticket.subject, ticket.status,
                         tuple(MessageDTO(m.id or 0, m.from_shop, m.text, m.created_at) for m in rows))
