"""A seller's products: `/products` lists them (a seller's own; owners and staff see all), a product's manage
card edits any field in a short step with Cancel, hides/shows, adds variants and photos, deletes.

Also the quick commands `/stock <variant id> <n>`, `/hide <product id>` and `/show <product id>`.

Buttons carry ids only. Every press reads the product through the core, which checks the role and that a
seller owns it, so a forged id gets the polite refusal and changes nothing. A refused answer in a step
(over-long title, a price with too many decimals) is explained by the errors router while the step stays
open, so the seller simply answers again, or presses Cancel.
"""

from __future__ import annotations

import re
from typing import Final

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bots.common.media_store import MediaStore
from bots.common.presenters import chosen_variant, variant_name
from bots.i18n import Translator
from bots.telegram.callbacks import MAX_ID
from bots.telegram.handlers.seller import sell_views as views
from bots.telegram.handlers.seller.sell import (
    check_category_name,
    parse_category_name,
    parse_options,
    parse_stock,
    rejection_text,
    store_upload,
)
from bots.telegram.handlers.seller.sell_callbacks import ManageAction, ManageCallback
from bots.telegram.render import Reply, edit, plain, quote, send
from commerce.catalog import (
    CATEGORY_NAME_MAX,
    DESCRIPTION_MAX,
    OPTION_MAX,
    PHOTOS_MAX,
    STOCK_MAX,
    TITLE_MAX,
    NewVariant,
    ProductDTO,
    ProductKind,
)
from commerce.customers import CustomerDTO
from commerce.money import Money
from commerce.shop import Shop
from media.photos import PhotoRejected

PAGE_SIZE: Final = 8
_STOCK_ARGS: Final = re.compile(r"\s*([1-9][0-9]{0,9})\s+([0-9]{1,9})\s*")
_ID_ARG: Final = re.compile(r"\s*([1-9][0-9]{0,9})\s*")

A = ManageAction


class EditForm(StatesGroup):
    """One field at a time; the product (and variant) being edited are in the state data."""

    title = State()
    description = State()
    price = State()
    stock = State()
    category = State()
    photos = State()
    variant_label = State()
    variant_price = State()
    variant_stock = State()


async def _card(shop: Shop, product: ProductDTO, translator: Translator, locale: str,
                notice: str | None = None) -> Reply:
    return views.manage_card(translator, locale, product, await shop.catalog.categories(), notice)


# ---- the list and the card ----


async def list_products(event: Message | CallbackQuery, state: FSMContext, shop: Shop, customer: CustomerDTO,
                        translator: Translator, locale: str, callback_data: ManageCallback | None = None) -> None:
    page = await shop.catalog.managed_products(customer.id, page=callback_data.page if callback_data else 0,
                                               page_size=PAGE_SIZE)
    await state.clear()
    reply = views.product_list(translator, locale, page)
    await (edit(event, reply) if isinstance(event, CallbackQuery) else send(event, reply))


async def open_card(callback: CallbackQuery, callback_data: ManageCallback, state: FSMContext, shop: Shop,
                    customer: CustomerDTO, translator: Translator, locale: str) -> None:
    """The card; from an edit step (Cancel, Done) it leaves the step first."""
    assert callback_data.product_id is not None
    product = await shop.catalog.managed_product(customer.id, callback_data.product_id)
    await state.clear()
    reply = await _card(shop, product, translator, locale)
    if callback_data.action is A.CARD:
        await edit(callback, reply)
    else:
        await send(callback, reply)


async def cancel_step(message: Message, state: FSMContext, shop: Shop, customer: CustomerDTO,
                      translator: Translator, locale: str) -> None:
    product_id = (await state.get_data()).get("product_id")
    await state.clear()
    await send(message, plain(translator.text(locale, "sell.cancelled")))
    if product_id:
        product = await shop.catalog.managed_product(customer.id, product_id)
        await send(message, await _card(shop, product, translator, locale))


