"""Sellers add a product by chatting: `/sell` → title → description → photos → category → kind → price → stock
→ summary, where "Add a variant" asks a label (size, colour…), a price and a stock for each further variant → create.

Editing a product afterwards lives in handlers/sell_edit.py, digital items in handlers/sell_digital.py.
Every rule (role, bounds, price digits, ownership) is the core's: a refusal raised here reaches the errors
router, which explains it in the seller's language while the conversation stays on the same step, so the
seller simply answers again.
"""

from __future__ import annotations

import asyncio
import re
from typing import Final

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bots.common.media_store import MediaStore
from bots.i18n import Translator
from bots.telegram.deep_links import product_link
from bots.telegram.handlers.seller.sell_form_views import (
    CATEGORY_BUTTONS_MAX,
    SellAction,
    SellCallback,
    SellCategoryCallback,
    cancel_row,
    category_markup,
    created_markup,
    form_buttons,
    start_markup,
)
from bots.telegram.render import Reply, bold, plain, quote, send
from commerce.catalog import (
    CATEGORY_NAME_MAX,
    OPTION_MAX,
    OPTIONS_MAX,
    PHOTOS_MAX,
    STOCK_MAX,
    TITLE_MAX,
    VARIANTS_MAX,
    NewProduct,
    NewVariant,
    ProductKind,
    search_key,
)
from commerce.customers import CustomerDTO
from commerce.errors import InvalidInput, NotFound
from commerce.money import Money
from commerce.roles import Permission, require
from commerce.shop import Shop
from media.photos import MAX_BYTES, PhotoRejected, RejectReason, process_photo

_OPTION_SPLIT: Final = re.compile(r"\s*[/／]\s*")


class NewProductForm(StatesGroup):
    title = State()
    description = State()
    photos = State()
    category = State()
    kind = State()
    first_label = State()  # the label of the variant entered first, once a second one is added
    variant_label = State()
    price = State()
    stock = State()
    confirm = State()


async def _require_seller(shop: Shop, customer: CustomerDTO) -> None:
    require(await shop.sellers.role_of(customer.id), Permission.MANAGE_OWN_PRODUCTS)


# ---- the conversation ----


async def start_selling(message: Message, state: FSMContext, shop: Shop, customer: CustomerDTO,
                        translator: Translator, locale: str) -> None:
    await _require_seller(shop, customer)
    await state.clear()
    await state.set_state(NewProductForm.title)
    await send(message, Reply(quote(translator.text(locale, "sell.ask_title", limit=TITLE_MAX)),
                              start_markup(translator, locale)))


async def take_title(message: Message, state: FSMContext, translator: Translator, locale: str) -> None:
    title = (message.text or "").strip()
    if len(title) > TITLE_MAX:
        raise InvalidInput(field="title", reason="too_long", limit=TITLE_MAX)
    await state.update_data(title=title)
    await state.set_state(NewProductForm.description)
    await send(message, Reply(quote(translator.text(locale, "sell.ask_description")), form_buttons(
        translator, locale, (("sell.button.skip", SellAction.SKIP),), cancel_row())))


async def take_description(event: Message | CallbackQuery, state: FSMContext, translator: Translator,
                           locale: str) -> None:
    description = event.text.strip() if isinstance(event, Message) and event.text else ""
    await state.update_data(description=description, photos=[])
    await state.set_state(NewProductForm.photos)
    await send(event, Reply(quote(translator.text(locale, "sell.ask_photos", limit=PHOTOS_MAX)),
                            form_buttons(translator, locale, cancel_row())))


async def store_upload(bot: Bot, message: Message, media_store: MediaStore) -> str:
    """The message's photo (or image sent as a file): refused unread when Telegram says it is too large, else
    downloaded, cleaned (in a worker thread: decoding is CPU-bound) and stored. Its media reference; raises
    PhotoRejected."""
    upload = message.photo[-1] if message.photo else message.document
    assert upload is not None  # the filters let only photos and documents in
    if upload.file_size is not None and upload.file_size > MAX_BYTES:
        raise PhotoRejected(RejectReason.TOO_LARGE_BYTES)
    downloaded = await bot.download(upload.file_id)
    assert downloaded is not None  # without a destination, aiogram returns the bytes in memory
    photo = await asyncio.to_thread(process_photo, downloaded.read())
    return await media_store.save(photo)


def rejection_text(translator: Translator, locale: str, rejected: PhotoRejected) -> str:
    return translator.text(locale, f"sell.photo_rejected.{RejectReason(rejected.reason).value}")


