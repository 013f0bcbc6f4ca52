"""The shop's staff manage coupon codes in the Telegram chat (/coupons): make one with the one-line form, see it
described, pause it (a buyer's checkout then refuses it politely), resume it, share its link, delete it after a
question; bad forms are explained in the seller's language and asked for again; buyers and forged buttons change
nothing."""

from __future__ import annotations

import itertools

import pytest
from aiogram import Dispatcher
from teremok import MockBot

from bots.i18n import Translator
from bots.telegram import build_dispatcher
from bots.telegram.callbacks import CheckoutAction, CheckoutCallback
from bots.telegram.handlers.seller.coupons_views import CouponAction, CouponCallback
from bots.telegram.render import quote
from commerce.errors import CouponRejected, NotFound, PermissionDenied
from commerce.roles import Role
from commerce.shop import Shop
from payments.requests import PaymentService
from tests.bots.conftest import SHOP_NAME, TERMS
from tests.bots.telegram_chat import TelegramChat, alert, sent
from tests.support.factories import make_product, step_up

_chat_ids = itertools.count(890_000)
PERMISSION = PermissionDenied(permission="manage_coupons", role=None)


@pytest.fixture
def dispatcher(shop: Shop, translator: Translator, payments: PaymentService) -> Dispatcher:
    return build_dispatcher(shop, translator, shop_name=SHOP_NAME, terms=TERMS, default_locale="ja",
                            payments=payments)


async def customer_id(shop: Shop, chat: TelegramChat) -> int:
    return (await shop.customers.identify("telegram", chat.user.id)).id


@pytest.fixture
async def owner(telegram: MockBot, shop: Shop) -> TelegramChat:
    chat = TelegramChat(telegram, next(_chat_ids), language_code="en")
    await shop.sellers.bootstrap_owners([f"telegram:{chat.user.id}"])
    return chat


async def open_chat(telegram: MockBot, shop: Shop, owner: TelegramChat, role: Role | None,
                    language_code: str = "en") -> TelegramChat:
    chat = TelegramChat(telegram, next(_chat_ids), language_code=language_code)
    if role is not None:
        owner_id = await customer_id(shop, owner)
        await step_up(shop, owner_id)
        await shop.sellers.grant(owner_id, await customer_id(shop, chat), role)
    return chat


def text_of(chat: TelegramChat) -> str:
    assert chat.last is not None and chat.last.text is not None
    return chat.last.text


def prompt(tr: Translator, locale: str = "en") -> str:
    return quote(tr.text(locale, "coupons.form.prompt", currency="JPY", timezone="Asia/Tokyo"))


async def buyer_types_code(chat: TelegramChat, shop: Shop, owner: TelegramChat, tr: Translator, code: str) -> str:
    """A buyer checks out a digital item and types `code` at the summary: the summary they get back."""
    product = await make_product(shop, await customer_id(shop, owner), title="Tea guide", price="2000",
                                 kind="digital", stock=0)
    await shop.catalog.add_digital_items(await customer_id(shop, owner), product.variants[0].id, ["KEY-1"])
    await shop.cart.add(await customer_id(shop, chat), product.variants[0].id)
    await chat.press_data(CheckoutCallback(action=CheckoutAction.CART).pack())
    await chat.press("USDT (Ethereum)")
    await chat.press(tr.text("en", "button.coupon"))
    await chat.send(code)
    return text_of(chat)


