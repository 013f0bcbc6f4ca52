"""Adding many products in one unit of work (commerce/catalog_import.py), and the bounds every product keeps,
on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from commerce.catalog import NewProduct, NewVariant
from commerce.catalog_import import ProductImport
from commerce.errors import InvalidAmount, InvalidInput
from commerce.shop import Shop
from commerce.storage.tables import AuditEvent, Product, Variant
from tests.support.factories import make_owner, make_product


async def counts(shop: Shop) -> tuple[int, int]:
    async with shop.db.uow(write=False) as uow:
        connection = await uow.connection()
        products = (await connection.execute(select(func.count()).select_from(Product))).scalar_one()
        variants = (await connection.execute(select(func.count()).select_from(Variant))).scalar_one()
    return products, variants


def tee(number: int, *skus: str | None) -> NewProduct:
    return NewProduct(title=f"Tee {number}", variants=[NewVariant(price="1200", stock=2, sku=sku,
                                                                  options={"size": str(i)})
                                                       for i, sku in enumerate(skus or (None,))])


# ---- bounds a product keeps, however it arrives ----

@pytest.mark.parametrize("changes", [
    {"title": "Tea\x00pot"}, {"description": "hot\x00"}, {"photos": ["m/a\x00.jpg"]},
    {"variants": [NewVariant(price="1", sku="A\x00")]},
    {"variants": [NewVariant(price="1", options={"size": "M\x00"})]},
])
async def test_a_nul_character_is_refused_as_not_text(shop: Shop, changes: dict[str, object]) -> None:
    """PostgreSQL refuses NUL in text with a raw database error; SQLite stored it. Both now refuse it first."""
    owner = await make_owner(shop)
    fields: dict[str, object] = {"title": "Tea pot", "price": "1200", **changes}
    with pytest.raises(InvalidInput) as caught:
        await shop.catalog.create_product(owner, NewProduct(**fields))  # type: ignore[arg-type]
    assert caught.value.reason == "not_text"
    assert await counts(shop) == (0, 0)


@pytest.mark.parametrize("price", ["99999999999999999999", Decimal("1E+13"), 10**13, "12,50"])
async def test_an_over_large_or_comma_price_is_refused_before_the_database(shop: Shop,
                                                                         price: str | int | Decimal) -> None:
    owner = await make_owner(shop)
    with pytest.raises(InvalidAmount) as caught:
        await make_product(shop, owner, price=price)
    assert caught.value.reason == ("comma" if price == "12,50" else "too_large")
    product = await make_product(shop, owner, price="1,200")
    with pytest.raises(InvalidAmount):
        await shop.catalog.set_price(owner, product.variants[0].id, price)
    assert (await shop.catalog.product(product.id)).variants[0].price.minor == 1200


# ---- many at a time ----

async def test_a_batch_adds_every_product_with_its_variants_and_audit(shop: Shop) -> None:
    owner = await make_owner(shop)
    async with shop.db.uow() as uow:
        outcomes = await ProductImport(shop.catalog, uow, owner).add_products(
            [tee(1, "T1-S", "T1-M"), tee(2), tee(3, "T3")])
        await uow.commit()

    assert all(isinstance(outcome, int) for outcome in outcomes)
    second = await shop.catalog.product(outcomes[1])  # type: ignore[arg-type]
    assert (second.title, [v.sku for v in second.variants]) == ("Tee 2", [f"P{second.id}-1"])
    first = await shop.catalog.product(outcomes[0])  # type: ignore[arg-type]
    assert [(v.sku, v.price.minor, v.stock) for v in first.variants] == [("T1-S", 1200, 2), ("T1-M", 1200, 2)]
    async with shop.db.uow(write=False) as uow:
        audited = (await uow.session.execute(select(AuditEvent.entity_id).where(
            AuditEvent.action == "product.create"))).scalars().all()
    assert sorted(audited) == sorted(outcomes)


async def test_refused_products_are_named_and_the_rest_of_the_batch_is_added(shop: Shop) -> None:
    owner = await make_owner(shop)
    await make_product(shop, owner, variants=[NewVariant(price="1", sku="TAKEN")])
    async with shop.db.uow() as uow:
        outcomes = await ProductImport(shop.catalog, uow, owner).add_products([
            tee(1, "NEW-1"), tee(2, "TWIN"), tee(3, "TAKEN"), NewProduct(title="", price="1"), tee(5, "TWIN"),
            tee(6)])
        await uow.commit()

    # "TAKEN" is found before writing; the twins only by the database, which refuses the whole batch: it is
    # rolled back to its savepoint (on PostgreSQL the transaction stays usable) and added product by product.
    assert [type(outcome).__name__ for outcome in outcomes] == [
        "int", "int", "DuplicateSku", "InvalidInput", "DuplicateSku", "int"]
    assert (outcomes[2].sku, outcomes[4].sku) == ("TAKEN", "TWIN")  # type: ignore[union-attr]
    assert outcomes[3].field == "title"  # type: ignore[union-attr]
    assert await counts(shop) == (4, 4)
    assert (await shop.catalog.product(outcomes[1])).variants[0].sku == "TWIN"  # type: ignore[arg-type]


async def test_variants_added_to_earlier_products_keep_their_order_and_the_limit(shop: Shop) -> None:
    owner = await make_owner(shop)
    async with shop.db.uow() as uow:
        adding = ProductImport(shop.catalog, uow, owner)
        [first, second] = await adding.add_products([tee(1, "A-0"), tee(2, "B-0")])
        assert isinstance(first, int) and isinstance(second, int)
        refused = await adding.add_variants({
            first: [NewVariant(price="900", sku="A-1", options={"size": "L"}), NewVariant(price="900")],
            second: [NewVariant(price="1", options={"n": str(i)}) for i in range(20)],  # 21 in all
        })
        await uow.commit()

    assert list(refused) == [second] and refused[second].fields["reason"] == "too_many"
    product = await shop.catalog.product(first)
    assert [v.sku for v in product.variants] == ["A-0", "A-1", f"P{first}-3"]
    assert len((await shop.catalog.product(second)).variants) == 1
