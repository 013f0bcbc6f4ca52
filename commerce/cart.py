"""The cart: one per customer, lines re-priced from the catalog every time it is shown."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from sqlalchemy import Integer, Row, Select, Update, bindparam, delete, insert, select, update

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
            connection = await uow.connection()
            rows = list(await connection.execute(_add_statement(),
                                                 {"customer_id": customer_id, "variant_id": variant_id}))
            target = next((row for row in rows if row.variant_id == variant_id), None)
            if target is None:
                raise NotFound(entity="variant", id=variant_id)
            if target.deleted or not target.visible:
                raise ProductUnavailable(product_id=target.product_id, title=target.title)
            wanted = (target.quantity or 0) + quantity
            check_quantity(min(wanted, MAX_QUANTITY + 1))
            if wanted > target.stock:
                raise OutOfStock(variant_id=variant_id, title=target.title, requested=wanted, available=target.stock)
            if target.line_id is None:
                lines = [(row, row.quantity) for row in rows if row.line_id is not None]
                if len(lines) >= MAX_LINES:
                    raise InvalidQuantity(quantity=len(lines) + 1, minimum=1, maximum=MAX_LINES, field="lines")
                await connection.execute(insert(LINES), {"customer_id": customer_id, "variant_id": variant_id,
                                                         "quantity": wanted, "added_at": self._clock()})
                lines.append((target, wanted))
            else:
                await connection.execute(_set_quantity_statement(), {"line_id": target.line_id, "wanted": wanted})
                lines = [(row, wanted if row is target else row.quantity) for row in rows]
            await uow.commit()
            return self._cart(customer_id, lines)

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
        rows = await (await uow.connection()).execute(_view_statement(), {"customer_id": customer_id})
        return self._cart(customer_id, [(row, row.quantity) for row in rows])

    def _cart(self, customer_id: int, lines: Iterable[tuple[Row[Any], int]]) -> CartDTO:
        """(`_COLUMNS` row, quantity) in cart order → the cart as the buyer sees it."""
        return CartDTO(customer_id, tuple(
            CartLineDTO(row.variant_id, row.product_id, row.title, tuple(sorted(row.options.items())),
                        ProductKind(row.kind), Money.from_minor(row.price_minor, self._currency), quantity, row.stock,
                        row.visible and not row.deleted and row.stock >= quantity)
            for row, quantity in lines), self._currency)


# Hot statements, built once with bound parameters (building them costs more than running them).
LINES = CartLine.__table__  # type: ignore[attr-defined]
VARIANTS = Variant.__table__  # type: ignore[attr-defined]
PRODUCTS = Product.__table__  # type: ignore[attr-defined]


def _columns() -> tuple[Any, ...]:
    line, variant, product = LINES.c, VARIANTS.c, PRODUCTS.c
    return (line.id.label("line_id"), line.quantity, variant.id.label("variant_id"), variant.stock,
            variant.price_minor, variant.options, product.id.label("product_id"), product.title, product.kind,
            product.visible, product.deleted)


@cache
def _view_statement() -> Select[Any]:
    return (select(*_columns()).select_from(LINES.join(VARIANTS, VARIANTS.c.id == LINES.c.variant_id)
                                            .join(PRODUCTS, PRODUCTS.c.id == VARIANTS.c.product_id))
            .where(LINES.c.customer_id == bindparam("customer_id", type_=Integer)).order_by(LINES.c.id))


@cache
def _add_statement() -> Select[Any]:
    """The variant being added and every line of the cart: the cart in its order, a new variant last."""
    customer_id, variant_id = bindparam("customer_id", type_=Integer), bindparam("variant_id", type_=Integer)
    in_cart = select(LINES.c.variant_id).where(LINES.c.customer_id == customer_id)
    its_line = (LINES.c.variant_id == VARIANTS.c.id) & (LINES.c.customer_id == customer_id)
    return (select(*_columns())
            .select_from(VARIANTS.join(PRODUCTS, PRODUCTS.c.id == VARIANTS.c.product_id).outerjoin(LINES, its_line))
            .where(VARIANTS.c.id.in_(in_cart.union(select(variant_id))))
            .order_by(LINES.c.id.is_(None), LINES.c.id))


@cache
def _set_quantity_statement() -> Update:
    return update(LINES).where(LINES.c.id == bindparam("line_id")).values(quantity=bindparam("wanted"))
