"""A buyer meets the shop: /start in their language, shared links, referrals, help, terms, language, orders."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bots.i18n import Translator
from bots.telegram.render import quote
from commerce.errors import NotFound
from commerce.shop import Shop
from commerce.status import OrderStatus
from tests.bots.conftest import SHOP_NAME, TERMS
from tests.bots.telegram_chat import TelegramChat, alert, edits, sent
from tests.support.factories import make_product

OpenChat = Callable[..., TelegramChat]


@pytest.mark.parametrize(("language_code", "locale"), [("ja", "ja"), ("en", "en"), ("en-GB", "en"), ("fr", "ja")])
async def test_start_greets_in_the_buyers_language_with_the_main_menu(
        new_chat: OpenChat, translator: Translator, language_code: str, locale: str) -> None:
    chat = new_chat(language_code)
    result = await chat.send("/start")
    [reply] = sent(result)
    assert reply.text == quote(translator.text(locale, "start.greeting", shop=SHOP_NAME))
    assert "Sakura &lt;Goods&gt; &amp; Co" in reply.text
    assert chat.labels() == [translator.text(locale, key) for key in (
        "menu.browse", "menu.search", "menu.cart", "menu.orders", "menu.help", "menu.language")]


async def test_a_shared_product_link_opens_its_card(buyer: TelegramChat, shop: Shop, owner: int,
                                                    translator: Translator) -> None:
    product = await make_product(shop, owner, title="Matcha bowl", price="3500", stock=4)
    [card] = sent(await buyer.send(f"/start p_{product.id}"))
    assert card.text.startswith("<b>Matcha bowl</b>")
    assert translator.text("en", "product.price", price="¥3,500") in card.text
    assert translator.text("en", "product.stock", stock=4) in card.text
    assert buyer.labels() == [translator.text("en", "button.add_to_cart"), translator.text("en", "button.buy_now"),
                              translator.text("en", "button.share"), translator.text("en", "button.back")]


async def test_a_link_to_a_missing_product_is_refused_politely(buyer: TelegramChat, translator: Translator) -> None:
    [reply] = sent(await buyer.send("/start p_987654"))
    assert reply.text == quote(translator.error("en", NotFound(entity="product", id=987654)))


async def test_a_referral_link_credits_the_referrer_on_first_contact_only(
        new_chat: OpenChat, shop: Shop, translator: Translator) -> None:
    referrer = await shop.customers.identify("telegram", 777)
    newcomer = new_chat("en")
    [reply] = sent(await newcomer.send(f"/start r_{referrer.referral_code}"))
    assert reply.text == quote(translator.text("en", "start.greeting", shop=SHOP_NAME))
    customer = await shop.customers.identify("telegram", newcomer.user.id)
    assert customer.referred_by == referrer.referral_code

    await newcomer.send("/start r_someoneelse")
    assert (await shop.customers.identify("telegram", newcomer.user.id)).referred_by == referrer.referral_code


async def test_help_and_terms_are_shown_escaped(buyer: TelegramChat, translator: Translator) -> None:
    [help_text] = sent(await buyer.send("/help"))
    assert help_text.text == quote(translator.text("en", "help.text"))
    [terms] = sent(await buyer.send("/terms"))
    assert terms.text == quote(TERMS)
    assert "&lt;特定商取引法に基づく表記&gt; &amp; more" in terms.text


async def test_terms_say_so_when_the_shop_has_none(shop: Shop, translator: Translator) -> None:
    from bots.telegram import build_dispatcher
    from tests.bots.telegram_chat import recording_bot

    bot = recording_bot(build_dispatcher(shop, translator, shop_name="S", terms="  ", default_locale="en"))
    [reply] = sent(await TelegramChat(bot, 4242, language_code=None).send("/terms"))
    assert reply.text == quote(translator.text("en", "terms.empty"))


async def test_language_choice_switches_every_later_reply(new_chat: OpenChat, shop: Shop,
                                                          translator: Translator) -> None:
    chat = new_chat("ja")
    [choice] = sent(await chat.send("/language"))
    assert choice.text == quote(translator.text("ja", "language.choose"))
    assert chat.labels() == ["日本語", "English"]

    result = await chat.press("English")
    assert alert(result).text == translator.text("en", "language.set")
    [menu] = edits(result)
    assert menu.text == quote(translator.text("en", "start.greeting", shop=SHOP_NAME))
    assert (await shop.customers.identify("telegram", chat.user.id)).locale == "en"
    [greeting] = sent(await chat.send("/start"))
    assert greeting.text == quote(translator.text("en", "start.greeting", shop=SHOP_NAME))


async def test_the_menu_buttons_open_their_screens(buyer: TelegramChat, translator: Translator) -> None:
    await buyer.send("/start")
    menu = buyer.last
    result = await buyer.press(translator.text("en", "menu.cart"), on=menu)
    assert sent(result)[0].text == quote(translator.text("en", "cart.empty"))
    assert alert(result).text is None
    result = await buyer.press(translator.text("en", "menu.orders"), on=menu)
    assert sent(result)[0].text == quote(translator.text("en", "orders.empty"))
    result = await buyer.press(translator.text("en", "menu.help"), on=menu)
    assert sent(result)[0].text == quote(translator.text("en", "help.text"))
    result = await buyer.press(translator.text("en", "menu.language"), on=menu)
    assert sent(result)[0].text == quote(translator.text("en", "language.choose"))


async def test_orders_lists_the_buyers_orders_with_their_status(buyer: TelegramChat, shop: Shop, owner: int,
                                                                translator: Translator) -> None:
    product = await make_product(shop, owner, title="Gift code", kind="digital", price="500")
    await shop.catalog.add_digital_items(owner, product.variants[0].id, ["CODE-1", "CODE-2"])
    await buyer.send("/start")
    customer = await shop.customers.identify("telegram", buyer.user.id)
    order = await shop.orders.checkout(customer.id, items=[(product.variants[0].id, 2)])

    [reply] = sent(await buyer.send("/orders"))
    status = translator.status("en", OrderStatus.AWAITING_PAYMENT)
    assert reply.text == (f"<b>{quote(translator.text('en', 'orders.title'))}</b>\n"
                          f"{quote(translator.text('en', 'orders.hint'))}")
    assert buyer.labels() == [translator.text("en", "orders.button", id=order.id, status=status, total="¥1,000")]
