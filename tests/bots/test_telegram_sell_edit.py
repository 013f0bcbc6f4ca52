"""Sellers manage their products in the chat: categories and variants in /sell, /products and a product's manage
card (every edit shows on the buyer's card), digital items uploaded as a file or pasted; forged or foreign
buttons, broken files and over-long answers are refused politely and change nothing."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from aiogram.methods import SendMessage
from teremok import DispatchResult, MockBot, MockMessageDocument

from bots.common.media_store import MediaStore
from bots.i18n import Translator
from bots.telegram.callbacks import MAX_ID, MAX_PAGE
from bots.telegram.handlers.seller.sell_callbacks import ManageAction, ManageCallback
from bots.telegram.handlers.seller.sell_digital import DigitalForm
from bots.telegram.handlers.seller.sell_edit import EditForm
from bots.telegram.handlers.seller.sell_form_views import SellCategoryCallback
from bots.telegram.notifier import TelegramNotifier
from bots.telegram.render import quote
from commerce.catalog import NewVariant, ProductDTO
from commerce.errors import InvalidAmount, InvalidInput, NotFound, PermissionDenied
from commerce.shop import Shop
from tests.bots.telegram_chat import TelegramChat, alert, sent
from tests.bots.test_telegram_sell import (  # noqa: F401 — fixtures: the storefront with a media store
    dispatcher,
    last_text,
    media_store,
    open_seller_chat,
    phone_photo,
    said,
    upload,
)
from tests.conftest import FakeClock
from tests.support.factories import make_product, step_up

_file_ids = itertools.count(1)
_user_ids = itertools.count(760_000)
A = ManageAction


@pytest.fixture
async def seller(telegram: MockBot, shop: Shop) -> TelegramChat:
    """An owner of the shop (bootstrapped from bot.toml), chatting in English."""
    return await open_seller_chat(telegram, shop)


async def customer_id(shop: Shop, chat: TelegramChat) -> int:
    return (await shop.customers.identify("telegram", chat.user.id)).id


async def seller_role_chat(telegram: MockBot, shop: Shop, owner: int, language_code: str = "en") -> TelegramChat:
    """Someone an owner made a `seller`: manages their own products, may not create categories."""
    chat = TelegramChat(telegram, next(_user_ids), language_code=language_code)
    await step_up(shop, owner)
    await shop.sellers.grant(owner, await customer_id(shop, chat), "seller")
    return chat


async def send_file(chat: TelegramChat, data: bytes, name: str, *, reported_size: int | None = None) -> DispatchResult:
    file_id = f"items_{next(_file_ids)}"
    chat.bot.add_file(file_id, data, f"documents/{name}")
    message = MockMessageDocument(file_id=file_id, file_name=name, user=chat.user)
    assert message.document is not None
    message = message.model_copy(update={"document": message.document.model_copy(
        update={"file_size": len(data) if reported_size is None else reported_size})})
    return chat._track(await chat.bot.dispatch(message))


def refused(tr: Translator, locale: str = "en") -> str:
    return tr.error(locale, PermissionDenied(permission="manage_own_products", role=None))


async def open_card(chat: TelegramChat, product: ProductDTO) -> None:
    await chat.send("/products")
    await chat.press(f"#{product.id} {product.title}")


async def test_sell_offers_the_sellers_products(seller: TelegramChat, shop: Shop, translator: Translator) -> None:
    product = await make_product(shop, await customer_id(shop, seller), title="Teapot")
    await seller.send("/sell")
    await seller.press(translator.text("en", "sell.edit.button.list"))
    assert await seller.bot.get_state(seller.user.id) is None  # the new product was left behind
    await seller.press(f"#{product.id} Teapot")
    assert "<b>#" in last_text(seller) and "Teapot" in last_text(seller)


# ---- every edit shows on the buyer's card ----


async def test_each_edit_on_the_manage_card_changes_what_a_buyer_sees(seller: TelegramChat, buyer: TelegramChat,
                                                                      shop: Shop, translator: Translator) -> None:
    tr = translator
    me = await customer_id(shop, seller)
    product = await make_product(shop, me, title="Tea cup", price="1200", stock=3)
    cups = await shop.catalog.create_category(me, "Cups")

    async def card() -> str:
        return sent(await buyer.send(f"/start p_{product.id}"))[0].text or ""

    await open_card(seller, product)
    assert f"<b>{quote(tr.text('en', 'sell.edit.card_heading', id=product.id, title='Tea cup'))}</b>" \
        in last_text(seller)

    await seller.press(tr.text("en", "sell.edit.button.title"))
    assert last_text(seller) == said(tr, "en", "sell.edit.ask_title", title="Tea cup", limit=120)
    await seller.send("Matcha <bowl>")
    assert last_text(seller).startswith(said(tr, "en", "sell.edit.saved"))
    assert "<b>Matcha &lt;bowl&gt;</b>" in await card()

    await seller.press(tr.text("en", "sell.edit.button.description"))
    await seller.send("Glazed & fired twice")
    assert "Glazed &amp; fired twice" in await card()

    await seller.press(tr.text("en", "sell.edit.button.price"))
    assert "¥1,200" in last_text(seller)
    await seller.send("1,500")
    assert last_text(seller) == said(tr, "en", "sell.edit.price_set", variant=product.variants[0].sku, price="¥1,500")
    assert quote(tr.text("en", "product.price", price="¥1,500")) in await card()

    await seller.press(tr.text("en", "sell.edit.button.back"))
    await seller.press(tr.text("en", "sell.edit.button.stock"))
    await seller.send("7")
    assert quote(tr.text("en", "product.stock", stock=7)) in await card()

    await seller.press(tr.text("en", "sell.edit.button.back"))
    await seller.press(tr.text("en", "sell.edit.button.category"))
    await seller.press("Cups")
    assert tr.text("en", "sell.summary.category", category="Cups") in last_text(seller)
    assert [p.id for p in (await shop.catalog.list_products(category_id=cups.id)).items] == [product.id]

    await seller.press(tr.text("en", "sell.edit.button.add_variant"))
    await seller.send("Size: L")
    await seller.send("1800")
    await seller.send("2")
    assert last_text(seller) == said(tr, "en", "sell.edit.variant_added", variant="L", price="¥1,800", stock=2)
    await buyer.send(f"/start p_{product.id}")
    assert "L · ¥1,800" in buyer.labels()

    await seller.press(tr.text("en", "sell.edit.button.back"))
    await seller.press(tr.text("en", "sell.edit.button.hide"))
    assert last_text(seller).startswith(said(tr, "en", "sell.hidden", id=product.id, title="Matcha <bowl>"))
    assert await card() == quote(tr.error("en", NotFound(entity="product", id=product.id)))
    await seller.send("/products")
    assert f"#{product.id} Matcha <bowl>{tr.text('en', 'sell.edit.hidden_mark')}" in seller.labels()
    await seller.press("Matcha")
    await seller.press(tr.text("en", "sell.edit.button.show"))
    assert "Matcha &lt;bowl&gt;" in await card()

    await seller.press(tr.text("en", "sell.edit.button.delete"))
    assert last_text(seller) == said(tr, "en", "sell.edit.ask_delete", id=product.id, title="Matcha <bowl>")
    await seller.press(tr.text("en", "sell.edit.button.delete_confirm"))
    assert last_text(seller) == said(tr, "en", "sell.edit.deleted", id=product.id)
    assert await card() == quote(tr.error("en", NotFound(entity="product", id=product.id)))
    await seller.send("/products")
    assert last_text(seller) == said(tr, "en", "sell.edit.list_empty")


async def test_photos_are_added_cleaned_and_removed_from_the_card(seller: TelegramChat, shop: Shop,
                                                                  translator: Translator,
                                                                  media_store: MediaStore) -> None:  # noqa: F811
    tr = translator
    product = await make_product(shop, await customer_id(shop, seller), title="Vase")
    await open_card(seller, product)
    await seller.press(tr.text("en", "sell.edit.button.photos"))
    await seller.press(tr.text("en", "sell.edit.button.add_photos"))
    await upload(seller, phone_photo(), as_file=True)
    assert last_text(seller) == said(tr, "en", "sell.edit.photo_added", count=1, limit=10)
    await upload(seller, b"not a photo", as_file=True, name="x.jpg")
    assert last_text(seller) == said(tr, "en", "sell.photo_rejected.not_an_image")
    [reference] = (await shop.catalog.product(product.id)).photos
    assert b"Phone" not in media_store.path_for(reference).read_bytes()  # metadata stripped

    await seller.press(tr.text("en", "sell.edit.button.back"))
    assert tr.text("en", "sell.edit.photos", count=1, limit=10) in last_text(seller)
    assert await seller.bot.get_state(seller.user.id) is None
    await seller.press(tr.text("en", "sell.edit.button.photos"))
    await seller.press(tr.text("en", "sell.edit.button.clear_photos"))
    assert tr.text("en", "sell.edit.photos", count=0, limit=10) in last_text(seller)
    assert (await shop.catalog.product(product.id)).photos == ()


# ---- the new-product conversation: category and variants ----


async def test_a_new_product_gets_a_picked_category_and_several_variants(telegram: MockBot, shop: Shop, owner: int,
                                                                         buyer: TelegramChat,
                                                                         translator: Translator) -> None:
    tr = translator
    await shop.catalog.create_category(owner, "Shirts")
    seller = await seller_role_chat(telegram, shop, owner)
    await seller.send("/sell")
    await seller.send("Linen shirt")
    await seller.press(tr.text("en", "sell.button.skip"))
    await upload(seller, phone_photo())
    await seller.press(tr.text("en", "sell.button.done"))
    question = seller.last

    # A seller may not make up a new category: told so, still on the step, then picks an existing one.
    await seller.send("Jackets")
    assert last_text(seller) == quote(tr.error("en", PermissionDenied(permission="manage_categories", role="seller")))
    await seller.send("x" * 65)
    assert last_text(seller) == quote(tr.error("en", InvalidInput(field="category", reason="too_long", limit=64)))
    result = await seller.press_data(SellCategoryCallback(category_id=MAX_ID).pack(), on=question)  # forged
    assert alert(result).text == tr.error("en", NotFound(entity="category", id=MAX_ID))
    await seller.press("Shirts", on=question)
    await seller.press(tr.text("en", "sell.kind.physical"))
    await seller.send("3000")
    await seller.send("4")

    await seller.press(tr.text("en", "sell.button.add_variant"))
    assert last_text(seller) == said(tr, "en", "sell.ask_first_label", limit=40)
    await seller.send("S")
    assert last_text(seller) == said(tr, "en", "sell.ask_variant_label", limit=40)
    await seller.send("a / b / c / d")  # more than three options
    assert last_text(seller) == quote(tr.error("en", InvalidInput(field="options", reason="too_many", limit=3)))
    await seller.send("M")
    await seller.send("3200")
    await seller.send("1")
    summary = last_text(seller)
    assert quote(tr.text("en", "sell.summary.variant", label="S", price="¥3,000", stock=4)) in summary
    assert quote(tr.text("en", "sell.summary.variant", label="M", price="¥3,200", stock=1)) in summary
    assert tr.text("en", "sell.summary.category", category="Shirts") in summary
    await seller.press(tr.text("en", "sell.button.create"))

    [product] = (await shop.catalog.list_products()).items
    shirts = (await shop.catalog.categories())[0]
    assert (product.category_id, [(v.label, v.stock) for v in product.variants]) == (shirts.id, [("S", 4), ("M", 1)])
    await buyer.send(f"/start p_{product.id}")
    assert {"S · ¥3,000", "M · ¥3,200"} <= set(buyer.labels())
    await seller.press(tr.text("en", "sell.button.manage"))  # the confirmation opens the manage card
    assert "S · ¥3,000 · stock 4" in last_text(seller)


async def test_an_owner_types_a_new_category_while_editing(seller: TelegramChat, shop: Shop,
                                                           translator: Translator) -> None:
    product = await make_product(shop, await customer_id(shop, seller), title="Bowl")
    await open_card(seller, product)
    await seller.press(translator.text("en", "sell.edit.button.category"))
    await seller.send("Bowls & plates")
    assert translator.text("en", "sell.summary.category", category="Bowls & plates").replace("&", "&amp;") \
        in last_text(seller)
    assert [c.name for c in await shop.catalog.categories()] == ["Bowls & plates"]


# ---- digital items ----


async def notifier_for(telegram: MockBot, shop: Shop, translator: Translator, clock: FakeClock) -> TelegramNotifier:
    return TelegramNotifier(telegram, shop, translator, default_locale="ja", owners_chat_ids=[], clock=clock)


async def test_items_uploaded_as_txt_csv_or_text_are_delivered_to_a_buyer(
        seller: TelegramChat, buyer: TelegramChat, telegram: MockBot, shop: Shop, translator: Translator,
        clock: FakeClock) -> None:
    tr = translator
    product = await make_product(shop, await customer_id(shop, seller), title="Gift card", kind="digital")
    await open_card(seller, product)
    await seller.press(tr.text("en", "sell.edit.button.digital"))
    assert last_text(seller) == said(tr, "en", "sell.digital.ask", variant=product.variants[0].sku, stock=0,
                                     kilobytes=256, limit=5000)
    await send_file(seller, b"KEY-1\n\nKEY-2\r\nKEY-1\n", "keys.txt")
    assert last_text(seller) == quote("\n".join([tr.text("en", "sell.digital.added", count=2, stock=2),
                                                 tr.text("en", "sell.digital.skipped_blank", count=1),
                                                 tr.text("en", "sell.digital.skipped_duplicates", count=1)]))

    await seller.press(tr.text("en", "sell.edit.button.back"))
    await seller.press(tr.text("en", "sell.edit.button.digital"))
    await send_file(seller, "\ufeffcode,note\nKEY-3,batch 2\n\"KEY-2\",again\n".encode(), "keys.csv")
    assert last_text(seller) == quote("\n".join([tr.text("en", "sell.digital.added", count=1, stock=3),
                                                 tr.text("en", "sell.digital.skipped_stored", count=1)]))

    await seller.press(tr.text("en", "sell.edit.button.back"))
    await seller.press(tr.text("en", "sell.edit.button.digital"))
    await seller.send("KEY-4\nKEY-5")
    assert last_text(seller) == said(tr, "en", "sell.digital.added", count=2, stock=5)
    assert quote(tr.text("en", "product.stock", stock=5)) in sent(await buyer.send(f"/start p_{product.id}"))[0].text

    # A buyer buys one and pays: the first key is delivered in their chat.
    buyer_id = await customer_id(shop, buyer)
    order = await shop.orders.checkout(buyer_id, items=[(product.variants[0].id, 1)])
    await shop.payments.payment_confirmed(order.id)
    await (await notifier_for(telegram, shop, translator, clock)).send_due()
    to_buyer = [r.text for r in telegram.requests.send_message
                if isinstance(r, SendMessage) and r.chat_id == buyer.user.id]
    assert any("<code>KEY-1</code>" in text for text in to_buyer)
    assert (await shop.catalog.product(product.id)).stock == 4


@pytest.mark.parametrize(("data", "name", "reported", "reason"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "keys.txt", None, "not_text"),
    ("キー".encode("shift_jis") + b"\xff\xfe", "keys.csv", None, "not_text"),
    (b"KEY\n" * 10, "keys.txt", 300 * 1024, "too_large"),  # Telegram's size, before downloading
    (b"K" * (256 * 1024) + b"\n", "keys.txt", 1000, "too_large"),  # the real size, after
])
async def test_a_broken_or_oversized_file_is_refused_and_adds_nothing(
        seller: TelegramChat, shop: Shop, translator: Translator, data: bytes, name: str, reported: int | None,
        reason: str) -> None:
    product = await make_product(shop, await customer_id(shop, seller), title="Gift card", kind="digital")
    await open_card(seller, product)
    await seller.press(translator.text("en", "sell.edit.button.digital"))
    await send_file(seller, data, name, reported_size=reported)
    assert last_text(seller) == said(translator, "en", f"sell.digital.{reason}", kilobytes=256)
    assert (await shop.catalog.product(product.id)).stock == 0
    assert await seller.bot.get_state(seller.user.id) == DigitalForm.items.state  # try again, or Cancel
    await seller.send("\n\n")
    assert last_text(seller) == quote(translator.error("en", InvalidInput(field="items", reason="required")))
    await seller.send("/cancel")
    assert await seller.bot.get_state(seller.user.id) is None


# ---- refusals ----


async def test_an_over_long_title_or_a_bad_price_changes_nothing(seller: TelegramChat, shop: Shop,
                                                                 translator: Translator) -> None:
    tr = translator
    product = await make_product(shop, await customer_id(shop, seller), title="Cup", price="1200")
    await open_card(seller, product)
    await seller.press(tr.text("en", "sell.edit.button.title"))
    prompt = seller.last
    await seller.send("x" * 121)
    assert last_text(seller) == quote(tr.error("en", InvalidInput(field="title", reason="too_long", limit=120)))
    assert await seller.bot.get_state(seller.user.id) == EditForm.title.state
    await seller.press(tr.text("en", "sell.button.cancel"), on=prompt)  # back to the card
    assert await seller.bot.get_state(seller.user.id) is None

    await seller.press(tr.text("en", "sell.edit.button.price"))
    await seller.send("12.5")
    assert last_text(seller) == quote(tr.error("en", InvalidAmount(value="12.5", currency="JPY", places=0)))
    await seller.send("/cancel")
    await seller.press(tr.text("en", "sell.edit.button.stock"))
    await seller.send("-3")
    assert last_text(seller) == quote(tr.error("en", InvalidInput(field="stock", reason="range", minimum=0,
                                                                  maximum=1_000_000)))
    seen = await shop.catalog.product(product.id)
    assert (seen.title, str(seen.price_from), seen.stock) == ("Cup", "1200 JPY", 10)


def forged(action: ManageAction, product: ProductDTO, **extra: Any) -> str:
    return ManageCallback(action=action, product_id=product.id, **extra).pack()


async def test_another_sellers_product_is_refused_whatever_the_button(telegram: MockBot, shop: Shop, owner: int,
                                                                      translator: Translator) -> None:
    alice = await seller_role_chat(telegram, shop, owner)
    bob = await seller_role_chat(telegram, shop, owner)
    product = await make_product(shop, await customer_id(shop, alice), title="Alice's cup", stock=3,
                                 variants=[NewVariant(price="1200", stock=3)])
    variant_id = product.variants[0].id
    await bob.send("/products")
    assert last_text(bob) == said(translator, "en", "sell.edit.list_empty")

    not_yours = translator.error("en", PermissionDenied(permission="manage_all_products", role="seller"))
    for data in (forged(A.CARD, product), forged(A.TITLE, product), forged(A.PRICE, product, variant_id=variant_id),
                 forged(A.STOCK, product), forged(A.HIDE, product), forged(A.CATEGORY, product),
                 forged(A.ADD_PHOTOS, product), forged(A.CLEAR_PHOTOS, product), forged(A.ADD_VARIANT, product),
                 forged(A.DIGITAL, product), forged(A.DELETE, product), forged(A.DELETE_CONFIRMED, product)):
        result = await bob.press_data(data)
        assert alert(result).text == not_yours and alert(result).show_alert, data
        assert sent(result) == [], data
        assert await bob.bot.get_state(bob.user.id) is None, data
    seen = await shop.catalog.product(product.id)
    assert (seen.title, seen.visible, seen.stock, len(seen.variants)) == ("Alice's cup", True, 3, 1)


async def test_a_buyer_cannot_list_or_use_the_buttons(buyer: TelegramChat, shop: Shop, owner: int,
                                                      translator: Translator) -> None:
    product = await make_product(shop, owner, title="Pot", stock=3)
    [reply] = sent(await buyer.send("/products"))
    assert reply.text == quote(refused(translator))
    await buyer.send("/start")
    for data in (ManageCallback(action=A.LIST).pack(), forged(A.CARD, product), forged(A.HIDE, product),
                 forged(A.DELETE_CONFIRMED, product), forged(A.TITLE, product)):
        result = await buyer.press_data(data)
        assert alert(result).text == refused(translator), data
    assert (await shop.catalog.product(product.id)).visible


async def test_a_japanese_seller_manages_in_japanese(telegram: MockBot, shop: Shop, translator: Translator) -> None:
    tr = translator
    seller = await open_seller_chat(telegram, shop, language_code="ja")
    product = await make_product(shop, await customer_id(shop, seller), title="壁紙パック", kind="digital")
    await seller.send("/products")
    assert last_text(seller) == f"<b>{quote(tr.text('ja', 'sell.edit.list_heading', page=1, pages=1, total=1))}</b>"
    await seller.press("壁紙パック")
    assert "商品 #" in last_text(seller) and tr.text("ja", "sell.edit.button.digital") in seller.labels()
    await seller.press(tr.text("ja", "sell.edit.button.title"))
    await seller.send("壁紙パック 第2弾")
    assert last_text(seller).startswith("保存しました。")
    await seller.press(tr.text("ja", "sell.edit.button.digital"))
    await send_file(seller, "コード\nA-1\nA-2\n".encode(), "codes.csv")
    assert last_text(seller) == said(tr, "ja", "sell.digital.added", count=2, stock=2)
    await send_file(seller, b"\x00\x01\x02", "codes.txt")  # the step is over: this is no longer read as items
    assert (await shop.catalog.product(product.id)).title == "壁紙パック 第2弾"


def test_management_buttons_fit_64_bytes_with_the_largest_ids() -> None:
    for action in ManageAction:
        data = ManageCallback(action=action, product_id=MAX_ID, variant_id=MAX_ID, category_id=MAX_ID,
                              page=MAX_PAGE).pack()
        assert len(data.encode()) <= 64, data
