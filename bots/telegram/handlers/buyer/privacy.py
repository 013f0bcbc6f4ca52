"""`/privacy`: a buyer downloads everything the shop holds about them, or has it erased
(docs/architecture.md#personal-data).

After erasure the Telegram identity is gone, so the next message meets the shop as a new customer (the
middleware creates one); orders stay with the shop for accounting, anonymised by the core.
"""

from __future__ import annotations

import json
from enum import StrEnum

from aiogram import F, Router
from aiogram.enums import ParseMode
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bots.i18n import Translator
from bots.telegram.callbacks import RowId
from bots.telegram.render import Reply, edit, plain, quote, send
from commerce.customers import CustomerDTO
from commerce.shop import Shop


class PrivacyAction(StrEnum):
    EXPORT = "e"
    ERASE = "x"  # ask first
    CONFIRM_ERASE = "y"  # customer_id: who was asked, so an old "yes" can't erase the fresh identity made since
    KEEP = "n"


class PrivacyCallback(CallbackData, prefix="pv"):
    action: PrivacyAction
    customer_id: RowId | None = None


def _button(text: str, action: PrivacyAction, customer_id: int | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=PrivacyCallback(action=action, customer_id=customer_id).pack())


def render_privacy_menu(tr: Translator, locale: str) -> Reply:
    return Reply(quote(tr.text(locale, "privacy.intro")), InlineKeyboardMarkup(inline_keyboard=[
        [_button(tr.text(locale, "privacy.button_export"), PrivacyAction.EXPORT)],
        [_button(tr.text(locale, "privacy.button_erase"), PrivacyAction.ERASE)]]))


def export_document(data: dict[str, object], customer_id: int) -> BufferedInputFile:
    """Readable by a person as well as a program: UTF-8 (Japanese stays Japanese), indented."""
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    return BufferedInputFile(body, filename=f"my-data-{customer_id}.json")


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
    await edit(callback, Reply(quote(translator.text(locale, "privacy.erase_confirm")), InlineKeyboardMarkup(
        inline_keyboard=[[_button(translator.text(locale, "privacy.button_erase_yes"), PrivacyAction.CONFIRM_ERASE,
                                  customer.id)],
                         [_button(translator.text(locale, "privacy.button_keep"), PrivacyAction.KEEP)]])))


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
