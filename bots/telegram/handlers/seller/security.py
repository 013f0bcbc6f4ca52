"""Two-factor for sellers: `/2fa` sends the enrolment QR privately and takes a first code; `/verify <code>` steps up.

Every rule (who may enrol, wrong codes, replays, lockouts) is the core's: its refusals reach the errors router,
and during enrolment the conversation stays on the code step, so the seller simply sends the next code.
"""

from __future__ import annotations

import asyncio

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, Message

from bots.i18n import Translator
from bots.telegram.render import plain, send
from commerce.customers import CustomerDTO
from commerce.shop import Shop
from commerce.two_factor import STEP_UP_WINDOW
from media.otp_qr import render_otp_qr


class EnrolForm(StatesGroup):
    first_code = State()


async def start_enrolment(message: Message, state: FSMContext, shop: Shop, customer: CustomerDTO,
                          translator: Translator, locale: str) -> None:
    if message.chat.type != ChatType.PRIVATE:  # the QR is the secret itself: never in a group
        await send(message, plain(translator.text(locale, "security.private_only")))
        return
    uri = await shop.two_factor.enrol(customer.id)
    png = await asyncio.to_thread(render_otp_qr, uri)
    await message.answer_photo(BufferedInputFile(png, filename="two-factor.png"), protect_content=True,
                               caption=translator.text(locale, "security.enrol_caption"))
    await state.set_state(EnrolForm.first_code)
    await send(message, plain(translator.text(locale, "security.ask_first_code")))


async def confirm_enrolment(message: Message, state: FSMContext, shop: Shop, customer: CustomerDTO,
                            translator: Translator, locale: str) -> None:
    await shop.two_factor.confirm_enrolment(customer.id, message.text or "")
    await state.clear()
    await send(message, plain(translator.text(locale, "security.enrolled")))


async def cancel_enrolment(message: Message, state: FSMContext, translator: Translator, locale: str) -> None:
    await state.clear()
    await send(message, plain(translator.text(locale, "security.enrol_cancelled")))


async def remind_code(message: Message, translator: Translator, locale: str) -> None:
    await send(message, plain(translator.text(locale, "security.code_expected")))


async def verify_code(message: Message, command: CommandObject, shop: Shop, customer: CustomerDTO,
                      translator: Translator, locale: str) -> None:
    if not command.args or len(command.args) > 20:
        await send(message, plain(translator.text(locale, "security.verify_usage")))
        return
    await shop.two_factor.verify(customer.id, command.args)
    minutes = int(STEP_UP_WINDOW.total_seconds() // 60)
    await send(message, plain(translator.text(locale, "security.verified", minutes=minutes)))


def build_security_router() -> Router:
    router = Router(name="security")
    router.message.register(start_enrolment, Command("2fa"))
    router.message.register(verify_code, Command("verify"))
    router.message.register(cancel_enrolment, Command("cancel"), StateFilter(EnrolForm))
    router.message.register(confirm_enrolment, EnrolForm.first_code, F.text, ~F.text.startswith("/"))
    router.message.register(remind_code, EnrolForm.first_code)
    return router
