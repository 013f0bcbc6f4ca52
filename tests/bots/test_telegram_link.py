"""`/link` in Telegram: a code for the Discord bot, or a code from it, and then one cart and one order history.

The Discord side is a `discord:` identity made through the core, as the Discord bot will make it.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from teremok import MockChat, MockMessageText

from bots.i18n import Translator
from bots.telegram.render import quote
from commerce.privacy import ShippingAddress
from commerce.shop import Shop
from commerce.status import OrderStatus
from commerce.storage.tables import LinkCode
from tests.bots.telegram_chat import TelegramChat, sent
from tests.conftest import FakeClock
from tests.support.factories import make_product

DISCORD_USER = 313_131_313_131_313_131
HOME = ShippingAddress(name="Hana Sato", postal_code="150-0001", region="Tokyo", city="Shibuya",
                       line1="1-2-3 Jingumae", phone="090-1111-2222")
CODE_IN_MESSAGE = re.compile(r"<code>/link ([A-Z0-9]{8})</code>")


async def customer_of(shop: Shop, chat: TelegramChat) -> int:
    return (await shop.customers.identify("telegram", chat.user.id)).id


async def discord_customer(shop: Shop) -> int:
    return (await shop.customers.identify("discord", DISCORD_USER, display_name="hana#0001")).id


async def test_a_code_from_telegram_links_the_discord_account(buyer: TelegramChat, shop: Shop, clock: FakeClock,
                                                              translator: Translator) -> None:
    telegram = await customer_of(shop, buyer)
    clock.advance(minutes=5)
    discord = await discord_customer(shop)

    [reply] = sent(await buyer.send("/link"))
    found = CODE_IN_MESSAGE.search(reply.text)
    assert found is not None
    code = found.group(1)
    assert reply.text == translator.text("en", "link.issued", code=code, minutes=10)

    # The buyer types it into the Discord bot (which will call the same service).
    result = await shop.links.redeem(discord, code)
    assert (result.survivor_id, result.absorbed_id) == (telegram, discord)
    assert await discord_customer(shop) == telegram


async def test_a_code_from_discord_links_here_and_the_cart_and_orders_follow(
        buyer: TelegramChat, shop: Shop, owner: int, clock: FakeClock, translator: Translator) -> None:
    cup = (await make_product(shop, owner, title="Cup", price="1000", stock=20)).variants[0].id
    pot = (await make_product(shop, owner, title="Teapot", price="5000", stock=20)).variants[0].id
    telegram = await customer_of(shop, buyer)
    await shop.cart.add(telegram, cup, 1)
    clock.advance(minutes=5)
    discord = await discord_customer(shop)
    await shop.cart.add(discord, cup, 2)
    await shop.cart.add(discord, pot, 1)
    order = await shop.orders.checkout(discord, items=[(pot, 1)], address=HOME)
    code = (await shop.links.issue(discord)).code

    [reply] = sent(await buyer.send(f"/link {code.lower()}"))
    assert reply.text == quote(translator.text("en", "link.linked"))

    assert await discord_customer(shop) == telegram
    cart = {line.title: line.quantity for line in (await shop.cart.view(telegram)).lines}
    assert cart == {"Cup": 3, "Teapot": 1}
    [shown] = sent(await buyer.send("/cart"))
    assert "Teapot" in shown.text and "Cup" in shown.text
    [orders] = sent(await buyer.send("/orders"))
    awaiting = translator.status("en", OrderStatus.AWAITING_PAYMENT)
    assert orders.reply_markup is not None
    labels = [button.text for row in orders.reply_markup.inline_keyboard for button in row]
    assert any(f"#{order.id}" in label and awaiting in label and "¥5,000" in label for label in labels)

    [again] = sent(await buyer.send(f"/link {code}"))  # a second tap: already done, said politely
    assert again.text == quote(translator.text("en", "error.link.self.linked"))


async def test_wrong_expired_and_malformed_codes_get_a_polite_answer_and_change_nothing(
        new_chat, shop: Shop, clock: FakeClock, translator: Translator) -> None:
    buyer: TelegramChat = new_chat("ja")
    telegram = await customer_of(shop, buyer)
    discord = await discord_customer(shop)
    code = (await shop.links.issue(discord)).code
    wrong = "ABCDEFGH" if code != "ABCDEFGH" else "HGFEDCBA"

    [reply] = sent(await buyer.send(f"/link {wrong}"))
    assert reply.text == quote(translator.text("ja", "error.link.invalid.unknown", attempts_left=4))
    for text in ("/link 123", "/link " + "A" * 300, "/link <b>ABCDEFGH</b>"):
        [reply] = sent(await buyer.send(text))
        assert reply.text == quote(translator.text("ja", "error.link.invalid.format"))
    clock.advance(minutes=11)
    [reply] = sent(await buyer.send(f"/link {code}"))
    assert reply.text == quote(translator.text("ja", "error.link.expired", minutes=10))
    assert await discord_customer(shop) == discord != telegram


async def test_own_code_and_too_many_guesses(buyer: TelegramChat, shop: Shop, translator: Translator) -> None:
    [issued] = sent(await buyer.send("/link"))
    found = CODE_IN_MESSAGE.search(issued.text)
    assert found is not None
    [reply] = sent(await buyer.send(f"/link {found.group(1)}"))
    assert reply.text == quote(translator.text("en", "error.link.self"))

    for _ in range(4):
        await buyer.send("/link ABCDEFGH")
    [reply] = sent(await buyer.send("/link ABCDEFGH"))
    assert reply.text == quote(translator.text("en", "error.link.locked", minutes=15))


async def test_no_code_is_shown_in_a_group(buyer: TelegramChat, shop: Shop, translator: Translator) -> None:
    group = MockChat(chat_id=-100_777, type="supergroup", title="Tea lovers")
    result = await buyer.bot.dispatch(MockMessageText("/link", user=buyer.user, chat=group))
    [reply] = sent(result)
    assert reply.text == quote(translator.text("en", "link.private_only"))
    async with shop.db.uow(write=False) as uow:
        assert (await uow.session.execute(select(LinkCode.code_hash))).scalars().all() == []