async def set_visible(callback: CallbackQuery, callback_data: ManageCallback, shop: Shop, customer: CustomerDTO,
                      translator: Translator, locale: str) -> None:
    assert callback_data.product_id is not None
    visible = callback_data.action is A.SHOW
    product = await shop.catalog.update_product(customer.id, callback_data.product_id, visible=visible)
    notice = translator.text(locale, "sell.shown" if visible else "sell.hidden", id=product.id, title=product.title)
    await edit(callback, await _card(shop, product, translator, locale, notice))


async def ask_delete(callback: CallbackQuery, callback_data: ManageCallback, shop: Shop, customer: CustomerDTO,
                     translator: Translator, locale: str) -> None:
    assert callback_data.product_id is not None
    product = await shop.catalog.managed_product(customer.id, callback_data.product_id)
    await edit(callback, views.delete_question(translator, locale, product))


async def delete_product(callback: CallbackQuery, callback_data: ManageCallback, shop: Shop, customer: CustomerDTO,
                         translator: Translator, locale: str) -> None:
    assert callback_data.product_id is not None
    await shop.catalog.delete_product(customer.id, callback_data.product_id)
    to_list = views.button(translator.text(locale, "sell.edit.button.list"), A.LIST)
    text = translator.text(locale, "sell.edit.deleted", id=callback_data.product_id)
    await edit(callback, Reply(quote(text), views.markup([to_list])))


# ---- one-field steps ----

_ASK: Final = {A.TITLE: (EditForm.title, "sell.edit.ask_title", TITLE_MAX),
               A.DESCRIPTION: (EditForm.description, "sell.edit.ask_description", DESCRIPTION_MAX),
               A.ADD_VARIANT: (EditForm.variant_label, "sell.edit.ask_variant_label", OPTION_MAX),
               A.ADD_PHOTOS: (EditForm.photos, "sell.edit.ask_photos", PHOTOS_MAX)}


async def start_step(callback: CallbackQuery, callback_data: ManageCallback, state: FSMContext, shop: Shop,
                     customer: CustomerDTO, translator: Translator, locale: str) -> None:
    """Title, description, a new variant's label, photos: checked first, so a forged id is refused at once."""
    assert callback_data.product_id is not None
    product = await shop.catalog.managed_product(customer.id, callback_data.product_id)
    step, key, limit = _ASK[callback_data.action]
    await state.set_state(step)
    await state.set_data({"product_id": product.id, "kind": product.kind.value})
    await send(callback, views.prompt(translator, locale, product.id, translator.text(
        locale, key, limit=limit, title=product.title)))


async def take_title(message: Message, state: FSMContext, shop: Shop, customer: CustomerDTO,
                     translator: Translator, locale: str) -> None:
    data = await state.get_data()
    product = await shop.catalog.update_product(customer.id, data["product_id"], title=message.text or "")
    await state.clear()
    await send(message, await _card(shop, product, translator, locale, translator.text(locale, "sell.edit.saved")))


async def take_description(message: Message, state: FSMContext, shop: Shop, customer: CustomerDTO,
                           translator: Translator, locale: str) -> None:
    data = await state.get_data()
    text = "" if (message.text or "").strip() == "-" else message.text or ""
    product = await shop.catalog.update_product(customer.id, data["product_id"], description=text)
    await state.clear()
    await send(message, await _card(shop, product, translator, locale, translator.text(locale, "sell.edit.saved")))


# ---- price and stock, per variant ----


async def start_variant_step(callback: CallbackQuery, callback_data: ManageCallback, state: FSMContext, shop: Shop,
                             customer: CustomerDTO, translator: Translator, locale: str) -> None:
    """Price or stock: the variant is picked first when there are several."""
    assert callback_data.product_id is not None
    product = await shop.catalog.managed_product(customer.id, callback_data.product_id)
    variant = chosen_variant(product, callback_data.variant_id)
    if variant is None:
        await edit(callback, views.variant_picker(translator, locale, product, callback_data.action))
        return
    await state.set_state(EditForm.price if callback_data.action is A.PRICE else EditForm.stock)
    await state.set_data({"product_id": product.id, "variant_id": variant.id})
    name = variant_name(variant)
    if callback_data.action is A.PRICE:
        example = translator.money(locale, Money.parse("1200", shop.catalog.currency))
        text = translator.text(locale, "sell.edit.ask_price", variant=name, currency=shop.catalog.currency,
                               price=translator.money(locale, variant.price), example=example)
    else:
        text = translator.text(locale, "sell.edit.ask_stock", variant=name, stock=variant.stock, maximum=STOCK_MAX)
    await send(callback, views.prompt(translator, locale, product.id, text))


