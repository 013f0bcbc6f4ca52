"""Owners manage roles in the chat behind a two-factor step-up, and each seller's "/" menu follows their role:
granting sets a chat-scoped menu in both languages, revoking deletes it. Refunds in the chat need a fresh code."""

from __future__ import annotations

import itertools
import re

import pytest
from aiogram import Dispatcher
from aiogram.methods import DeleteMyCommands, SetMyCommands
from aiogram.types import BotCommandScopeChat
from teremok import DispatchResult, MockBot

from bots.i18n import Translator
from bots.telegram import build_dispatcher
from bots.telegram.command_menu import SELLER_COMMANDS, seller_commands, set_all_seller_menus
from bots.telegram.render import quote
from commerce.privacy import ShippingAddress
from commerce.roles import Role
from commerce.shop import Shop
from commerce.status import OrderStatus
from commerce.two_factor import TwoFactorRequired
from tests.bots.conftest import SHOP_NAME, TERMS
from tests.bots.telegram_chat import TelegramChat, sent
from tests.conftest import FakeClock
from tests.support.factories import make_buyer, make_product, step_up

_chat_ids = itertools.count(870_000)
ADDRESS = ShippingAddress(name="Hana Sato", postal_code="150-0001", region="Tokyo", city="Shibuya",
                          line1="1-2-3 Jingumae")


@pytest.fixture
def dispatcher(shop: Shop, translator: Translator) -> Dispatcher:
    return build_dispatcher(shop, translator, shop_name=SHOP_NAME, terms=TERMS, default_locale="ja")


async def customer_id(shop: Shop, chat: TelegramChat) -> int:
    return (await shop.customers.identify("telegram", chat.user.id)).id


@pytest.fixture
async def owner(telegram: MockBot, shop: Shop) -> TelegramChat:
    chat = TelegramChat(telegram, next(_chat_ids), language_code="en")
    await shop.sellers.bootstrap_owners([f"telegram:{chat.user.id}"])
    return chat


def menus(result: DispatchResult, chat_id: int) -> dict[str | None, list[str]]:
    """The chat-scoped menus set for `chat_id`, by language code: command names in order."""
    return {r.language_code: [c.command for c in r.commands] for r in result.requests.all
            if isinstance(r, SetMyCommands) and r.scope == BotCommandScopeChat(chat_id=chat_id)}


def deleted(result: DispatchResult, chat_id: int) -> set[str | None]:
    return {r.language_code for r in result.requests.all
            if isinstance(r, DeleteMyCommands) and r.scope == BotCommandScopeChat(chat_id=chat_id)}


BUYER_MENU = ["start", "search", "cart", "orders", "language", "help", "terms", "link", "invite"]


async def test_granting_a_role_sets_that_sellers_menu_and_revoking_deletes_it(
        owner: TelegramChat, shop: Shop, telegram: MockBot, translator: Translator) -> None:
    await step_up(shop, await customer_id(shop, owner))
    newcomer = next(_chat_ids)

    granted = await owner.send(f"/grant {newcomer} seller")
    seller_menu = [*BUYER_MENU, "sell", "stock", "orders_admin", "sales", "2fa", "verify"]
    assert menus(granted, newcomer) == {"ja": seller_menu, "en": seller_menu, None: seller_menu}
    [ja_request] = [r for r in granted.requests.all if isinstance(r, SetMyCommands) and r.language_code == "ja"]
    assert {c.command: c.description for c in ja_request.commands}["sales"] == translator.text("ja", "command.sales")
    assert menus(granted, owner.user.id) == {}  # nobody else's menu changes

    promoted = await owner.send(f"/grant {newcomer} staff")
    assert menus(promoted, newcomer)["en"] == [*BUYER_MENU, "sell", "stock", "orders_admin", "sales", "coupons",
                                               "tickets", "2fa", "verify"]

    revoked = await owner.send(f"/revoke {newcomer}")
    assert deleted(revoked, newcomer) == {"ja", "en", None}
    assert menus(revoked, newcomer) == {}


async def test_the_revoke_button_deletes_the_menu_too(owner: TelegramChat, shop: Shop, telegram: MockBot,
                                                      translator: Translator) -> None:
    owner_id = await customer_id(shop, owner)
    await step_up(shop, owner_id)
    helper = TelegramChat(telegram, next(_chat_ids))
    await shop.sellers.grant(owner_id, await customer_id(shop, helper), Role.STAFF)
    await owner.send("/staff")
    result = await owner.press(translator.text("en", "st.button.revoke", who=f"telegram:{helper.user.id}"))
    assert deleted(result, helper.user.id) == {"ja", "en", None}