async def take_photo(message: Message, bot: Bot, state: FSMContext, shop: Shop, customer: CustomerDTO,
                     media_store: MediaStore, translator: Translator, locale: str) -> None:
    await _require_seller(shop, customer)  # uploads cost CPU and disk: only while still a seller
    photos: list[str] = (await state.get_data()).get("photos", [])
    if len(photos) >= PHOTOS_MAX:
        text = translator.text(locale, "sell.photo_limit", limit=PHOTOS_MAX)
    else:
        try:
            reference = await store_upload(bot, message, media_store)
        except PhotoRejected as rejected:
            text = rejection_text(translator, locale, rejected)
        else:
            photos = [*photos, reference] if reference not in photos else photos
            await state.update_data(photos=photos)
            text = translator.text(locale, "sell.photo_saved", count=len(photos), limit=PHOTOS_MAX)
    done = (("sell.button.done", SellAction.DONE),) if photos else ()
    await send(message, Reply(quote(text), form_buttons(translator, locale, done, cancel_row())))


async def finish_photos(callback: CallbackQuery, state: FSMContext, shop: Shop, translator: Translator,
                        locale: str) -> None:
    if not (await state.get_data()).get("photos"):
        await callback.answer(translator.text(locale, "sell.photo_needed"), show_alert=True)
        return
    await state.set_state(NewProductForm.category)
    categories = (await shop.catalog.categories())[:CATEGORY_BUTTONS_MAX]
    await send(callback, Reply(quote(translator.text(locale, "sell.ask_category", limit=CATEGORY_NAME_MAX)),
                               category_markup(translator, locale, categories)))


def parse_category_name(text: str | None) -> str:
    name = " ".join((text or "").split())
    if len(name) > CATEGORY_NAME_MAX:
        raise InvalidInput(field="category", reason="too_long", limit=CATEGORY_NAME_MAX)
    return name


async def check_category_name(shop: Shop, customer: CustomerDTO, name: str) -> None:
    """Refuse a new category at once to someone who may not create one (the core refuses it again later)."""
    if any(search_key(c.name) == search_key(name) for c in await shop.catalog.categories()):
        return
    require(await shop.sellers.role_of(customer.id), Permission.MANAGE_CATEGORIES)


async def take_category(event: Message | CallbackQuery, state: FSMContext, shop: Shop, customer: CustomerDTO,
                        translator: Translator, locale: str,
                        callback_data: SellCategoryCallback | SellCallback | None = None) -> None:
    """A picked category, a typed name (existing or new), or Skip."""
    if isinstance(callback_data, SellCategoryCallback):
        if all(c.id != callback_data.category_id for c in await shop.catalog.categories()):
            raise NotFound(entity="category", id=callback_data.category_id)  # forged, or deleted meanwhile
        await state.update_data(category_id=callback_data.category_id, category_name=None)
    elif isinstance(event, Message):
        name = parse_category_name(event.text)
        await check_category_name(shop, customer, name)
        await state.update_data(category_id=None, category_name=name)
    else:
        await state.update_data(category_id=None, category_name=None)
    await state.set_state(NewProductForm.kind)
    await send(event, Reply(quote(translator.text(locale, "sell.ask_kind")), form_buttons(
        translator, locale, (("sell.kind.physical", SellAction.PHYSICAL), ("sell.kind.digital", SellAction.DIGITAL)),
        cancel_row())))


async def take_kind(callback: CallbackQuery, callback_data: SellCallback, state: FSMContext, shop: Shop,
                    translator: Translator, locale: str) -> None:
    kind = ProductKind.DIGITAL if callback_data.action is SellAction.DIGITAL else ProductKind.PHYSICAL
    await state.update_data(kind=kind.value, variants=[], options={})
    await ask_price(callback, state, shop, translator, locale)


async def ask_price(event: Message | CallbackQuery, state: FSMContext, shop: Shop, translator: Translator,
                    locale: str) -> None:
    await state.set_state(NewProductForm.price)
    example = translator.money(locale, Money.parse("1200", shop.catalog.currency))
    await send(event, plain(translator.text(locale, "sell.ask_price", currency=shop.catalog.currency,
                                            example=example)))


def parse_stock(text: str | None) -> int:
    text = (text or "").strip()
    if not text.isdecimal() or not 0 <= int(text) <= STOCK_MAX:
        raise InvalidInput(field="stock", reason="range", minimum=0, maximum=STOCK_MAX)
    return int(text)