async def test_staff_make_a_coupon_pause_it_resume_it_and_delete_it(
        telegram: MockBot, shop: Shop, owner: TelegramChat, translator: Translator) -> None:
    tr = translator
    staff = await open_chat(telegram, shop, owner, Role.STAFF)

    created = await staff.send("/coupons new spring10 10% min=1000 uses=100 per=1")
    [reply] = sent(created)
    assert reply.text.startswith(quote(tr.text("en", "coupons.created", code="SPRING10", gives="10% off")))
    assert "<b>SPRING10</b> — 10% off · Active" in reply.text
    for fact in ("Orders from ¥1,000", "No end date", "Used 0 of 100", "1 per customer", "Whole shop"):
        assert fact in reply.text
    assert "https://t.me/test_bot?start=c_SPRING10" in reply.text

    await staff.send("/coupons")
    assert "<b>SPRING10</b> — 10% off · Active" in text_of(staff)
    listing = staff.last
    paused = await staff.press("⏸ Pause SPRING10")
    assert alert(paused).text == tr.text("en", "coupons.paused", code="SPRING10")
    assert staff.last is not None and staff.last.message_id == listing.message_id   # redrawn in place
    assert "SPRING10</b> — 10% off · ⏸ Paused" in text_of(staff)
    assert (await shop.coupons.get(None, "SPRING10")).paused

    buyer = TelegramChat(telegram, next(_chat_ids), language_code="en")
    summary = await buyer_types_code(buyer, shop, owner, tr, "spring10")
    assert quote(tr.error("en", CouponRejected(code="SPRING10", reason="paused"))) in summary
    assert "Discount" not in summary

    await staff.press("▶️ Resume SPRING10")
    assert "SPRING10</b> — 10% off · Active" in text_of(staff)
    await buyer.press(tr.text("en", "button.coupon"))
    await buyer.send("SPRING10")
    assert quote(tr.text("en", "bill.discount", code="SPRING10", amount="¥200")) in text_of(buyer)

    await staff.press("🗑 Delete SPRING10")
    assert text_of(staff) == quote(tr.text("en", "coupons.delete.question", code="SPRING10"))
    kept = await staff.press(tr.text("en", "coupons.button.keep"))
    assert "SPRING10" in text_of(staff) and alert(kept)
    await staff.press("🗑 Delete SPRING10")
    deleted = await staff.press(tr.text("en", "coupons.button.confirm_delete", code="SPRING10"))
    assert alert(deleted).text == tr.text("en", "coupons.deleted", code="SPRING10")
    assert quote(tr.text("en", "coupons.list.empty")) in text_of(staff)
    assert await shop.coupons.list(None) == []


async def test_a_coupon_is_described_with_its_terms_and_its_link_is_shared(
        telegram: MockBot, shop: Shop, owner: TelegramChat, translator: Translator) -> None:
    owner_id = await customer_id(shop, owner)
    await shop.catalog.create_category(owner_id, "Green tea")
    product = await make_product(shop, owner_id, title="Tea tin")
    await owner.send('/coupons new AUTUMN ５００ min=3,000 from=2026-12-01 to=2026-12-31 free_shipping '
                     f'cat="Green tea" product={product.id}')
    await owner.send("/coupons")
    text = text_of(owner)
    assert "<b>AUTUMN</b> — ¥500 off + free shipping · Not started yet" in text
    for fact in ("Orders from ¥3,000", "Valid Dec 1, 2026 – Dec 31, 2026", "Used 0 (no limit)",
                 f"Only: Green tea, product #{product.id}"):
        assert fact in text
    assert "per customer" not in text
    coupon = await shop.coupons.get(None, "AUTUMN")
    assert coupon.ends_at is not None and coupon.ends_at.isoformat() == "2026-12-31T15:00:00+00:00"  # 1 Jan JST

    shared = await owner.press("🔗 Link AUTUMN")
    [link] = sent(shared)
    assert "https://t.me/test_bot?start=c_AUTUMN" in link.text and "/shop code:AUTUMN" in link.text

    ja = await open_chat(telegram, shop, owner, Role.STAFF, language_code="ja")
    await ja.send("/coupons")
    assert "<b>AUTUMN</b> — ￥500引き＋送料無料 · 開始前" in text_of(ja)
    assert "有効期間：2026年12月1日〜2026年12月31日" in text_of(ja)


