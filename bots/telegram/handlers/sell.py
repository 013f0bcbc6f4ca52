"""Sellers add a product by chatting: `/sell` → title → description → photos → kind → price → stock → create.

Also `/stock <variant id> <n>`, `/hide <product id>` and `/show <product id>`. Every rule (role, bounds, price
digits, ownership) is the core's: a refusal raised here reaches the errors router, which explains it in the
seller's language while the conversation stays on the same step, so the seller simply answers again.
"""

from __future__ import annotations

import asyncio
import re
from enum import StrEnum
from typing import Final

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bots.i18n import Translator
from bots.telegram.callbacks import MAX_ID
from bots.telegram.deep_links import product_link
from bots.telegram.media_store import MediaStore
from bots.telegram.render import Reply, bold, plain, quote, send
from commerce.catalog import PHOTOS_MAX, STOCK_MAX, TITLE_MAX, NewProduct, ProductKind
from commerce.customers import CustomerDTO
from commerce.errors import InvalidInput
from commerce.money import Money
from commerce.roles import Permission, require
from commerce.shop import Shop
from media.photos import MAX_BYTES, PhotoRejected, RejectReason, process_photo

_STOCK_ARGS: Final = re.compile(r"\s*([1-9][0-9]{0,9})\s+([0-9]{1,9})\s*")
_ID_ARG: Final = re.compile(r"\s*([1-9][0-9]{0,9})\s*")


class SellAction(StrEnum):
    SKIP = "s"
    DONE = "d"
    PHYSICAL = "p"
    DIGITAL = "g"
    CREATE = "c"
    CANCEL = "x"


class SellCallback(CallbackData, prefix="sell"):
    action: SellAction


class NewProductForm(StatesGroup):
    title = State()
    description = State()
    photos = State()
    kind = State()
    price = State()
    stock = State()
    confirm = State()


def _buttons(translator: Translator, locale: str, *rows: tuple[tuple[str, SellAction], ...]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=translator.text(locale, key), callback_data=SellCallback(action=action).pack())
         for key, action in row] for row in rows if row])


def _cancel_row() -> tuple[tuple[str, SellAction], ...]:
    return (("sell.button.cancel", SellAction.CANCEL),)


async def _require_seller(shop: Shop, customer: CustomerDTO) -> None:
    require(await shop.sellers.role_of(customer.id), Permission.MANAGE_OWN_PRODUCTS)


# ---- the conversation ----


async def start_selling(message: Message, state: FSMContext, shop: Shop, customer: CustomerDTO,
                        translator: Translator, locale: str) -> None:
    await _require_seller(shop, customer)
    await state.clear()
    await state.set_state(NewProductForm.title)
    await send(message, Reply(quote(translator.text(locale, "sell.ask_title", limit=TITLE_MAX)),
                              _buttons(translator, locale, _cancel_row())))


async def take_title(message: Message, state: FSMContext, translator: Translator, locale: str) -> None:
    title = (message.text or "").strip()
    if len(title) > TITLE_MAX:
        raise InvalidInput(field="title", reason="too_long", limit=TITLE_MAX)
    await state.update_data(title=title)
    await state.set_state(NewProductForm.description)
    await send(message, Reply(quote(translator.text(locale, "sell.ask_description")), _buttons(
        translator, locale, (("sell.button.skip", SellAction.SKIP),), _cancel_row())))


async def take_description(event: Message | CallbackQuery, state: FSMContext, translator: Translator,
                           locale: str) -> None:
    description = event.text.strip() if isinstance(event, Message) and event.text else ""
    await state.update_data(description=description, photos=[])
    await state.set_state(NewProductForm.photos)
    await send(event, Reply(quote(translator.text(locale, "sell.ask_photos", limit=PHOTOS_MAX)),
                            _buttons(translator, locale, _cancel_row())))


async def _store_upload(bot: Bot, file_id: str, media_store: MediaStore) -> str:
    """Download, clean (in a worker thread: decoding is CPU-bound) and store one upload; its media reference."""
    downloaded = await bot.download(file_id)
    assert downloaded is not None  # without a destination, aiogram returns the bytes in memory
    photo = await asyncio.to_thread(process_photo, downloaded.read())
    return await media_store.save(photo)


