"""The cart: one per customer, lines re-priced from the catalog every time it is shown."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import delete, literal, select

from commerce.catalog import ProductKind
from commerce.errors import InvalidQuantity, NotFound, OutOfStock, ProductUnavailable
from commerce.events import Clock, system_clock
from commerce.money import Money, sum_money
from commerce.storage.db import Database, UnitOfWork
from commerce.storage.tables import CartLine, Product, Variant

MAX_QUANTITY: Final = 99
MAX_LINES: Final = 30


@dataclass(frozen=True, slots=True)
class CartLineDTO:
    variant_id: int
    product_id: int
    title: str
    options: tuple[tuple[str, str], ...]
    kind: ProductKind
    unit_price: Money
    quantity: int
    stock: int
    available: bool

    @property
    def line_total(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class CartDTO:
    customer_id: int
    lines: tuple[CartLineDTO, ...]
    currency: str

    @property
    def total(self) -> Money:
        return sum_money([line.line_total for line in self.lines if line.available], self.currency)

    @property
    def needs_shipping(self) -> bool:
        return any(line.kind is ProductKind.PHYSICAL for line in self.lines if line.available)

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)


def check_quantity(quantity: int) -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidQuantity(quantity=str(quantity)[:12], minimum=1, maximum=MAX_QUANTITY)
    return quantity


async def sellable_variant(uow: UnitOfWork, variant_id: int) -> tuple[Variant, Product]:
    """The variant and its product, if a buyer may buy it right now."""
    variant = await uow.session.get(Variant, variant_id)
    product = await uow.session.get(Product, variant.product_id) if variant else None
    if variant is None or product is None:
        raise NotFound(entity="variant", id=variant_id)
    if product.deleted or not product.visible:
        raise ProductUnavailable(product_id=product.id, title=product.title)
    return variant, product


class CartService:
    def __init__(self, db: Database, currency: str, clock: Clock = system_clock) -> None:
        self._db = db
        self._currency = currency
        self._clock = clock

    async def view(self, customer_id: int) -> CartDTO:
        async with self._db.uow(write=False) as uow:
            return await self._view(uow, customer_id)

    async def add(self, customer_id: int, variant_id: int, quantity: int = 1) -> CartDTO:
        """One read (the variant and the whole cart), one write, one commit: a press of "add" is hot."""
        check_quantity(quantity)
        async with self._db.uow() as uow:
            rows = list(await uow.session.execute(
                select(CartLine, Variant, Product).select_from(Variant)
                .join(Product, Product.id == Variant.product_id)
                .outerjoin(CartLine, (CartLine.variant_id == Variant.id) & (CartLine.customer_id == customer_id))
                .where(Variant.id.in_(select(CartLine.variant_id).where(CartLine.customer_id == customer_id)
                                      .union(select(literal(variant_id)))))
                .order_by(CartLine.id.is_(None), CartLine.id)))  # the cart in its order; a new variant last
            target = next((row for row in rows if row[1].id == variant_id), None)
            if target is None:
                raise NotFound(entity="variant", id=variant_id)
            line, variant, product = target
            if product.deleted or not product.visible:
                raise ProductUnavailable(product_id=product.id, title=product.title)
            wanted = (line.quantity if line else 0) + quantity
            check_quantity(min(wanted, MAX_QUANTITY + 1))
            if wanted > variant.stock:
                raise OutOfStock(variant_id=variant_id, title=product.title, requested=wanted,
                                 available=variant.stock)
            if line is None:
                count = sum(1 for row in rows if row[0] is not None)
                if count >= MAX_LINES:
                    raise InvalidQuantity(quantity=count + 1, minimum=1, maximum=MAX_LINES, field="lines")
                line = CartLine(customer_id=customer_id, variant_id=variant_id, quantity=wanted,
                                added_at=self._clock())
                uow.session.add(line)
                rows = [row for row in rows if row[0] is not None] + [(line, variant, product)]
            else:
                line.quantity = wanted
            await uow.flush()
            cart = self._cart(customer_id, rows)
            await uow.commit()
            return cart

    async def set_quantity(self, customer_id: int, variant_id: int, quantity: int) -> CartDTO:
        """Change a line's quantity; 0 removes it."""
        if quantity == 0:
            return await self.remove(customer_id, variant_id)
        check_quantity(quantity)
        async with self._db.uow() as uow:
            line = await self._line(uow, customer_id, variant_id)
            if line is None:
                raise NotFound(entity="cart_line", id=variant_id)
            variant, product = await sellable_variant(uow, variant_id)
            if quantity > variant.stock:
                raise OutOfStock(variant_id=variant_id, title=product.title, requested=quantity,
                                 available=variant.stock)
            line.quantity = quantity
            await uow.flush()
            cart = await self._view(uow, customer_id)
            await uow.commit()
            return cart

    async def remove(self, customer_id: int, variant_id: int) -> CartDTO:
        async with self._db.uow() as uow:
            await uow.session.execute(delete(CartLine).where(CartLine.customer_id == customer_id,
                                                              CartLine.variant_id == variant_id))
            cart = await self._view(uow, customer_id)
            await uow.commit()
            return cart

    async def clear(self, customer_id: int) -> None:
        async with self._db.uow() as uow:
            await uow.session.execute(delete(CartLine).where(CartLine.customer_id == customer_id))
            await uow.commit()

    @staticmethod
    async def _line(uow: UnitOfWork, customer_id: int, variant_id: int) -> CartLine | None:
        return (await uow.session.execute(select(CartLine).where(
            CartLine.customer_id == customer_id, CartLine.variant_id == variant_id))).scalar_one_or_none()

    async def _view(self, uow: UnitOfWork, customer_id: int) -> CartDTO:
        rows = await uow.session.execute(
            select(CartLine, Variant, Product)
            .join(Variant, Variant.id == CartLine.variant_id).join(Product, Product.id == Variant.product_id)
            .where(CartLine.customer_id == customer_id).order_by(CartLine.id))
        return self._cart(customer_id, rows)

    def _cart(self, customer_id: int, rows: Iterable[Any]) -> CartDTO:
        """(line, variant, product) rows in cart order → the cart as the buyer sees it."""
        lines = []
        for line, variant, product in rows:
            assert product.id is not None
            available = product.visible and not product.deleted and variant.stock >= line.quantity
            lines.append(CartLineDTO(line.variant_id, product.id, product.title, tuple(sorted(variant.options.items())),
                                     ProductKind(product.kind), Money.from_minor(variant.price_minor, self._currency),
                                     line.quantity, variant.stock, available))
        return CartDTO(customer_id, tuple(lines), self._currency)
