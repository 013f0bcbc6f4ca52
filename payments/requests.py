"""Making an order payable: quote at a fresh rate, pick a unique target, write the URI, store the request."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

from commerce.errors import IllegalTransition, NotFound
from commerce.events import Clock, system_clock
from commerce.money import format_units
from commerce.orders import OrderDTO, OrderService
from commerce.payment_records import AmountTaken, PaymentRecords, RequestDraft, RequestDTO
from commerce.status import OrderStatus
from payments.methods import AMOUNT_OFFSETS, PaymentMethod
from payments.quotes import make_quote
from payments.rates import RateSource
from payments.uri import bip21, eip681_erc20, eip681_native

SLOT_ATTEMPTS: Final = 20


@dataclass(frozen=True, slots=True)
class PaymentRequestView:
    """Everything a front-end shows: the request plus how to describe its method."""

    request: RequestDTO
    method: PaymentMethod
    order: OrderDTO

    @property
    def amount_text(self) -> str:
        return f"{format_units(self.request.amount_units, self.request.decimals)} {self.request.asset}"

    @property
    def uri(self) -> str:
        return self.request.uri

    @property
    def expires_at(self) -> datetime:
        return self.request.expires_at


class PaymentService:
    def __init__(self, records: PaymentRecords, orders: OrderService, rates: RateSource,
                 methods: dict[str, PaymentMethod], *, shop_name: str, late_window: timedelta,
                 clock: Clock = system_clock) -> None:
        self._records = records
        self._orders = orders
        self._rates = rates
        self.methods = methods
        self._shop_name = shop_name
        self._late_window = late_window
        self._clock = clock

    async def request_payment(self, customer_id: int, order_id: int, method_id: str) -> PaymentRequestView:
        """Ask for payment of the order with `method_id`; replaces the order's previous request.

        Raises RateUnavailable (nothing is created) when no fresh rate can be had.
        """
        order = await self._orders.get(customer_id, order_id)
        if order.status is not OrderStatus.AWAITING_PAYMENT:
            raise IllegalTransition(order_id=order_id, status=order.status.value, action="request_payment")
        method = self.methods.get(method_id)
        if method is None:
            raise NotFound(entity="payment_method", id=method_id[:32])
        # Only what is still due: transfers to the order's earlier requests count toward it.
        due = await self._orders.outstanding(customer_id, order_id)
        if due.minor <= 0:
            raise IllegalTransition(order_id=order_id, status=order.status.value, action="request_payment")
        quote = await make_quote(self._rates, due, method.asset, method.decimals, self._clock())
        if method.deriver is not None:
            index = await self._records.next_index(method.counter_key or method.id)
            draft = self._draft(method, order, method.deriver.address(index), quote.units, quote.price, index,
                                due.minor)
            request = await self._records.open_request(customer_id, order_id, draft)
        else:
            request = await self._open_with_amount_slot(customer_id, order, method, quote.units, quote.price,
                                                        due.minor)
        return PaymentRequestView(request, method, order)

    async def current(self, customer_id: int, order_id: int) -> PaymentRequestView | None:
        return await self._open_view(await self._orders.get(customer_id, order_id))

    async def _open_view(self, order: OrderDTO) -> PaymentRequestView | None:
        """The order's open request with its method; None when there is none (or its method was removed)."""
        request = await self._records.open_request_for(order.id)
        if request is None or request.method_id not in self.methods:
            return None
        return PaymentRequestView(request, self.methods[request.method_id], order)

    async def to_resume(self, customer_id: int, order_id: int) -> tuple[OrderDTO, PaymentRequestView | None]:
        """The buyer's order and its open request (None when no method is chosen yet), to show the payment
        again: only while the order awaits payment; anything else is refused as an illegal move."""
        order = await self._orders.get(customer_id, order_id)  # ownership checked here
        if order.status is not OrderStatus.AWAITING_PAYMENT:
            raise IllegalTransition(order_id=order.id, status=order.status.value, action="request_payment")
        return order, await self._open_view(order)

    async def _open_with_amount_slot(self, customer_id: int, order: OrderDTO, method: PaymentMethod, units: int,
                                     price: Decimal, due_minor: int) -> RequestDTO:
        """Shared EVM address: the amount is the quote plus the smallest free offset (1–999 base units)."""
        assert method.receive_address is not None
        for _ in range(SLOT_ATTEMPTS):
            taken = await self._records.slots_in_use(method.chain_key, method.receive_address, method.token,
                                                     units + 1, AMOUNT_OFFSETS)
            free = [o for o in range(AMOUNT_OFFSETS) if o not in taken]
            if not free:
                break
            # A random free offset, so concurrent checkouts rarely reach for the same one.
            offset = secrets.choice(free)
            draft = self._draft(method, order, method.receive_address, units + 1 + offset, price, None, due_minor)
            try:
                return await self._records.open_request(customer_id, order.id, draft)
            except AmountTaken:
                continue  # another checkout took that offset a moment ago
        raise AmountTaken(amount_units=units)

    def _draft(self, method: PaymentMethod, order: OrderDTO, address: str, amount: int, price: Decimal,
               index: int | None, due_minor: int) -> RequestDraft:
        return RequestDraft(
            method_id=method.id, chain=method.chain_key, asset=method.asset, token=method.token,
            decimals=method.decimals, address=address.lower() if method.family == "evm" else address,
            amount_units=amount, price=price, uri=self._uri(method, order, address, amount),
            confirmations=method.confirmations, expires_at=order.expires_at,
            late_until=order.expires_at + self._late_window, due_minor=due_minor,
            tolerance_units=method.tolerance_units(amount),
            derivation_index=index, uses_amount_slot=index is None)

    def _uri(self, method: PaymentMethod, order: OrderDTO, address: str, amount: int) -> str:
        if method.family == "bitcoin":
            return bip21(address, amount, scheme=method.uri_scheme, label=self._shop_name,
                         message=f"Order {order.id}")
        assert method.chain_id is not None
        if method.token:
            return eip681_erc20(method.token, method.chain_id, address, amount)
        return eip681_native(address, method.chain_id, amount)
