"""SQLModel tables. Rows never leave `commerce/`: services turn them into frozen DTOs.

Money is stored as integer minor units (`*_minor`) with the currency beside it, never as a float or a
database NUMERIC that SQLite would turn into one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, Integer, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from commerce.storage.types import Units, UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


def _when(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


# 64-bit on PostgreSQL (¥2,147,483,647 is not a ceiling for an order); SQLite's INTEGER is 64-bit already.
MINOR_UNITS: Final = BigInteger().with_variant(Integer(), "sqlite")

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
    price_minor: int = Field(sa_type=MINOR_UNITS)
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
    total_minor: int = Field(sa_type=MINOR_UNITS)
    needs_shipping: bool = False
    shipping_ciphertext: bytes | None = Field(default=None, sa_type=LargeBinary)
    tracking: str | None = Field(default=None, max_length=128)
    overpaid_units: int | None = Field(default=None, sa_type=Units)
    credited_minor: int = Field(default=0, sa_type=MINOR_UNITS)  # what the buyer was last told had arrived (fiat)
    referral_code: str | None = Field(default=None, max_length=16)
    # The bill, frozen at checkout (commerce/bill.py): total = subtotal − discount + shipping (+ tax added).
    subtotal_minor: int = Field(default=0, sa_type=MINOR_UNITS)
    discount_minor: int = Field(default=0, sa_type=MINOR_UNITS)
    shipping_minor: int = Field(default=0, sa_type=MINOR_UNITS)
    tax_minor: int = Field(default=0, sa_type=MINOR_UNITS)       # every rate's tax, included or added
    coupon_code: str | None = Field(default=None, max_length=32)
    bill: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # tax mode, zone, tax per rate, registration
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
    unit_price_minor: int = Field(sa_type=MINOR_UNITS)
    quantity: int
    tax_rate: str = Field(default="0", max_length=8)               # percent, exact decimal text
    discount_minor: int = Field(default=0, sa_type=MINOR_UNITS)    # this line's share of the order's discount


class Coupon(SQLModel, table=True):
    """A discount code. `uses` counts orders holding it, claimed with a guarded UPDATE (never past `max_uses`)."""

    __table_args__ = (CheckConstraint("uses >= 0", name="ck_coupon_uses"),)
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)       # upper case
    kind: str = Field(max_length=16)                    # percent | fixed | free_shipping
    percent: str = Field(default="0", max_length=8)
    amount_minor: int = Field(default=0, sa_type=MINOR_UNITS)
    min_order_minor: int = Field(default=0, sa_type=MINOR_UNITS)
    free_shipping: bool = False
    starts_at: datetime | None = _when(default=None)
    ends_at: datetime | None = _when(default=None)
    max_uses: int | None = None
    per_customer: int | None = None
    uses: int = 0
    product_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    categories: list[str] = Field(default_factory=list, sa_type=JSON)
    owner_id: int | None = Field(default=None, foreign_key="customer.id", index=True)  # only they may use it
    source: str = Field(default="seller", max_length=16)   # seller | referral
    reward_for: int | None = Field(default=None, foreign_key="orders.id", unique=True)  # the invited order it rewards
    paused: bool = False
    deleted: bool = False
    created_by: int | None = Field(default=None, foreign_key="customer.id")
    created_at: datetime = _when(default_factory=utcnow)


class CouponUse(SQLModel, table=True):
    """One order holding a coupon; `released_at` once the order expired or was cancelled (the use came back)."""

    __tablename__ = "coupon_use"
    id: int | None = Field(default=None, primary_key=True)
    coupon_id: int = Field(foreign_key="coupon.id", index=True)
    order_id: int = Field(foreign_key="orders.id", unique=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    created_at: datetime = _when(default_factory=utcnow)
    released_at: datetime | None = _when(default=None)


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


class PaymentRequest(SQLModel, table=True):
    """What the buyer was asked to pay for an order with one method: a target and an exact amount."""

    __tablename__ = "payment_request"
    __table_args__ = (Index("ix_payment_request_target", "chain", "address"),)
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    method_id: str = Field(max_length=32)
    chain: str = Field(max_length=48)
    asset: str = Field(max_length=12)
    token: str | None = Field(default=None, max_length=64)
    decimals: int
    address: str = Field(max_length=100)
    derivation_index: int | None = None
    amount_units: int = Field(sa_type=Units)
    price: str = Field(max_length=64)              # fiat per whole unit, exact decimal text
    uri: str = Field(sa_type=Text)
    status: str = Field(default="open", max_length=16)   # open | replaced
    confirmations: int
    tolerance_units: int = Field(default=0, sa_type=Units)  # an underpayment this small still counts as paid
    due_minor: int = Field(sa_type=MINOR_UNITS)             # the part of the order total (fiat) this request asks for
    created_at: datetime = _when(default_factory=utcnow)
    expires_at: datetime = _when()
    late_until: datetime = _when()


class AmountSlot(SQLModel, table=True):
    """An amount that identifies one request on a shared receive address (EVM offset scheme).

    UNIQUE, so two open requests never expect the same amount of the same asset at the same address;
    a slot is freed only after its request's late-payment window.
    """

    __tablename__ = "amount_slot"
    __table_args__ = (UniqueConstraint("chain", "address", "token_key", "amount_units"),)
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="payment_request.id", index=True)
    chain: str = Field(max_length=48)
    address: str = Field(max_length=100)
    token_key: str = Field(max_length=64)          # the token contract, or "native"
    amount_units: int = Field(sa_type=Units)
    free_after: datetime = _when()


class DerivationCounter(SQLModel, table=True):
    """The next unused address index per wallet account (`method_id` holds its counter key): never reused."""

    __tablename__ = "derivation_counter"
    method_id: str = Field(primary_key=True, max_length=32)
    next_index: int = 0


class Payment(SQLModel, table=True):
    """One on-chain transfer matched to a request. UNIQUE per transfer: counting it twice is impossible."""

    __table_args__ = (UniqueConstraint("chain", "txid", "output_index"),)
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="payment_request.id", index=True)
    chain: str = Field(max_length=48)
    txid: str = Field(max_length=100)
    output_index: int
    amount_units: int = Field(sa_type=Units)
    block_height: int | None = None                # None while in the mempool or after its block was orphaned
    block_hash: str | None = Field(default=None, max_length=100)
    seen_at: datetime = _when(default_factory=utcnow)
    gone_at: datetime | None = _when(default=None)  # dropped from the mempool (replaced / double-spent)


class RefundDue(SQLModel, table=True):
    """Money that reached the shop and is not counted toward its order: it is owed back to the buyer.

    One row per transfer (UNIQUE payment): the units of that transfer set aside for refund, and why. A row only
    grows (a later look may find more of the transfer surplus); `status` is `due` until someone settles it, or
    `void` when the order counted the money after all (a late payment that completed an expired order).
    """

    __tablename__ = "refund_due"
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    payment_id: int = Field(foreign_key="payment.id", unique=True)
    request_id: int = Field(foreign_key="payment_request.id")
    asset: str = Field(max_length=12)
    decimals: int
    amount_units: int = Field(sa_type=Units)
    reason: str = Field(max_length=24)
    status: str = Field(default="due", max_length=16)
    created_at: datetime = _when(default_factory=utcnow)
    updated_at: datetime = _when(default_factory=utcnow)


class ChainBlock(SQLModel, table=True):
    """The watcher's view of recent blocks: its cursor is the highest row; reorgs are found by hash."""

    __tablename__ = "chain_block"
    chain: str = Field(primary_key=True, max_length=48)
    height: int = Field(primary_key=True)
    hash: str = Field(max_length=100)