async def take_photo(message: Message, bot: Bot, state: FSMContext, shop: Shop, customer: CustomerDTO,
                     media_store: MediaStore, translator: Translator, locale: str) -> None:
    await _require_seller(shop, customer)  # uploads cost CPU and disk: only while still a seller
    photos: list[str] = (await state.get_data()).get("photos", [])
    upload = message.photo[-1] if message.photo else message.document
    assert upload is not None  # the filter lets only photos and documents in
    if len(photos) >= PHOTOS_MAX:
        text = translator.text(locale, "sell.photo_limit", limit=PHOTOS_MAX)
    elif upload.file_size is not None and upload.file_size > MAX_BYTES:
        text = translator.text(locale, "sell.photo_rejected.too_large_bytes")
    else:
        try:
            reference = await _store_upload(bot, upload.file_id, media_store)
        except PhotoRejected as rejected:
            text = translator.text(locale, f"sell.photo_rejected.{RejectReason(rejected.reason).value}")
        else:
            photos = [*photos, reference] if reference not in photos else photos
            await state.update_data(photos=photos)
            text = translator.text(locale, "sell.photo_saved", count=len(photos), limit=PHOTOS_MAX)
    done = (("sell.button.done", SellAction.DONE),) if photos else ()
    await send(message, Reply(quote(text), _buttons(translator, locale, done, _cancel_row())))


async def finish_photos(callback: CallbackQuery, state: FSMContext, translator: Translator, locale: str) -> None:
    if not (await state.get_data()).get("photos"):
        await callback.answer(translator.text(locale, "sell.photo_needed"), show_alert=True)
        return
    await state.set_state(NewProductForm.kind)
    await send(callback, Reply(quote(translator.text(locale, "sell.ask_kind")), _buttons(
        translator, locale, (("sell.kind.physical", SellAction.PHYSICAL), ("sell.kind.digital", SellAction.DIGITAL)),
        _cancel_row())))


async def take_kind(callback: CallbackQuery, callback_data: SellCallback, state: FSMContext, shop: Shop,
                    translator: Translator, locale: str) -> None:
    kind = ProductKind.DIGITAL if callback_data.action is SellAction.DIGITAL else ProductKind.PHYSICAL
    await state.update_data(kind=kind.value)
    await state.set_state(NewProductForm.price)
    example = translator.money(locale, Money.parse("1200", shop.catalog.currency))
    await send(callback, plain(translator.text(locale, "sell.ask_price", currency=shop.catalog.currency,
                                               example=example)))


async def take_price(message: Message, state: FSMContext, shop: Shop, translator: Translator, locale: str) -> None:
    price = Money.parse(message.text or "", shop.catalog.currency)  # "12.5" in JPY: refused, asked again
    await state.update_data(price=str(price.amount))
    if (await state.get_data())["kind"] == ProductKind.DIGITAL:
        await show_summary(message, state, shop, translator, locale)
        return
    await state.set_state(NewProductForm.stock)
    await send(message, plain(translator.text(locale, "sell.ask_stock", maximum=STOCK_MAX)))


async def take_stock(message: Message, state: FSMContext, shop: Shop, translator: Translator, locale: str) -> None:
    text = (message.text or "").strip()
    if not text.isdecimal() or not 0 <= int(text) <= STOCK_MAX:
        raise InvalidInput(field="stock", reason="range", minimum=0, maximum=STOCK_MAX)
    await state.update_data(stock=int(text))
    await show_summary(message, state, shop, translator, locale)


