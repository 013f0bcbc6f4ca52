"""Reviews: 1–5 stars and a short text, only from buyers of a delivered or fulfilled order, one per line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from commerce.errors import AlreadyReviewed, InvalidInput, NotFound, ReviewNotAllowed
from commerce.events import Clock, actor_of, record, system_clock
from commerce.status import OrderStatus
from commerce.storage.db import Database
from commerce.storage.tables import Order, OrderLine, Review

TEXT_MAX: Final = 1000
REVIEWABLE: Final = frozenset({OrderStatus.DELIVERED, OrderStatus.FULFILLED})


@dataclass(frozen=True, slots=True)
class ReviewDTO:
    id: int
    product_id: int
    stars: int
    text: str
    created_at: datetime


def check_review(status: OrderStatus, stars: int, text: str) -> str:
    """The rules, apart from storage: who may review and what a review may hold."""
    if status not in REVIEWABLE:
        raise ReviewNotAllowed(status=status.value)
    if not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5:
        raise InvalidInput(field="stars", reason="range", minimum=1, maximum=5)
    text = text.strip()
    if len(text) > TEXT_MAX:
        raise InvalidInput(field="text", reason="too_long", limit=TEXT_MAX)
    return text


class ReviewService:
    def __init__(self, db: Database, clock: Clock = system_clock) -> None:
        self._db = db
        self._clock = clock

    async def add(self, customer_id: int, order_line_id: int, stars: int, text: str = "") -> ReviewDTO:
        now = self._clock()
        async with self._db.uow() as uow:
            line = await uow.session.get(OrderLine, order_line_id)
            order = await uow.session.get(Order, line.order_id) if line else None
            if line is None or order is None or order.customer_id != customer_id:
                raise NotFound(entity="order_line", id=order_line_id)
            text = check_review(OrderStatus(order.status), stars, text)
            row = Review(order_line_id=order_line_id, product_id=line.product_id, customer_id=customer_id,
                         stars=stars, text=text, created_at=now)
            uow.session.add(row)
            try:
                await uow.flush()
            except IntegrityError:
                raise AlreadyReviewed(order_line_id=order_line_id) from None
            record(uow.session, actor=actor_of(customer_id), action="review.add", entity="review",
                   entity_id=row.id, at=now, stars=stars)
            await uow.commit()
            assert row.id is not None
            return ReviewDTO(row.id, row.product_id, row.stars, row.text, row.created_at)

    async def for_product(self, product_id: int, *, limit: int = 10, offset: int = 0) -> list[ReviewDTO]:
        async with self._db.uow(write=False) as uow:
            rows = (await uow.session.execute(select(Review).where(Review.product_id == product_id)
                                              .order_by(Review.id.desc()).offset(offset).limit(min(limit, 50))))
            return [ReviewDTO(r.id or 0, r.product_id, r.stars, r.text, r.created_at) for r in rows.scalars()]