async def take_price(message: Message, state: FSMContext, shop: Shop, customer: CustomerDTO,
                     translator: Translator, locale: str) -> None:
    data = await state.get_data()
    variant = await shop.catalog.set_price(customer.id, data["variant_id"], message.text or "")
    await state.clear()
    price = translator.money(locale, variant.price)
    await send(message, views.done(translator, locale, data["product_id"], translator.text(
        locale, "sell.edit.price_set", variant=variant_name(variant), price=price)))


async def take_stock(message: Message, state: FSMContext, shop: Shop, customer: CustomerDTO,
                     translator: Translator, locale: str) -> None:
    data = await state.get_data()
    variant = await shop.catalog.set_stock(customer.id, data["variant_id"], parse_stock(message.text))
    await state.clear()
    await send(message, views.done(translator, locale, data["product_id"], translator.text(
        locale, "sell.stock_set", sku=variant_name(variant), stock=variant.stock)))


# ---- category ----


async def choose_category(callback: CallbackQuery, callback_data: ManageCallback, state: FSMContext, shop: Shop,
                          customer: CustomerDTO, translator: Translator, locale: str) -> None:
    """Without a category id: the picker (or type a name). With one: move the product there."""
    assert callback_data.product_id is not None
    if callback_data.category_id is not None:
        product = await shop.catalog.update_product(customer.id, callback_data.product_id,
                                                    category_id=callback_data.category_id)
        await state.clear()
        await send(callback, await _card(shop, product, translator, locale,
                                         translator.text(locale, "sell.edit.saved")))
        return
    product = await shop.catalog.managed_product(customer.id, callback_data.product_id)
    await state.set_state(EditForm.category)
    await state.set_data({"product_id": product.id})
    await send(callback, views.category_picker(translator, locale, product, await shop.catalog.categories(),
                                               CATEGORY_NAME_MAX))


async def take_category_name(message: Message, state: FSMContext, shop: Shop, customer: CustomerDTO,
                             translator: Translator, locale: str) -> None:
    name = parse_category_name(message.text)
    await check_category_name(shop, customer, name)
    data = await state.get_data()
    product = await shop.catalog.update_product(customer.id, data["product_id"], category_name=name)
    await state.clear()
    await send(message, await _card(shop, product, translator, locale, translator.text(locale, "sell.edit.saved")))


# ---- photos ----


async def show_photos(callback: CallbackQuery, callback_data: ManageCallback, shop: Shop, customer: CustomerDTO,
                      translator: Translator, locale: str) -> None:
    assert callback_data.product_id is not None
    product = await shop.catalog.managed_product(customer.id, callback_data.product_id)
    await edit(callback, views.photos_menu(translator, locale, product))


async def clear_photos(callback: CallbackQuery, callback_data: ManageCallback, shop: Shop, customer: CustomerDTO,
                       translator: Translator, locale: str) -> None:
    assert callback_data.product_id is not None
    product = await shop.catalog.update_product(customer.id, callback_data.product_id, photos=[])
    await edit(callback, await _card(shop, product, translator, locale,
                                     translator.text(locale, "sell.edit.photos_cleared")))


async def take_photo(message: Message, bot: Bot, state: FSMContext, shop: Shop, customer: CustomerDTO,
                     media_store: MediaStore, translator: Translator, locale: str) -> None:
    data = await state.get_data()
    try:
        reference = await store_upload(bot, message, media_store)
    except PhotoRejected as rejected:
        text = rejection_text(translator, locale, rejected)
    else:
        product = await shop.catalog.add_photos(customer.id, data["product_id"], [reference])
        text = translator.text(locale, "sell.edit.photo_added", count=len(product.photos), limit=PHOTOS_MAX)
    await send(message, views.done(translator, locale, data["product_id"], text))


# ---- a new variant: label → price → stock ----


