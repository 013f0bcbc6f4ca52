"""Checkouts of customers' carts, run as their own process (`python -m tests.support.checkout_process URL T ID…`).

It starts at wall-clock time T, so two such processes reach the same carts together, checks out each
customer's cart in turn and prints one word per customer: the order id, or `empty` when the cart was
already checked out.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import timedelta

from commerce.errors import CartEmpty
from commerce.orders import OrderService
from commerce.privacy import PersonalDataCipher, ShippingAddress
from commerce.storage.db import Database

HOME = ShippingAddress(name="Hanako Yamada", postal_code="100-0001", region="Tokyo", city="Chiyoda",
                       line1="1-1 Chiyoda")


async def main(url: str, start_at: float, customer_ids: list[int]) -> str:
    db = Database(url)
    orders = OrderService(db, PersonalDataCipher(os.environ["CHATSHOP_DATA_KEY"]), currency="JPY",
                          payment_window=timedelta(minutes=30))
    try:
        async with db.uow(write=False) as uow:   # connect before the start line, so both race on the checkout
            await uow.connection()
        await asyncio.sleep(max(0.0, start_at - time.time()))
        results = []
        for customer_id in customer_ids:
            try:
                results.append(str((await orders.checkout(customer_id, address=HOME)).id))
            except CartEmpty:
                results.append("empty")
        return " ".join(results)
    finally:
        await db.dispose()


if __name__ == "__main__":
    print(asyncio.run(main(sys.argv[1], float(sys.argv[2]), [int(arg) for arg in sys.argv[3:]])))