def parse_options(text: str | None) -> dict[str, str]:
    """"M", "M / Red" or "Size: M / Colour: Red" → option values (unnamed ones keep their order)."""
    parts = [part for part in _OPTION_SPLIT.split((text or "").strip()) if part]
    if not parts:
        raise InvalidInput(field="options", reason="required")
    if len(parts) > OPTIONS_MAX:
        raise InvalidInput(field="options", reason="too_many", limit=OPTIONS_MAX)
    options: dict[str, str] = {}
    for number, part in enumerate(parts, start=1):
        name, colon, value = part.replace("：", ":").partition(":")
        name, value = (name.strip(), value.strip()) if colon and name.strip() and value.strip() else (str(number), part)
        if len(name) > OPTION_MAX or len(value) > OPTION_MAX:
            raise InvalidInput(field="options", reason="too_long", limit=OPTION_MAX)
        options[name] = value
    return options


async def take_price(message: Message, state: FSMContext, shop: Shop, translator: Translator, locale: str) -> None:
    price = Money.parse(message.text or "", shop.catalog.currency)  # "12.5" in JPY: refused, asked again
    await state.update_data(price=str(price.amount))
    if (await state.get_data())["kind"] == ProductKind.DIGITAL:
        await _add_variant(state, stock=0)
        await show_summary(message, state, shop, translator, locale)
        return
    await state.set_state(NewProductForm.stock)
    await send(message, plain(translator.text(locale, "sell.ask_stock", maximum=STOCK_MAX)))


async def take_stock(message: Message, state: FSMContext, shop: Shop, translator: Translator, locale: str) -> None:
    await _add_variant(state, stock=parse_stock(message.text))
    await show_summary(message, state, shop, translator, locale)


async def _add_variant(state: FSMContext, *, stock: int) -> None:
    form = await state.get_data()
    variants = [*form.get("variants", []), {"options": form.get("options", {}), "price": form["price"],
                                            "stock": stock}]
    await state.update_data(variants=variants, options={})


async def add_another_variant(callback: CallbackQuery, state: FSMContext, translator: Translator,
                              locale: str) -> None:
    """A second variant makes the first one need a label too (buyers choose between them by label)."""
    variants = (await state.get_data()).get("variants", [])
    if len(variants) >= VARIANTS_MAX:
        raise InvalidInput(field="variants", reason="too_many", limit=VARIANTS_MAX)
    if len(variants) == 1 and not variants[0]["options"]:
        await state.set_state(NewProductForm.first_label)
        key = "sell.ask_first_label"
    else:
        await state.set_state(NewProductForm.variant_label)
        key = "sell.ask_variant_label"
    await send(callback, Reply(quote(translator.text(locale, key, limit=OPTION_MAX)),
                               form_buttons(translator, locale, cancel_row())))


async def take_first_label(message: Message, state: FSMContext, translator: Translator, locale: str) -> None:
    variants = (await state.get_data())["variants"]
    variants[0]["options"] = parse_options(message.text)
    await state.update_data(variants=variants)
    await state.set_state(NewProductForm.variant_label)
    await send(message, Reply(quote(translator.text(locale, "sell.ask_variant_label", limit=OPTION_MAX)),
                              form_buttons(translator, locale, cancel_row())))


async def take_variant_label(message: Message, state: FSMContext, shop: Shop, translator: Translator,
                             locale: str) -> None:
    await state.update_data(options=parse_options(message.text))
    await ask_price(message, state, shop, translator, locale)


async def show_summary(message: Message, state: FSMContext, shop: Shop, translator: Translator,
                       locale: str) -> None:
    form = await state.get_data()
    await state.set_state(NewProductForm.confirm)
    digital = form["kind"] == ProductKind.DIGITAL
    variants = form["variants"]

    def money(variant: dict[str, str]) -> str:
        return translator.money(locale, Money.parse(variant["price"], shop.catalog.currency))

    if len(variants) == 1:
        [only] = variants
        facts = [translator.text(locale, "sell.summary.price", price=money(only)),
                 translator.text(locale, "sell.summary.digital_stock" if digital else "sell.summary.stock",
                                 stock=only["stock"])]
    else:
        facts = [translator.text(locale, "sell.summary.variant_digital" if digital else "sell.summary.variant",
                                 label=" / ".join(v["options"].values()), price=money(v), stock=v["stock"])
                 for v in variants]
        if digital:
            facts.append(translator.text(locale, "sell.summary.digital_stock"))
    category = await _category_label(shop, form, translator, locale)
    facts += [translator.text(locale, "sell.kind.digital" if digital else "sell.kind.physical"),
              translator.text(locale, "sell.summary.category", category=category),
              translator.text(locale, "sell.summary.photos", count=len(form["photos"]))]
    parts = [quote(translator.text(locale, "sell.summary.heading")), bold(form["title"]),
             *([quote(form["description"])] if form["description"] else []), "\n".join(map(quote, facts))]
    more = (("sell.button.add_variant", SellAction.VARIANT),) if len(variants) < VARIANTS_MAX else ()
    await send(message, Reply("\n\n".join(parts), form_buttons(
        translator, locale, (("sell.button.create", SellAction.CREATE),), more, cancel_row())))


