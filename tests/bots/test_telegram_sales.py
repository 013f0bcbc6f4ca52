"""`/sales` in the Telegram chat: one tidy message with today / 7 / 30 days, top products and referrals, period
buttons that redraw it in place, Japanese for Japanese staff, and a polite no for everybody else."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from aiogram import Dispatcher
from teremok import MockBot

from bots.common.sales import SalesPeriodView as SalesView
from bots.i18n import Translator
from bots.telegram import build_dispatcher
from bots.telegram.handlers.seller.sales_views import SalesCallback
from bots.telegram.render import quote
from commerce.errors import PermissionDenied
from commerce.privacy import ShippingAddress
from commerce.roles import Role
from commerce.shop import Shop
from tests.bots.conftest import SHOP_NAME, TERMS
from tests.bots.telegram_chat import TelegramChat, alert, edits, sent
from tests.conftest import FakeClock
from tests.support.factories import a_taxed_sale, make_buyer, make_product, step_up

_chat_ids = itertools.count(890_000)
ADDRESS = ShippingAddress(name="Hana Sato", postal_code="150-0001", region="Tokyo", city="Shibuya",
                          line1="1-2-3 Jingumae")


@pytest.fixture
def dispatcher(shop: Shop, translator: Translator) -> Dispatcher:
    return build_dispatcher(shop, translator, shop_name=SHOP_NAME, terms=TERMS, default_locale="ja")


async def open_owner(telegram: MockBot, shop: Shop, language_code: str = "en") -> tuple[TelegramChat, int]:
    chat = TelegramChat(telegram, next(_chat_ids), language_code=language_code)
    [owner_id] = await shop.sellers.bootstrap_owners([f"telegram:{chat.user.id}"])
    return chat, owner_id


async def sell(shop: Shop, clock: FakeClock, variant_id: int, quantity: int, *, ago: timedelta,
               buyer: int | None = None) -> None:
    """An order paid `ago` before the clock's present; the clock comes back to the present after."""
    present = clock.now
    clock.now = present - ago
    order = await shop.orders.checkout(buyer or await make_buyer(shop), items=[(variant_id, quantity)],
                                       address=ADDRESS)
    await shop.payments.payment_confirmed(order.id)
    clock.now = present


async def a_month_of_sales(shop: Shop, clock: FakeClock, owner_id: int) -> None:
    """The clock reads 21:00 on 23 November in Tokyo. Today: 2 cups; this week: +1 pot; this month: +3 cups."""
    cup = (await make_product(shop, owner_id, title="Tea <cup> & saucer", price="1200", stock=50)).variants[0].id
    pot = (await make_product(shop, owner_id, title="Teapot", price="5000", stock=50)).variants[0].id
    referrer = await shop.customers.identify("telegram", next(_chat_ids))
    friend = await shop.customers.identify("telegram", next(_chat_ids), referral=referrer.referral_code)
    await sell(shop, clock, cup, 2, ago=timedelta(hours=1), buyer=friend.id)
    await sell(shop, clock, pot, 1, ago=timedelta(days=3))
    await sell(shop, clock, cup, 3, ago=timedelta(days=20))
    await sell(shop, clock, cup, 9, ago=timedelta(days=40))  # too old for any period


