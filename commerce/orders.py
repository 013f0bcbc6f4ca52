"""Orders: checkout from the cart (or "buy now"), reading them back, and the buyer's own cancel."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, insert, select

from commerce.cart import check_quantity
from commerce.catalog import ProductKind
from commerce.errors import AddressRequired, CartEmpty, NotFound, OutOfStock, PersonalDataLocked, ProductUnavailable
from commerce.events import Clock, actor_of, notify, record, system_clock
from commerce.money import Money
from commerce.order_flow import apply_transition, load_order
from commerce.order_money import load_order_money
from commerce.privacy import PersonalDataCipher, ShippingAddress
from commerce.roles import Permission, Role, can
from commerce.sellers import require_permission
from commerce.settlement import cover
from commerce.status import OrderAction, OrderStatus
from commerce.storage import stock
from commerce.storage.db import Database, UnitOfWork
from commerce.storage.tables import (
    Address,
    CartLine,
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


async def order_dto(uow: UnitOfWork, order: Order) -> OrderDTO:
    lines = (await uow.session.execute(select(OrderLine).where(OrderLine.order_id == order.id)
                                       .order_by(OrderLine.id))).scalars()
    assert order.id is not None
    return OrderDTO(
        order.id, order.customer_id, OrderStatus(order.status), Money.from_minor(order.total_minor, order.currency),
        tuple(OrderLineDTO(line.id or 0, line.variant_id, line.product_id, line.title, line.sku,
                           ProductKind(line.kind), Money.from_minor(line.unit_price_minor, order.currency),
                           line.quantity) for line in lines),
        order.needs_shipping, order.created_at, order.expires_at, order.paid_at, order.tracking, order.overpaid_units)


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


class OrderService:
    def __init__(self, db: Database, cipher: PersonalDataCipher, *, currency: str, payment_window: timedelta,
                 clock: Clock = system_clock) -> None:
        self._db = db
        self._cipher = cipher
        self._currency = currency
        self._window = payment_window
        self._clock = clock

    async def checkout(self, customer_id: int, *, items: Sequence[tuple[int, int]] | None = None,
                       address: ShippingAddress | None = None, address_id: int | None = None) -> OrderDTO:
        """Turn the cart (or `items`, for "buy now") into an order awaiting payment, reserving stock.

        All or nothing: if any line is out of stock, nothing is reserved and the cart is untouched.
        """
        now = self._clock()
        async with self._db.uow() as uow:
            # Core statements, not ORM objects: checkout is the hot path under a sale's rush.
            connection = await uow.connection()
            from_cart = items is None
            if items is None:
                # Locked (FOR UPDATE on PostgreSQL; SQLite writers queue at BEGIN IMMEDIATE): a second checkout of
                # the same cart (a double tap reaching two replicas) waits here, then finds the cart emptied.
                items = list((await connection.execute(select(CartLine.variant_id, CartLine.quantity)
                              .where(CartLine.customer_id == customer_id).order_by(CartLine.id)
                              .with_for_update())).all())
            wanted: Counter[int] = Counter()
            for variant_id, quantity in items:
                wanted[variant_id] += check_quantity(quantity)
            if not wanted:
                raise CartEmpty()
            referred_by, snapshot = await self._snapshot(uow, customer_id, wanted)
            for line in snapshot:
                if not await stock.reserve(uow, line.variant_id, line.quantity):
                    available = (await connection.execute(select(Variant.stock)
                                                       .where(Variant.id == line.variant_id))).scalar_one()
                    raise OutOfStock(variant_id=line.variant_id, title=line.title, requested=line.quantity,
                                     available=available)
            needs_shipping = any(line.kind == ProductKind.PHYSICAL for line in snapshot)
            shipping = await self._shipping(uow, customer_id, address, address_id) if needs_shipping else None
            total = sum(line.unit_price_minor * line.quantity for line in snapshot)
            order_id = (await connection.execute(insert(ORDERS).values(
                customer_id=customer_id, status=OrderStatus.AWAITING_PAYMENT, currency=self._currency,
                total_minor=total, needs_shipping=needs_shipping, shipping_ciphertext=shipping,
                referral_code=referred_by, created_at=now, expires_at=now + self._window, updated_at=now,
            ).returning(ORDERS.c.id))).scalar_one()
            lines = []
            for line in snapshot:
                values = {**asdict(line), "order_id": order_id}
                line_id = (await connection.execute(insert(ORDER_LINES).values(**values)
                                                 .returning(ORDER_LINES.c.id))).scalar_one()
                price = Money.from_minor(line.unit_price_minor, self._currency)
                lines.append(OrderLineDTO(line_id, line.variant_id, line.product_id, line.title, line.sku,
                                          ProductKind(line.kind), price,
                                          line.quantity))
            if from_cart:
                await connection.execute(delete(CartLine).where(CartLine.customer_id == customer_id))
            record(uow.session, actor=actor_of(customer_id), action="order.checkout", entity="order",
                   entity_id=order_id, at=now, total_minor=total, currency=self._currency)
            status, paid_at = OrderStatus.AWAITING_PAYMENT, None
            if total == 0:
                # Free goods: nothing to pay, so no payment request; paid (and digital items delivered) at once.
                status, paid_at = await _complete_free(uow, order_id, customer_id, now), now
            else:
                notify(uow.session, topic=Topic.ORDER_CREATED, at=now, audience="sellers", order_id=order_id)
            await uow.commit()
        return OrderDTO(order_id, customer_id, status, Money.from_minor(total, self._currency),
                        tuple(lines), needs_shipping, now, now + self._window, paid_at, None, None)

    @staticmethod
    async def _snapshot(uow: UnitOfWork, customer_id: int, wanted: Counter[int]) -> tuple[str | None, list[NewLine]]:
        """The buyer's referral and what each line will say forever: title with variant label, SKU, price.

        One query for both (statements are what checkout spends its time on).
        """
        c, v, p = CUSTOMERS.c, VARIANTS.c, PRODUCTS.c
        customer = select(c.referred_by).where(c.id == customer_id, c.erased_at.is_(None)).subquery()
        connection = await uow.connection()
        result = await connection.execute(
            select(customer.c.referred_by, v.id, v.sku, v.options, v.price_minor, p.id.label("product_id"),
                   p.title, p.kind, p.visible, p.deleted)
            .select_from(customer)
            .outerjoin(VARIANTS, v.id.in_(list(wanted)))
            .outerjoin(PRODUCTS, p.id == v.product_id))
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
                                 kind=row.kind, unit_price_minor=row.price_minor, quantity=check_quantity(quantity)))
        return fetched[0].referred_by, lines

    async def _shipping(self, uow: UnitOfWork, customer_id: int, address: ShippingAddress | None,
                        address_id: int | None) -> bytes:
        if address_id is not None:
            row = (await uow.session.execute(select(Address.customer_id, Address.ciphertext)
                                             .where(Address.id == address_id))).one_or_none()
            if row is None or row.customer_id != customer_id:
                raise NotFound(entity="address", id=address_id)
            return bytes(row.ciphertext)
        if address is not None:
            return self._cipher.encrypt_address(address)
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
            order = await uow.session.get(Order, order_id)
            if order is None or order.customer_id != customer_id:
                raise NotFound(entity="order", id=order_id)
            dto = await order_dto(uow, order)
            request = (await uow.session.execute(select(PaymentRequest).where(PaymentRequest.order_id == order_id)
                                                 .order_by(PaymentRequest.id.desc()).limit(1))).scalar_one_or_none()
            payment = (PaymentSummary(request.method_id, request.asset, request.amount_units, request.decimals)
                       if request else None)
            delivered = await delivered_items_of(uow, order_id) if dto.status.is_settled else []
            return OrderDetailDTO(dto, self._address_of(order), payment, tuple(delivered))

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
            request = (await uow.session.execute(select(PaymentRequest).where(PaymentRequest.order_id == order_id)
                                                 .order_by(PaymentRequest.id.desc()).limit(1))).scalar_one_or_none()
            payment = (PaymentSummary(request.method_id, request.asset, request.amount_units, request.decimals)
                       if request else None)
            address = self._address_of(order) if can(role, Permission.MANAGE_ORDERS) else None
            return OrderDetailDTO(dto, address, payment, ())

    async def count_by_status(self) -> dict[OrderStatus, int]:
        async with self._db.uow(write=False) as uow:
            rows = await uow.session.execute(select(Order.status, func.count()).group_by(Order.status))
            return {OrderStatus(status): count for status, count in rows}


async def _complete_free(uow: UnitOfWork, order_id: int, customer_id: int, now: datetime) -> OrderStatus:
    order = await load_order(uow, order_id)
    return await apply_transition(uow, order, OrderAction.NOTHING_DUE, actor=actor_of(customer_id), now=now)
