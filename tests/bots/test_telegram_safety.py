"""Buttons are trusted for nothing: forged or stale payloads get a polite answer and change nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from aiogram import Dispatcher
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.storage.base import BaseStorage
from teremok import MockBot

from bots.common.media_store import MediaStore
from bots.common.views import Action, ActionKind
from bots.i18n import Translator
from bots.telegram.callbacks import (
    ALL_CALLBACKS,
    MAX_ID,
    MAX_PAGE,
    SWITCH_INLINE_KINDS,
    CartAction,
    CartCallback,
    CatalogAction,
    CatalogCallback,
    CheckoutAction,
    CheckoutCallback,
    MenuCallback,
    MenuTarget,
    PaymentAction,
    PaymentCallback,
    callback_for,
)
from bots.telegram.dispatcher import build_dispatcher
from bots.telegram.fsm_storage import DatabaseStorage
from bots.telegram.handlers.buyer.privacy_views import PrivacyAction, PrivacyCallback
from bots.telegram.handlers.buyer.reviews_views import ReviewAction, ReviewCallback
from bots.telegram.handlers.buyer.support_views import SupportAction, SupportCallback
from bots.telegram.handlers.seller.sell import NewProductForm
from bots.telegram.handlers.seller.staff_views import StaffAction, StaffCallback
from bots.telegram.render import keyboard, quote
from commerce.catalog import PHOTOS_MAX
from commerce.conversations import ConversationStore
from commerce.errors import CartEmpty, CommerceError, InvalidInput, NotFound, PermissionDenied
from commerce.roles import Role
from commerce.shop import Shop
from commerce.status import OrderStatus
from payments.requests import PaymentService
from tests.bots.conftest import SHOP_NAME, TERMS
from tests.bots.telegram_chat import TelegramChat, alert, edits, recording_bot, sent
from tests.bots.test_telegram_after_sale import delivered_order
from tests.bots.test_telegram_checkout import ADDRESS, ADDRESS_TEXT, ShopChat, photos, qr_text
from tests.bots.test_telegram_sell import open_seller_chat, reach_photos, upload
from tests.support.factories import make_product
from tests.unit.test_photos import bomb_png

OpenChat = Callable[..., TelegramChat]


async def cart_lines(shop: Shop, chat: TelegramChat) -> list[tuple[int, int]]:
    customer = await shop.customers.identify("telegram", chat.user.id)
    return [(line.variant_id, line.quantity) for line in (await shop.cart.view(customer.id)).lines]


@pytest.mark.parametrize("data", [
    "garbage", "c:p", "c:p:abc::0", "c:x:1::0", "k:a:0:0", "k:a:-5:0", f"k:a:{MAX_ID + 1}:0",
    "k:a:99999999999999999999999999:0", "c:l::1:99999", "l:fr", "m:zz", "c:p:::0",
])
async def test_payloads_that_dont_parse_get_a_polite_answer(buyer: TelegramChat, translator: Translator,
                                                            data: str) -> None:
    await buyer.send("/start")
    result = await buyer.press_data(data)
    assert result.handled
    assert alert(result).text == translator.text("en", "error.stale_button")
    assert sent(result) == [] and edits(result) == []


async def test_a_forged_product_id_changes_nothing(buyer: TelegramChat, shop: Shop, owner: int,
                                                   translator: Translator) -> None:
    hidden = await make_product(shop, owner, title="Unreleased")
    await shop.catalog.update_product(owner, hidden.id, visible=False)
    await buyer.send("/browse")
    screen = buyer.last
    for product_id in (hidden.id, 424242):
        data = CatalogCallback(action=CatalogAction.PRODUCT, product_id=product_id).pack()
        result = await buyer.press_data(data)
        assert alert(result).show_alert
        assert alert(result).text == translator.error("en", NotFound(entity="product", id=product_id))
        assert sent(result) == [] and edits(result) == []
    assert buyer.last == screen


async def test_forged_cart_presses_touch_no_one_elses_cart(new_chat: OpenChat, shop: Shop, owner: int,
                                                           translator: Translator) -> None:
    product = await make_product(shop, owner, title="Cup")
    hidden = await make_product(shop, owner, title="Secret")
    await shop.catalog.update_product(owner, hidden.id, visible=False)
    variant = product.variants[0].id
    alice, mallory = new_chat("en"), new_chat("en")
    await alice.send(f"/start p_{product.id}")
    await alice.press(translator.text("en", "button.add_to_cart"))
    await mallory.send("/cart")

    # Mallory replays "set Alice's line to 5" and "remove it": the ids say nothing about whose cart it is.
    result = await mallory.press_data(CartCallback(action=CartAction.SET_QUANTITY, variant_id=variant,
                                                   quantity=5).pack())
    assert alert(result).text == translator.error("en", NotFound(entity="cart_line", id=variant))
    await mallory.press_data(CartCallback(action=CartAction.REMOVE, variant_id=variant).pack())
    assert await cart_lines(shop, alice) == [(variant, 1)]
    assert await cart_lines(shop, mallory) == []

    for forged in (hidden.variants[0].id, 999_999):
        result = await mallory.press_data(CartCallback(action=CartAction.ADD, variant_id=forged).pack())
        assert alert(result).show_alert and alert(result).text
        assert await cart_lines(shop, mallory) == []


async def test_a_double_tap_that_changes_nothing_is_not_an_error(buyer: TelegramChat, shop: Shop, owner: int,
                                                                  translator: Translator) -> None:
    from aiogram.methods import EditMessageText

    product = await make_product(shop, owner, title="Cup")
    await buyer.send(f"/start p_{product.id}")
    await buyer.press(translator.text("en", "button.add_to_cart"))
    await buyer.send("/cart")
    set_one = CartCallback(action=CartAction.SET_QUANTITY, variant_id=product.variants[0].id, quantity=1).pack()
    # Telegram refuses an edit that leaves the message as it was; the buyer should not hear about it.
    buyer.bot.add_result(EditMessageText, ok=False, description="Bad Request: message is not modified: specified"
                         " new message content and reply markup are exactly the same")
    result = await buyer.press_data(set_one)
    assert alert(result).text is None and len(edits(result)) == 1 and sent(result) == []


def test_every_callback_fits_64_bytes_with_the_largest_ids() -> None:
    largest: list[CallbackData] = [
        MenuCallback(target=MenuTarget.LANGUAGE),
        CatalogCallback(action=CatalogAction.PRODUCT, product_id=MAX_ID, category_id=MAX_ID, page=MAX_PAGE,
                        photo=PHOTOS_MAX - 1),
        CartCallback(action=CartAction.SET_QUANTITY, variant_id=MAX_ID, quantity=999),
        CheckoutCallback(action=CheckoutAction.SAVED_ADDRESS, id=MAX_ID, method="m" * 32),
        PaymentCallback(action=PaymentAction.PAY_WITH, order_id=MAX_ID, method="m" * 32),
    ]
    assert {type(c) for c in largest} | {ALL_CALLBACKS[3]} == set(ALL_CALLBACKS)
    for callback in largest:
        packed = callback.pack()
        assert len(packed.encode()) <= 64, packed
        assert type(callback).unpack(packed) == callback
    every_kind = [Action(kind, "x", id=MAX_ID, category_id=MAX_ID, page=MAX_PAGE, quantity=999, value="ja",
                         photo=PHOTOS_MAX - 1) for kind in ActionKind if kind not in SWITCH_INLINE_KINDS]
    markup = keyboard(tuple((action,) for action in every_kind))
    assert markup is not None
    assert all(len(b.callback_data.encode()) <= 64 for row in markup.inline_keyboard for b in row
               if b.callback_data)
    assert len({callback_for(action).pack() for action in every_kind}) == len(ActionKind) - len(SWITCH_INLINE_KINDS)


async def test_an_unexpected_failure_is_logged_and_answered_politely(
        buyer: TelegramChat, shop: Shop, translator: Translator, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    async def broken(customer_id: int) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(shop.cart, "view", broken)
    with caplog.at_level(logging.ERROR, logger="bots.telegram.errors"):
        [reply] = sent(await buyer.send("/cart"))
    assert reply.text == quote(translator.text("en", "error.unexpected"))
    [record] = caplog.records
    assert "error.unexpected" in record.getMessage() and record.exc_info is not None
    assert "database on fire" not in reply.text


# ---- the storefront with payments and photo uploads, for the checkout, review, support and /sell steps ----


@pytest.fixture
def media_store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


@pytest.fixture
def dispatcher(shop: Shop, translator: Translator, payments: PaymentService, media_store: MediaStore) -> Dispatcher:
    return build_dispatcher(shop, translator, shop_name=SHOP_NAME, terms=TERMS, default_locale="ja",
                            payments=payments, media_store=media_store)


def said(tr: Translator, key: str, **fields: object) -> str:
    return quote(tr.text("en", key, **fields))


def text_of(chat: TelegramChat) -> str:
    assert chat.last is not None and chat.last.text is not None
    return chat.last.text


async def customer_of(shop: Shop, chat: TelegramChat) -> int:
    return (await shop.customers.identify("telegram", chat.user.id)).id


# ---- a restart in the middle of checkout ----


async def test_a_checkout_half_way_through_is_finished_after_a_restart(
        shop: Shop, owner: int, translator: Translator, payments: PaymentService) -> None:
    def start_process(storage: BaseStorage | None) -> MockBot:
        """A bot process: its own dispatcher and (database or memory) storage, over the shop's one database."""
        return recording_bot(build_dispatcher(shop, translator, shop_name=SHOP_NAME, terms=TERMS,
                                              default_locale="ja", payments=payments, storage=storage))

    product = await make_product(shop, owner, title="Tea cup", stock=5)
    before = ShopChat(start_process(DatabaseStorage(ConversationStore(shop.db))), 650_001)
    await before.send(f"/start p_{product.id}")
    await before.press(translator.text("en", "button.add_to_cart"))
    await before.send("/checkout")
    assert text_of(before) == said(translator, "checkout.address_prompt")
    await before.send(ADDRESS_TEXT)
    typed = before.last  # the address, with "save" / "use once" under it
    assert typed is not None and "Hana Sato" in (typed.text or "")

    # The process stops here; a new one starts on the same database. The chat still shows the last message.
    after = ShopChat(start_process(DatabaseStorage(ConversationStore(shop.db))), before.user.id)
    after.messages, after.last = dict(before.messages), typed
    await after.press(translator.text("en", "button.use_address"))
    assert text_of(after) == said(translator, "checkout.choose_method")
    await after.press("USDT (Ethereum)")
    result = await after.press(translator.text("en", "button.confirm_order"))
    [card] = photos(result)

    buyer = await customer_of(shop, after)
    [order] = await shop.orders.history(buyer)
    view = await payments.current(buyer, order.id)
    assert view is not None and qr_text(card) == view.uri
    assert order.status is OrderStatus.AWAITING_PAYMENT and [line.quantity for line in order.lines] == [1]
    assert await shop.orders.shipping_address(buyer, order.id) == ADDRESS
    assert (await shop.cart.view(buyer)).is_empty

    # Kept in memory instead, the same conversation would have been lost: the button is stale after a restart.
    forgetful = ShopChat(start_process(None), 650_002)
    await forgetful.send("/checkout")
    assert text_of(forgetful) == quote(translator.error("en", CartEmpty()))
    await shop.cart.add(await customer_of(shop, forgetful), product.variants[0].id)
    await forgetful.send("/checkout")
    await forgetful.send(ADDRESS_TEXT)
    restarted = ShopChat(start_process(None), forgetful.user.id)
    restarted.last = forgetful.last
    result = await restarted.press(translator.text("en", "button.use_address"))
    assert alert(result).text == translator.text("en", "error.stale_button")
    assert await shop.orders.history(await customer_of(shop, forgetful)) == []