async def _category_label(shop: Shop, form: dict[str, object], translator: Translator, locale: str) -> str:
    if form.get("category_name"):
        return str(form["category_name"])
    if form.get("category_id"):
        found = [c.name for c in await shop.catalog.categories() if c.id == form["category_id"]]
        if found:
            return found[0]
    return translator.text(locale, "sell.summary.no_category")


async def create_product(callback: CallbackQuery, bot: Bot, state: FSMContext, shop: Shop, customer: CustomerDTO,
                         translator: Translator, locale: str) -> None:
    form = await state.get_data()
    variants = [NewVariant(price=v["price"], stock=v["stock"], options=v["options"]) for v in form["variants"]]
    product = await shop.catalog.create_product(customer.id, NewProduct(
        title=form["title"], description=form["description"], photos=form["photos"], kind=form["kind"],
        variants=variants, category_id=form.get("category_id"), category_name=form.get("category_name")))
    await state.clear()
    me = await bot.me()
    link = product_link(me.username or "", product.id)
    await send(callback, Reply(quote(translator.text(locale, "sell.created", id=product.id, title=product.title,
                                                     link=link)), created_markup(translator, locale, product.id)))


async def cancel_selling(event: Message | CallbackQuery, state: FSMContext, translator: Translator,
                         locale: str) -> None:
    await state.clear()
    await send(event, plain(translator.text(locale, "sell.cancelled")))


async def remind_text(message: Message, translator: Translator, locale: str) -> None:
    await send(message, plain(translator.text(locale, "sell.text_expected")))


async def remind_photo(message: Message, translator: Translator, locale: str) -> None:
    await send(message, plain(translator.text(locale, "sell.photo_expected", limit=PHOTOS_MAX)))


def build_sell_router() -> Router:
    router = Router(name="sell")
    router.message.register(start_selling, Command("sell"))
    selling = StateFilter(NewProductForm)
    router.message.register(cancel_selling, Command("cancel"), selling)
    router.callback_query.register(cancel_selling, SellCallback.filter(F.action == SellAction.CANCEL), selling)

    router.message.register(take_title, NewProductForm.title, F.text, ~F.text.startswith("/"))
    router.message.register(take_description, NewProductForm.description, F.text, ~F.text.startswith("/"))
    router.callback_query.register(take_description, NewProductForm.description,
                                   SellCallback.filter(F.action == SellAction.SKIP))
    router.message.register(take_photo, NewProductForm.photos, F.photo | F.document)
    router.callback_query.register(finish_photos, NewProductForm.photos,
                                   SellCallback.filter(F.action == SellAction.DONE))
    router.callback_query.register(take_category, NewProductForm.category, SellCategoryCallback.filter())
    router.callback_query.register(take_category, NewProductForm.category,
                                   SellCallback.filter(F.action == SellAction.SKIP))
    router.message.register(take_category, NewProductForm.category, F.text, ~F.text.startswith("/"))
    router.callback_query.register(take_kind, NewProductForm.kind,
                                   SellCallback.filter(F.action.in_({SellAction.PHYSICAL, SellAction.DIGITAL})))
    router.message.register(take_price, NewProductForm.price, F.text, ~F.text.startswith("/"))
    router.message.register(take_stock, NewProductForm.stock, F.text, ~F.text.startswith("/"))
    router.callback_query.register(add_another_variant, NewProductForm.confirm,
                                   SellCallback.filter(F.action == SellAction.VARIANT))
    router.message.register(take_first_label, NewProductForm.first_label, F.text, ~F.text.startswith("/"))
    router.message.register(take_variant_label, NewProductForm.variant_label, F.text, ~F.text.startswith("/"))
    router.callback_query.register(create_product, NewProductForm.confirm,
                                   SellCallback.filter(F.action == SellAction.CREATE))

    # Anything else mid-conversation gets a nudge instead of silence.
    router.message.register(remind_photo, NewProductForm.photos)
    router.message.register(remind_text, StateFilter(NewProductForm.title, NewProductForm.description,
                                                     NewProductForm.category, NewProductForm.first_label,
                                                     NewProductForm.variant_label, NewProductForm.price,
                                                     NewProductForm.stock))
    return router