async def test_every_role_gets_a_valid_menu_at_start_up(shop: Shop, owner: TelegramChat,
                                                        translator: Translator) -> None:
    owner_id = await customer_id(shop, owner)
    await step_up(shop, owner_id)
    staff_tg, seller_tg = next(_chat_ids), next(_chat_ids)
    for tg, role in ((staff_tg, Role.STAFF), (seller_tg, Role.SELLER)):
        person = (await shop.customers.identify("telegram", tg)).id
        await shop.sellers.grant(owner_id, person, role)
    await shop.sellers.grant(owner_id, await make_buyer(shop, "discord"), Role.SELLER)  # no Telegram chat

    bot = MockBot()
    await set_all_seller_menus(bot, shop, translator, "ja")
    scoped = [r for r in bot.mock_session.requests if isinstance(r, SetMyCommands)]
    assert {r.scope.chat_id for r in scoped if isinstance(r.scope, BotCommandScopeChat)} == {
        owner.user.id, staff_tg, seller_tg}
    owner_menu = [c.command for c in scoped[0].commands]
    assert owner_menu == [*BUYER_MENU, *(name for name, _ in SELLER_COMMANDS)]
    for request in scoped:  # Bot API rules: 1–32 of [a-z0-9_], a description of 1–256 characters
        for command in request.commands:
            assert re.fullmatch(r"[a-z0-9_]{1,32}", command.command)
            assert 1 <= len(command.description) <= 256
    for locale in ("ja", "en"):
        assert len(seller_commands(translator, locale, Role.OWNER)) == len(BUYER_MENU) + len(SELLER_COMMANDS)


async def test_grant_without_a_fresh_code_is_refused_and_changes_nothing(
        owner: TelegramChat, shop: Shop, clock: FakeClock, translator: Translator) -> None:
    newcomer = next(_chat_ids)
    result = await owner.send(f"/grant {newcomer} staff")
    assert [m.text for m in sent(result)] == [
        quote(translator.error("en", TwoFactorRequired(reason="not_enrolled")))]
    assert "/2fa" in sent(result)[0].text
    assert menus(result, newcomer) == {}
    owner_id = await customer_id(shop, owner)
    assert [m.customer_id for m in await shop.sellers.staff()] == [owner_id]

    app = await step_up(shop, owner_id)
    clock.advance(minutes=11)
    stale = await owner.send(f"/grant {newcomer} staff")
    assert [m.text for m in sent(stale)] == [
        quote(translator.error("en", TwoFactorRequired(reason="stale", minutes=10)))]
    assert "/verify" in sent(stale)[0].text

    await owner.send(f"/verify {app.at(clock())}")
    await owner.send(f"/grant {newcomer} staff")
    assert await shop.sellers.role_of((await shop.customers.identify("telegram", newcomer)).id) is Role.STAFF


async def test_a_refund_in_the_chat_needs_a_fresh_code(owner: TelegramChat, shop: Shop, clock: FakeClock,
                                                       translator: Translator) -> None:
    tr = translator
    owner_id = await customer_id(shop, owner)
    product = await make_product(shop, owner_id)
    order = await shop.orders.checkout(await make_buyer(shop), items=[(product.variants[0].id, 1)], address=ADDRESS)
    await shop.payments.payment_confirmed(order.id)
    app = await step_up(shop, owner_id)
    clock.advance(minutes=15)

    await owner.send("/orders_admin")
    await owner.press(f"#{order.id} ")
    await owner.press(tr.text("en", "so.button.refund"))
    refused = await owner.send("txid 0xabc")
    assert [m.text for m in sent(refused)] == [quote(tr.error("en", TwoFactorRequired(reason="stale", minutes=10)))]
    [still] = [o for o in await shop.orders.orders_by_status(owner_id) if o.id == order.id]
    assert still.status is OrderStatus.PAID

    # The question is still open: after /verify, the seller simply sends the note again.
    verified = await owner.send(f"/verify {app.at(clock())}")
    assert [m.text for m in sent(verified)] == [quote(tr.text("en", "security.verified", minutes=10))]
    await owner.send("txid 0xabc")
    [done] = [o for o in await shop.orders.orders_by_status(owner_id) if o.id == order.id]
    assert done.status is OrderStatus.REFUNDED
