"""`/seller products …`: add a product (a modal, with an optional photo attached to the command), list the
products one manages, and a manage card per product whose buttons edit, reprice, restock, hide, show and
delete it; photos and digital items arrive as attachments of `/seller products photo|items`.

Every rule (role, ownership, bounds, price digits) is the core's: its refusal is explained in the seller's
language by the shared error reporter, and nothing changes. Every answer is ephemeral.
"""

from __future__ import annotations

import asyncio
import re
from enum import StrEnum
from typing import Any, Final

import discord
from discord import app_commands
from discord.ui import Button, DynamicItem, Select

from bots.common.digital_items import UPLOAD_MAX_BYTES, UnreadableUpload, import_report, read_items
from bots.common.presenters import present_manage_card, variant_name
from bots.discord.command_translator import command_text
from bots.discord.context import MAX_ID, Buyer, edit, identify, reply, services_of
from bots.discord.errors import answer_stale, report_error
from bots.discord.items import ShopItem
from bots.discord.render import COLOUR, md
from bots.discord.services import ShopServices
from bots.i18n import Translator
from commerce.catalog import (
    CATEGORY_NAME_MAX,
    DIGITAL_IMPORT_MAX,
    PHOTOS_MAX,
    STOCK_MAX,
    TITLE_MAX,
    NewProduct,
    ProductDTO,
    ProductKind,
    VariantDTO,
)
from commerce.errors import InvalidInput
from media.photos import MAX_BYTES, PhotoRejected, RejectReason, process_photo

PAGE_SIZE: Final = 10
MODAL_DESCRIPTION_MAX: Final = 4000  # Discord's limit for a text input
AUTOCOMPLETE_MAX: Final = 25


class ProductAction(StrEnum):
    OPEN = "open"
    EDIT = "edit"
    PRICE = "price"
    STOCK = "stock"
    HIDE = "hide"
    SHOW = "show"
    DELETE = "del"
    DELETE_CONFIRMED = "yes"
    PHOTO = "photo"
    ITEMS = "items"


A = ProductAction


class Refused(Exception):
    """An upload we won't take: `key` says why, in the seller's language."""

    def __init__(self, key: str, **fields: Any) -> None:
        super().__init__(key)
        self.key, self.fields = key, fields


def parse_stock(text: str) -> int:
    text = text.strip()
    if not text.isdecimal() or not 0 <= int(text) <= STOCK_MAX:
        raise InvalidInput(field="stock", reason="range", minimum=0, maximum=STOCK_MAX)
    return int(text)


async def store_image(services: ShopServices, image: discord.Attachment) -> str:
    """Read, clean (in a worker thread) and store an attached photo; its media reference, or Refused."""
    if services.media_store is None:
        raise Refused("discord.seller.no_media")
    if image.size > MAX_BYTES:
        raise Refused("sell.photo_rejected.too_large_bytes")
    try:
        photo = await asyncio.to_thread(process_photo, await image.read())
    except PhotoRejected as rejected:
        raise Refused(f"sell.photo_rejected.{RejectReason(rejected.reason).value}") from None
    return await services.media_store.save(photo)


# ---- views ----

def manage_card(tr: Translator, locale: str, product: ProductDTO, category: str | None,
                notice: str | None = None) -> tuple[str | None, discord.Embed, discord.ui.View]:
    t = tr.text
    digital = product.kind is ProductKind.DIGITAL
    card = present_manage_card(tr, locale, product, category)
    parts = ["\n".join(map(md, card.facts)), "\n".join(map(md, card.variants))]
    if card.description:
        parts.append(md(card.description))
    embed = discord.Embed(title=md(card.heading)[:256],
                          description="\n\n".join(parts)[:4096], colour=COLOUR)
    view = discord.ui.View(timeout=None)
    pid = product.id

    def add(action: ProductAction, key: str) -> None:
        view.add_item(ManageProduct(action, pid, t(locale, key)))

    add(A.EDIT, "discord.seller.button.edit")
    add(A.PRICE, "sell.edit.button.price")
    add(A.ITEMS, "sell.edit.button.digital") if digital else add(A.STOCK, "sell.edit.button.stock")
    add(A.HIDE, "sell.edit.button.hide") if product.visible else add(A.SHOW, "sell.edit.button.show")
    add(A.PHOTO, "sell.edit.button.add_photos")
    add(A.DELETE, "sell.edit.button.delete")
    view.add_item(ManagedProductsPage(0, t(locale, "sell.edit.button.list")))
    return notice, embed, view


