"""The catalog as its sellers and staff change it: categories, products, variants, prices, stock, photos, and
the products a person manages. Every change checks the role (a seller only their own products) and is audited."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from commerce.catalog_reads import CatalogReads
from commerce.catalog_types import (
    CATEGORY_NAME_MAX,
    DESCRIPTION_MAX,
    PAGE_MAX,
    PHOTOS_MAX,
    TITLE_MAX,
    VARIANTS_MAX,
    CategoryDTO,
    CheckedVariant,
    NewProduct,
    NewVariant,
    Page,
    ProductDTO,
    ProductKind,
    VariantDTO,
    bounded_text,
    check_product,
    check_variant,
    checked_stock,
    generated_sku,
    search_key,
    variant_dto,
)
from commerce.errors import DuplicateSku, InvalidInput, NotFound, PermissionDenied
from commerce.events import actor_of, record
from commerce.money import Money
from commerce.roles import Permission, Role
from commerce.sellers import require_permission
from commerce.storage.db import UnitOfWork
from commerce.storage.product_query import product_page
from commerce.storage.tables import Category, Product, Variant


class CatalogEdits(CatalogReads):
    async def create_category(self, actor_id: int, name: str) -> CategoryDTO:
        async with self._db.uow() as uow:
            await require_permission(uow, actor_id, Permission.MANAGE_CATEGORIES)
            ids = await self.ensure_categories(uow, actor_id, [name])
            await uow.commit()
        [(name, category_id)] = ids.items()
        return CategoryDTO(category_id, name)

    async def ensure_categories(self, uow: UnitOfWork, actor_id: int | None, names: Iterable[str]) -> dict[str, int]:
        """Category ids by name, creating missing ones inside the caller's unit of work (no commit)."""
        wanted = {bounded_text(name, "name", CATEGORY_NAME_MAX, required=True) for name in names}
        ids = {row.name: row.id for row in (await uow.session.execute(
            select(Category.name, Category.id).where(Category.name.in_(wanted))))}
        for name in sorted(wanted - ids.keys()):
            row = Category(name=name)
            uow.session.add(row)
            await uow.flush()
            assert row.id is not None
            ids[name] = row.id
            record(uow.session, actor=actor_of(actor_id), action="category.create", entity="category",
                   entity_id=row.id, at=self._clock(), name=name)
        return ids

    async def create_product(self, actor_id: int, new: NewProduct) -> ProductDTO:
        async with self._db.uow() as uow:
            await require_permission(uow, actor_id, Permission.MANAGE_OWN_PRODUCTS)
            if new.category_name is not None and new.category_id is None:
                new = replace(new, category_id=await self._category_named(uow, actor_id, new.category_name))
            product_id = await self.add_product(uow, actor_id, new)
            await uow.commit()
        return await self.product(product_id, include_hidden=True)

    async def add_product(self, uow: UnitOfWork, actor_id: int | None, new: NewProduct) -> int:
        """Insert a product and its variants inside the caller's unit of work (commerce/catalog_import.py
        adds many at a time)."""
        checked = check_product(new, self.currency)
        if new.category_id is not None and await uow.session.get(Category, new.category_id) is None:
            raise NotFound(entity="category", id=new.category_id)
        now = self._clock()
        row = Product(title=checked.title, description=checked.description, kind=checked.kind, visible=new.visible,
                      seller_id=actor_id, category_id=new.category_id, photos=checked.photos, created_at=now,
                      updated_at=now, search_text=search_key(f"{checked.title} {checked.description}"))
        uow.session.add(row)
        await uow.flush()
        assert row.id is not None
        for position, variant in enumerate(checked.variants):
            await self.insert_variant(uow, row.id, variant, position)
        record(uow.session, actor=actor_of(actor_id), action="product.create", entity="product",
               entity_id=row.id, at=now, title=checked.title)
        return row.id

    async def insert_variant(self, uow: UnitOfWork, product_id: int, variant: CheckedVariant,
                             position: int) -> Variant:
        """One checked variant, in a savepoint of the caller's unit of work; a taken SKU is DuplicateSku."""
        sku = variant.sku or generated_sku(product_id, position)
        row = Variant(product_id=product_id, sku=sku, options=variant.options, price_minor=variant.price_minor,
                      stock=variant.stock, position=position)
        try:
            async with uow.session.begin_nested():
                uow.session.add(row)
                await uow.flush()
        except IntegrityError:
            raise DuplicateSku(sku=sku) from None
        return row

    async def update_product(self, actor_id: int, product_id: int, *, title: str | None = None,
                             description: str | None = None, category_id: int | None = None,
                             photos: Sequence[str] | None = None, visible: bool | None = None,
                             category_name: str | None = None) -> ProductDTO:
        async with self._db.uow() as uow:
            row = await self._editable(uow, actor_id, product_id)
            changed: dict[str, object] = {}
            if category_name is not None and category_id is None:
                category_id = await self._category_named(uow, actor_id, category_name)
            if title is not None:
                row.title = changed["title"] = bounded_text(title, "title", TITLE_MAX, required=True)
            if description is not None:
                row.description = changed["description"] = bounded_text(description, "description", DESCRIPTION_MAX)
            if category_id is not None:
                if await uow.session.get(Category, category_id) is None:
                    raise NotFound(entity="category", id=category_id)
                row.category_id = changed["category_id"] = category_id
            if photos is not None:
                if len(photos) > PHOTOS_MAX:
                    raise InvalidInput(field="photos", reason="too_many", limit=PHOTOS_MAX)
                row.photos = list(photos)
                changed["photos"] = len(photos)
            if visible is not None:
                row.visible = changed["visible"] = visible
            row.search_text = search_key(f"{row.title} {row.description}")
            row.updated_at = self._clock()
            record(uow.session, actor=actor_of(actor_id), action="product.update", entity="product",
                   entity_id=product_id, at=row.updated_at, **changed)
            await uow.commit()
        return await self.product(product_id, include_hidden=True)

    async def delete_product(self, actor_id: int, product_id: int) -> None:
        """Hide for good; orders and reviews that mention it keep their snapshot."""
        async with self._db.uow() as uow:
            row = await self._editable(uow, actor_id, product_id)
            row.deleted, row.visible = True, False
            record(uow.session, actor=actor_of(actor_id), action="product.delete", entity="product",
                   entity_id=product_id, at=self._clock())
            await uow.commit()

    async def add_variant(self, actor_id: int, product_id: int, new: NewVariant) -> VariantDTO:
        async with self._db.uow() as uow:
            product = await self._editable(uow, actor_id, product_id)
            count = (await uow.session.execute(
                select(func.count()).select_from(Variant).where(Variant.product_id == product_id))).scalar_one()
            if count >= VARIANTS_MAX:
                raise InvalidInput(field="variants", reason="too_many", limit=VARIANTS_MAX)
            checked = check_variant(new, ProductKind(product.kind), self.currency)
            row = await self.insert_variant(uow, product_id, checked, count)
            record(uow.session, actor=actor_of(actor_id), action="variant.create", entity="variant",
                   entity_id=row.id, at=self._clock(), sku=row.sku)
            await uow.commit()
            return variant_dto(row, self.currency)

    async def set_price(self, actor_id: int, variant_id: int, price: Decimal | int | str) -> VariantDTO:
        money = Money.parse(price, self.currency)
        return await self._change_variant(actor_id, variant_id, "variant.price", price_minor=money.minor)

    async def set_stock(self, actor_id: int, variant_id: int, stock: int) -> VariantDTO:
        """Set the units on hand that are free to sell (reserved units are not counted)."""
        return await self._change_variant(actor_id, variant_id, "variant.stock", stock=checked_stock(stock))

    async def _change_variant(self, actor_id: int, variant_id: int, action: str, **values: int) -> VariantDTO:
        async with self._db.uow() as uow:
            variant = await uow.session.get(Variant, variant_id)
            if variant is None:
                raise NotFound(entity="variant", id=variant_id)
            product = await self._editable(uow, actor_id, variant.product_id)
            if "stock" in values and product.kind == ProductKind.DIGITAL:
                raise InvalidInput(field="stock", reason="digital_stock")
            for key, value in values.items():
                setattr(variant, key, value)
            record(uow.session, actor=actor_of(actor_id), action=action, entity="variant",
                   entity_id=variant_id, at=self._clock(), **values)
            await uow.commit()
            return variant_dto(variant, self.currency)

    async def add_photos(self, actor_id: int, product_id: int, references: Sequence[str]) -> ProductDTO:
        """Append stored photos to a product (a photo it already has is not added twice)."""
        async with self._db.uow() as uow:
            row = await self._editable(uow, actor_id, product_id)
            photos = list(dict.fromkeys([*row.photos, *references]))
            if len(photos) > PHOTOS_MAX:
                raise InvalidInput(field="photos", reason="too_many", limit=PHOTOS_MAX)
            row.photos = photos
            row.updated_at = self._clock()
            record(uow.session, actor=actor_of(actor_id), action="product.update", entity="product",
                   entity_id=product_id, at=row.updated_at, photos=len(photos))
            await uow.commit()
        return await self.product(product_id, include_hidden=True)

    # ---- reading (sellers) ----

    async def managed_product(self, actor_id: int, product_id: int) -> ProductDTO:
        """A product as its seller (or staff) sees it: hidden ones too, someone else's refused."""
        async with self._db.uow(write=False) as uow:
            await self._editable(uow, actor_id, product_id)
        return await self.product(product_id, include_hidden=True)

    async def managed_products(self, actor_id: int, *, page: int = 0, page_size: int = 10) -> Page[ProductDTO]:
        """The products a person manages, hidden ones included: a seller's own; every product for staff."""
        page_size = max(1, min(page_size, PAGE_MAX))
        page = max(0, page)
        async with self._db.uow(write=False) as uow:
            role = await require_permission(uow, actor_id, Permission.MANAGE_OWN_PRODUCTS)
            conditions: list[Any] = [Product.deleted == False]  # noqa: E712
            if role is Role.SELLER:
                conditions.append(Product.seller_id == actor_id)
            found, total = await product_page(await uow.connection(), conditions, offset=page * page_size,
                                              limit=page_size)
        return Page(tuple(self._dto(rows) for rows in found), page, page_size, total)

    async def _category_named(self, uow: UnitOfWork, actor_id: int, name: str) -> int:
        """An existing category's id by its name (ignoring case and width), else a new one (a permission)."""
        name = bounded_text(name, "category", CATEGORY_NAME_MAX, required=True)
        for row in (await uow.session.execute(select(Category.id, Category.name))).all():
            if search_key(row.name) == search_key(name):
                return int(row.id)
        await require_permission(uow, actor_id, Permission.MANAGE_CATEGORIES)
        return (await self.ensure_categories(uow, actor_id, [name]))[name]

    async def _editable(self, uow: UnitOfWork, actor_id: int, product_id: int) -> Product:
        role = await require_permission(uow, actor_id, Permission.MANAGE_OWN_PRODUCTS)
        row = await uow.session.get(Product, product_id)
        if row is None or row.deleted:
            raise NotFound(entity="product", id=product_id)
        if role is Role.SELLER and row.seller_id != actor_id:
            raise PermissionDenied(permission=Permission.MANAGE_ALL_PRODUCTS.value, role=role.value)
        return row