async def take_variant_label(message: Message, state: FSMContext, shop: Shop, translator: Translator,
                             locale: str) -> None:
    await state.update_data(options=parse_options(message.text))
    await state.set_state(EditForm.variant_price)
    example = translator.money(locale, Money.parse("1200", shop.catalog.currency))
    await send(message, views.prompt(translator, locale, (await state.get_data())["product_id"], translator.text(
        locale, "sell.ask_price", currency=shop.catalog.currency, example=example)))


async def take_variant_price(message: Message, state: FSMContext, shop: Shop, customer: CustomerDTO,
                             translator: Translator, locale: str) -> None:
    price = Money.parse(message.text or "", shop.catalog.currency)  # refused here: the step stays open
    await state.update_data(price=str(price.amount))
    data = await state.get_data()
    if data["kind"] == ProductKind.DIGITAL:  # its stock is the items added later
        await _create_variant(message, state, shop, customer, translator, locale, stock=0)
        return
    await state.set_state(EditForm.variant_stock)
    await send(message, views.prompt(translator, locale, data["product_id"],
                                     translator.text(locale, "sell.ask_stock", maximum=STOCK_MAX)))


async def take_variant_stock(message: Message, state: FSMContext, shop: Shop, customer: CustomerDTO,
                             translator: Translator, locale: str) -> None:
    await _create_variant(message, state, shop, customer, translator, locale, stock=parse_stock(message.text))


async def _create_variant(message: Message, state: FSMContext, shop: Shop, customer: CustomerDTO,
                          translator: Translator, locale: str, *, stock: int) -> None:
    data = await state.get_data()
    variant = await shop.catalog.add_variant(customer.id, data["product_id"], NewVariant(
        price=data["price"], stock=stock, options=data["options"]))
    await state.clear()
    await send(message, views.done(translator, locale, data["product_id"], translator.text(
        locale, "sell.edit.variant_added", variant=variant_name(variant),
        price=translator.money(locale, variant.price), stock=variant.stock)))


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


def build_sell_edit_router() -> Router:
    router = Router(name="sell_edit")
    router.message.register(list_products, Command("products", "myproducts"))
    router.message.register(set_stock, Command("stock"))
    router.message.register(set_visibility, Command("hide", "show"))
    editing = StateFilter(EditForm)
    router.message.register(cancel_step, Command("cancel"), editing)

    def on(*actions: ManageAction, needs_product: bool = True) -> CallbackQueryFilter:
        condition = F.action.in_(set(actions))
        return ManageCallback.filter(condition & F.product_id) if needs_product else ManageCallback.filter(condition)

    router.callback_query.register(list_products, on(A.LIST, needs_product=False))
    router.callback_query.register(open_card, on(A.CARD, A.DONE))
    router.callback_query.register(set_visible, on(A.HIDE, A.SHOW))
    router.callback_query.register(ask_delete, on(A.DELETE))
    router.callback_query.register(delete_product, on(A.DELETE_CONFIRMED))
    router.callback_query.register(start_step, on(A.TITLE, A.DESCRIPTION, A.ADD_VARIANT, A.ADD_PHOTOS))
    router.callback_query.register(start_variant_step, on(A.PRICE, A.STOCK))
    router.callback_query.register(choose_category, on(A.CATEGORY))
    router.callback_query.register(show_photos, on(A.PHOTOS))
    router.callback_query.register(clear_photos, on(A.CLEAR_PHOTOS))

    text = (F.text, ~F.text.startswith("/"))
    router.message.register(take_title, EditForm.title, *text)
    router.message.register(take_description, EditForm.description, *text)
    router.message.register(take_price, EditForm.price, *text)
    router.message.register(take_stock, EditForm.stock, *text)
    router.message.register(take_category_name, EditForm.category, *text)
    router.message.register(take_photo, EditForm.photos, F.photo | F.document)
    router.message.register(take_variant_label, EditForm.variant_label, *text)
    router.message.register(take_variant_price, EditForm.variant_price, *text)
    router.message.register(take_variant_stock, EditForm.variant_stock, *text)
    router.message.register(remind_photo, EditForm.photos)
    router.message.register(remind_text, editing)
    return router
