"""Sharing: inline mode (`@bot words` in any chat), the Share button, and the flood limit on expensive actions."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from aiogram import Dispatcher, Router
from aiogram.methods import AnswerCallbackQuery, AnswerInlineQuery, SendMessage
from aiogram.types import CallbackQuery, InlineQuery, InlineQueryResultArticle, Message, Update
from teremok import DispatchResult, MockBot, MockCallbackQuery, MockMessageText, MockUser

from bots.i18n import Translator
from bots.telegram.flood import FloodLimit
from bots.telegram.handlers.buyer.inline import MAX_RESULTS, build_inline_router, share_button
from bots.telegram.render import quote
from commerce.catalog import NewProduct
from commerce.shop import Shop
from tests.bots.conftest import SHOP_NAME
from tests.bots.telegram_chat import recording_bot
from tests.conftest import FakeClock
from tests.support.factories import make_product

_update_ids = itertools.count(900_000)


@pytest.fixture
def telegram(dispatcher: Dispatcher) -> MockBot:
    """The storefront with inline mode, whether or not build_dispatcher wires it in yet."""
    if not any(router.name == "inline" for router in dispatcher.sub_routers):
        dispatcher.include_router(build_inline_router())
    return recording_bot(dispatcher)


async def ask_inline(bot: MockBot, query: str, *, offset: str = "", language: str = "en") -> AnswerInlineQuery:
    user = MockUser(user_id=700_001, first_name="Ken", language_code=language)
    inline = InlineQuery(id=str(next(_update_ids)), from_user=user, query=query, offset=offset)
    result = await bot.dispatch(Update(update_id=next(_update_ids), inline_query=inline))
    [answer] = [r for r in result.requests.all if isinstance(r, AnswerInlineQuery)]
    return answer


def articles(answer: AnswerInlineQuery) -> list[InlineQueryResultArticle]:
    assert all(isinstance(r, InlineQueryResultArticle) for r in answer.results)
    return list(answer.results)  # type: ignore[arg-type]  # checked just above


async def test_inline_query_posts_an_escaped_card_with_a_deep_link_to_buy(
        telegram: MockBot, shop: Shop, owner: int, translator: Translator) -> None:
    product = await make_product(shop, owner, title="Tea <b>bowl</b> & saucer", price="1200", stock=3,
                                 description="Hand-thrown in Arita <3")
    await make_product(shop, owner, title="Plate", price="800")

    answer = await ask_inline(telegram, "tea bowl")

    [article] = articles(answer)
    assert article.title == "Tea <b>bowl</b> & saucer"  # a plain-text field: shown as typed
    assert article.description is not None and "¥1,200" in article.description
    content = article.input_message_content
    assert content.parse_mode == "HTML"  # type: ignore[union-attr]
    text = content.message_text  # type: ignore[union-attr]
    assert text.startswith("<b>Tea &lt;b&gt;bowl&lt;/b&gt; &amp; saucer</b>")
    assert quote("Hand-thrown in Arita <3") in text and "¥1,200" in text
    assert article.reply_markup is not None
    [[buy], [share]] = article.reply_markup.inline_keyboard
    assert buy.text == translator.text("en", "share.buy")
    assert buy.url == f"https://t.me/test_bot?start=p_{product.id}" and buy.callback_data is None
    assert share.switch_inline_query == product.title
    assert answer.is_personal and answer.cache_time is not None and answer.cache_time <= 60
    assert answer.button is not None and answer.button.start_parameter == "inline"
    assert answer.button.text == translator.text("en", "share.open_shop", shop=SHOP_NAME)


async def test_the_deep_link_of_a_result_opens_that_product(telegram: MockBot, shop: Shop, owner: int) -> None:
    product = await make_product(shop, owner, title="Sencha", price="1500")
    [article] = articles(await ask_inline(telegram, "sencha"))
    assert article.reply_markup is not None
    payload = article.reply_markup.inline_keyboard[0][0].url.partition("?start=")[2]  # type: ignore[union-attr]

    buyer = MockUser(user_id=700_002, language_code="en")
    result = await telegram.dispatch(MockMessageText(f"/start {payload}", user=buyer))
    [card] = [r for r in result.requests.all if isinstance(r, SendMessage)]
    assert payload == f"p_{product.id}"
    assert card.text.startswith("<b>Sencha</b>") and "¥1,500" in card.text


async def test_an_empty_query_lists_the_newest_products_ten_at_a_time(telegram: MockBot, shop: Shop,
                                                                      owner: int) -> None:
    for n in range(MAX_RESULTS + 2):
        await make_product(shop, owner, title=f"Cup {n:02d}", price=str(100 + n))

    first = await ask_inline(telegram, "")
    assert [a.title for a in articles(first)] == [f"Cup {n:02d}" for n in range(MAX_RESULTS + 1, 1, -1)]
    assert first.next_offset == "1"

    rest = await ask_inline(telegram, "", offset=first.next_offset)
    assert [a.title for a in articles(rest)] == ["Cup 01", "Cup 00"] and rest.next_offset == ""

    forged = await ask_inline(telegram, "", offset="99999999999")  # starts again from the top
    assert [a.title for a in articles(forged)] == [a.title for a in articles(first)]


async def test_hidden_products_are_never_offered(telegram: MockBot, shop: Shop, owner: int) -> None:
    await shop.catalog.create_product(owner, NewProduct(title="Secret tea", price="900", stock=1, visible=False))
    shown = await make_product(shop, owner, title="Open tea", price="900")
    hidden_later = await make_product(shop, owner, title="Old tea", price="900")
    await shop.catalog.update_product(owner, hidden_later.id, visible=False)

    assert [a.title for a in articles(await ask_inline(telegram, "tea"))] == [shown.title]
    assert [a.title for a in articles(await ask_inline(telegram, ""))] == [shown.title]
    assert articles(await ask_inline(telegram, "secret")) == []


async def test_results_speak_the_asker_language_and_a_long_query_is_cut_not_refused(
        telegram: MockBot, shop: Shop, owner: int, translator: Translator) -> None:
    await make_product(shop, owner, title="Matcha", price="2000")
    [article] = articles(await ask_inline(telegram, "matcha", language="ja"))
    assert "￥2,000" in (article.description or "")
    assert article.reply_markup is not None
    assert article.reply_markup.inline_keyboard[0][0].text == translator.text("ja", "share.buy")

    answer = await ask_inline(telegram, "matcha " + "x" * 250)
    assert articles(answer) == []  # searched for (and not found), not an error


async def test_share_button_opens_inline_mode_with_the_title(shop: Shop, owner: int,
                                                            translator: Translator) -> None:
    product = await make_product(shop, owner, title="Arita  plate <large>")
    button = share_button(translator, "ja", product)
    assert button.text == translator.text("ja", "button.share")
    assert button.switch_inline_query == "Arita plate <large>"
    assert button.callback_data is None and button.url is None


# ---- the flood limit ----


async def expensive(event: Message | CallbackQuery) -> None:
    await event.answer("done")


def limited_bot(translator: Translator, clock: FakeClock, *, per_window: int = 3) -> MockBot:
    router = Router()
    limit = FloodLimit(max_per_window=per_window, window=timedelta(seconds=10), clock=clock)
    router.callback_query.middleware(limit)
    router.message.middleware(limit)
    router.callback_query.register(expensive)
    router.message.register(expensive)
    dispatcher = Dispatcher(translator=translator, default_locale="ja")
    dispatcher.include_router(router)
    return MockBot(dispatcher)


def toast(result: DispatchResult) -> str | None:
    [answer] = [r for r in result.requests.all if isinstance(r, AnswerCallbackQuery)]
    return answer.text


async def test_flood_limit_lets_n_through_then_asks_to_slow_down_until_the_window_moves(
        translator: Translator, clock: FakeClock) -> None:
    bot = limited_bot(translator, clock)
    hana = MockUser(user_id=1, language_code="en")

    async def press() -> str | None:
        return toast(await bot.dispatch(MockCallbackQuery("buy", user=hana)))

    assert [await press() for _ in range(3)] == ["done"] * 3
    slow = translator.text("en", "flood.slow_down")
    assert await press() == slow
    clock.advance(seconds=9)
    assert await press() == slow  # refused presses don't count, but the first three are still in the window
    clock.advance(seconds=1)
    assert await press() == "done"  # the oldest press has left the window


async def test_flood_limit_is_per_user_and_speaks_their_language(translator: Translator, clock: FakeClock) -> None:
    bot = limited_bot(translator, clock, per_window=1)
    ken, yui = MockUser(user_id=2, language_code="en"), MockUser(user_id=3, language_code="ja")
    assert toast(await bot.dispatch(MockCallbackQuery("buy", user=ken))) == "done"
    assert toast(await bot.dispatch(MockCallbackQuery("buy", user=yui))) == "done"
    assert toast(await bot.dispatch(MockCallbackQuery("buy", user=yui))) == translator.text("ja", "flood.slow_down")

    result = await bot.dispatch(MockMessageText("search", user=ken))  # one budget for messages and buttons
    [reply] = [r for r in result.requests.all if isinstance(r, SendMessage)]
    assert reply.text == translator.text("en", "flood.slow_down")


def test_flood_limit_rejects_a_budget_that_allows_nothing() -> None:
    with pytest.raises(ValueError):
        FloodLimit(max_per_window=0, window=timedelta(seconds=1))
