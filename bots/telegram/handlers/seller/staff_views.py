"""The owner's staff list in the chat and its Revoke buttons (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bots.i18n import Translator
from bots.telegram.callbacks import RowId
from bots.telegram.render import Reply, bold, quote
from commerce.sellers import SellerDTO


class StaffAction(StrEnum):
    REVOKE = "r"


class StaffCallback(CallbackData, prefix="st"):
    action: StaffAction
    customer_id: RowId


def render_staff(tr: Translator, locale: str, members: Sequence[tuple[SellerDTO, str]], *, viewer_id: int) -> Reply:
    """`members`: each with who they are (their identities); everyone but the viewer gets a Revoke button."""
    lines, rows = [bold(tr.text(locale, "st.list.heading"))], []
    for member, who in members:
        role = tr.text(locale, f"st.role.{member.role.value}")
        lines.append(quote(tr.text(locale, "st.list.line", who=who, role=role)))
        if member.customer_id != viewer_id:
            rows.append([InlineKeyboardButton(
                text=tr.text(locale, "st.button.revoke", who=who),
                callback_data=StaffCallback(action=StaffAction.REVOKE, customer_id=member.customer_id).pack())])
    lines.append(quote(tr.text(locale, "st.list.usage")))
    return Reply("\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows) if rows else None)