async def _category_name(services: ShopServices, product: ProductDTO) -> str | None:
    if product.category_id is None:
        return None
    return next((c.name for c in await services.shop.catalog.categories() if c.id == product.category_id), None)


async def send_card(interaction: discord.Interaction[Any], person: Buyer, product: ProductDTO, *,
                    notice: str | None = None, in_place: bool = False) -> None:
    services = services_of(interaction)
    content, embed, view = manage_card(services.translator, person.locale, product,
                                       await _category_name(services, product), notice)
    if in_place:
        await edit(interaction, content=content, embed=embed, view=view)
    else:
        await reply(interaction, content=content, embed=embed, view=view)


async def show_list(interaction: discord.Interaction[Any], page: int, *, in_place: bool = False) -> None:
    services = services_of(interaction)
    person = await identify(interaction)
    tr, locale = services.translator, person.locale
    found = await services.shop.catalog.managed_products(person.customer.id, page=page, page_size=PAGE_SIZE)
    if not found.items:
        text = tr.text(locale, "discord.seller.list_empty")
        await (edit(interaction, content=text) if in_place else reply(interaction, content=text))
        return
    view = discord.ui.View(timeout=None)
    for product in found.items:
        view.add_item(ManageProduct(A.OPEN, product.id, tr.text(
            locale, "sell.edit.list_line", id=product.id, title=product.title,
            hidden="" if product.visible else tr.text(locale, "sell.edit.hidden_mark"))))
    if found.page:
        view.add_item(ManagedProductsPage(found.page - 1, tr.text(locale, "sell.edit.previous")))
    if found.has_next:
        view.add_item(ManagedProductsPage(found.page + 1, tr.text(locale, "sell.edit.next")))
    embed = discord.Embed(title=md(tr.text(locale, "sell.edit.list_heading", page=found.page + 1,
                                           pages=found.pages, total=found.total)), colour=COLOUR)
    if in_place:
        await edit(interaction, embed=embed, view=view)
    else:
        await reply(interaction, embed=embed, view=view)


# ---- modals ----

class _Modal(discord.ui.Modal):
    async def on_error(self, interaction: discord.Interaction[Any], error: Exception,
                       item: discord.ui.Item[Any] | None = None) -> None:
        await report_error(interaction, error)


class NewProductModal(_Modal):
    def __init__(self, tr: Translator, locale: str, kind: ProductKind, image: discord.Attachment | None) -> None:
        super().__init__(title=tr.text(locale, "discord.seller.new.modal")[:45], timeout=900)
        self.kind, self.image = kind, image
        t = tr.text
        self.product_title: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=t(locale, "discord.seller.field.title")[:45], custom_id="title", max_length=TITLE_MAX)
        self.description: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=t(locale, "discord.seller.field.description")[:45], custom_id="description",
            style=discord.TextStyle.paragraph, required=False, max_length=MODAL_DESCRIPTION_MAX)
        self.price: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=t(locale, "discord.seller.field.price")[:45], custom_id="price", max_length=20)
        self.stock: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=t(locale, "discord.seller.field.stock")[:45], custom_id="stock", max_length=7, default="1",
            required=False)
        self.category: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=t(locale, "discord.seller.field.category")[:45], custom_id="category", required=False,
            max_length=CATEGORY_NAME_MAX)
        for field in (self.product_title, self.description, self.price, self.stock, self.category):
            if field is self.stock and kind is ProductKind.DIGITAL:
                continue  # a digital product's stock is its items, uploaded afterwards
            self.add_item(field)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        services = services_of(interaction)
        person = await identify(interaction)
        tr = services.translator
        stock = 0 if self.kind is ProductKind.DIGITAL else parse_stock(self.stock.value or "0")
        await interaction.response.defer(ephemeral=True, thinking=True)
        photos: list[str] = []
        if self.image is not None:
            try:
                photos.append(await store_image(services, self.image))
            except Refused as refused:
                await reply(interaction, content=tr.text(person.locale, refused.key, **refused.fields))
                return
        category = " ".join((self.category.value or "").split()) or None
        product = await services.shop.catalog.create_product(person.customer.id, NewProduct(
            title=self.product_title.value, description=self.description.value or "", price=self.price.value.strip(),
            stock=stock, kind=self.kind, photos=photos, category_name=category))
        notice = tr.text(person.locale, "discord.seller.created", id=product.id, title=product.title)
        if self.kind is ProductKind.DIGITAL:
            notice += "\n" + tr.text(person.locale, "discord.seller.items_hint", limit=DIGITAL_IMPORT_MAX,
                                     kilobytes=UPLOAD_MAX_BYTES // 1024)
        await send_card(interaction, person, product, notice=notice)


class EditProductModal(_Modal):
    def __init__(self, tr: Translator, locale: str, product: ProductDTO) -> None:
        super().__init__(title=tr.text(locale, "discord.seller.edit.modal", id=product.id)[:45], timeout=900)
        self.product_id = product.id
        self.product_title: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=tr.text(locale, "discord.seller.field.title")[:45], custom_id="title", max_length=TITLE_MAX,
            default=product.title)
        self.description: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=tr.text(locale, "discord.seller.field.description")[:45], custom_id="description",
            style=discord.TextStyle.paragraph, required=False, max_length=MODAL_DESCRIPTION_MAX,
            default=product.description[:MODAL_DESCRIPTION_MAX] or None)
        self.add_item(self.product_title)
        self.add_item(self.description)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        services = services_of(interaction)
        person = await identify(interaction)
        product = await services.shop.catalog.update_product(
            person.customer.id, self.product_id, title=self.product_title.value,
            description=self.description.value or "")
        await send_card(interaction, person, product, notice=services.translator.text(person.locale,
                                                                                       "sell.edit.saved"))