async def test_sales_shows_three_periods_top_products_and_referrals(
        telegram: MockBot, shop: Shop, clock: FakeClock, translator: Translator) -> None:
    tr = translator
    chat, owner_id = await open_owner(telegram, shop)
    await a_month_of_sales(shop, clock, owner_id)

    [message] = sent(await chat.send("/sales"))
    text = message.text
    assert text.startswith(f"<b>{quote(tr.text('en', 'sales.heading'))}</b>")
    assert quote(tr.text("en", "sales.figures", revenue="¥2,400", orders=1, units=2)) in text          # today
    assert quote(tr.text("en", "sales.figures", revenue="¥7,400", orders=2, units=3)) in text          # 7 days
    assert quote(tr.text("en", "sales.figures", revenue="¥11,000", orders=3, units=6)) in text         # 30 days
    assert "1. Tea &lt;cup&gt; &amp; saucer — ¥6,000 · Items 5" in text  # the seller's title, escaped
    assert "2. Teapot — ¥5,000 · Items 1" in text
    assert "(customer #" in text and "¥2,400 · Orders 1" in text
    assert "Asia/Tokyo" in text and "Nov 23, 21:00" in text
    assert chat.labels() == ["Today", "7 days", "30 days", "• All periods"]
    # No coupons, shipping or tax in this shop: none of their lines.
    assert not [word for word in ("Discounts", "Shipping", "taxable", "Buyers paid", "Net before tax") if word in text]


async def test_a_period_button_redraws_the_same_message_with_fresh_figures(
        telegram: MockBot, shop: Shop, clock: FakeClock, translator: Translator) -> None:
    tr = translator
    chat, owner_id = await open_owner(telegram, shop)
    await a_month_of_sales(shop, clock, owner_id)
    await chat.send("/sales")
    first = chat.last
    assert first is not None

    cup = (await make_product(shop, owner_id, title="Spoon", price="300", stock=5)).variants[0].id
    await sell(shop, clock, cup, 1, ago=timedelta(minutes=5))  # a sale since the message was sent
    result = await chat.press("Today")
    [edit] = edits(result)
    assert edit.message_id == first.message_id
    assert quote(tr.text("en", "sales.figures", revenue="¥2,700", orders=2, units=3)) in edit.text
    assert tr.text("en", "sales.period.7d") not in edit.text
    assert chat.labels() == ["• Today", "7 days", "30 days", "All periods"]

    await chat.press("30 days")
    assert chat.last is not None and chat.last.text is not None
    assert tr.text("en", "sales.period.today") not in chat.last.text
    assert quote(tr.text("en", "sales.figures", revenue="¥11,300", orders=4, units=7)) in chat.last.text


async def test_refunds_are_shown_apart_from_the_revenue(
        telegram: MockBot, shop: Shop, clock: FakeClock, translator: Translator) -> None:
    chat, owner_id = await open_owner(telegram, shop)
    cup = (await make_product(shop, owner_id, price="1200", stock=10)).variants[0].id
    order = await shop.orders.checkout(await make_buyer(shop), items=[(cup, 1)], address=ADDRESS)
    await shop.payments.payment_confirmed(order.id)
    await step_up(shop, owner_id)
    await shop.fulfilment.refund(owner_id, order.id, "tx")

    [message] = sent(await chat.send("/sales"))
    assert quote(translator.text("en", "sales.refunded", refunded="¥1,200", orders=1)) in message.text
    assert quote(translator.text("en", "sales.figures", revenue="¥0", orders=0, units=0)) in message.text


async def test_japanese_staff_read_it_in_japanese(telegram: MockBot, shop: Shop, clock: FakeClock,
                                                  translator: Translator) -> None:
    owner_chat, owner_id = await open_owner(telegram, shop)
    staff = TelegramChat(telegram, next(_chat_ids), language_code="ja")
    await step_up(shop, owner_id)
    await shop.sellers.grant(owner_id, (await shop.customers.identify("telegram", staff.user.id)).id, Role.STAFF)
    await a_month_of_sales(shop, clock, owner_id)

    [message] = sent(await staff.send("/sales"))
    assert "<b>今日</b>" in message.text and "<b>過去30日間</b>" in message.text
    assert "売上 ￥2,400・注文 1件・数量 2点" in message.text
    assert "11月23日 21:00" in message.text
    assert staff.labels() == ["今日", "7日間", "30日間", "• すべての期間"]


