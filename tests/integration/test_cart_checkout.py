"""The cart and checkout on real databases: quantities, re-pricing, snapshots, addresses, all-or-nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from commerce.cart import CartDTO
from commerce.catalog import NewVariant
from commerce.errors import AddressRequired, CartEmpty, InvalidQuantity, NotFound, OutOfStock, ProductUnavailable
from commerce.money import Money
from commerce.privacy import ShippingAddress
from commerce.shop import Shop
from commerce.status import OrderStatus
from commerce.storage.tables import Variant
from tests.conftest import FakeClock
from tests.support.factories import make_buyer, make_owner, make_product

HOME = ShippingAddress(name="Hanako Yamada", postal_code="100-0001", region="Tokyo", city="Chiyoda",
                       line1="1-1 Chiyoda", phone="090-0000-0000")


def yen(amount: int) -> Money:
    return Money(Decimal(amount), "JPY")


async def buckets(shop: Shop, variant_id: int) -> tuple[int, int, int]:
    """(stock, reserved, sold) straight from the Variant row."""
    async with shop.db.uow(write=False) as uow:
        row = await uow.session.get(Variant, variant_id)
        assert row is not None
        return row.stock, row.reserved, row.sold


def cart_lines(cart: CartDTO) -> list[tuple[int, int]]:
    return [(line.variant_id, line.quantity) for line in cart.lines]


async def setup(shop: Shop, *, stock: int = 5, price: str = "1200") -> tuple[int, int, int]:
    """An owner, a buyer and a one-variant physical product; returns (owner, buyer, variant_id)."""
    owner = await make_owner(shop)
    buyer = await make_buyer(shop)
    product = await make_product(shop, owner, stock=stock, price=price)
    return owner, buyer, product.variants[0].id


# ---- the cart ----

async def test_add_merge_set_remove_clear(shop: Shop) -> None:
    owner, buyer, cup = await setup(shop, stock=10)
    bowl = (await make_product(shop, owner, title="Bowl", price="800", stock=10)).variants[0].id

    cart = await shop.cart.add(buyer, cup, 2)
    assert cart_lines(cart) == [(cup, 2)]
    cart = await shop.cart.add(buyer, cup, 3)  # the same variant merges into one line
    assert cart_lines(cart) == [(cup, 5)]
    cart = await shop.cart.add(buyer, bowl)
    assert cart_lines(cart) == [(cup, 5), (bowl, 1)]
    assert cart.total == yen(5 * 1200 + 800)
    assert cart.count == 6

    cart = await shop.cart.set_quantity(buyer, cup, 1)
    assert cart_lines(cart) == [(cup, 1), (bowl, 1)]
    cart = await shop.cart.set_quantity(buyer, bowl, 0)  # zero removes the line
    assert cart_lines(cart) == [(cup, 1)]
    await shop.cart.add(buyer, bowl, 4)
    cart = await shop.cart.remove(buyer, cup)
    assert cart_lines(cart) == [(bowl, 4)]
    assert cart_lines(await shop.cart.view(buyer)) == [(bowl, 4)]

    await shop.cart.clear(buyer)
    cart = await shop.cart.view(buyer)
    assert cart.is_empty and cart.total == yen(0)
    assert await buckets(shop, cup) == (10, 0, 0)  # a cart reserves nothing


async def test_add_answers_with_the_cart_as_view_shows_it_up_to_30_lines(shop: Shop) -> None:
    owner, buyer, cup = await setup(shop, stock=10)
    hidden = await make_product(shop, owner, title="Hidden", price="500", stock=10)
    await shop.cart.add(buyer, hidden.variants[0].id)
    await shop.catalog.update_product(owner, hidden.id, visible=False)
    products = [await make_product(shop, owner, title=f"Item {n}", price=str(100 + n)) for n in range(28)]

    for product in products:
        cart = await shop.cart.add(buyer, product.variants[0].id)
        assert cart == await shop.cart.view(buyer)  # same lines, order, prices, availability
    assert len(cart.lines) == 29 and not cart.lines[0].available  # the hidden one stays, shown unavailable
    assert await shop.cart.add(buyer, cup, 2) == await shop.cart.view(buyer)  # the 30th line
    with pytest.raises(InvalidQuantity) as caught:
        await shop.cart.add(buyer, (await make_product(shop, owner, title="One more")).variants[0].id)
    assert caught.value.field == "lines"
    cart = await shop.cart.add(buyer, products[0].variants[0].id)  # more of a line already there is fine
    assert cart == await shop.cart.view(buyer) and cart.lines[1].quantity == 2 and cart.count == 32
    with pytest.raises(ProductUnavailable):
        await shop.cart.add(buyer, hidden.variants[0].id)
    with pytest.raises(NotFound):
        await shop.cart.add(buyer, 999_999)


@pytest.mark.parametrize("quantity", [0, 100, -1, "3", 2.0, True])
async def test_bad_quantities_are_refused(shop: Shop, quantity: object) -> None:
    _, buyer, cup = await setup(shop, stock=200)
    with pytest.raises(InvalidQuantity):
        await shop.cart.add(buyer, cup, quantity)  # type: ignore[arg-type]
    assert (await shop.cart.view(buyer)).is_empty

    await shop.cart.add(buyer, cup, 2)
    if quantity != 0:  # 0 means "remove" for set_quantity
        with pytest.raises(InvalidQuantity):
            await shop.cart.set_quantity(buyer, cup, quantity)  # type: ignore[arg-type]
    assert cart_lines(await shop.cart.view(buyer)) == [(cup, 2)]


async def test_merging_past_99_is_refused(shop: Shop) -> None:
    _, buyer, cup = await setup(shop, stock=500)
    await shop.cart.add(buyer, cup, 60)
    with pytest.raises(InvalidQuantity):
        await shop.cart.add(buyer, cup, 60)
    assert cart_lines(await shop.cart.view(buyer)) == [(cup, 60)]


async def test_adding_more_than_stock_says_how_many_are_left(shop: Shop) -> None:
    _, buyer, cup = await setup(shop, stock=5)
    with pytest.raises(OutOfStock) as caught:
        await shop.cart.add(buyer, cup, 6)
    assert (caught.value.available, caught.value.requested) == (5, 6)

    await shop.cart.add(buyer, cup, 3)
    with pytest.raises(OutOfStock) as caught:
        await shop.cart.add(buyer, cup, 3)
    assert (caught.value.available, caught.value.requested) == (5, 6)
    with pytest.raises(OutOfStock):
        await shop.cart.set_quantity(buyer, cup, 7)
    assert cart_lines(await shop.cart.view(buyer)) == [(cup, 3)]


async def test_cart_shows_the_current_price_and_unavailable_lines(shop: Shop) -> None:
    owner, buyer, cup = await setup(shop, stock=5, price="1200")
    bowl_product = await make_product(shop, owner, title="Bowl", price="800", stock=5)
    bowl = bowl_product.variants[0].id
    await shop.cart.add(buyer, cup, 2)
    await shop.cart.add(buyer, bowl, 1)

    await shop.catalog.set_price(owner, cup, "1500")
    cart = await shop.cart.view(buyer)
    assert cart.lines[0].unit_price == yen(1500)
    assert cart.lines[0].line_total == yen(3000)
    assert cart.total == yen(3800)

    await shop.catalog.update_product(owner, bowl_product.id, visible=False)
    cart = await shop.cart.view(buyer)
    assert [line.available for line in cart.lines] == [True, False]
    assert cart.total == yen(3000)

    await shop.catalog.set_stock(owner, cup, 1)  # fewer left than the buyer wants
    assert not (await shop.cart.view(buyer)).lines[0].available


# ---- checkout ----

async def test_an_order_worth_billions_of_yen_is_stored_exactly(shop: Shop) -> None:
    """Prices and totals are 64-bit on every database: ¥3,000,000,000 per unit × 99 fits (PostgreSQL's
    32-bit integer would stop at ¥2,147,483,647)."""
    _owner, buyer, variant = await setup(shop, stock=99, price="3000000000")
    await shop.cart.add(buyer, variant, 99)

    order = await shop.orders.checkout(buyer, address=HOME)
    assert order.total == yen(297_000_000_000)
    assert (await shop.orders.get(buyer, order.id)).lines[0].unit_price == yen(3_000_000_000)


async def test_checkout_snapshots_title_and_price(shop: Shop) -> None:
    owner = await make_owner(shop)
    buyer = await make_buyer(shop)
    product = await make_product(shop, owner, title="T-shirt", variants=[
        NewVariant(price="3000", stock=4, sku="TS-S-RED", options={"size": "S", "colour": "Red"})])
    variant = product.variants[0].id
    await shop.cart.add(buyer, variant, 2)

    order = await shop.orders.checkout(buyer, address=HOME)
    [line] = order.lines
    assert (line.title, line.sku, line.unit_price, line.quantity) == ("T-shirt (Red / S)", "TS-S-RED", yen(3000), 2)
    assert order.total == yen(6000)
    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert await buckets(shop, variant) == (2, 2, 0)
    assert (await shop.cart.view(buyer)).is_empty

    await shop.catalog.set_price(owner, variant, "9999")
    await shop.catalog.update_product(owner, product.id, title="Renamed shirt")
    again = await shop.orders.get(buyer, order.id)
    assert again.lines[0].title == "T-shirt (Red / S)"
    assert again.lines[0].unit_price == yen(3000)
    assert again.total == yen(6000)


async def test_physical_checkout_without_address_reserves_nothing(shop: Shop) -> None:
    _, buyer, cup = await setup(shop, stock=5)
    await shop.cart.add(buyer, cup, 2)

    with pytest.raises(AddressRequired):
        await shop.orders.checkout(buyer)
    assert await buckets(shop, cup) == (5, 0, 0)
    assert cart_lines(await shop.cart.view(buyer)) == [(cup, 2)]
    assert await shop.orders.history(buyer) == []


async def test_checkout_with_a_saved_address(shop: Shop) -> None:
    _, buyer, cup = await setup(shop, stock=5)
    saved = await shop.customers.save_address(buyer, HOME)
    await shop.cart.add(buyer, cup, 1)

    order = await shop.orders.checkout(buyer, address_id=saved.id)
    assert order.needs_shipping
    assert await shop.orders.shipping_address(buyer, order.id) == HOME
    assert await buckets(shop, cup) == (4, 1, 0)


async def test_checkout_with_someone_elses_address_is_not_found(shop: Shop) -> None:
    _, buyer, cup = await setup(shop, stock=5)
    stranger = await make_buyer(shop)
    theirs = await shop.customers.save_address(stranger, HOME)
    await shop.cart.add(buyer, cup, 2)

    with pytest.raises(NotFound) as caught:
        await shop.orders.checkout(buyer, address_id=theirs.id)
    assert caught.value.entity == "address"
    assert await buckets(shop, cup) == (5, 0, 0)
    assert cart_lines(await shop.cart.view(buyer)) == [(cup, 2)]
    assert await shop.orders.history(buyer) == []


async def test_checkout_is_all_or_nothing(shop: Shop) -> None:
    owner, buyer, cup = await setup(shop, stock=5)
    bowl = (await make_product(shop, owner, title="Bowl", stock=3)).variants[0].id
    await shop.cart.add(buyer, cup, 2)
    await shop.cart.add(buyer, bowl, 3)
    rival = await make_buyer(shop)
    await shop.orders.checkout(rival, items=[(bowl, 2)], address=HOME)  # the bowls go first

    with pytest.raises(OutOfStock) as caught:
        await shop.orders.checkout(buyer, address=HOME)
    assert (caught.value.title, caught.value.requested, caught.value.available) == ("Bowl", 3, 1)
    assert await buckets(shop, cup) == (5, 0, 0)
    assert await buckets(shop, bowl) == (1, 2, 0)
    assert cart_lines(await shop.cart.view(buyer)) == [(cup, 2), (bowl, 3)]
    assert await shop.orders.history(buyer) == []


async def test_checkout_refuses_a_product_hidden_since_it_was_added(shop: Shop) -> None:
    owner, buyer, cup = await setup(shop, stock=5)
    bowl_product = await make_product(shop, owner, title="Bowl", stock=5)
    await shop.cart.add(buyer, cup, 1)
    await shop.cart.add(buyer, bowl_product.variants[0].id, 1)
    await shop.catalog.update_product(owner, bowl_product.id, visible=False)

    with pytest.raises(ProductUnavailable):
        await shop.orders.checkout(buyer, address=HOME)
    assert await buckets(shop, cup) == (5, 0, 0)
    assert len((await shop.cart.view(buyer)).lines) == 2
    assert await shop.orders.history(buyer) == []


async def test_buy_now_leaves_the_cart_alone(shop: Shop) -> None:
    owner, buyer, cup = await setup(shop, stock=5)
    bowl = (await make_product(shop, owner, title="Bowl", price="800", stock=5)).variants[0].id
    await shop.cart.add(buyer, cup, 2)

    order = await shop.orders.checkout(buyer, items=[(bowl, 1), (bowl, 2)], address=HOME)
    assert [(line.variant_id, line.quantity) for line in order.lines] == [(bowl, 3)]
    assert order.total == yen(2400)
    assert cart_lines(await shop.cart.view(buyer)) == [(cup, 2)]
    assert await buckets(shop, cup) == (5, 0, 0)
    assert await buckets(shop, bowl) == (2, 3, 0)


async def test_empty_cart_cannot_check_out(shop: Shop) -> None:
    _, buyer, _ = await setup(shop)
    with pytest.raises(CartEmpty):
        await shop.orders.checkout(buyer, address=HOME)
    with pytest.raises(CartEmpty):
        await shop.orders.checkout(buyer, items=[], address=HOME)
    assert await shop.orders.history(buyer) == []


async def test_digital_only_order_needs_no_address(shop: Shop) -> None:
    owner = await make_owner(shop)
    buyer = await make_buyer(shop)
    ebook = (await make_product(shop, owner, title="E-book", kind="digital", price="500")).variants[0].id
    await shop.catalog.add_digital_items(owner, ebook, ["K1", "K2"])
    await shop.cart.add(buyer, ebook, 2)

    order = await shop.orders.checkout(buyer)
    assert not order.needs_shipping
    assert order.total == yen(1000)
    assert await shop.orders.shipping_address(buyer, order.id) is None
    assert await buckets(shop, ebook) == (0, 2, 0)


async def test_order_expires_thirty_minutes_after_checkout(shop: Shop, clock: FakeClock) -> None:
    _, buyer, cup = await setup(shop)
    clock.advance(minutes=7)
    order = await shop.orders.checkout(buyer, items=[(cup, 1)], address=HOME)
    assert order.created_at == clock.now
    assert order.expires_at == clock.now + timedelta(minutes=30)
    assert (await shop.orders.get(buyer, order.id)).expires_at == clock.now + timedelta(minutes=30)


# ---- free goods (a zero total) ----

async def test_a_free_order_is_complete_at_checkout_without_a_payment_request(shop: Shop) -> None:
    owner = await make_owner(shop)
    buyer = await make_buyer(shop)
    sample = await make_product(shop, owner, title="Free sample", kind="digital", stock=0, price="0")
    await shop.catalog.add_digital_items(owner, sample.variants[0].id, ["SAMPLE-1"])
    order = await shop.orders.checkout(buyer, items=[(sample.variants[0].id, 1)])
    assert order.total == yen(0) and order.status is OrderStatus.FULFILLED and order.paid_at is not None
    assert [i.content for i in await shop.fulfilment.delivered_items(buyer, order.id)] == ["SAMPLE-1"]
    assert await buckets(shop, sample.variants[0].id) == (0, 0, 1)
    assert (await shop.orders.outstanding(buyer, order.id)) == yen(0)

    sticker = await make_product(shop, owner, title="Free sticker", price="0", stock=3)
    posted = await shop.orders.checkout(buyer, items=[(sticker.variants[0].id, 2)], address=HOME)
    assert posted.status is OrderStatus.PAID and posted.needs_shipping       # the seller ships it as usual
    assert await buckets(shop, sticker.variants[0].id) == (1, 0, 2)
