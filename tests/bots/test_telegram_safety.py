"""Buttons are trusted for nothing: forged or stale payloads get a polite answer and change nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from aiogram.filters.callback_data import CallbackData

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
from bots.telegram.render import keyboard, quote
from commerce.catalog import PHOTOS_MAX
from commerce.errors import NotFound
from commerce.shop import Shop
from tests.bots.telegram_chat import TelegramChat, alert, edits, sent
from tests.support.factories import make_product

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
