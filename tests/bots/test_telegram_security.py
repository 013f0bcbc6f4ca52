"""Two-factor and broadcasts in the Telegram storefront: enrolment by QR, step-up before a broadcast, and the
paced sender that resumes after a restart and reports to the author."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pyotp
import pytest
import zxingcpp
from aiogram import Dispatcher
from aiogram.methods import SendMessage, SendPhoto, TelegramMethod
from aiogram.methods.base import Response
from aiogram.types import BufferedInputFile, Message
from PIL import Image
from teremok import MockBot

from bots.i18n import Translator
from bots.telegram import build_dispatcher
from bots.telegram.broadcast_sender import TelegramBroadcastSender, private_chat
from bots.telegram.render import quote
from commerce.broadcasts import BroadcastDTO
from commerce.errors import PermissionDenied
from commerce.roles import Role
from commerce.shop import Shop
from commerce.two_factor import TwoFactorRequired
from tests.bots.conftest import SHOP_NAME, TERMS
from tests.bots.telegram_chat import TelegramChat, sent
from tests.conftest import FakeClock
from tests.support.factories import make_buyer, step_up

OWNER_TG = 880_001
STAFF_TG = 880_002


@pytest.fixture
def dispatcher(shop: Shop, translator: Translator) -> Dispatcher:
    return build_dispatcher(shop, translator, shop_name=SHOP_NAME, terms=TERMS, default_locale="ja")


@pytest.fixture
async def owner_chat(shop: Shop, telegram: MockBot) -> TelegramChat:
    await shop.sellers.bootstrap_owners([f"telegram:{OWNER_TG}"])
    return TelegramChat(telegram, OWNER_TG, language_code="en")


async def customer_of(shop: Shop, chat: TelegramChat) -> int:
    return (await shop.customers.identify("telegram", chat.user.id)).id


def decode_qr(png: bytes) -> str:
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return found.text


async def enrol_by_chat(chat: TelegramChat, clock: FakeClock, translator: Translator) -> pyotp.TOTP:
    """/2fa, scan the QR, send the first code: the seller's authenticator app."""
    result = await chat.send("/2fa")
    [photo] = [r for r in result.requests.all if isinstance(r, SendPhoto)]
    assert isinstance(photo.photo, BufferedInputFile) and photo.protect_content
    uri = decode_qr(photo.photo.data)
    assert uri.startswith("otpauth://totp/")
    assert [m.text for m in sent(result)] == [quote(translator.text("en", "security.ask_first_code"))]
    app = pyotp.parse_uri(uri)
    assert isinstance(app, pyotp.TOTP)
    [done] = sent(await chat.send(app.at(clock())))
    assert done.text == quote(translator.text("en", "security.enrolled"))
    return app


async def test_2fa_sends_a_qr_of_the_otpauth_uri_and_a_first_code_enrols(
        shop: Shop, owner_chat: TelegramChat, clock: FakeClock, translator: Translator) -> None:
    app = await enrol_by_chat(owner_chat, clock, translator)
    owner = await customer_of(shop, owner_chat)
    assert (await shop.two_factor.status(owner)).enrolled
    assert app.secret == await shop.two_factor._secret(owner)


async def test_a_wrong_first_code_is_explained_and_the_next_one_still_enrols(
        shop: Shop, owner_chat: TelegramChat, clock: FakeClock, translator: Translator) -> None:
    await owner_chat.send("/2fa")
    app = pyotp.TOTP(await shop.two_factor._secret(await customer_of(shop, owner_chat)))
    wrong = "000000" if app.at(clock()) != "000000" else "111111"
    [refusal] = sent(await owner_chat.send(wrong))
    assert "4" in refusal.text and refusal.text == quote(translator.text(
        "en", "error.two_factor_failed", attempts_left=4))
    [done] = sent(await owner_chat.send(app.at(clock())))
    assert done.text == quote(translator.text("en", "security.enrolled"))


