"""Cards, pages and categories come from memory only while nothing this process committed changed them."""

from __future__ import annotations

import pytest
from sqlalchemy import text, update

from commerce.errors import OutOfStock
from commerce.privacy import PersonalDataCipher, ShippingAddress
from commerce.shop import Shop
from commerce.storage.db import ANY_TABLE, Database
from commerce.storage.tables import Customer, Variant
from tests.support.factories import make_buyer, make_owner, make_product, step_up

HOME = ShippingAddress(name="Hanako Yamada", postal_code="100-0001", region="Tokyo", city="Chiyoda",
                       line1="1-1 Chiyoda", phone="090-0000-0000")


async def test_a_checkout_shows_on_the_card_and_the_page_at_once(shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, stock=3)
    assert (await shop.catalog.product(product.id)).stock == 3
    assert (await shop.catalog.list_products()).items[0].stock == 3

    buyer = await make_buyer(shop)
    await shop.cart.add(buyer, product.variants[0].id, 3)
    await shop.orders.checkout(buyer, address=HOME)  # reserves all three

    assert (await shop.catalog.product(product.id)).stock == 0
    assert (await shop.catalog.list_products()).items[0].stock == 0


async def test_seller_edits_and_new_categories_show_at_once(shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title="Tea cup")
    assert [c.name for c in await shop.catalog.categories()] == []
    await step_up(shop, owner)
    await shop.catalog.update_product(owner, product.id, title="Tea bowl")
    await shop.catalog.set_price(owner, product.variants[0].id, "900")
    await shop.catalog.create_category(owner, "Ceramics")

    card = await shop.catalog.product(product.id)
    assert card.title == "Tea bowl" and card.variants[0].price.amount == 900
    assert [c.name for c in await shop.catalog.categories()] == ["Ceramics"]


async def test_a_change_rolled_back_moves_nothing_and_raw_sql_counts_as_any_table(shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, stock=5)
    before = shop.db.committed.version(["variant"])
    async with shop.db.uow() as uow:  # left without commit: rolled back
        await (await uow.connection()).execute(update(Variant).values(stock=1))
    assert shop.db.committed.version(["variant"]) == before
    assert (await shop.catalog.product(product.id)).stock == 5

    async with shop.db.uow() as uow:
        await (await uow.connection()).execute(text("UPDATE variant SET stock = 2"))
        await uow.commit()
    assert shop.db.committed.version([ANY_TABLE]) >= 1
    assert (await shop.catalog.product(product.id)).stock == 2


async def test_another_process_selling_out_may_linger_on_the_card_but_never_in_the_cart(shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, stock=2)
    assert (await shop.catalog.product(product.id)).stock == 2  # now remembered

    other = Database(shop.db.url)  # a second process on the same database
    try:
        async with other.uow() as uow:
            await (await uow.connection()).execute(update(Variant).values(stock=0))
            await uow.commit()
    finally:
        await other.dispose()

    assert (await shop.catalog.product(product.id)).stock == 2  # this process was not told: up to 5 s stale
    buyer = await make_buyer(shop)
    with pytest.raises(OutOfStock):
        await shop.cart.add(buyer, product.variants[0].id, 1)


async def test_what_another_process_changed_shows_once_the_recent_reads_are_5_s_old(
        shop: Shop, data_key: str) -> None:
    ticks = [0]
    mine = Shop(shop.db, shop.rules, PersonalDataCipher(data_key), shop.clock, now_ns=lambda: ticks[0])
    owner = await make_owner(mine)
    product = await make_product(mine, owner, stock=2)
    telegram_id = 7_000_001
    first = await mine.customers.identify("telegram", telegram_id, locale="en")
    assert (await mine.catalog.product(product.id)).stock == 2
    assert (await mine.catalog.list_products()).items[0].stock == 2

    other = Database(shop.db.url)  # a second process on the same database
    try:
        async with other.uow() as uow:
            connection = await uow.connection()
            await connection.execute(update(Variant).values(stock=0))
            await connection.execute(update(Customer).where(Customer.id == first.id).values(locale="ja"))
            await uow.commit()
    finally:
        await other.dispose()

    ticks[0] += 4_900_000_000  # 4.9 s later: still what this process read
    assert (await mine.catalog.product(product.id)).stock == 2
    assert (await mine.customers.identify("telegram", telegram_id)).locale == "en"
    ticks[0] += 200_000_000  # 5.1 s after the reads: read afresh
    assert (await mine.catalog.product(product.id)).stock == 0
    assert (await mine.catalog.list_products()).items[0].stock == 0
    assert (await mine.customers.identify("telegram", telegram_id)).locale == "ja"