async def test_a_seller_is_told_the_figures_are_their_own_products(
        telegram: MockBot, shop: Shop, clock: FakeClock, translator: Translator) -> None:
    _, owner_id = await open_owner(telegram, shop)
    seller = TelegramChat(telegram, next(_chat_ids), language_code="en")
    seller_id = (await shop.customers.identify("telegram", seller.user.id)).id
    await step_up(shop, owner_id)
    await shop.sellers.grant(owner_id, seller_id, Role.SELLER)
    await a_month_of_sales(shop, clock, owner_id)  # the owner's products: none of them the seller's
    bowl = (await make_product(shop, seller_id, title="Bowl", price="2500", stock=5)).variants[0].id
    await sell(shop, clock, bowl, 1, ago=timedelta(minutes=1))

    [message] = sent(await seller.send("/sales"))
    assert quote(translator.text("en", "sales.own_products_only")) in message.text
    assert quote(translator.text("en", "sales.figures", revenue="¥2,500", orders=1, units=1)) in message.text
    assert "Teapot" not in message.text


async def test_an_empty_shop_says_so(telegram: MockBot, shop: Shop, translator: Translator) -> None:
    chat, _ = await open_owner(telegram, shop)
    [message] = sent(await chat.send("/sales"))
    assert quote(translator.text("en", "sales.nothing_yet")) in message.text


async def test_buyers_get_a_polite_no_and_forged_buttons_change_nothing(
        telegram: MockBot, shop: Shop, clock: FakeClock, translator: Translator) -> None:
    _, owner_id = await open_owner(telegram, shop)
    await a_month_of_sales(shop, clock, owner_id)
    buyer = TelegramChat(telegram, next(_chat_ids), language_code="en")
    denied = translator.error("en", PermissionDenied(permission="view_sales"))

    [refusal] = sent(await buyer.send("/sales"))
    assert refusal.text == quote(denied)
    assert "¥" not in refusal.text

    forged = await buyer.press_data(SalesCallback(view=SalesView.MONTH).pack())
    assert alert(forged).text == denied and alert(forged).show_alert
    assert edits(forged) == [] and sent(forged) == []
    nonsense = await buyer.press_data("sa:year")
    assert alert(nonsense).text == translator.text("en", "error.stale_button")


async def test_discounts_shipping_tax_per_rate_and_net_for_each_period(
        telegram: MockBot, shop: Shop, clock: FakeClock, translator: Translator, data_key: str) -> None:
    chat, owner_id = await open_owner(telegram, shop)
    await a_taxed_sale(shop, clock, data_key, owner_id, ADDRESS, ago=timedelta(hours=1))

    await chat.send("/sales")
    await chat.press("Today")
    assert chat.last is not None and chat.last.text is not None
    day = chat.last.text.split("\n\n")[1]
    assert day.split("\n") == [
        "<b>Today</b>",
        "Revenue ¥5,460 · Orders 1 · Items 3",
        "Discounts −¥546",
        "Shipping ¥600",
        "Buyers paid ¥5,514",
        "10% taxable ¥3,570 (tax ¥324 included)",
        "8% taxable ¥1,944 (tax ¥144 included)",
        "Net before tax ¥5,046",
    ]


async def test_the_bill_parts_in_japanese(telegram: MockBot, shop: Shop, clock: FakeClock, data_key: str) -> None:
    chat, owner_id = await open_owner(telegram, shop, language_code="ja")
    await a_taxed_sale(shop, clock, data_key, owner_id, ADDRESS, ago=timedelta(hours=1))

    [message] = sent(await chat.send("/sales"))
    month = message.text.split("\n\n")[3]
    assert month.split("\n") == [
        "<b>過去30日間</b>",
        "売上 ￥5,460・注文 1件・数量 3点",
        "値引き −￥546",
        "送料 ￥600",
        "お支払い総額 ￥5,514",
        "10%対象 ￥3,570（内消費税 ￥324）",
        "8%対象 ￥1,944（内消費税 ￥144）",
        "税抜純売上 ￥5,046",
    ]