async def test_a_buyer_cannot_enrol(new_chat: Any, translator: Translator) -> None:
    chat = new_chat("en")
    result = await chat.send("/2fa")
    assert not [r for r in result.requests.all if isinstance(r, SendPhoto)]
    [refusal] = sent(result)
    assert refusal.text == quote(translator.error("en", PermissionDenied(permission="two_factor", role=None)))


async def test_broadcast_needs_a_fresh_step_up_then_creates_it(
        shop: Shop, owner_chat: TelegramChat, clock: FakeClock, translator: Translator) -> None:
    [not_enrolled] = sent(await owner_chat.send("/broadcast"))
    assert not_enrolled.text == quote(translator.error("en", TwoFactorRequired(reason="not_enrolled")))

    app = await enrol_by_chat(owner_chat, clock, translator)
    clock.advance(minutes=11)
    [stale] = sent(await owner_chat.send("/broadcast"))
    assert stale.text == quote(translator.error("en", TwoFactorRequired(reason="stale", minutes=10)))
    await owner_chat.send("Hello everyone")  # not in the broadcast conversation: just a search
    assert await shop.broadcasts.unfinished() == []

    [verified] = sent(await owner_chat.send(f"/verify {app.at(clock())}"))
    assert verified.text == quote(translator.text("en", "security.verified", minutes=10))
    keen = await make_buyer(shop)
    await shop.customers.set_marketing_opt_in(keen, True)
    [ask] = sent(await owner_chat.send("/broadcast"))
    assert ask.text == quote(translator.text("en", "broadcast.ask_text", limit=3000))
    [queued] = sent(await owner_chat.send("Spring sale <today> & tomorrow"))
    [broadcast_id] = await shop.broadcasts.unfinished()
    assert queued.text == quote(translator.text("en", "broadcast.queued", id=broadcast_id, recipients=1))
    assert (await shop.broadcasts.status(broadcast_id)).text == "Spring sale <today> & tomorrow"


async def test_staff_without_the_broadcast_permission_is_refused(
        shop: Shop, owner_chat: TelegramChat, telegram: MockBot, translator: Translator) -> None:
    owner = await customer_of(shop, owner_chat)
    staff_chat = TelegramChat(telegram, STAFF_TG, language_code="en")
    await step_up(shop, owner)
    await shop.sellers.grant(owner, await customer_of(shop, staff_chat), Role.STAFF)
    [refusal] = sent(await staff_chat.send("/broadcast"))
    assert refusal.text == quote(translator.error("en", PermissionDenied(permission="broadcast")))


async def test_verify_without_a_code_explains_the_usage(owner_chat: TelegramChat, translator: Translator) -> None:
    [usage] = sent(await owner_chat.send("/verify"))
    assert usage.text == quote(translator.text("en", "security.verify_usage"))


# ---- the sender ----


class StoppingBot(MockBot):
    """A bot whose process "dies" (sets `stop`) right after its `after`-th sent message."""

    def __init__(self, stop: asyncio.Event, after: int) -> None:
        super().__init__()
        self.stop, self.after = stop, after

    async def __call__(self, method: TelegramMethod[Any], request_timeout: int | None = None) -> Any:
        result = await super().__call__(method, request_timeout)
        if sum(isinstance(r, SendMessage) for r in self.mock_session.requests) >= self.after:
            self.stop.set()
        return result


async def chat_of(shop: Shop, customer_id: int) -> int:
    chat = await private_chat(shop, customer_id)
    assert chat is not None
    return chat[0]


def texts_to(bot: MockBot, chat_id: int) -> list[str]:
    return [r.text for r in bot.mock_session.requests if isinstance(r, SendMessage) and r.chat_id == chat_id]


