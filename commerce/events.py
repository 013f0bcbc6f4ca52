"""Audit events and outbox messages, written inside the caller's unit of work.

The state change, its audit record and the notification to send commit together or not at all;
a sender delivers outbox messages later, with retries (docs/architecture.md#notifications).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from commerce.storage.db import queue_row
from commerce.storage.tables import AuditEvent, OutboxMessage
from commerce.topics import Topic

AUDIT = AuditEvent.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]

Clock = Callable[[], datetime]

SYSTEM = "system"


def system_clock() -> datetime:
    return datetime.now(UTC)


def actor_of(customer_id: int | None) -> str:
    return f"customer:{customer_id}" if customer_id is not None else SYSTEM


def audit_row(*, actor: str, action: str, entity: str, entity_id: int | None, at: datetime,
              **detail: Any) -> dict[str, Any]:
    """One row of the audit log (`AUDIT`), for `record` or for a bulk INSERT of many."""
    return {"at": at, "actor": actor, "action": action, "entity": entity, "entity_id": entity_id, "detail": detail}


def record(session: AsyncSession, *, actor: str, action: str, entity: str, entity_id: int | None,
           at: datetime, **detail: Any) -> None:
    """Append to the audit log when the unit of work commits."""
    queue_row(session, AUDIT, audit_row(actor=actor, action=action, entity=entity, entity_id=entity_id, at=at,
                                        **detail))


def notify(session: AsyncSession, *, topic: Topic, at: datetime, customer_id: int | None = None,
           audience: str = "customer", **payload: Any) -> None:
    """Queue a message for a buyer (`audience="customer"`) or for the shop's staff (`"sellers"`)."""
    queue_row(session, OUTBOX, {"created_at": at, "next_attempt_at": at, "customer_id": customer_id,
                                "audience": audience, "topic": str(topic), "payload": payload, "attempts": 0,
                                "sent_at": None, "failed_at": None, "last_error": None})
