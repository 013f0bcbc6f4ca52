"""`/privacy`: a buyer downloads everything the shop holds about them, or has it erased
(docs/architecture.md#personal-data).

After erasure the Telegram identity is gone, so the next message meets the shop as a new customer (the
middleware creates one); orders stay with the shop for accounting, anonymised by the core.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ParseMode
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bots.i18n import Translator
from bots.telegram.handlers.buyer.privacy_views import (
    PrivacyAction,
    PrivacyCallback,
    export_document,
    render_erase_confirm,
    render_privacy_menu,
)
from bots.telegram.render import edit, plain, quote, send
from commerce.customers import CustomerDTO
from commerce.shop import Shop


async def show_privacy(message: Message, translator: Translator, locale: str) -> None:
    await send(message, render_privacy_menu(translator, locale))


async def export_data(callback: CallbackQuery, shop: Shop, customer: CustomerDTO, translator: Translator,
                      locale: str) -> None:
    data = await shop.customers.export(customer.id)
    await callback.answer()
    chat_id = callback.message.chat.id if callback.message is not None else callback.from_user.id
    assert callback.bot is not None
    await callback.bot.send_document(chat_id, export_document(data, customer.id),
                                     caption=quote(translator.text(locale, "privacy.export_caption")),
                                     parse_mode=ParseMode.HTML)


async def ask_to_erase(callback: CallbackQuery, customer: CustomerDTO, translator: Translator, locale: str) -> None:
    await edit(callback, render_erase_confirm(translator, locale, customer.id))


async def erase_data(callback: CallbackQuery, callback_data: PrivacyCallback, shop: Shop, customer: CustomerDTO,
                     state: FSMContext, translator: Translator, locale: str) -> None:
    if callback_data.customer_id != customer.id:  # pressed again after erasing: this is already someone new
        await edit(callback, plain(translator.text(locale, "privacy.already_erased")))
        return
    await state.clear()  # a half-finished checkout or review belongs to the person being forgotten
    await shop.customers.erase(customer.id)
    await edit(callback, plain(translator.text(locale, "privacy.erased")))


async def keep_data(callback: CallbackQuery, translator: Translator, locale: str) -> None:
    await edit(callback, plain(translator.text(locale, "privacy.kept")))


def build_privacy_router() -> Router:
    router = Router(name="privacy")
    router.message.register(show_privacy, Command("privacy"))
    router.callback_query.register(export_data, PrivacyCallback.filter(F.action == PrivacyAction.EXPORT))
    router.callback_query.register(ask_to_erase, PrivacyCallback.filter(F.action == PrivacyAction.ERASE))
    router.callback_query.register(erase_data, PrivacyCallback.filter(F.action == PrivacyAction.CONFIRM_ERASE))
    router.callback_query.register(keep_data, PrivacyCallback.filter(F.action == PrivacyAction.KEEP))
    return router