async def a_broadcast(shop: Shop, clock: FakeClock, recipients: int) -> tuple[int, int, list[int]]:
    """(author, broadcast id, opted-in customers) — the author stepped up with two-factor."""
    [author] = await shop.sellers.bootstrap_owners([f"telegram:{OWNER_TG}"])
    await shop.customers.set_locale(author, "en")
    buyers = [await make_buyer(shop) for _ in range(recipients)]
    for buyer in buyers:
        await shop.customers.set_marketing_opt_in(buyer, True)
    await make_buyer(shop)  # not opted in: never messaged
    await step_up(shop, author)
    broadcast = await shop.broadcasts.create(author, "Delivery is delayed <2 days> & sorry")
    return author, broadcast.id, buyers


async def run_until_done(sender: TelegramBroadcastSender, shop: Shop) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    try:
        async with asyncio.timeout(10):
            while await shop.broadcasts.unfinished():  # noqa: ASYNC110 - done is a database fact, not an event
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await task


async def test_the_sender_delivers_marks_a_blocked_chat_failed_and_reports(
        shop: Shop, clock: FakeClock, translator: Translator) -> None:
    author, broadcast_id, buyers = await a_broadcast(shop, clock, recipients=3)
    bot = MockBot()
    bot.mock_session.add_result(SendMessage, Response[Message](
        ok=False, error_code=403, description="Forbidden: bot was blocked by the user"))  # the first buyer
    await run_until_done(TelegramBroadcastSender(bot, shop, translator), shop)

    status = await shop.broadcasts.status(broadcast_id)
    assert (status.status, status.delivered, status.failed, status.pending) == ("done", 2, 1, 0)
    for buyer in buyers:
        assert texts_to(bot, int((await shop.customers.get(buyer)).identities[0].split(":")[1])) == [
            "Delivery is delayed &lt;2 days&gt; &amp; sorry"]
    assert await private_chat(shop, buyers[0]) is None  # the blocked buyer: unreachable now
    _assert_report(bot, translator, OWNER_TG, status)


async def test_a_restarted_sender_resumes_without_resending(
        shop: Shop, clock: FakeClock, translator: Translator) -> None:
    author, broadcast_id, buyers = await a_broadcast(shop, clock, recipients=5)
    stop = asyncio.Event()
    first = StoppingBot(stop, after=2)
    assert await TelegramBroadcastSender(first, shop, translator).send_broadcast(broadcast_id, stop) is None
    assert (await shop.broadcasts.status(broadcast_id)).pending == 3
    assert await shop.broadcasts.unfinished() == [broadcast_id]

    second = MockBot()  # a new process: a new bot and a new sender
    await run_until_done(TelegramBroadcastSender(second, shop, translator), shop)
    chats = [await chat_of(shop, buyer) for buyer in buyers]
    assert [len(texts_to(first, chat)) for chat in chats] == [1, 1, 0, 0, 0]
    assert [len(texts_to(second, chat)) for chat in chats] == [0, 0, 1, 1, 1]
    status = await shop.broadcasts.status(broadcast_id)
    assert (status.status, status.delivered, status.failed) == ("done", 5, 0)
    _assert_report(second, translator, OWNER_TG, status)


async def test_sends_are_paced_within_telegrams_limit(shop: Shop, clock: FakeClock, translator: Translator) -> None:
    _, broadcast_id, _ = await a_broadcast(shop, clock, recipients=6)
    loop = asyncio.get_running_loop()
    started = loop.time()
    sender = TelegramBroadcastSender(MockBot(), shop, translator, per_second=10)
    await sender.send_broadcast(broadcast_id, asyncio.Event())
    assert loop.time() - started >= 0.5  # six sends at 10/s need at least five gaps of 0.1 s
    with pytest.raises(ValueError, match="30"):
        TelegramBroadcastSender(MockBot(), shop, translator, per_second=100)


def _assert_report(bot: MockBot, translator: Translator, chat_id: int, status: BroadcastDTO) -> None:
    assert texts_to(bot, chat_id) == [quote(translator.text(
        "en", "broadcast.report", id=status.id, delivered=status.delivered, failed=status.failed))]
