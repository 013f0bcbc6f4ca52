"""The shop's coupon codes for its staff (docs/coupons.md): `/coupons` lists them with buttons to pause or resume,
delete (after a question) and share each one; `/coupons new SPRING10 10% min=3000 …`, or the ➕ button and then
that one line, makes a new one.

A form the core or the reading refuses is explained in the seller's language and asked for again, so the
seller corrects the line and sends it once more. Every press re-reads the coupon by its code, and the core checks
the role (manage_coupons: owners and staff) on every call, so a forged payload from a buyer changes nothing.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bots.common.coupon_form import parse_coupon_line
from bots.common.coupon_view import (
    PAGE_SIZE,
    CouponMove,
    coupon_problem,
    moved_notice,
    present_coupon,
    present_coupons,
    present_delete_question,
    share_lines,
)
from bots.common.links import telegram_coupon_link
from bots.i18n import Translator
from bots.telegram.handlers.seller.coupons_views import (
    CouponAction,
    CouponCallback,
    form_markup,
    render_coupons,
    render_created,
    render_delete_question,
)
from bots.telegram.render import Reply, edit, plain, quote, send
from commerce.customers import CustomerDTO
from commerce.errors import InvalidAmount, InvalidInput
from commerce.roles import Permission, require
from commerce.shop import Shop


class CouponForm(StatesGroup):
    line = State()  # waiting for `CODE DISCOUNT [options]`


async def _list_reply(shop: Shop, customer: CustomerDTO, tr: Translator, locale: str, page: int,
                      notice: str = "") -> Reply:
    """One page of codes (and one more, to know whether "next" leads anywhere). The core checks the role."""
    coupons = await shop.coupons.list(customer.id, limit=PAGE_SIZE + 1, offset=page * PAGE_SIZE)
    view = present_coupons(tr, locale, coupons, page=page, timezone=shop.rules.timezone, now=shop.clock())
    return render_coupons(view, tr.text(locale, "coupons.list.hint"), notice)


def _prompt(shop: Shop, tr: Translator, locale: str, problem: str = "") -> Reply:
    prompt = tr.text(locale, "coupons.form.prompt", currency=shop.catalog.currency, timezone=shop.rules.timezone)
    return Reply(quote(f"{problem}\n\n{prompt}" if problem else prompt), form_markup(tr, locale))


# ---- the list and its buttons ----


async def coupons_command(message: Message, command: CommandObject, bot: Bot, state: FSMContext, shop: Shop,
                          customer: CustomerDTO, translator: Translator, locale: str) -> None:
    """`/coupons` lists; `/coupons new` asks for the form; `/coupons new <form>` creates at once."""
    word, _, form = (command.args or "").strip().partition(" ")
    if not word:
        await send(message, await _list_reply(shop, customer, translator, locale, 0))
    elif word.lower() == "new":
        require(await shop.sellers.role_of(customer.id), Permission.MANAGE_COUPONS)  # before asking anything
        if form.strip():
            await _create(message, form, bot, state, shop, customer, translator, locale)
        else:
            await state.set_state(CouponForm.line)
            await send(message, _prompt(shop, translator, locale))
    else:
        await send(message, plain(translator.text(locale, "coupons.usage")))


async def turn_page(callback: CallbackQuery, callback_data: CouponCallback, shop: Shop, customer: CustomerDTO,
                    translator: Translator, locale: str) -> None:
    await edit(callback, await _list_reply(shop, customer, translator, locale, callback_data.page))


async def pause_or_resume(callback: CallbackQuery, callback_data: CouponCallback, shop: Shop, customer: CustomerDTO,
                          translator: Translator, locale: str) -> None:
    assert callback_data.code is not None  # the filter requires it
    pause = callback_data.action is CouponAction.PAUSE
    coupon = await shop.coupons.set_paused(customer.id, callback_data.code, pause)
    notice = moved_notice(translator, locale, CouponMove.PAUSE if pause else CouponMove.RESUME, coupon.code)
    await edit(callback, await _list_reply(shop, customer, translator, locale, callback_data.page), notice=notice)


async def ask_delete(callback: CallbackQuery, callback_data: CouponCallback, shop: Shop, customer: CustomerDTO,
                     translator: Translator, locale: str) -> None:
    assert callback_data.code is not None
    coupon = await shop.coupons.get(customer.id, callback_data.code)  # it exists, and the asker may delete it
    question = present_delete_question(translator, locale, coupon.code)
    await edit(callback, render_delete_question(question, callback_data.page))


async def delete_coupon(callback: CallbackQuery, callback_data: CouponCallback, shop: Shop, customer: CustomerDTO,
                        translator: Translator, locale: str) -> None:
    assert callback_data.code is not None
    coupon = await shop.coupons.delete(customer.id, callback_data.code)
    notice = moved_notice(translator, locale, CouponMove.DELETE, coupon.code)
    await edit(callback, await _list_reply(shop, customer, translator, locale, callback_data.page, notice),
               notice=notice)


async def share_coupon(callback: CallbackQuery, callback_data: CouponCallback, bot: Bot, shop: Shop,
                       customer: CustomerDTO, translator: Translator, locale: str) -> None:
    """A message of its own, easy to forward: the `c_<CODE>` link and the Discord way."""
    assert callback_data.code is not None
    coupon = await shop.coupons.get(customer.id, callback_data.code)
    link = telegram_coupon_link((await bot.me()).username or "", coupon.code)
    await send(callback, plain("\n\n".join(share_lines(translator, locale, coupon.code, link))))


# ---- a new coupon ----


async def ask_form(callback: CallbackQuery, state: FSMContext, shop: Shop, customer: CustomerDTO,
                   translator: Translator, locale: str) -> None:
    require(await shop.sellers.role_of(customer.id), Permission.MANAGE_COUPONS)
    await state.set_state(CouponForm.line)
    await send(callback, _prompt(shop, translator, locale))


async def take_form(message: Message, bot: Bot, state: FSMContext, shop: Shop, customer: CustomerDTO,
                    translator: Translator, locale: str) -> None:
    await _create(message, message.text or "", bot, state, shop, customer, translator, locale)


async def _create(message: Message, form: str, bot: Bot, state: FSMContext, shop: Shop, customer: CustomerDTO,
                  tr: Translator, locale: str) -> None:
    """Read the line, one core call; a refusal says why and asks for the line again."""
    try:
        new = parse_coupon_line(form, shop.catalog.currency, shop.rules.timezone)
        coupon = await shop.coupons.create(customer.id, new)
    except (InvalidInput, InvalidAmount) as refused:
        await state.set_state(CouponForm.line)
        code = form.split(maxsplit=1)[0] if form.split() else ""
        await send(message, _prompt(shop, tr, locale, coupon_problem(tr, locale, refused, code=code[:40].upper())))
        return
    await state.clear()
    view = present_coupon(tr, locale, coupon, timezone=shop.rules.timezone, now=shop.clock())
    link = telegram_coupon_link((await bot.me()).username or "", coupon.code)
    await send(message, render_created(view, tr.text(locale, "coupons.created", code=coupon.code, gives=view.gives),
                                       share_lines(tr, locale, coupon.code, link),
                                       tr.text(locale, "coupons.button.back")))


async def cancel_form(event: Message | CallbackQuery, state: FSMContext, translator: Translator,
                      locale: str) -> None:
    await state.clear()
    await send(event, plain(translator.text(locale, "coupons.form.cancelled")))


async def remind_text(message: Message, translator: Translator, locale: str) -> None:
    await send(message, plain(translator.text(locale, "coupons.form.text_expected")))


def build_coupons_router() -> Router:
    router = Router(name="coupons")
    A = CouponAction
    filling = StateFilter(CouponForm)
    router.message.register(coupons_command, Command("coupons"))
    router.message.register(cancel_form, Command("cancel"), filling)
    router.callback_query.register(cancel_form, CouponCallback.filter(F.action == A.CANCEL))
    router.callback_query.register(turn_page, CouponCallback.filter(F.action == A.LIST))
    router.callback_query.register(pause_or_resume, CouponCallback.filter(F.action.in_({A.PAUSE, A.RESUME}) & F.code))
    router.callback_query.register(ask_delete, CouponCallback.filter((F.action == A.ASK_DELETE) & F.code))
    router.callback_query.register(delete_coupon, CouponCallback.filter((F.action == A.DELETE) & F.code))
    router.callback_query.register(share_coupon, CouponCallback.filter((F.action == A.SHARE) & F.code))
    router.callback_query.register(ask_form, CouponCallback.filter(F.action == A.NEW))
    router.message.register(take_form, CouponForm.line, F.text, ~F.text.startswith("/"))
    router.message.register(remind_text, filling)
    return router