class VariantModal(_Modal):
    """One number for one variant: its new price, or its new stock."""

    def __init__(self, tr: Translator, locale: str, action: ProductAction, product: ProductDTO,
                 variant: VariantDTO) -> None:
        name = variant_name(variant)
        super().__init__(title=tr.text(locale, f"discord.seller.{action.value}.modal", variant=name)[:45],
                         timeout=900)
        self.action, self.product_id, self.variant_id = action, product.id, variant.id
        current = str(variant.price.amount) if action is A.PRICE else str(variant.stock)
        label = (tr.text(locale, "discord.seller.field.price") if action is A.PRICE
                 else tr.text(locale, "discord.seller.field.stock"))
        self.value: discord.ui.TextInput[Any] = discord.ui.TextInput(label=label[:45], custom_id=action.value,
                                                                      max_length=20, default=current)
        self.add_item(self.value)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        services = services_of(interaction)
        person = await identify(interaction)
        catalog, tr = services.shop.catalog, services.translator
        if self.action is A.PRICE:
            variant = await catalog.set_price(person.customer.id, self.variant_id, self.value.value.strip())
            notice = tr.text(person.locale, "sell.edit.price_set", variant=variant_name(variant),
                             price=tr.money(person.locale, variant.price))
        else:
            await catalog.set_stock(person.customer.id, self.variant_id, parse_stock(self.value.value))
            notice = tr.text(person.locale, "sell.edit.saved")
        product = await catalog.managed_product(person.customer.id, self.product_id)
        await send_card(interaction, person, product, notice=notice)


# ---- the manage card's buttons ----

