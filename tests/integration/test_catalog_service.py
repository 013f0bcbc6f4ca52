"""The catalog service on real databases: products, variants, bounds, visibility, paging, search, roles, audit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from commerce.catalog import NewProduct, NewVariant, Page, ProductDTO, ProductKind
from commerce.errors import DuplicateSku, InvalidAmount, InvalidInput, NotFound, PermissionDenied
from commerce.money import Money
from commerce.shop import Shop
from commerce.storage.tables import AuditEvent, Product
from tests.support.factories import make_buyer, make_owner, make_product, step_up


async def audit_events(shop: Shop) -> list[AuditEvent]:
    async with shop.db.uow(write=False) as uow:
        rows = list((await uow.session.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars())
        uow.session.expunge_all()  # keep the loaded values once the unit of work rolls back
        return rows


async def product_count(shop: Shop) -> int:
    async with shop.db.uow(write=False) as uow:
        return (await uow.session.execute(select(func.count()).select_from(Product))).scalar_one()


async def make_role(shop: Shop, owner_id: int, role: str) -> int:
    person = await make_buyer(shop)
    await step_up(shop, owner_id)
    await shop.sellers.grant(owner_id, person, role)
    return person


def titles(page: Page[ProductDTO]) -> list[str]:
    return [p.title for p in page.items]


# ---- creating products ----

async def test_product_without_options_has_exactly_one_default_variant(shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, price="1,200", stock=7, title="Tea cup")

    seen = await shop.catalog.product(product.id)
    assert seen.title == "Tea cup"
    assert seen.seller_id == owner
    assert seen.kind is ProductKind.PHYSICAL
    [variant] = seen.variants
    assert variant.price == Money(Decimal("1200"), "JPY")
    assert variant.stock == 7
    assert variant.options == ()
    assert variant.label == ""
    assert variant.sku == f"P{product.id}-1"
    assert seen.rating is None and seen.review_count == 0


async def test_product_with_size_and_colour_variants(shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title="T-shirt", variants=[
        NewVariant(price="3000", stock=2, sku="TS-S-RED", options={"size": "S", "colour": "Red"}),
        NewVariant(price="3200", stock=0, sku="TS-L-RED", options={"size": "L", "colour": "Red"}),
        NewVariant(price="2800", stock=5, sku="TS-S-BLU", options={"size": "S", "colour": "Blue"}),
    ])

    seen = await shop.catalog.product(product.id)
    assert [v.sku for v in seen.variants] == ["TS-S-RED", "TS-L-RED", "TS-S-BLU"]
    assert [v.label for v in seen.variants] == ["Red / S", "Red / L", "Blue / S"]
    assert seen.variants[0].options == (("colour", "Red"), ("size", "S"))
    assert seen.variants[1].sold_out
    assert seen.price_from == Money(Decimal("2800"), "JPY")
    assert seen.stock == 7
    _, variant = await shop.catalog.variant(seen.variants[2].id)
    assert variant.price == Money(Decimal("2800"), "JPY")


async def test_yen_price_with_decimals_is_refused(shop: Shop) -> None:
    owner = await make_owner(shop)
    with pytest.raises(InvalidAmount):
        await make_product(shop, owner, price="12.5")
    assert await product_count(shop) == 0

    product = await make_product(shop, owner, price="1200")
    with pytest.raises(InvalidAmount):
        await shop.catalog.set_price(owner, product.variants[0].id, "12.5")
    assert (await shop.catalog.product(product.id)).variants[0].price == Money(Decimal("1200"), "JPY")


async def test_duplicate_sku_is_refused_and_nothing_is_created(shop: Shop) -> None:
    owner = await make_owner(shop)
    first = await make_product(shop, owner, variants=[NewVariant(price="500", stock=1, sku="TEA-1")])

    with pytest.raises(DuplicateSku) as caught:
        await make_product(shop, owner, title="Other", variants=[NewVariant(price="600", sku="TEA-1")])
    assert caught.value.sku == "TEA-1"
    with pytest.raises(DuplicateSku):
        await make_product(shop, owner, title="Twins", variants=[NewVariant(price="1", sku="TWIN"),
                                                                   NewVariant(price="1", sku="TWIN")])
    with pytest.raises(DuplicateSku):
        await shop.catalog.add_variant(owner, first.id, NewVariant(price="700", sku="TEA-1"))

    assert await product_count(shop) == 1
    assert [v.sku for v in (await shop.catalog.product(first.id)).variants] == ["TEA-1"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": "x" * 121}, "title"),
    ({"photos": [f"photo-{i}" for i in range(11)]}, "photos"),
    ({"stock": -1}, "stock"),
])
async def test_out_of_bounds_input_names_the_field(shop: Shop, changes: dict[str, object], field: str) -> None:
    owner = await make_owner(shop)
    fields: dict[str, object] = {"title": "Tea cup", "price": "1200", "stock": 3, **changes}
    with pytest.raises(InvalidInput) as caught:
        await shop.catalog.create_product(owner, NewProduct(**fields))  # type: ignore[arg-type]
    assert caught.value.field == field
    assert await product_count(shop) == 0


async def test_edits_out_of_bounds_are_refused_and_change_nothing(shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, stock=4)
    with pytest.raises(InvalidInput) as caught:
        await shop.catalog.update_product(owner, product.id, photos=[f"p{i}" for i in range(11)])
    assert caught.value.field == "photos"
    with pytest.raises(InvalidInput) as caught:
        await shop.catalog.update_product(owner, product.id, title="y" * 121)
    assert caught.value.field == "title"
    with pytest.raises(InvalidInput) as caught:
        await shop.catalog.set_stock(owner, product.variants[0].id, -1)
    assert caught.value.field == "stock"
    seen = await shop.catalog.product(product.id)
    assert (seen.title, seen.photos, seen.stock) == ("Tea cup", (), 4)


# ---- visibility, paging, search ----

async def test_hidden_product_is_only_visible_with_include_hidden(shop: Shop) -> None:
    owner = await make_owner(shop)
    shown = await make_product(shop, owner, title="Green tea")
    hidden = await make_product(shop, owner, title="Green secret tea")
    await shop.catalog.update_product(owner, hidden.id, visible=False)

    assert titles(await shop.catalog.list_products()) == ["Green tea"]
    assert (await shop.catalog.list_products()).total == 1
    assert titles(await shop.catalog.search("green")) == ["Green tea"]
    with pytest.raises(NotFound):
        await shop.catalog.product(hidden.id)
    with pytest.raises(NotFound):
        await shop.catalog.variant(hidden.variants[0].id)
    assert (await shop.catalog.product(hidden.id, include_hidden=True)).visible is False
    everything = await shop.catalog.list_products(include_hidden=True)
    assert {p.id for p in everything.items} == {shown.id, hidden.id}

    await shop.catalog.update_product(owner, hidden.id, visible=True)
    assert (await shop.catalog.product(hidden.id)).visible is True


async def test_paging_reports_total_and_next_page(shop: Shop) -> None:
    owner = await make_owner(shop)
    for i in range(5):
        await make_product(shop, owner, title=f"Cup {i}")

    first = await shop.catalog.list_products(page=0, page_size=2)
    assert (first.total, first.pages, first.has_next) == (5, 3, True)
    assert titles(first) == ["Cup 4", "Cup 3"]  # newest first
    second = await shop.catalog.list_products(page=1, page_size=2)
    assert titles(second) == ["Cup 2", "Cup 1"] and second.has_next
    last = await shop.catalog.list_products(page=2, page_size=2)
    assert titles(last) == ["Cup 0"]
    assert (last.page, last.has_next) == (2, False)
    beyond = await shop.catalog.list_products(page=7, page_size=2)
    assert beyond.items == () and beyond.total == 5 and not beyond.has_next


async def test_search_folds_case_and_width(shop: Shop) -> None:
    owner = await make_owner(shop)
    await make_product(shop, owner, title="Tea")
    await make_product(shop, owner, title="Coffee")
    await make_product(shop, owner, title="ｶｯﾌﾟ")  # half-width katakana, stored folded

    for query in ("ＴＥＡ", "tea", "TEA", "  tEa  "):
        assert titles(await shop.catalog.search(query)) == ["Tea"], query
    assert titles(await shop.catalog.search("カップ")) == ["ｶｯﾌﾟ"]


async def test_search_needs_every_word_in_title_or_description(shop: Shop) -> None:
    owner = await make_owner(shop)
    await make_product(shop, owner, title="Green tea cup")
    await make_product(shop, owner, title="Green bowl")
    await make_product(shop, owner, title="Black tea")
    await make_product(shop, owner, title="Bowl", description="for green tea ceremonies")

    assert sorted(titles(await shop.catalog.search("green tea"))) == ["Bowl", "Green tea cup"]
    assert sorted(titles(await shop.catalog.search("tea green bowl"))) == ["Bowl"]
    assert titles(await shop.catalog.search("green purple")) == []


async def test_like_wildcards_in_the_query_are_literal(shop: Shop) -> None:
    owner = await make_owner(shop)
    await make_product(shop, owner, title="100% cotton towel")
    await make_product(shop, owner, title="1000 cotton towel")
    await make_product(shop, owner, title="snake_case mug")
    await make_product(shop, owner, title="snakeXcase mug")
    await make_product(shop, owner, title="back\\slash plate")

    assert titles(await shop.catalog.search("100%")) == ["100% cotton towel"]
    assert titles(await shop.catalog.search("%")) == ["100% cotton towel"]
    assert titles(await shop.catalog.search("snake_case")) == ["snake_case mug"]
    assert titles(await shop.catalog.search("_")) == ["snake_case mug"]
    assert titles(await shop.catalog.search("k\\s")) == ["back\\slash plate"]
    assert (await shop.catalog.search("cotton")).total == 2


async def test_japanese_substring_search(shop: Shop) -> None:
    owner = await make_owner(shop)
    await make_product(shop, owner, title="有田焼の湯呑み")
    await make_product(shop, owner, title="急須", description="常滑焼の急須です")

    assert titles(await shop.catalog.search("湯呑")) == ["有田焼の湯呑み"]
    assert titles(await shop.catalog.search("焼")) == ["急須", "有田焼の湯呑み"]
    assert titles(await shop.catalog.search("常滑")) == ["急須"]
    assert titles(await shop.catalog.search("湯のみ")) == []


# ---- digital goods ----

async def test_digital_items_are_the_stock_of_a_digital_variant(shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title="E-book", kind="digital", stock=50)
    variant_id = product.variants[0].id
    assert product.stock == 0  # digital stock only comes from items

    await shop.catalog.add_digital_items(owner, variant_id, ["KEY-1", "KEY-2", "  ", "KEY-3"])
    assert (await shop.catalog.product(product.id)).stock == 3
    await shop.catalog.add_digital_items(owner, variant_id, ["KEY-4"])
    assert (await shop.catalog.product(product.id)).stock == 4

    with pytest.raises(InvalidInput) as caught:
        await shop.catalog.set_stock(owner, variant_id, 100)
    assert caught.value.field == "stock"
    assert (await shop.catalog.product(product.id)).stock == 4

    physical = await make_product(shop, owner, stock=2)
    with pytest.raises(InvalidInput):
        await shop.catalog.add_digital_items(owner, physical.variants[0].id, ["KEY-X"])
    assert (await shop.catalog.product(physical.id)).stock == 2


async def test_add_digital_items_returns_the_new_stock(shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, title="Gift card", kind="digital")
    variant_id = product.variants[0].id

    assert await shop.catalog.add_digital_items(owner, variant_id, ["A", "B", "C"]) == 3
    assert await shop.catalog.add_digital_items(owner, variant_id, ["D"]) == 4


# ---- who may edit ----

async def test_seller_edits_only_own_products_and_staff_edits_any(shop: Shop) -> None:
    owner = await make_owner(shop)
    alice = await make_role(shop, owner, "seller")
    bob = await make_role(shop, owner, "seller")
    staff = await make_role(shop, owner, "staff")
    mine = await make_product(shop, alice, title="Alice's cup", stock=3)
    variant_id = mine.variants[0].id

    with pytest.raises(PermissionDenied):
        await shop.catalog.update_product(bob, mine.id, title="Bob's now")
    with pytest.raises(PermissionDenied):
        await shop.catalog.set_price(bob, variant_id, "1")
    with pytest.raises(PermissionDenied):
        await shop.catalog.set_stock(bob, variant_id, 0)
    with pytest.raises(PermissionDenied):
        await shop.catalog.delete_product(bob, mine.id)
    seen = await shop.catalog.product(mine.id)
    assert (seen.title, seen.variants[0].price.minor, seen.stock) == ("Alice's cup", 1200, 3)

    await shop.catalog.update_product(alice, mine.id, description="hand made")
    await shop.catalog.set_price(staff, variant_id, "900")
    await shop.catalog.update_product(staff, mine.id, title="Staff renamed")
    seen = await shop.catalog.product(mine.id)
    assert (seen.title, seen.description, seen.variants[0].price.minor) == ("Staff renamed", "hand made", 900)
    await shop.catalog.delete_product(staff, mine.id)
    with pytest.raises(NotFound):
        await shop.catalog.product(mine.id, include_hidden=True)


async def test_buyer_without_a_role_cannot_manage_the_catalog(shop: Shop) -> None:
    owner = await make_owner(shop)
    buyer = await make_buyer(shop)
    product = await make_product(shop, owner, stock=3)
    before = len(await audit_events(shop))

    with pytest.raises(PermissionDenied):
        await make_product(shop, buyer, title="Sneaky")
    with pytest.raises(PermissionDenied):
        await shop.catalog.update_product(buyer, product.id, visible=False)
    with pytest.raises(PermissionDenied):
        await shop.catalog.set_stock(buyer, product.variants[0].id, 99)
    with pytest.raises(PermissionDenied):
        await shop.catalog.create_category(buyer, "Bowls")
    assert await product_count(shop) == 1
    assert (await shop.catalog.product(product.id)).stock == 3
    assert len(await audit_events(shop)) == before


async def test_every_seller_action_is_audited(shop: Shop) -> None:
    owner = await make_owner(shop)
    seller = await make_role(shop, owner, "seller")
    start = len(await audit_events(shop))

    category = await shop.catalog.create_category(owner, "Cups")
    product = await make_product(shop, seller, title="Cup")
    variant = await shop.catalog.add_variant(seller, product.id, NewVariant(price="1500", stock=1, sku="CUP-L",
                                                                            options={"size": "L"}))
    await shop.catalog.update_product(seller, product.id, category_id=category.id, visible=False)
    await shop.catalog.set_price(seller, variant.id, "1600")
    await shop.catalog.set_stock(seller, variant.id, 4)
    ebook = await make_product(shop, seller, title="E-book", kind="digital")
    await shop.catalog.add_digital_items(seller, ebook.variants[0].id, ["K1", "K2"])
    await shop.catalog.delete_product(seller, product.id)

    events = (await audit_events(shop))[start:]
    assert [(e.action, e.entity, e.entity_id) for e in events] == [
        ("category.create", "category", category.id),
        ("product.create", "product", product.id),
        ("variant.create", "variant", variant.id),
        ("product.update", "product", product.id),
        ("variant.price", "variant", variant.id),
        ("variant.stock", "variant", variant.id),
        ("product.create", "product", ebook.id),
        ("digital.add", "variant", ebook.variants[0].id),
        ("product.delete", "product", product.id),
    ]
    assert [e.actor for e in events] == [f"customer:{owner}"] + [f"customer:{seller}"] * 8
    assert events[4].detail == {"price_minor": 1600}
    assert events[5].detail == {"stock": 4}
    assert events[7].detail == {"count": 2}


# ---- managing from a chat: categories by name, a seller's list, photos, uploaded item lists ----

async def test_a_category_is_chosen_by_name_and_only_managers_create_new_ones(shop: Shop) -> None:
    owner = await make_owner(shop)
    seller = await make_role(shop, owner, "seller")
    cup = await shop.catalog.create_product(owner, NewProduct(title="Cup", price="900", category_name="Tea ware"))
    [tea] = await shop.catalog.categories()
    assert (tea.name, cup.category_id) == ("Tea ware", tea.id)

    # An existing name, typed loosely by a seller, is the same category; a new one needs manage_categories.
    pot = await shop.catalog.create_product(seller, NewProduct(title="Pot", price="900", category_name="ＴＥＡ  ware"))
    assert pot.category_id == tea.id
    with pytest.raises(PermissionDenied):
        await shop.catalog.create_product(seller, NewProduct(title="Bowl", price="900", category_name="Bowls"))
    with pytest.raises(PermissionDenied):
        await shop.catalog.update_product(seller, pot.id, category_name="Bowls")
    with pytest.raises(InvalidInput) as caught:
        await shop.catalog.update_product(owner, pot.id, category_name="x" * 65)
    assert (caught.value.field, caught.value.reason) == ("category", "too_long")
    assert [c.name for c in await shop.catalog.categories()] == ["Tea ware"]
    assert await product_count(shop) == 2

    moved = await shop.catalog.update_product(owner, pot.id, category_name="Pots")
    assert moved.category_id == next(c.id for c in await shop.catalog.categories() if c.name == "Pots")


async def test_managed_products_are_a_sellers_own_and_every_product_for_staff(shop: Shop) -> None:
    owner = await make_owner(shop)
    alice = await make_role(shop, owner, "seller")
    bob = await make_role(shop, owner, "seller")
    staff = await make_role(shop, owner, "staff")
    hidden = await make_product(shop, alice, title="Alice hidden")
    await shop.catalog.update_product(alice, hidden.id, visible=False)
    await make_product(shop, alice, title="Alice shown")
    bobs = await make_product(shop, bob, title="Bob's")
    gone = await make_product(shop, bob, title="Bob's deleted")
    await shop.catalog.delete_product(bob, gone.id)

    assert titles(await shop.catalog.managed_products(alice)) == ["Alice shown", "Alice hidden"]
    assert titles(await shop.catalog.managed_products(bob)) == ["Bob's"]
    assert titles(await shop.catalog.managed_products(staff)) == ["Bob's", "Alice shown", "Alice hidden"]
    second = await shop.catalog.managed_products(staff, page=1, page_size=2)
    assert (titles(second), second.total, second.has_next) == (["Alice hidden"], 3, False)

    assert (await shop.catalog.managed_product(alice, hidden.id)).title == "Alice hidden"
    with pytest.raises(PermissionDenied):
        await shop.catalog.managed_product(alice, bobs.id)
    with pytest.raises(NotFound):
        await shop.catalog.managed_product(bob, gone.id)
    with pytest.raises(PermissionDenied):
        await shop.catalog.managed_products(await make_buyer(shop))


async def test_photos_are_appended_once_each_up_to_the_limit(shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner)
    refs = [f"m/{i:064x}.jpg" for i in range(11)]
    seen = await shop.catalog.add_photos(owner, product.id, refs[:2])
    seen = await shop.catalog.add_photos(owner, product.id, [refs[1], refs[2]])
    assert seen.photos == tuple(refs[:3])
    with pytest.raises(InvalidInput) as caught:
        await shop.catalog.add_photos(owner, product.id, refs[3:])
    assert caught.value.reason == "too_many"
    assert (await shop.catalog.product(product.id)).photos == tuple(refs[:3])


async def test_an_uploaded_item_list_skips_blanks_repeats_and_stored_items(shop: Shop) -> None:
    owner = await make_owner(shop)
    seller = await make_role(shop, owner, "seller")
    ebook = await make_product(shop, seller, title="E-book", kind="digital")
    variant_id = ebook.variants[0].id

    first = await shop.catalog.import_digital_items(seller, variant_id, ["K1", "", " K2 ", "K1", "  ", "K3"])
    assert (first.added, first.blank, first.duplicates, first.already_stored, first.stock) == (3, 2, 1, 0, 3)
    again = await shop.catalog.import_digital_items(seller, variant_id, ["K3", "K4"])
    assert (again.added, again.already_stored, again.stock) == (1, 1, 4)
    nothing_new = await shop.catalog.import_digital_items(seller, variant_id, ["K1", "K2"])
    assert (nothing_new.added, nothing_new.already_stored, nothing_new.stock) == (0, 2, 4)
    many = await shop.catalog.import_digital_items(seller, variant_id, [f"CODE-{i}" for i in range(5000)])
    assert (many.added, many.stock) == (5000, 5004)

    for lines, error in (([""], InvalidInput), (["x"] * 5001, InvalidInput), (["x" * 2001], InvalidInput)):
        with pytest.raises(error):
            await shop.catalog.import_digital_items(seller, variant_id, lines)
    other = await make_role(shop, owner, "seller")
    with pytest.raises(PermissionDenied):
        await shop.catalog.import_digital_items(other, variant_id, ["K9"])
    physical = await make_product(shop, seller, stock=2)
    with pytest.raises(InvalidInput):
        await shop.catalog.import_digital_items(seller, physical.variants[0].id, ["K9"])
    assert (await shop.catalog.product(ebook.id)).stock == 5004


async def test_a_product_has_at_most_twenty_variants(shop: Shop) -> None:
    owner = await make_owner(shop)
    with pytest.raises(InvalidInput):
        await make_product(shop, owner, variants=[NewVariant(price="100", options={"n": str(i)}) for i in range(21)])
    product = await make_product(shop, owner, variants=[NewVariant(price="100", options={"n": str(i)})
                                                        for i in range(20)])
    with pytest.raises(InvalidInput) as caught:
        await shop.catalog.add_variant(owner, product.id, NewVariant(price="100", options={"n": "21"}))
    assert (caught.value.field, caught.value.limit) == ("variants", 20)
    assert len((await shop.catalog.product(product.id)).variants) == 20
