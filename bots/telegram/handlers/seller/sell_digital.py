"""Digital items for automatic delivery: from a product's manage card, the seller sends a .txt (one item per
line) or .csv (first column, optional header) file, or pastes the lines as a message.

The file is bounded before and after download and must be UTF-8 text; the core skips blank lines, repeats
and items already stored (and counts them), checks the role and ownership, and returns the new stock.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bots.common.digital_items import UPLOAD_MAX_BYTES, UnreadableUpload, import_report, read_items
from bots.common.presenters import chosen_variant, variant_name
from bots.i18n import Translator
from bots.telegram.handlers.seller import sell_views as views
from bots.telegram.handlers.seller.sell_callbacks import ManageAction, ManageCallback
from bots.telegram.handlers.seller.sell_edit import cancel_step
from bots.telegram.render import edit, plain, send
from commerce.catalog import DIGITAL_IMPORT_MAX
from commerce.customers import CustomerDTO
from commerce.shop import Shop


class DigitalForm(StatesGroup):
    items = State()  # product_id and variant_id in the state data


async def start_upload(callback: CallbackQuery, callback_data: ManageCallback, state: FSMContext, shop: Shop,
                       customer: CustomerDTO, translator: Translator, locale: str) -> None:
    """From the card: pick the variant (when there are several), then ask for the list."""
    assert callback_data.product_id is not None
    product = await shop.catalog.managed_product(customer.id, callback_data.product_id)
    variant = chosen_variant(product, callback_data.variant_id)
    if variant is None:
        await edit(callback, views.variant_picker(translator, locale, product, ManageAction.DIGITAL))
        return
    await state.set_state(DigitalForm.items)
    await state.set_data({"product_id": product.id, "variant_id": variant.id})
    await send(callback, views.prompt(translator, locale, product.id, translator.text(
        locale, "sell.digital.ask", variant=variant_name(variant), stock=variant.stock,
        kilobytes=UPLOAD_MAX_BYTES // 1024, limit=DIGITAL_IMPORT_MAX)))


async def take_file(message: Message, bot: Bot, state: FSMContext, shop: Shop, customer: CustomerDTO,
                    translator: Translator, locale: str) -> None:
    document = message.document
    assert document is not None  # the filter lets only documents in
    try:
        if document.file_size is not None and document.file_size > UPLOAD_MAX_BYTES:
            raise UnreadableUpload("too_large")
        downloaded = await bot.download(document.file_id)
        assert downloaded is not None  # without a destination, aiogram returns the bytes in memory
        lines = read_items(downloaded.read(UPLOAD_MAX_BYTES + 1), document.file_name)
    except UnreadableUpload as refused:
        await send(message, plain(translator.text(locale, f"sell.digital.{refused.reason}",
                                                  kilobytes=UPLOAD_MAX_BYTES // 1024)))
        return
    await _import(message, state, shop, customer, translator, locale, lines)


async def take_text(message: Message, state: FSMContext, shop: Shop, customer: CustomerDTO,
                    translator: Translator, locale: str) -> None:
    await _import(message, state, shop, customer, translator, locale, (message.text or "").splitlines())


async def _import(message: Message, state: FSMContext, shop: Shop, customer: CustomerDTO, translator: Translator,
                  locale: str, lines: list[str]) -> None:
    data = await state.get_data()
    result = await shop.catalog.import_digital_items(customer.id, data["variant_id"], lines)
    await state.clear()
    await send(message, views.done(translator, locale, data["product_id"], import_report(translator, locale, result)))


async def remind_items(message: Message, translator: Translator, locale: str) -> None:
    await send(message, plain(translator.text(locale, "sell.digital.expected", kilobytes=UPLOAD_MAX_BYTES // 1024)))


def build_sell_digital_router() -> Router:
    router = Router(name="sell_digital")
    router.callback_query.register(start_upload, ManageCallback.filter((F.action == ManageAction.DIGITAL)
                                                                       & F.product_id))
    router.message.register(cancel_step, Command("cancel"), DigitalForm.items)
    router.message.register(take_file, DigitalForm.items, F.document)
    router.message.register(take_text, DigitalForm.items, F.text, ~F.text.startswith("/"))
    router.message.register(remind_items, DigitalForm.items)
    return router
