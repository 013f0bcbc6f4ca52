"""Orders: checkout from the cart (or "buy now"), reading them back, and the buyer's own cancel."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Select, bindparam, delete, exists, func, insert, select

from commerce.bill import Bill, BilledLine, Destination, Item, Pricing, TaxLine, TaxMode, make_bill
from commerce.cart import check_quantity
from commerce.catalog import ProductKind
from commerce.coupons import claim, usable
from commerce.errors import (
    AddressRequired,
    CartEmpty,
    NotFound,
    OutOfStock,
    PersonalDataLocked,
    ProductUnavailable,
    ReceiptUnavailable,
)
from commerce.events import Clock, actor_of, notify, record, system_clock
from commerce.money import Money
from commerce.order_flow import apply_transition, load_order
from commerce.order_money import load_order_money
from commerce.privacy import PersonalDataCipher, ShippingAddress
from commerce.receipts import ReceiptDTO, paid_transfers
from commerce.referrals import NO_REFERRALS, ReferralRules
from commerce.roles import Permission, Role, can
from commerce.sellers import require_permission
from commerce.settlement import cover
from commerce.status import OrderAction, OrderStatus
from commerce.storage import stock
from commerce.storage.db import Database, UnitOfWork
from commerce.storage.tables import (
    Address,
    CartLine,
    Category,
    Coupon,
    Customer,
    DigitalItem,
    Order,
    OrderLine,
    PaymentRequest,
    Product,
    Variant,
)
from commerce.topics import Topic


@dataclass(frozen=True, slots=True)
class OrderLineDTO:
    id: int
    variant_id: int
    product_id: int
    title: str
    sku: str
    kind: ProductKind
    unit_price: Money
    quantity: int

    @property
    def line_total(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class OrderDTO:
    id: int
    customer_id: int
    status: OrderStatus
    total: Money
    lines: tuple[OrderLineDTO, ...]
    needs_shipping: bool
    created_at: datetime
    expires_at: datetime
    paid_at: datetime | None
    tracking: str | None
    overpaid_units: int | None
    bill: Bill


async def order_dto(uow: UnitOfWork, order: Order) -> OrderDTO:
    lines = list((await uow.session.execute(select(OrderLine).where(OrderLine.order_id == order.id)
                                            .order_by(OrderLine.id))).scalars())
    assert order.id is not None
    return OrderDTO(
        order.id, order.customer_id, OrderStatus(order.status), Money.from_minor(order.total_minor, order.currency),
        tuple(OrderLineDTO(line.id or 0, line.variant_id, line.product_id, line.title, line.sku,
                           ProductKind(line.kind), Money.from_minor(line.unit_price_minor, order.currency),
                           line.quantity) for line in lines),
        order.needs_shipping, order.created_at, order.expires_at, order.paid_at, order.tracking, order.overpaid_units,
        frozen_bill(order, lines))


def frozen_bill(order: Order, lines: Sequence[OrderLine]) -> Bill:
    """The bill as it was frozen at checkout (an order from before bills: its lines, and nothing else)."""
    summary = order.bill or {}
    billed = tuple(BilledLine(Item(line.product_id, None, line.kind == ProductKind.PHYSICAL, line.unit_price_minor,
                                   line.quantity, line.title),
                              line.unit_price_minor * line.quantity, line.discount_minor, Decimal(line.tax_rate))
                   for line in lines)
    return Bill(billed, order.subtotal_minor, order.discount_minor, order.coupon_code, order.shipping_minor,
                summary.get("zone"), summary.get("zone_name"), TaxMode(summary.get("mode", TaxMode.NONE.value)),
                tuple(TaxLine(Decimal(t["rate"]), int(t["base"]), int(t["tax"])) for t in summary.get("taxes", ())),
                order.total_minor, summary.get("registration", ""), bool(summary.get("free_shipping")), order.currency)


@dataclass(frozen=True, slots=True)
class DeliveredItem:
    order_line_id: int
    title: str
    content: str


@dataclass(frozen=True, slots=True)
class PaymentSummary:
    """How the order was (or is to be) paid: its latest payment request, in base units of the asset."""

    method_id: str
    asset: str
    amount_units: int
    decimals: int


@dataclass(frozen=True, slots=True)
class OrderDetailDTO:
    """Everything the buyer may look up about their own order later."""

    order: OrderDTO
    address: ShippingAddress | None
    payment: PaymentSummary | None
    delivered: tuple[DeliveredItem, ...]  # digital items, once the order is paid for and kept


async def delivered_items_of(uow: UnitOfWork, order_id: int) -> list[DeliveredItem]:
    rows = await uow.session.execute(
        select(OrderLine.id, OrderLine.title, DigitalItem.content)
        .join(DigitalItem, DigitalItem.order_line_id == OrderLine.id)
        .where(OrderLine.order_id == order_id).order_by(DigitalItem.id))
    return [DeliveredItem(line_id, title, content) for line_id, title, content in rows]


# Core tables for checkout: the ORM's DML and entity layers cost more than the statements themselves.
ORDERS = Order.__table__  # type: ignore[attr-defined]
ORDER_LINES = OrderLine.__table__  # type: ignore[attr-defined]
CUSTOMERS = Customer.__table__  # type: ignore[attr-defined]
VARIANTS = Variant.__table__  # type: ignore[attr-defined]
PRODUCTS = Product.__table__  # type: ignore[attr-defined]
CATEGORIES = Category.__table__  # type: ignore[attr-defined]
ADDRESSES = Address.__table__  # type: ignore[attr-defined]
CART_LINES = CartLine.__table__  # type: ignore[attr-defined]


def _snapshot_statement() -> Select[Any]:
    c, v, p, g = CUSTOMERS.c, VARIANTS.c, PRODUCTS.c, CATEGORIES.c
    customer = select(c.referred_by).where(c.id == bindparam("customer"), c.erased_at.is_(None)).subquery()
    return (select(customer.c.referred_by, v.id, v.sku, v.options, v.price_minor, p.id.label("product_id"),
                   p.title, p.kind, p.visible, p.deleted, g.name.label("category"))
            .select_from(customer)
            .outerjoin(VARIANTS, v.id.in_(bindparam("variants", expanding=True)))
            .outerjoin(PRODUCTS, p.id == v.product_id)
            .outerjoin(CATEGORIES, g.id == p.category_id))


# Checkout's statements, built once: building one (and its cache key) on every call cost about as much as
# running it.
_SNAPSHOT: Final = _snapshot_statement()
_CART: Final = (select(CART_LINES.c.variant_id, CART_LINES.c.quantity)
                .where(CART_LINES.c.customer_id == bindparam("customer")).order_by(CART_LINES.c.id))
_CART_LOCKED: Final = _CART.with_for_update()
_EMPTY_CART: Final = delete(CART_LINES).where(CART_LINES.c.customer_id == bindparam("customer"))
_ADDRESS: Final = (select(ADDRESSES.c.customer_id, ADDRESSES.c.ciphertext)
                   .where(ADDRESSES.c.id == bindparam("address")))
_NEW_ORDER: Final = insert(ORDERS).returning(ORDERS.c.id)
_NEW_LINES: Final = insert(ORDER_LINES).returning(ORDER_LINES.c.id, ORDER_LINES.c.variant_id)


@dataclass(frozen=True, slots=True)
class NewLine:
    """An order line before it is stored: the snapshot taken at checkout."""

    variant_id: int
    product_id: int
    title: str
    sku: str
    kind: str
    unit_price_minor: int
    quantity: int
    category: str | None

    def item(self) -> Item:
        return Item(self.product_id, self.category, self.kind == ProductKind.PHYSICAL, self.unit_price_minor,
                    self.quantity, self.title)


class OrderService:
    def __init__(self, db: Database, cipher: PersonalDataCipher, *, currency: str, payment_window: timedelta,
                 pricing: Pricing | None = None, clock: Clock = system_clock,
                 referrals: ReferralRules = NO_REFERRALS) -> None:
        self._db = db
        self._referrals = referrals  # a free first order may reward whoever invited the buyer
        self._cipher = cipher
        self._currency = currency
        self._window = payment_window
        self._pricing = pricing or Pricing()
        self._clock = clock

    @property
    def pricing(self) -> Pricing:
        return self._pricing

    async def quote(self, customer_id: int, *, items: Sequence[tuple[int, int]] | None = None,
                    address: ShippingAddress | None = None, address_id: int | None = None,
                    coupon: str | None = None) -> Bill:
        """The bill checkout would make now, for the summary the buyer confirms; nothing is reserved or claimed.

        Raises what checkout would: CouponRejected, ShippingUnavailable, ProductUnavailable, NotFound."""
        now = self._clock()
        async with self._db.uow(write=False) as uow:
            if items is None:
                connection = await uow.connection()
                items = list((await connection.execute(_CART, {"customer": customer_id})).all())
            wanted = _wanted(items)
            _, snapshot = await self._snapshot(uow, customer_id, wanted)
            return (await self._bill(uow, customer_id, snapshot, address, address_id, coupon, now))[0]

    async def _bill(self, uow: UnitOfWork, customer_id: int, snapshot: Sequence[NewLine],
                    address: ShippingAddress | None, address_id: int | None, coupon: str | None,
                    now: datetime) -> tuple[Bill, Coupon | None, bytes | None]:
        """The bill, the coupon row it uses (to claim) and the sealed shipping address (None for digital goods)."""
        needs_shipping = any(line.kind == ProductKind.PHYSICAL for line in snapshot)
        sealed, destination = None, None
        if needs_shipping:
            sealed, destination = await self._shipping(uow, customer_id, address, address_id)
        row, discount = await usable(uow, coupon, customer_id, now) if coupon else (None, None)
        bill = make_bill([line.item() for line in snapshot], self._pricing, destination=destination,
                         discount=discount)
        return bill, row, sealed

    async def checkout(self, customer_id: int, *, items: Sequence[tuple[int, int]] | None = None,
                       address: ShippingAddress | None = None, address_id: int | None = None,
                       coupon: str | None = None) -> OrderDTO:
        """Turn the cart (or `items`, for "buy now") into an order awaiting payment, reserving stock, with its
        bill frozen (commerce/bill.py) and the coupon's use counted.

        All or nothing: if any line is out of stock, the address can't be shipped to or the coupon is refused
        (CouponRejected — its last use went to someone else first), nothing is reserved and the cart is untouched.
        """
        now = self._clock()
        async with self._db.uow() as uow:
            # Core statements, not ORM objects: checkout is the hot path under a sale's rush.
            connection = await uow.connection()
            from_cart = items is None
            if items is None:
                # Locked (FOR UPDATE on PostgreSQL; SQLite writers queue at BEGIN IMMEDIATE): a second checkout of
                # the same cart (a double tap reaching two replicas) waits here, then finds the cart emptied.
                items = list((await connection.execute(_CART_LOCKED, {"customer": customer_id})).all())
            wanted = _wanted(items)
            referred_by, snapshot = await self._snapshot(uow, customer_id, wanted)
            bill, coupon_row, shipping = await self._bill(uow, customer_id, snapshot, address, address_id, coupon,
                                                          now)
            for line in snapshot:
                if not await stock.reserve(uow, line.variant_id, line.quantity):
                    available = (await connection.execute(select(Variant.stock)
                                                       .where(Variant.id == line.variant_id))).scalar_one()
                    raise OutOfStock(variant_id=line.variant_id, title=line.title, requested=line.quantity,
                                     available=available)
            needs_shipping = shipping is not None
            total = bill.total_minor
            order_id = (await connection.execute(_NEW_ORDER, {
                "customer_id": customer_id, "status": OrderStatus.AWAITING_PAYMENT, "currency": self._currency,
                "total_minor": total, "needs_shipping": needs_shipping, "shipping_ciphertext": shipping,
                "referral_code": referred_by, "created_at": now, "expires_at": now + self._window, "updated_at": now,
                "subtotal_minor": bill.subtotal_minor, "discount_minor": bill.discount_minor,
                "shipping_minor": bill.shipping_minor, "tax_minor": bill.tax_minor, "coupon_code": bill.coupon,
                "bill": bill.summary_json()})).scalar_one()
            if coupon_row is not None:
                await claim(uow, coupon_row, order_id=order_id, customer_id=customer_id, now=now)
            rows = [{"order_id": order_id, "variant_id": line.variant_id, "product_id": line.product_id,
                     "title": line.title, "sku": line.sku, "kind": line.kind,
                     "unit_price_minor": line.unit_price_minor, "quantity": line.quantity,
                     "tax_rate": str(billed.tax_rate), "discount_minor": billed.discount_minor}
                    for line, billed in zip(snapshot, bill.lines, strict=True)]
            # One INSERT … RETURNING for all the lines (a line per variant: the ids come back by variant).
            line_ids = dict((variant_id, line_id) for line_id, variant_id in
                            (await connection.execute(_NEW_LINES, rows)).all())
            lines = [OrderLineDTO(line_ids[line.variant_id], line.variant_id, line.product_id, line.title, line.sku,
                                  ProductKind(line.kind), Money.from_minor(line.unit_price_minor, self._currency),
                                  line.quantity)
                     for line in snapshot]
            if from_cart:
                await connection.execute(_EMPTY_CART, {"customer": customer_id})
            record(uow.session, actor=actor_of(customer_id), action="order.checkout", entity="order",
                   entity_id=order_id, at=now, total_minor=total, currency=self._currency, coupon=bill.coupon)
            status, paid_at = OrderStatus.AWAITING_PAYMENT, None
            if total == 0:
                # Free goods: nothing to pay, so no payment request; paid (and digital items delivered) at once.
                status, paid_at = await _complete_free(uow, order_id, customer_id, now, self._referrals), now
            else:
                notify(uow.session, topic=Topic.ORDER_CREATED, at=now, audience="sellers", order_id=order_id)
            await uow.commit()
        return OrderDTO(order_id, customer_id, status, Money.from_minor(total, self._currency),
                        tuple(lines), needs_shipping, now, now + self._window, paid_at, None, None, bill)

    @staticmethod
    async def _snapshot(uow: UnitOfWork, customer_id: int, wanted: Counter[int]) -> tuple[str | None, list[NewLine]]:
        """The buyer's referral and what each line will say forever: title with variant label, SKU, price.

        One query for both (statements are what checkout spends its time on).
        """
        connection = await uow.connection()
        result = await connection.execute(_SNAPSHOT, {"customer": customer_id, "variants": list(wanted)})
        fetched = result.all()
        if not fetched:
            raise NotFound(entity="customer", id=customer_id)
        rows = {row.id: row for row in fetched if row.id is not None}
        lines = []
        for variant_id, quantity in wanted.items():
            row = rows.get(variant_id)
            if row is None:
                raise NotFound(entity="variant", id=variant_id)
            if row.deleted or not row.visible:
                raise ProductUnavailable(product_id=row.product_id, title=row.title)
            label = " / ".join(value for _, value in sorted(row.options.items()))
            lines.append(NewLine(variant_id=variant_id, product_id=row.product_id,
                                 title=f"{row.title} ({label})" if label else row.title, sku=row.sku,
                                 kind=row.kind, unit_price_minor=row.price_minor, quantity=check_quantity(quantity),
                                 category=row.category))
        return fetched[0].referred_by, lines

    async def _shipping(self, uow: UnitOfWork, customer_id: int, address: ShippingAddress | None,
                        address_id: int | None) -> tuple[bytes, Destination]:
        """The address sealed for the order, and where it is (for the shipping zone)."""
        if address_id is not None:
            connection = await uow.connection()
            row = (await connection.execute(_ADDRESS, {"address": address_id})).one_or_none()
            if row is None or row.customer_id != customer_id:
                raise NotFound(entity="address", id=address_id)
            sealed = bytes(row.ciphertext)
            if not self._pricing.shipping.enabled:
                return sealed, Destination("")
            address = self._cipher.decrypt_address(sealed)
            return sealed, Destination(address.country, address.region)
        if address is not None:
            return self._cipher.encrypt_address(address), Destination(address.country, address.region)
        raise AddressRequired()

    async def get(self, customer_id: int, order_id: int) -> OrderDTO:
        """The buyer's own order; someone else's order is 'not found' (no hint that it exists)."""
        async with self._db.uow(write=False) as uow:
            order = await uow.session.get(Order, order_id)
            if order is None or order.customer_id != customer_id:
                raise NotFound(entity="order", id=order_id)
            return await order_dto(uow, order)

    async def outstanding(self, customer_id: int, order_id: int) -> Money:
        """What is still to pay: the total less every transfer counted toward it so far, across all the order's
        payment requests (a buyer who paid part and then changed method is asked only for the rest)."""
        async with self._db.uow(write=False) as uow:
            order = await uow.session.get(Order, order_id)
            if order is None or order.customer_id != customer_id:
                raise NotFound(entity="order", id=order_id)
            money = await load_order_money(uow, order, {})
            currency = order.currency
        counted = cover(money.total_minor, money.requests, [f for f in money.inflows if f.live]).covered_minor
        return Money.from_minor(max(0, money.total_minor - counted), currency)

    async def detail(self, customer_id: int, order_id: int) -> OrderDetailDTO:
        """The buyer's own order with its address, payment and digital items (a lost key can be found again
        here); someone else's order is 'not found'. Items are shown only while the shop keeps the money."""
        async with self._db.uow(write=False) as uow:
            order = await self._own(uow, customer_id, order_id)
            dto = await order_dto(uow, order)
            delivered = await delivered_items_of(uow, order_id) if dto.status.is_settled else []
            return OrderDetailDTO(dto, self._address_of(order), await _latest_payment(uow, order_id),
                                  tuple(delivered))

    async def receipt(self, customer_id: int, order_id: int) -> ReceiptDTO:
        """The buyer's own paid order as its receipt shows it: the detail (its frozen bill) and the transfers that
        paid for it (docs/receipts.md). Someone else's order is 'not found'; an order the shop doesn't hold the
        money for (awaiting payment, cancelled, refunded, …) has no receipt: ReceiptUnavailable."""
        async with self._db.uow(write=False) as uow:
            order = await self._own(uow, customer_id, order_id)
            status = OrderStatus(order.status)
            if not status.is_settled:
                raise ReceiptUnavailable(order_id=order_id, status=status)
            detail = OrderDetailDTO(await order_dto(uow, order), self._address_of(order),
                                    await _latest_payment(uow, order_id), ())
            return ReceiptDTO(detail, await paid_transfers(uow, order))

    @staticmethod
    async def _own(uow: UnitOfWork, customer_id: int, order_id: int) -> Order:
        order = await uow.session.get(Order, order_id)
        if order is None or order.customer_id != customer_id:
            raise NotFound(entity="order", id=order_id)
        return order

    def _address_of(self, order: Order) -> ShippingAddress | None:
        """The shipping address, or None when there is none or it can't be read (no data key configured)."""
        if not order.shipping_ciphertext or not self._cipher.enabled:
            return None
        try:
            return self._cipher.decrypt_address(order.shipping_ciphertext)
        except PersonalDataLocked:
            return None

    async def history(self, customer_id: int, *, limit: int = 20, offset: int = 0) -> list[OrderDTO]:
        async with self._db.uow(write=False) as uow:
            query = (select(Order).where(Order.customer_id == customer_id)
                     .order_by(Order.id.desc()).offset(offset).limit(min(limit, 50)))
            rows = (await uow.session.execute(query)).scalars()
            return [await order_dto(uow, row) for row in rows]

    async def cancel(self, customer_id: int, order_id: int) -> OrderDTO:
        """The buyer changes their mind before paying: the reservation goes back on sale."""
        async with self._db.uow() as uow:
            order = await load_order(uow, order_id)
            if order.customer_id != customer_id:
                raise NotFound(entity="order", id=order_id)
            await apply_transition(uow, order, OrderAction.CANCEL, actor=actor_of(customer_id), now=self._clock())
            dto = await order_dto(uow, order)
            await uow.commit()
            return dto

    async def shipping_address(self, actor_id: int, order_id: int) -> ShippingAddress | None:
        """The order's address, for its buyer or for staff who fulfil orders."""
        async with self._db.uow(write=False) as uow:
            order = await load_order(uow, order_id)
            if order.customer_id != actor_id:
                await require_permission(uow, actor_id, Permission.MANAGE_ORDERS)
            return self._cipher.decrypt_address(order.shipping_ciphertext) if order.shipping_ciphertext else None

    async def orders_by_status(self, actor_id: int, status: OrderStatus | None = None, *, limit: int = 20,
                               offset: int = 0) -> list[OrderDTO]:
        """Orders for the seller's screen; a `seller` sees orders that contain their own products."""
        async with self._db.uow(write=False) as uow:
            role = await require_permission(uow, actor_id, Permission.VIEW_ORDERS)
            query = select(Order).order_by(Order.id.desc()).offset(offset).limit(min(limit, 50))
            if status is not None:
                query = query.where(Order.status == status)
            if role is Role.SELLER:
                query = query.where(exists().where(OrderLine.order_id == Order.id,
                                                   OrderLine.product_id == Product.id, Product.seller_id == actor_id))
            return [await order_dto(uow, row) for row in (await uow.session.execute(query)).scalars()]

    async def staff_detail(self, actor_id: int, order_id: int) -> OrderDetailDTO:
        """One order for the shop's staff: what `orders_by_status` would show them, with its payment; the
        shipping address only for roles that fulfil orders. A `seller` sees orders holding their products."""
        async with self._db.uow(write=False) as uow:
            role = await require_permission(uow, actor_id, Permission.VIEW_ORDERS)
            order = await uow.session.get(Order, order_id)
            if order is None:
                raise NotFound(entity="order", id=order_id)
            if role is Role.SELLER and not (await uow.session.execute(select(exists().where(
                    OrderLine.order_id == order_id, OrderLine.product_id == Product.id,
                    Product.seller_id == actor_id)))).scalar():
                raise NotFound(entity="order", id=order_id)
            dto = await order_dto(uow, order)
            address = self._address_of(order) if can(role, Permission.MANAGE_ORDERS) else None
            return OrderDetailDTO(dto, address, await _latest_payment(uow, order_id), ())

    async def count_by_status(self) -> dict[OrderStatus, int]:
        async with self._db.uow(write=False) as uow:
            rows = await uow.session.execute(select(Order.status, func.count()).group_by(Order.status))
            return {OrderStatus(status): count for status, count in rows}


async def _latest_payment(uow: UnitOfWork, order_id: int) -> PaymentSummary | None:
    request = (await uow.session.execute(select(PaymentRequest).where(PaymentRequest.order_id == order_id)
                                         .order_by(PaymentRequest.id.desc()).limit(1))).scalar_one_or_none()
    return (PaymentSummary(request.method_id, request.asset, request.amount_units, request.decimals)
            if request else None)


def _wanted(items: Sequence[tuple[int, int]]) -> Counter[int]:
    wanted: Counter[int] = Counter()
    for variant_id, quantity in items:
        wanted[variant_id] += check_quantity(quantity)
    if not wanted:
        raise CartEmpty()
    return wanted


async def _complete_free(uow: UnitOfWork, order_id: int, customer_id: int, now: datetime,
                         referrals: ReferralRules) -> OrderStatus:
    order = await load_order(uow, order_id)
    return await apply_transition(uow, order, OrderAction.NOTHING_DUE, actor=actor_of(customer_id), now=now,
                                  referrals=referrals)