# ---- over-long input in every free-text step ----


@pytest.mark.parametrize(("address", "field", "limit"), [
    ("N" * 101 + "\n150-0001\n東京都渋谷区\n神宮前1-2-3", "name", 100),
    ("Hana Sato\n150-0001\n東京都" + "渋" * 65 + "\n神宮前1-2-3", "city", 64),
    ("Hana Sato\n150-0001\n東京都渋谷区\n" + "神" * 201, "line1", 200),
    ("Hana Sato\n150-0001\n東京都渋谷区\n神宮前1-2-3\n" + "Bldg " * 41, "line2", 200),
])
async def test_an_over_long_address_field_is_named_and_asked_again(
        buyer: TelegramChat, shop: Shop, owner: int, translator: Translator, address: str, field: str,
        limit: int) -> None:
    product = await make_product(shop, owner, title="Tea cup")
    await shop.cart.add(await customer_of(shop, buyer), product.variants[0].id)
    await buyer.send("/checkout")
    [reply] = sent(await buyer.send(address))
    error = translator.error("en", InvalidInput(field=field, reason="too_long", limit=limit))
    assert reply.text == quote(f"{error}\n\n{translator.text('en', 'checkout.address_prompt')}")
    await buyer.send(ADDRESS_TEXT)  # still on the address step: a good address goes through
    assert buyer.button(translator.text("en", "button.use_address"))