class WatcherLease(SQLModel, table=True):
    """Exactly one watcher per chain across every process sharing the database."""

    __tablename__ = "watcher_lease"
    chain: str = Field(primary_key=True, max_length=48)
    holder: str = Field(max_length=64)
    expires_at: datetime = _when()


class MessageRef(SQLModel, table=True):
    """A chat message the shop may edit later (the payment card): one per order, platform and kind."""

    __tablename__ = "message_ref"
    __table_args__ = (UniqueConstraint("order_id", "platform", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id")
    platform: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    chat_id: int = Field(sa_type=BigInteger)      # Telegram chat ids and Discord snowflakes both fit in 64 bits
    message_id: int = Field(sa_type=BigInteger)
    updated_at: datetime = _when(default_factory=utcnow)


class ConversationState(SQLModel, table=True):
    """A chat conversation's step and answers so far, for every bot process and across restarts."""

    __tablename__ = "conversation_state"
    key: str = Field(primary_key=True, max_length=200)
    state: str | None = Field(default=None, max_length=120)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = _when(default_factory=utcnow)


class TwoFactorSecret(SQLModel, table=True):
    """A seller's TOTP enrolment: the secret encrypted with the data key, the replay guard and the lockout."""

    __tablename__ = "two_factor_secret"
    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    secret_ciphertext: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = _when(default_factory=utcnow)
    confirmed_at: datetime | None = _when(default=None)   # None until a first code proves the app has it
    last_step: int | None = Field(default=None, sa_type=BigInteger)  # the newest accepted 30 s time-step
    verified_at: datetime | None = _when(default=None)    # when a code was last accepted (step-up freshness)
    failures: int = 0                                     # wrong codes since the last success or lockout
    locked_until: datetime | None = _when(default=None)


class LinkCode(SQLModel, table=True):
    """A customer's one-time code for linking another chat app (`/link`), and their wrong-code counter.

    One row per customer: issuing a new code replaces the old one. Only the code's SHA-256 is stored; a used
    code stays (with `used_at`) so a second redeem is told "already used" rather than "wrong code".
    """

    __tablename__ = "link_code"
    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    code_hash: str | None = Field(default=None, max_length=64, unique=True)
    expires_at: datetime | None = _when(default=None)
    used_at: datetime | None = _when(default=None)
    failures: int = 0                                     # wrong codes this customer typed in the current window
    failures_since: datetime | None = _when(default=None)
    locked_until: datetime | None = _when(default=None)