async def on_product_action(interaction: discord.Interaction[Any], action: ProductAction, product_id: int) -> None:
    services = services_of(interaction)
    person = await identify(interaction)
    catalog, tr, locale = services.shop.catalog, services.translator, person.locale
    actor = person.customer.id
    product = await catalog.managed_product(actor, product_id)  # someone else's: refused here
    match action:
        case A.OPEN:
            await send_card(interaction, person, product, in_place=True)
        case A.EDIT:
            await interaction.response.send_modal(EditProductModal(tr, locale, product))
        case A.PRICE | A.STOCK:
            if len(product.variants) == 1:
                await interaction.response.send_modal(VariantModal(tr, locale, action, product, product.variants[0]))
                return
            options = [discord.SelectOption(label=tr.text(
                locale, "sell.edit.variant_line", name=variant_name(v), price=tr.money(locale, v.price),
                stock=v.stock)[:100], value=str(v.id)) for v in product.variants[:25]]
            view = discord.ui.View(timeout=None)
            view.add_item(ChooseManagedVariant(action, product.id, options))
            await reply(interaction, content=md(tr.text(locale, "sell.edit.pick_variant", title=product.title)),
                        view=view)
        case A.HIDE | A.SHOW:
            changed = await catalog.update_product(actor, product_id, visible=action is A.SHOW)
            await send_card(interaction, person, changed, notice=tr.text(locale, "sell.edit.saved"), in_place=True)
        case A.DELETE:
            view = discord.ui.View(timeout=None)
            view.add_item(ManageProduct(A.DELETE_CONFIRMED, product.id, tr.text(locale,
                                                                              "sell.edit.button.delete_confirm")))
            view.add_item(ManageProduct(A.OPEN, product.id, tr.text(locale, "sell.edit.button.back")))
            await reply(interaction, content=md(tr.text(locale, "sell.edit.ask_delete", id=product.id,
                                                        title=product.title)), view=view)
        case A.DELETE_CONFIRMED:
            await catalog.delete_product(actor, product_id)
            await edit(interaction, content=tr.text(locale, "sell.edit.deleted", id=product_id))
        case A.PHOTO:
            await reply(interaction, content=tr.text(locale, "discord.seller.photo_hint", id=product.id,
                                                     count=len(product.photos), limit=PHOTOS_MAX))
        case A.ITEMS:
            await reply(interaction, content=tr.text(locale, "discord.seller.items_hint", id=product.id,
                                                     limit=DIGITAL_IMPORT_MAX, kilobytes=UPLOAD_MAX_BYTES // 1024))


async def ask_variant_change(interaction: discord.Interaction[Any], action: ProductAction, product_id: int,
                             variant_id: int) -> None:
    services = services_of(interaction)
    person = await identify(interaction)
    product = await services.shop.catalog.managed_product(person.customer.id, product_id)
    variant = next((v for v in product.variants if v.id == variant_id), None)
    if variant is None:  # forged, or removed meanwhile
        await reply(interaction, content=services.translator.text(person.locale, "discord.stale_button"))
        return
    await interaction.response.send_modal(VariantModal(services.translator, person.locale, action, product,
                                                       variant))


# ---- the commands ----

def add_to(group: app_commands.Group, services: ShopServices) -> None:
    products = app_commands.Group(name=command_text("discord.command.seller.products", "products"),
                                  description=command_text("discord.command.seller.products.description",
                                                           "Add and manage products"), parent=group)

    async def manageable(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[int]]:
        person = await identify(interaction)
        found = await services.shop.catalog.managed_products(person.customer.id, page_size=50)
        wanted = current.strip().casefold()
        return [app_commands.Choice(name=f"#{p.id} {p.title}"[:100], value=p.id) for p in found.items
                if not wanted or wanted in f"#{p.id} {p.title}".casefold()][:AUTOCOMPLETE_MAX]

    @products.command(name=command_text("discord.command.seller.products.new", "new"),
                      description=command_text("discord.command.seller.products.new.description",
                                               "Add a product: a form opens; attach a photo here if you like"))
    @app_commands.describe(kind=command_text("discord.option.seller.kind", "Physical (shipped) or digital"),
                           image=command_text("discord.option.seller.image", "The product's photo"))
    @app_commands.choices(kind=[
        app_commands.Choice(name=command_text("discord.choice.seller.physical", "Physical"), value="physical"),
        app_commands.Choice(name=command_text("discord.choice.seller.digital", "Digital"), value="digital")])
    async def new(interaction: discord.Interaction[Any], kind: str = "physical",
                  image: discord.Attachment | None = None) -> None:
        person = await identify(interaction)
        chosen = ProductKind.DIGITAL if kind == ProductKind.DIGITAL.value else ProductKind.PHYSICAL
        if image is not None and image.size > MAX_BYTES:  # refused before the form, not after it
            await reply(interaction, content=services.translator.text(person.locale,
                                                                      "sell.photo_rejected.too_large_bytes"))
            return
        await interaction.response.send_modal(NewProductModal(services.translator, person.locale, chosen, image))

    @products.command(name=command_text("discord.command.seller.products.list", "list"),
                      description=command_text("discord.command.seller.products.list.description",
                                               "The products you manage"))
    async def list_(interaction: discord.Interaction[Any]) -> None:
        await show_list(interaction, 0)

    @products.command(name=command_text("discord.command.seller.products.photo", "photo"),
                      description=command_text("discord.command.seller.products.photo.description",
                                               "Add a photo to a product"))
    @app_commands.describe(product=command_text("discord.option.seller.product", "The product"),
                           image=command_text("discord.option.seller.image", "The product's photo"))
    @app_commands.autocomplete(product=manageable)
    async def photo(interaction: discord.Interaction[Any], product: app_commands.Range[int, 1, MAX_ID],
                    image: discord.Attachment) -> None:
        person = await identify(interaction)
        tr = services.translator
        await services.shop.catalog.managed_product(person.customer.id, product)  # refused before any work
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            reference = await store_image(services, image)
        except Refused as refused:
            await reply(interaction, content=tr.text(person.locale, refused.key, **refused.fields))
            return
        changed = await services.shop.catalog.add_photos(person.customer.id, product, [reference])
        await send_card(interaction, person, changed, notice=tr.text(
            person.locale, "discord.seller.photo_added", count=len(changed.photos), limit=PHOTOS_MAX))

    @products.command(name=command_text("discord.command.seller.products.items", "items"),
                      description=command_text("discord.command.seller.products.items.description",
                                               "Upload a digital product's items (.txt or .csv)"))
    @app_commands.describe(product=command_text("discord.option.seller.product", "The product"),
                           file=command_text("discord.option.seller.file",
                                             ".txt: one item per line; .csv: items in the first column"),
                           variant=command_text("discord.option.seller.variant",
                                                "Which variant (when the product has several)"))
    @app_commands.autocomplete(product=manageable)
    async def items(interaction: discord.Interaction[Any], product: app_commands.Range[int, 1, MAX_ID],
                    file: discord.Attachment, variant: app_commands.Range[int, 1, MAX_ID] | None = None) -> None:
        person = await identify(interaction)
        tr, locale = services.translator, person.locale
        managed = await services.shop.catalog.managed_product(person.customer.id, product)
        chosen = next((v for v in managed.variants if v.id == variant), None) if variant else (
            managed.variants[0] if len(managed.variants) == 1 else None)
        if chosen is None:
            names = ", ".join(f"{v.id}: {variant_name(v)}" for v in managed.variants)
            await reply(interaction, content=md(tr.text(locale, "discord.seller.items_variant", variants=names)))
            return
        try:
            if file.size > UPLOAD_MAX_BYTES:
                raise UnreadableUpload("too_large")
            lines = read_items(await file.read(), file.filename)
        except UnreadableUpload as refused:
            await reply(interaction, content=tr.text(locale, f"sell.digital.{refused.reason}",
                                                     kilobytes=UPLOAD_MAX_BYTES // 1024))
            return
        result = await services.shop.catalog.import_digital_items(person.customer.id, chosen.id, lines)
        changed = await services.shop.catalog.managed_product(person.customer.id, product)
        await send_card(interaction, person, changed, notice=import_report(tr, locale, result))

    del new, list_, photo, items  # registered on the group


# ---- the persistent components (DynamicItem): ids only in the custom_id ----


_ID: Final = r"[1-9][0-9]{0,9}"
_PAGE: Final = r"[0-9]{1,4}"


_STYLES: Final = {ProductAction.DELETE: discord.ButtonStyle.danger,
                  ProductAction.DELETE_CONFIRMED: discord.ButtonStyle.danger,
                  ProductAction.OPEN: discord.ButtonStyle.primary}
_ACTIONS: Final = "|".join(action.value for action in ProductAction)


class ManageProduct(ShopItem, DynamicItem[Button[Any]], template=rf"cs:sp:(?P<action>{_ACTIONS}):(?P<product>{_ID})"):
    def __init__(self, action: ProductAction, product_id: int, label: str = "") -> None:
        self.action, self.product_id = action, product_id
        self.ids = (product_id,)
        super().__init__(Button(label=label[:80] or "-", custom_id=f"cs:sp:{action.value}:{product_id}",
                                style=_STYLES.get(action, discord.ButtonStyle.secondary)))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> ManageProduct:
        return cls(ProductAction(match["action"]), int(match["product"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await on_product_action(interaction, self.action, self.product_id)


class ChooseManagedVariant(ShopItem, DynamicItem[Select[Any]],
                           template=rf"cs:spv:(?P<action>price|stock):(?P<product>{_ID})"):
    """Which variant a price or stock change is for, when the product has several."""

    def __init__(self, action: ProductAction, product_id: int, options: list[discord.SelectOption] | None = None,
                 placeholder: str | None = None) -> None:
        self.action, self.product_id = action, product_id
        self.ids = (product_id,)
        super().__init__(Select(custom_id=f"cs:spv:{action.value}:{product_id}", placeholder=placeholder,
                                options=options or [discord.SelectOption(label="-")]))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Select[Any],
                             match: re.Match[str]) -> ChooseManagedVariant:
        return cls(ProductAction(match["action"]), int(match["product"]), item.options)

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        chosen = self.item.values[0] if self.item.values else ""
        if not chosen.isdigit() or not 0 < int(chosen) <= MAX_ID:
            await answer_stale(interaction)
            return
        await ask_variant_change(interaction, self.action, self.product_id, int(chosen))


class ManagedProductsPage(ShopItem, DynamicItem[Button[Any]], template=rf"cs:spl:(?P<page>{_PAGE})"):
    def __init__(self, page: int, label: str = "") -> None:
        self.page = page
        super().__init__(Button(label=label[:80] or "-", custom_id=f"cs:spl:{page}"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> ManagedProductsPage:
        return cls(int(match["page"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await show_list(interaction, self.page, in_place=True)


SELLER_PRODUCT_ITEMS: Final = (ManageProduct, ChooseManagedVariant, ManagedProductsPage)
