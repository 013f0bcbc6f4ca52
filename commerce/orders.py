"""Orders: checkout from the cart (or "buy now"), reading them back, and the buyer's own cancel."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, select

from commerce.cart import check_quantity, sellable_variant
from commerce.catalog import ProductKind
from commerce.errors import AddressRequired, CartEmpty, NotFound, OutOfStock
from commerce.events import Clock, actor_of, notify, record, system_clock
from commerce.money import Money
from commerce.order_flow import apply_transition, load_order
from commerce.privacy import PersonalDataCipher, ShippingAddress
from commerce.roles import Permission, Role
from commerce.sellers import require_permission
from commerce.status import OrderAction, OrderStatus
from commerce.storage import stock
from commerce.storage.db import Database, UnitOfWork
from commerce.storage.tables import Address, CartLine, Customer, Order, OrderLine, Product


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
            customer = await uow.session.get(Customer, customer_id)
            if customer is None or customer.erased_at is not None:
                raise NotFound(entity="customer", id=customer_id)
            from_cart = items is None
            if items is None:
                items = [(line.variant_id, line.quantity) for line in (await uow.session.execute(
                    select(CartLine).where(CartLine.customer_id == customer_id).order_by(CartLine.id))).scalars()]
            wanted: Counter[int] = Counter()
            for variant_id, quantity in items:
                wanted[variant_id] += check_quantity(quantity)
            if not wanted:
                raise CartEmpty()
            snapshot = []
            for variant_id, quantity in wanted.items():
                variant, product = await sellable_variant(uow, variant_id)
                check_quantity(quantity)
                if not await stock.reserve(uow, variant_id, quantity):
                    await uow.session.refresh(variant)
                    raise OutOfStock(variant_id=variant_id, title=product.title, requested=quantity,
                                     available=variant.stock)
                snapshot.append((variant, product, quantity))
            needs_shipping = any(p.kind == ProductKind.PHYSICAL for _, p, _ in snapshot)
            shipping = None
            if needs_shipping:
                if address_id is not None:
                    row = await uow.session.get(Address, address_id)
                    if row is None or row.customer_id != customer_id:
                        raise NotFound(entity="address", id=address_id)
                    shipping = row.ciphertext
                elif address is not None:
                    shipping = self._cipher.encrypt_address(address)
                else:
                    raise AddressRequired()
            total = sum(v.price_minor * q for v, _, q in snapshot)
            order = Order(customer_id=customer_id, status=OrderStatus.AWAITING_PAYMENT, currency=self._currency,
                          total_minor=total, needs_shipping=needs_shipping, shipping_ciphertext=shipping,
                          referral_code=customer.referred_by, created_at=now, expires_at=now + self._window,
                          updated_at=now)
            uow.session.add(order)
            await uow.flush()
            for variant, product, quantity in snapshot:
                label = " / ".join(value for _, value in sorted(variant.options.items()))
                uow.session.add(OrderLine(order_id=order.id, variant_id=variant.id, product_id=product.id,
                                          title=f"{product.title} ({label})" if label else product.title,
                                          sku=variant.sku, kind=product.kind, unit_price_minor=variant.price_minor,
                                          quantity=quantity))
            if from_cart:
                await uow.session.execute(delete(CartLine).where(CartLine.customer_id == customer_id))
            record(uow.session, actor=actor_of(customer_id), action="order.checkout", entity="order",
                   entity_id=order.id, at=now, total_minor=total, currency=self._currency)
            notify(uow.session, topic="order.created", at=now, audience="sellers", order_id=order.id)
            await uow.flush()
            dto = await order_dto(uow, order)
            await uow.commit()
            return dto

    async def get(self, customer_id: int, order_id: int) -> OrderDTO:
        """The buyer's own order; someone else's order is 'not found' (no hint that it exists)."""
        async with self._db.uow(write=False) as uow:
            order = await uow.session.get(Order, order_id)
            if order is None or order.customer_id != customer_id:
                raise NotFound(entity="order", id=order_id)
            return await order_dto(uow, order)

    async def history(self, customer_id: int, *, limit: int = 20, offset: int = 0) -> list[OrderDTO]:
        async with self._db.uow(write=False) as uow:
            rows = (await uow.session.execute(select(Order).where(Order.customer_id == customer_id)
                                              .order_by(Order.id.desc()).offset(offset).limit(min(limit, 50)))).scalars()
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

    async def count_by_status(self) -> dict[OrderStatus, int]:
        async with self._db.uow(write=False) as uow:
            rows = await uow.session.execute(select(Order.status, func.count()).group_by(Order.status))
            return {OrderStatus(status): count for status, count in rows.tuples()}