async def test_a_whole_telegram_message_as_an_address_is_refused_politely(
        buyer: TelegramChat, shop: Shop, owner: int, translator: Translator) -> None:
    product = await make_product(shop, owner, title="Tea cup")
    await shop.cart.add(await customer_of(shop, buyer), product.variants[0].id)
    await buyer.send("/checkout")
    for text in ("x" * 4096, "\n".join(["y" * 300] * 13)):
        [reply] = sent(await buyer.send(text))
        assert reply.text.endswith(said(translator, "checkout.address_prompt")) and len(reply.text) < 1000
    assert await shop.customers.addresses(await customer_of(shop, buyer)) == []


async def test_an_over_long_review_is_refused_and_nothing_is_saved(
        shop: Shop, buyer: TelegramChat, translator: Translator) -> None:
    order = await delivered_order(shop, buyer)
    await buyer.send(f"/review {order.id}")
    await buyer.press("5★")
    [reply] = sent(await buyer.send("とても良い" * 201))
    assert reply.text == quote(translator.error("en", InvalidInput(field="text", reason="too_long", limit=1000)))
    assert await shop.reviews.for_product(order.lines[0].product_id) == []

    await buyer.send(f"/review {order.id}")  # the buyer can try again, shorter
    await buyer.press("5★")
    await buyer.send("とても良い")
    [review] = await shop.reviews.for_product(order.lines[0].product_id)
    assert (review.stars, review.text) == (5, "とても良い")