async def test_bad_forms_are_explained_and_asked_again(telegram: MockBot, shop: Shop, owner: TelegramChat,
                                                       translator: Translator) -> None:
    tr = translator
    await owner.send("/coupons")
    asked = await owner.press(tr.text("en", "coupons.button.new"))
    assert sent(asked)[0].text == prompt(tr)

    async def refused(line: str, key: str, **fields: object) -> None:
        await owner.send(line)
        assert text_of(owner) == quote(tr.text("en", key, **fields)) + "\n\n" + prompt(tr), line

    await refused("SPRING10 10% colour=red", "coupons.error.option.unknown", value="colour")
    await refused("SPRING10 150%", "coupons.error.percent.range")
    await refused("SPRING10 ten", "coupons.error.discount.format", value="ten")
    await refused("SPRING10 10% from=2026-13-01", "coupons.error.starts_at.date", value="2026-13-01")
    await refused("SPRING10 10% from=2026-12-31 to=2026-12-01", "coupons.error.ends_at.before_start")
    await refused("SPRING10 10% uses=0", "coupons.error.max_uses.range", limit="1,000,000")
    await owner.send("SPRING10 10% min=12.5")
    assert "isn't a valid amount in JPY" in text_of(owner) and text_of(owner).endswith(prompt(tr))
    await refused("S! 10%", "coupons.error.coupon_code.format", code="S!")
    assert await shop.coupons.list(None) == []

    await owner.send("SPRING10 10%")   # still asked: the corrected line is enough
    assert "<b>SPRING10</b> — 10% off" in text_of(owner)
    await owner.send("/coupons new spring10 5%")
    assert text_of(owner).startswith(quote(tr.text("en", "coupons.error.coupon_code.taken", code="SPRING10")))
    cancelled = await owner.send("/cancel")
    assert sent(cancelled)[0].text == quote(tr.text("en", "coupons.form.cancelled"))
    assert [c.code for c in await shop.coupons.list(None)] == ["SPRING10"]

    ja = await open_chat(telegram, shop, owner, Role.STAFF, language_code="ja")
    await ja.send("/coupons new WINTER 10% to=31-12-2026")
    assert text_of(ja) == (quote(tr.text("ja", "coupons.error.ends_at.date", value="31-12-2026")) + "\n\n"
                           + prompt(tr, "ja"))


async def test_buyers_and_sellers_without_the_permission_are_refused(
        telegram: MockBot, shop: Shop, owner: TelegramChat, translator: Translator) -> None:
    await owner.send("/coupons new SPRING10 10%")
    buyer = TelegramChat(telegram, next(_chat_ids), language_code="en")
    denied = quote(translator.error("en", PERMISSION))

    for command in ("/coupons", "/coupons new", "/coupons new HACK 100%"):
        assert sent(await buyer.send(command))[0].text == denied, command
    forged = await buyer.press_data(CouponCallback(action=CouponAction.DELETE, code="SPRING10").pack())
    assert alert(forged).text == translator.error("en", PERMISSION)
    seller = await open_chat(telegram, shop, owner, Role.SELLER)
    assert sent(await seller.send("/coupons"))[0].text == quote(translator.error(
        "en", PermissionDenied(permission="manage_coupons", role="seller")))

    assert [c.code for c in await shop.coupons.list(None)] == ["SPRING10"]
    assert await shop.coupons.get(None, "SPRING10") and not (await shop.coupons.get(None, "SPRING10")).paused


async def test_the_list_pages_and_a_stale_button_is_answered(telegram: MockBot, shop: Shop, owner: TelegramChat,
                                                             translator: Translator) -> None:
    for number in range(6):
        await owner.send(f"/coupons new CODE{number} {number + 1}%")
    await owner.send("/coupons")
    first = text_of(owner)
    assert "CODE5" in first and "CODE2" in first and "CODE1" not in first   # newest first, four a page
    await owner.press(translator.text("en", "coupons.button.next"))
    assert "CODE1" in text_of(owner) and "CODE0" in text_of(owner) and "CODE5" not in text_of(owner)
    await owner.press(translator.text("en", "coupons.button.previous"))
    assert text_of(owner) == first

    await shop.coupons.delete(None, "CODE5")
    gone = await owner.press("⏸ Pause CODE5")
    assert alert(gone).text == translator.error("en", NotFound(entity="coupon", id="CODE5"))
