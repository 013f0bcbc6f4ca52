"""What a seller sees while managing products: their product list, a product's manage card, pickers.

Pure functions from core DTOs to Telegram replies; every string is escaped here (render.quote/bold).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bots.common.presenters import label, present_manage_card, variant_name
from bots.i18n import Translator
from bots.telegram.handlers.seller.sell_callbacks import ManageAction, ManageCallback
from bots.telegram.render import Reply, bold, quote
from commerce.catalog import PHOTOS_MAX, CategoryDTO, Page, ProductDTO, ProductKind

CATEGORY_BUTTONS_MAX: Final = 12

A = ManageAction


def button(text: str, action: ManageAction, **ids: int | None) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=label(text), callback_data=ManageCallback(action=action, **ids).pack())


def markup(*rows: Sequence[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[list(row) for row in rows if row])


def product_list(tr: Translator, locale: str, page: Page[ProductDTO]) -> Reply:
    t = tr.text
    if not page.items:
        return Reply(quote(t(locale, "sell.edit.list_empty")))
    rows = [[button(t(locale, "sell.edit.list_line", id=p.id, title=p.title,
                      hidden="" if p.visible else t(locale, "sell.edit.hidden_mark")), A.CARD, product_id=p.id)]
            for p in page.items]
    paging = []
    if page.page:
        paging.append(button(t(locale, "sell.edit.previous"), A.LIST, page=page.page - 1))
    if page.has_next:
        paging.append(button(t(locale, "sell.edit.next"), A.LIST, page=page.page + 1))
    heading = t(locale, "sell.edit.list_heading", page=page.page + 1, pages=page.pages, total=page.total)
    return Reply(bold(heading), markup(*rows, paging))


def manage_card(tr: Translator, locale: str, product: ProductDTO, categories: Sequence[CategoryDTO],
                notice: str | None = None) -> Reply:
    t = tr.text
    digital = product.kind is ProductKind.DIGITAL
    category = next((c.name for c in categories if c.id == product.category_id), None)
    card = present_manage_card(tr, locale, product, category)
    parts = [*([quote(notice)] if notice else []), bold(card.heading),
             "\n".join(map(quote, card.facts)), "\n".join(map(quote, card.variants))]
    if card.description:
        parts.append(quote(card.description))
    pid = product.id
    stock_or_items = (button(t(locale, "sell.edit.button.digital"), A.DIGITAL, product_id=pid) if digital
                      else button(t(locale, "sell.edit.button.stock"), A.STOCK, product_id=pid))
    visibility = (button(t(locale, "sell.edit.button.hide"), A.HIDE, product_id=pid) if product.visible
                  else button(t(locale, "sell.edit.button.show"), A.SHOW, product_id=pid))
    keyboard = markup(
        [button(t(locale, "sell.edit.button.title"), A.TITLE, product_id=pid),
         button(t(locale, "sell.edit.button.description"), A.DESCRIPTION, product_id=pid)],
        [button(t(locale, "sell.edit.button.price"), A.PRICE, product_id=pid), stock_or_items],
        [button(t(locale, "sell.edit.button.category"), A.CATEGORY, product_id=pid),
         button(t(locale, "sell.edit.button.photos"), A.PHOTOS, product_id=pid)],
        [button(t(locale, "sell.edit.button.add_variant"), A.ADD_VARIANT, product_id=pid), visibility],
        [button(t(locale, "sell.edit.button.delete"), A.DELETE, product_id=pid),
         button(t(locale, "sell.edit.button.list"), A.LIST)])
    return Reply("\n\n".join(parts), keyboard)


def back_row(tr: Translator, locale: str, product_id: int, key: str = "sell.edit.button.back") -> list[
        InlineKeyboardButton]:
    return [button(tr.text(locale, key), A.DONE, product_id=product_id)]


def prompt(tr: Translator, locale: str, product_id: int, text: str) -> Reply:
    """An edit step's question, with a Cancel that returns to the card."""
    return Reply(quote(text), markup(back_row(tr, locale, product_id, "sell.button.cancel")))


def done(tr: Translator, locale: str, product_id: int, text: str) -> Reply:
    """A change's confirmation, with a button back to the card."""
    return Reply(quote(text), markup(back_row(tr, locale, product_id)))


def variant_picker(tr: Translator, locale: str, product: ProductDTO, action: ManageAction) -> Reply:
    rows = [[button(tr.text(locale, "sell.edit.variant_line", name=variant_name(v), price=tr.money(locale, v.price),
                            stock=v.stock), action, product_id=product.id, variant_id=v.id)]
            for v in product.variants]
    return Reply(quote(tr.text(locale, "sell.edit.pick_variant", title=product.title)),
                 markup(*rows, back_row(tr, locale, product.id)))


def category_picker(tr: Translator, locale: str, product: ProductDTO, categories: Sequence[CategoryDTO],
                    limit: int) -> Reply:
    shown = [c for c in categories if c.id != product.category_id][:CATEGORY_BUTTONS_MAX]
    buttons = [button(c.name, A.CATEGORY, product_id=product.id, category_id=c.id) for c in shown]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    return Reply(quote(tr.text(locale, "sell.edit.ask_category", limit=limit)),
                 markup(*rows, back_row(tr, locale, product.id, "sell.button.cancel")))


def photos_menu(tr: Translator, locale: str, product: ProductDTO) -> Reply:
    t = tr.text
    pid = product.id
    return Reply(quote(t(locale, "sell.edit.photos", count=len(product.photos), limit=PHOTOS_MAX)), markup(
        [button(t(locale, "sell.edit.button.add_photos"), A.ADD_PHOTOS, product_id=pid),
         *([button(t(locale, "sell.edit.button.clear_photos"), A.CLEAR_PHOTOS, product_id=pid)]
           if product.photos else [])],
        back_row(tr, locale, pid)))


def delete_question(tr: Translator, locale: str, product: ProductDTO) -> Reply:
    t = tr.text
    return Reply(quote(t(locale, "sell.edit.ask_delete", id=product.id, title=product.title)), markup(
        [button(t(locale, "sell.edit.button.delete_confirm"), A.DELETE_CONFIRMED, product_id=product.id)],
        back_row(tr, locale, product.id)))