async def test_an_over_long_support_message_is_refused_and_opens_no_ticket(
        shop: Shop, buyer: TelegramChat, owner: int, translator: Translator) -> None:
    await buyer.send("/support")
    [reply] = sent(await buyer.send("help " * 820))
    assert reply.text == quote(translator.error("en", InvalidInput(field="text", reason="too_long", limit=2000)))
    assert await shop.support.open_tickets(owner) == []


async def test_a_whole_telegram_message_as_a_search_is_refused_politely(
        buyer: TelegramChat, translator: Translator) -> None:
    [reply] = sent(await buyer.send("/search " + "茶" * 4000))
    assert reply.text == quote(translator.error("en", InvalidInput(field="query", reason="too_long", limit=100)))


# ---- a broken image upload in /sell ----


@pytest.mark.parametrize(("data", "as_file", "name", "reason"), [
    (b"<html><body>not a picture</body></html>" * 20, True, "holiday.jpg", "not_an_image"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 2000, False, "photo.jpg", "not_an_image"),  # a JPEG header, then nothing
    (bomb_png(100_000, 100_000), True, "bomb.jpg", "too_many_pixels"),  # 10 gigapixels in a few hundred bytes
    (bomb_png(8_000, 8_000), False, "photo.jpg", "too_many_pixels"),
])
async def test_a_broken_or_hostile_upload_is_refused_politely_and_stores_nothing(
        telegram: MockBot, shop: Shop, media_store: MediaStore, translator: Translator, data: bytes, as_file: bool,
        name: str, reason: str) -> None:
    seller = await open_seller_chat(telegram, shop)
    await reach_photos(seller, translator)
    await seller.press(translator.text("en", "sell.button.skip"))
    await upload(seller, data, as_file=as_file, name=name)
    assert text_of(seller) == said(translator, f"sell.photo_rejected.{reason}")
    assert seller.labels() == [translator.text("en", "sell.button.cancel")]  # no "Done" without a photo
    assert not media_store.root.exists() or not any(p.is_file() for p in media_store.root.rglob("*"))
    assert await seller.bot.get_state(seller.user.id) == NewProductForm.photos.state  # the conversation goes on


