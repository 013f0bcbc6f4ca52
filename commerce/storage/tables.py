"""SQLModel tables. Rows never leave `commerce/`: services turn them into frozen DTOs.

Money is stored as integer minor units (`*_minor`) with the currency beside it, never as a float or a
database NUMERIC that SQLite would turn into one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from commerce.storage.types import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


def _when(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


class Customer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    locale: str | None = Field(default=None, max_length=8)
    marketing_opt_in: bool = False
    referral_code: str = Field(max_length=16, unique=True)
    referred_by: str | None = Field(default=None, max_length=16)
    created_at: datetime = _when(default_factory=utcnow)
    erased_at: datetime | None = _when(default=None)


class Identity(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("platform", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    display_name: str | None = Field(default=None, max_length=128)
    unreachable_since: datetime | None = _when(default=None)


class Address(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    ciphertext: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = _when(default_factory=utcnow)


class Seller(SQLModel, table=True):
    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    role: str = Field(max_length=16)
    granted_by: int | None = Field(default=None, foreign_key="customer.id")
    granted_at: datetime = _when(default_factory=utcnow)


class Category(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    position: int = 0


class Product(SQLModel, table=True):
    __table_args__ = (
        Index("ix_product_listing", "deleted", "visible", "id"),
        Index("ix_product_category", "category_id", "deleted", "visible", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=120)
    description: str = Field(default="", sa_type=Text)
    kind: str = Field(default="physical", max_length=16)
    visible: bool = True
    deleted: bool = False
    seller_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    category_id: int | None = Field(default=None, foreign_key="category.id")
    photos: list[str] = Field(default_factory=list, sa_type=JSON)
    search_text: str = Field(default="", sa_type=Text)
    created_at: datetime = _when(default_factory=utcnow)
    updated_at: datetime = _when(default_factory=utcnow)


class Variant(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("stock >= 0", name="ck_variant_stock"),
        CheckConstraint("reserved >= 0", name="ck_variant_reserved"),
        CheckConstraint("price_minor >= 0", name="ck_variant_price"),
    )
    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    sku: str = Field(max_length=64, unique=True)
    options: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    price_minor: int
    stock: int = 0
    reserved: int = 0
    sold: int = 0
    position: int = 0


class DigitalItem(SQLModel, table=True):
    __tablename__ = "digital_item"
    __table_args__ = (Index("ix_digital_item_free", "variant_id", "order_line_id"),)
    id: int | None = Field(default=None, primary_key=True)
    variant_id: int = Field(foreign_key="variant.id")
    content: str = Field(sa_type=Text)
    order_line_id: int | None = Field(default=None, foreign_key="order_line.id")
    created_at: datetime = _when(default_factory=utcnow)


class CartLine(SQLModel, table=True):
    __tablename__ = "cart_line"
    __table_args__ = (UniqueConstraint("customer_id", "variant_id"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    variant_id: int = Field(foreign_key="variant.id")
    quantity: int
    added_at: datetime = _when(default_factory=utcnow)


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_status_expires", "status", "expires_at"),)
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    status: str = Field(max_length=20)
    currency: str = Field(max_length=3)
    total_minor: int
    needs_shipping: bool = False
    shipping_ciphertext: bytes | None = Field(default=None, sa_type=LargeBinary)
    tracking: str | None = Field(default=None, max_length=128)
    overpaid_units: int | None = None
    referral_code: str | None = Field(default=None, max_length=16)
    created_at: datetime = _when(default_factory=utcnow)
    expires_at: datetime = _when()
    paid_at: datetime | None = _when(default=None)
    updated_at: datetime = _when(default_factory=utcnow)


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_line"
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    variant_id: int = Field(foreign_key="variant.id")
    product_id: int = Field(foreign_key="product.id")
    title: str = Field(max_length=200)
    sku: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    unit_price_minor: int
    quantity: int


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when(default_factory=utcnow)
    actor: str = Field(max_length=48)
    action: str = Field(max_length=48)
    entity: str = Field(max_length=24)
    entity_id: int | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "sent_at", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _when(default_factory=utcnow)
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    audience: str = Field(default="customer", max_length=16)
    topic: str = Field(max_length=48)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    attempts: int = 0
    next_attempt_at: datetime = _when(default_factory=utcnow)
    sent_at: datetime | None = _when(default=None)
    failed_at: datetime | None = _when(default=None)
    last_error: str | None = Field(default=None, max_length=500)


class Review(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    order_line_id: int = Field(foreign_key="order_line.id", unique=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    customer_id: int = Field(foreign_key="customer.id")
    stars: int
    text: str = Field(default="", max_length=1000)
    created_at: datetime = _when(default_factory=utcnow)


class SupportTicket(SQLModel, table=True):
    __tablename__ = "support_ticket"
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    order_id: int | None = Field(default=None, foreign_key="orders.id")
    subject: str = Field(max_length=120)
    status: str = Field(default="open", max_length=16)
    created_at: datetime = _when(default_factory=utcnow)
    updated_at: datetime = _when(default_factory=utcnow)


class SupportMessage(SQLModel, table=True):
    __tablename__ = "support_message"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="support_ticket.id", index=True)
    author_id: int | None = Field(default=None, foreign_key="customer.id")
    from_shop: bool = False
    text: str = Field(sa_type=Text)
    created_at: datetime = _when(default_factory=utcnow)


class Broadcast(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="customer.id")
    text: str = Field(sa_type=Text)
    status: str = Field(default="sending", max_length=16)
    created_at: datetime = _when(default_factory=utcnow)
    finished_at: datetime | None = _when(default=None)


class BroadcastRecipient(SQLModel, table=True):
    __tablename__ = "broadcast_recipient"
    __table_args__ = (UniqueConstraint("broadcast_id", "customer_id"),)
    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcast.id", index=True)
    customer_id: int = Field(foreign_key="customer.id")
    status: str = Field(default="pending", max_length=16)
    error: str | None = Field(default=None, max_length=200)