async def show_summary(message: Message, state: FSMContext, shop: Shop, translator: Translator,
                       locale: str) -> None:
    form = await state.get_data()
    await state.set_state(NewProductForm.confirm)
    digital = form["kind"] == ProductKind.DIGITAL
    facts = [
        translator.text(locale, "sell.summary.price",
                        price=translator.money(locale, Money.parse(form["price"], shop.catalog.currency))),
        translator.text(locale, "sell.kind.digital" if digital else "sell.kind.physical"),
        translator.text(locale, "sell.summary.digital_stock" if digital else "sell.summary.stock",
                        stock=form.get("stock", 0)),
        translator.text(locale, "sell.summary.photos", count=len(form["photos"])),
    ]
    parts = [quote(translator.text(locale, "sell.summary.heading")), bold(form["title"]),
             *([quote(form["description"])] if form["description"] else []), "\n".join(map(quote, facts))]
    await send(message, Reply("\n\n".join(parts), _buttons(
        translator, locale, (("sell.button.create", SellAction.CREATE), ("sell.button.cancel", SellAction.CANCEL)))))


async def create_product(callback: CallbackQuery, bot: Bot, state: FSMContext, shop: Shop, customer: CustomerDTO,
                         translator: Translator, locale: str) -> None:
    form = await state.get_data()
    product = await shop.catalog.create_product(customer.id, NewProduct(
        title=form["title"], description=form["description"], photos=form["photos"], kind=form["kind"],
        price=form["price"], stock=form.get("stock", 0)))
    await state.clear()
    me = await bot.me()
    link = product_link(me.username or "", product.id)
    await send(callback, plain(translator.text(locale, "sell.created", id=product.id, title=product.title,
                                               link=link)))


async def cancel_selling(event: Message | CallbackQuery, state: FSMContext, translator: Translator,
                         locale: str) -> None:
    await state.clear()
    await send(event, plain(translator.text(locale, "sell.cancelled")))


async def remind_text(message: Message, translator: Translator, locale: str) -> None:
    await send(message, plain(translator.text(locale, "sell.text_expected")))


async def remind_photo(message: Message, translator: Translator, locale: str) -> None:
    await send(message, plain(translator.text(locale, "sell.photo_expected", limit=PHOTOS_MAX)))


# ---- quick commands ----


async def set_stock(message: Message, command: CommandObject, shop: Shop, customer: CustomerDTO,
                    translator: Translator, locale: str) -> None:
    match = _STOCK_ARGS.fullmatch(command.args or "")
    if match is None or int(match.group(1)) > MAX_ID:
        await send(message, plain(translator.text(locale, "sell.stock_usage")))
        return
    variant = await shop.catalog.set_stock(customer.id, int(match.group(1)), int(match.group(2)))
    await send(message, plain(translator.text(locale, "sell.stock_set", sku=variant.sku, stock=variant.stock)))


async def set_visibility(message: Message, command: CommandObject, shop: Shop, customer: CustomerDTO,
                         translator: Translator, locale: str) -> None:
    match = _ID_ARG.fullmatch(command.args or "")
    if match is None or int(match.group(1)) > MAX_ID:
        await send(message, plain(translator.text(locale, "sell.visibility_usage", command=command.command)))
        return
    visible = command.command == "show"
    product = await shop.catalog.update_product(customer.id, int(match.group(1)), visible=visible)
    key = "sell.shown" if visible else "sell.hidden"
    await send(message, plain(translator.text(locale, key, id=product.id, title=product.title)))


def build_sell_router() -> Router:
    router = Router(name="sell")
    router.message.register(start_selling, Command("sell"))
    router.message.register(set_stock, Command("stock"))
    router.message.register(set_visibility, Command("hide", "show"))
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
    router.callback_query.register(take_kind, NewProductForm.kind,
                                   SellCallback.filter(F.action.in_({SellAction.PHYSICAL, SellAction.DIGITAL})))
    router.message.register(take_price, NewProductForm.price, F.text, ~F.text.startswith("/"))
    router.message.register(take_stock, NewProductForm.stock, F.text, ~F.text.startswith("/"))
    router.callback_query.register(create_product, NewProductForm.confirm,
                                   SellCallback.filter(F.action == SellAction.CREATE))

    # Anything else mid-conversation gets a nudge instead of silence.
    router.message.register(remind_photo, NewProductForm.photos)
    router.message.register(remind_text, StateFilter(NewProductForm.title, NewProductForm.description,
                                                     NewProductForm.price, NewProductForm.stock))
    return router