# ---- forged callback data, for every prefix ----


@pytest.mark.parametrize("data", [
    "o:z", "o:a:0:", "o:a:abc:", f"o:a:{MAX_ID + 1}:", "o:m::UPPER", "o:m::" + "m" * 40,
    "y:s:0:", "y:s:abc:", "y:z:1:", f"y:s:{MAX_ID + 1}:",
    "rv:o:0::0", "rv:s:1:1:10", "rv:s:1:abc:5", "rv:z:1:1:1",
    "sp:v:0", "sp:v:abc", "sp:z:1",
    "so:d:-1::0", "so:l::bogus:0", "so:l:::10000",
    "pv:e:abc", "pv:z:", "pv:y:0",
    "st:r:0", "st:r:abc", "st:z:1",
    "sell:z", "sell",
    "od:d:0:0", "od:z:1:0",
])
async def test_forged_payloads_for_every_prefix_get_a_polite_answer(buyer: TelegramChat, translator: Translator,
                                                                    data: str) -> None:
    await buyer.send("/start")
    result = await buyer.press_data(data)
    assert alert(result).text == translator.text("en", "error.stale_button")
    assert sent(result) == [] and edits(result) == []


@pytest.mark.parametrize("data", ["o:y::", "o:u::", "o:s::", "o:m::btc", "rv:k:::0", "sell:d", "sell:c", "sell:p"])
async def test_a_step_button_outside_its_conversation_is_stale(buyer: TelegramChat, translator: Translator,
                                                               data: str) -> None:
    await buyer.send("/start")
    result = await buyer.press_data(data)
    assert alert(result).text == translator.text("en", "error.stale_button")
    assert sent(result) == [] and edits(result) == []


async def test_other_peoples_objects_in_forged_buttons_are_refused(
        new_chat: OpenChat, shop: Shop, owner: int, translator: Translator) -> None:
    alice, mallory = new_chat("en"), new_chat("en")
    # Alice: a saved address, a delivered order, an open support request.
    order = await delivered_order(shop, alice)
    alice_id = await customer_of(shop, alice)
    saved = await shop.customers.save_address(alice_id, ADDRESS)
    await alice.send("/support")
    await alice.send("Private question")
    [ticket] = await shop.support.open_tickets(owner)

    # Mallory, half-way through her own checkout, offers Alice's saved address.
    product = await make_product(shop, owner, title="Cup")
    await shop.cart.add(await customer_of(shop, mallory), product.variants[0].id)
    await mallory.send("/checkout")
    result = await mallory.press_data(CheckoutCallback(action=CheckoutAction.SAVED_ADDRESS, id=saved.id).pack())
    assert alert(result).text == translator.error("en", NotFound(entity="address", id=saved.id))
    assert "Hana" not in str(result.requests.all)
    assert await mallory.bot.get_state(mallory.user.id) == "Checkout:address"  # still asked for her own

    refusals: list[tuple[CallbackData, CommerceError]] = [
        (ReviewCallback(action=ReviewAction.ORDER, order_id=order.id), NotFound(entity="order", id=order.id)),
        (SupportCallback(action=SupportAction.CLOSE, ticket_id=ticket.id), PermissionDenied()),
        (SupportCallback(action=SupportAction.REPLY, ticket_id=ticket.id), PermissionDenied()),
        (StaffCallback(action=StaffAction.REVOKE, customer_id=owner), PermissionDenied()),
    ]
    for forged, error in refusals:
        result = await mallory.press_data(forged.pack())
        assert alert(result).text == translator.error("en", error), forged
        assert sent(result) == [] and edits(result) == []

    # "Yes, erase" carrying Alice's customer id erases no one.
    result = await mallory.press_data(PrivacyCallback(action=PrivacyAction.CONFIRM_ERASE, customer_id=alice_id).pack())
    assert [e.text for e in edits(result)] == [said(translator, "privacy.already_erased")]
    assert (await shop.customers.get(alice_id)).identities and await shop.customers.addresses(alice_id)
    assert (await shop.support.get(alice_id, ticket.id)).status == "open"
    assert await shop.sellers.role_of(owner) is Role.OWNER
