"""`/invite` in Telegram, through the real dispatcher (teremok), on SQLite and PostgreSQL: the buyer's invite link,
a friend opening it, the friend's first paid order, the inviter's notice and reward coupon in /invite."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from aiogram.methods import SendMessage
from teremok import MockBot, MockChat, MockMessageText

from bots.common.links import telegram_invite_link
from bots.i18n import Translator
from bots.telegram import build_dispatcher
from bots.telegram.command_menu import buyer_commands
from bots.telegram.deep_links import referral_in
from bots.telegram.notifier import TelegramNotifier
from bots.telegram.render import quote
from commerce.bill import CouponKind
from commerce.privacy import PersonalDataCipher
from commerce.referrals import ReferralRules
from commerce.shop import Shop, ShopRules
from commerce.storage.db import Database
from tests.bots.conftest import SHOP_NAME
from tests.bots.telegram_chat import TelegramChat, recording_bot, sent
from tests.conftest import FakeClock
from tests.integration.test_order_lifecycle import HOME
from tests.support.factories import make_owner, make_product

RULES = ReferralRules(enabled=True, reward=CouponKind.FIXED, amount_minor=500, min_order_minor=3000,
                      expires_after=timedelta(days=60))
LINK = re.compile(r"https://t\.me/test_bot\?start=r_([a-z0-9]+)")
REWARD_CODE = re.compile(r"<code>(INV-[A-Z0-9]{12})</code>")


@pytest.fixture
def shop(db: Database, clock: FakeClock, data_key: str) -> Shop:
    return Shop(db, ShopRules(currency="JPY", referrals=RULES), PersonalDataCipher(data_key), clock)


async def invite_link_of(chat: TelegramChat) -> tuple[SendMessage, str]:
    [reply] = sent(await chat.send("/invite"))
    found = LINK.search(reply.text)
    assert found is not None, reply.text
    return reply, found.group(1)


async def test_a_friend_who_opens_the_link_and_pays_earns_the_inviter_a_coupon(
        buyer: TelegramChat, new_chat, shop: Shop, telegram: MockBot, translator: Translator,
        clock: FakeClock) -> None:
    reply, code = await invite_link_of(buyer)
    me = await shop.customers.identify("telegram", buyer.user.id)
    assert code == me.referral_code
    text = reply.text
    assert text.startswith(f"<b>{quote(translator.text('en', 'invite.heading', shop=SHOP_NAME))}</b>")
    assert "you get a coupon: ¥500 off orders of ¥3,000 or more, valid for 60 days" in text
    assert translator.text("en", "invite.progress", joined=0, rewarded=0) in text
    assert "INV-" not in text  # nothing earned yet
    [[share]] = reply.reply_markup.inline_keyboard  # type: ignore[union-attr]
    assert share.text == translator.text("en", "invite.share_button") and share.url is not None
    shared = parse_qs(urlsplit(share.url).query)
    assert share.url.startswith("https://t.me/share/url?") and shared["url"] == [telegram_invite_link("test_bot", code)]
    assert shared["text"] == [translator.text("en", "invite.share_text", shop=SHOP_NAME)]

    # A friend opens the link: the same /start the Telegram app sends.
    friend: TelegramChat = new_chat("ja")
    [greeting] = sent(await friend.send(f"/start r_{code}"))
    assert "ようこそ" in greeting.text
    friend_id = (await shop.customers.identify("telegram", friend.user.id)).id
    assert (await shop.customers.get(friend_id)).referred_by == code

    owner = await make_owner(shop)
    teapot = (await make_product(shop, owner, title="Teapot", price="4000")).variants[0].id
    order = await shop.orders.checkout(friend_id, items=[(teapot, 1)], address=HOME)
    await shop.payments.payment_confirmed(order.id, txid="tx-friend")

    notifier = TelegramNotifier(telegram, shop, translator, default_locale="ja", owners_chat_ids=[], clock=clock)
    before = len(telegram.requests.send_message)
    await notifier.send_due()
    [notice] = [r.text for r in telegram.requests.send_message[before:]
                if isinstance(r, SendMessage) and r.chat_id == buyer.user.id]
    found = REWARD_CODE.search(notice)
    assert found is not None and notice.startswith("🎁 A friend you invited has paid for their first order")
    reward_code = found.group(1)
    assert "¥500 off orders of ¥3,000 or more, until Jan 22, 21:00" in notice  # 60 days on, in Tokyo time

    again, _ = await invite_link_of(buyer)
    assert translator.text("en", "invite.progress", joined=1, rewarded=1) in again.text
    assert f"<code>{reward_code}</code> — ¥500 off orders of ¥3,000 or more, until Jan 22, 21:00" in again.text
    [friend_view] = sent(await friend.send("/invite"))
    assert "INV-" not in friend_view.text and "招待で参加した友だち：0人" in friend_view.text


async def test_the_link_is_the_one_the_start_command_reads() -> None:
    payload = telegram_invite_link("sakura_bot", "ab12cd34").split("?start=")[1]
    assert referral_in(payload) == "ab12cd34"


async def test_in_japanese_and_in_a_group_only_a_pointer(new_chat, translator: Translator) -> None:
    chat: TelegramChat = new_chat("ja")
    [reply] = sent(await chat.send("/invite"))
    assert "クーポン（￥500引き（￥3,000以上のご注文）、60日間有効）" in reply.text

    group = MockChat(chat_id=-100_123, type="supergroup", title="Tea lovers")
    result = await chat.bot.dispatch(MockMessageText("/invite", user=chat.user, chat=group))
    [pointer] = sent(result)
    assert pointer.text == quote(translator.text("ja", "invite.private_only"))


async def test_invite_is_in_the_command_menu_in_both_languages(translator: Translator) -> None:
    for locale in ("ja", "en"):
        menu = {command.command: command.description for command in buyer_commands(translator, locale)}
        assert menu["invite"] == translator.text(locale, "command.invite")


async def test_a_shop_without_rewards_still_gives_the_link(translator: Translator, db: Database, clock: FakeClock,
                                                           data_key: str) -> None:
    off = Shop(db, ShopRules(currency="JPY"), PersonalDataCipher(data_key), clock)
    chat = TelegramChat(recording_bot(build_dispatcher(off, translator, shop_name="Off", terms="",
                                                       default_locale="en")), 4_242_001, language_code="en")
    reply, _ = await invite_link_of(chat)
    assert quote(translator.text("en", "invite.no_reward")) in reply.text
