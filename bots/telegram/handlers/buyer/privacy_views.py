"""What /privacy looks like: the menu, the confirm-erase buttons and the export file (pure functions)."""

from __future__ import annotations

import json
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from bots.i18n import Translator
from bots.telegram.callbacks import RowId
from bots.telegram.render import Reply, quote


class PrivacyAction(StrEnum):
    EXPORT = "e"
    ERASE = "x"  # ask first
    CONFIRM_ERASE = "y"  # customer_id: who was asked, so an old "yes" can't erase the fresh identity made since
    KEEP = "n"


class PrivacyCallback(CallbackData, prefix="pv"):
    action: PrivacyAction
    customer_id: RowId | None = None


def privacy_button(text: str, action: PrivacyAction, customer_id: int | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=PrivacyCallback(action=action, customer_id=customer_id).pack())


def render_privacy_menu(tr: Translator, locale: str) -> Reply:
    return Reply(quote(tr.text(locale, "privacy.intro")), InlineKeyboardMarkup(inline_keyboard=[
        [privacy_button(tr.text(locale, "privacy.button_export"), PrivacyAction.EXPORT)],
        [privacy_button(tr.text(locale, "privacy.button_erase"), PrivacyAction.ERASE)]]))


def export_document(data: dict[str, object], customer_id: int) -> BufferedInputFile:
    """Readable by a person as well as a program: UTF-8 (Japanese stays Japanese), indented."""
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    return BufferedInputFile(body, filename=f"my-data-{customer_id}.json")


def render_erase_confirm(tr: Translator, locale: str, customer_id: int) -> Reply:
    """"Erase everything?" with Erase and Keep: the press carries who asked, so a forwarded button erases nobody."""
    return Reply(quote(tr.text(locale, "privacy.erase_confirm")), InlineKeyboardMarkup(inline_keyboard=[
        [privacy_button(tr.text(locale, "privacy.button_erase_yes"), PrivacyAction.CONFIRM_ERASE, customer_id)],
        [privacy_button(tr.text(locale, "privacy.button_keep"), PrivacyAction.KEEP)]]))
