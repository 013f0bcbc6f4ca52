"""A seller adds a product by chatting (/sell), and uses /stock, /hide and /show; buyers are refused."""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path

import pytest
from aiogram import Dispatcher
from PIL import ExifTags, Image
from teremok import DispatchResult, MockBot, MockMessageDocument, MockMessagePhoto

from bots.common.media_store import MediaStore
from bots.i18n import Translator
from bots.telegram import build_dispatcher
from bots.telegram.handlers.seller.sell import NewProductForm
from bots.telegram.handlers.seller.sell_form_views import SellAction, SellCallback
from bots.telegram.render import quote
from commerce.catalog import ProductKind
from commerce.errors import InvalidAmount, InvalidInput, NotFound, PermissionDenied
from commerce.shop import Shop
from tests.bots.conftest import SHOP_NAME, TERMS
from tests.bots.telegram_chat import TelegramChat, alert, sent
from tests.support.factories import make_product

_seller_ids = itertools.count(700_000)
_file_ids = itertools.count(1)


@pytest.fixture
def media_store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


@pytest.fixture
def dispatcher(shop: Shop, translator: Translator, media_store: MediaStore) -> Dispatcher:
    """The real storefront, with a media store for sellers' photos."""
    return build_dispatcher(shop, translator, shop_name=SHOP_NAME, terms=TERMS, default_locale="ja",
                            media_store=media_store)


async def open_seller_chat(telegram: MockBot, shop: Shop, language_code: str = "en") -> TelegramChat:
    chat = TelegramChat(telegram, next(_seller_ids), language_code=language_code)
    await shop.sellers.bootstrap_owners([f"telegram:{chat.user.id}"])
    return chat


@pytest.fixture
async def seller(telegram: MockBot, shop: Shop) -> TelegramChat:
    return await open_seller_chat(telegram, shop)


def phone_photo(size: tuple[int, int] = (640, 480)) -> bytes:
    """What a phone sends as a file: EXIF with GPS and the camera model, turned 90°."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Model] = "Seller's Phone"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({ExifTags.GPS.GPSLatitudeRef: "N",
                                                ExifTags.GPS.GPSLatitude: (35.0, 39.0, 29.0)})
    out = io.BytesIO()
    Image.new("RGB", size, (180, 40, 40)).save(out, "JPEG", exif=exif)
    return out.getvalue()


async def upload(chat: TelegramChat, data: bytes, *, as_file: bool = False, name: str = "photo.jpg") -> DispatchResult:
    """The seller sends `data` as a Telegram photo, or uncompressed as a file (which keeps EXIF on Telegram)."""
    file_id = f"upload_{next(_file_ids)}"
    chat.bot.add_file(file_id, data, f"photos/{file_id}.jpg")
    message = (MockMessageDocument(file_id=file_id, file_name=name, user=chat.user) if as_file
               else MockMessagePhoto(file_id=file_id, user=chat.user))
    return chat._track(await chat.bot.dispatch(message))


def last_text(chat: TelegramChat) -> str:
    assert chat.last is not None and chat.last.text is not None
    return chat.last.text


def said(tr: Translator, locale: str, key: str, **fields: object) -> str:
    return quote(tr.text(locale, key, **fields))


async def reach_photos(chat: TelegramChat, tr: Translator, locale: str = "en", title: str = "Tea cup") -> None:
    await chat.send("/sell")
    assert last_text(chat) == said(tr, locale, "sell.ask_title", limit=120)
    await chat.send(title)
    assert last_text(chat) == said(tr, locale, "sell.ask_description")


async def test_a_seller_creates_a_product_with_clean_photos(seller: TelegramChat, shop: Shop, translator: Translator,
                                                            media_store: MediaStore) -> None:
    tr = translator
    await reach_photos(seller, tr, title="Hand-made <Tea> cup")
    await seller.send("Glazed by hand in Mashiko & fired twice.")
    assert last_text(seller) == said(tr, "en", "sell.ask_photos", limit=10)

    await upload(seller, phone_photo(), as_file=True)
    assert last_text(seller) == said(tr, "en", "sell.photo_saved", count=1, limit=10)
    await upload(seller, phone_photo((300, 300)))
    assert last_text(seller) == said(tr, "en", "sell.photo_saved", count=2, limit=10)
    await seller.press(tr.text("en", "sell.button.done"))
    assert last_text(seller) == said(tr, "en", "sell.ask_category", limit=64)
    await seller.send("Tableware")  # a new category, typed by its name
    await seller.press(tr.text("en", "sell.kind.physical"))
    assert last_text(seller) == said(tr, "en", "sell.ask_price", currency="JPY", example="¥1,200")
    await seller.send("1,200")
    assert last_text(seller) == said(tr, "en", "sell.ask_stock", maximum=1_000_000)
    await seller.send("5")

    summary = last_text(seller)
    assert "<b>Hand-made &lt;Tea&gt; cup</b>" in summary and "Mashiko &amp; fired" in summary
    assert quote(tr.text("en", "sell.summary.price", price="¥1,200")) in summary
    assert tr.text("en", "sell.summary.photos", count=2) in summary
    assert tr.text("en", "sell.summary.category", category="Tableware") in summary
    await seller.press(tr.text("en", "sell.button.create"))

    [product] = (await shop.catalog.list_products(include_hidden=True)).items
    assert last_text(seller) == said(tr, "en", "sell.created", id=product.id, title="Hand-made <Tea> cup",
                                     link=f"https://t.me/test_bot?start=p_{product.id}")
    assert (product.title, product.kind, product.stock, str(product.price_from)) == \
        ("Hand-made <Tea> cup", ProductKind.PHYSICAL, 5, "1200 JPY")
    assert [(c.id, c.name) for c in await shop.catalog.categories()] == [(product.category_id, "Tableware")]
    assert len(product.photos) == 2 and all(re.fullmatch(r"m/[0-9a-f]{64}\.jpg", ref) for ref in product.photos)
    for reference in product.photos:
        stored = Image.open(io.BytesIO(media_store.path_for(reference).read_bytes()))
        assert stored.format == "JPEG" and dict(stored.getexif()) == {}
        assert b"Phone" not in media_store.path_for(reference).read_bytes()
    assert Image.open(media_store.path_for(product.photos[0])).size == (480, 640)  # turned upright
    assert await seller.bot.get_state(seller.user.id) is None  # the conversation is over


async def test_a_broken_upload_is_refused_and_the_conversation_goes_on(seller: TelegramChat, shop: Shop,
                                                                       translator: Translator) -> None:
    tr = translator
    await reach_photos(seller, tr)
    await seller.press(tr.text("en", "sell.button.skip"))
    await upload(seller, b"not a photo at all\n" * 50, as_file=True, name="notes.txt")
    assert last_text(seller) == said(tr, "en", "sell.photo_rejected.not_an_image")
    whole = phone_photo()
    await upload(seller, whole[: len(whole) // 2])
    assert last_text(seller) == said(tr, "en", "sell.photo_rejected.not_an_image")
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    await upload(seller, gif.getvalue(), as_file=True, name="anim.gif")
    assert last_text(seller) == said(tr, "en", "sell.photo_rejected.unsupported")

    result = await seller.press_data(seller.button(tr.text("en", "sell.button.cancel")).callback_data or "")
    assert last_text(seller) == said(tr, "en", "sell.cancelled")
    assert sent(result)
    assert (await shop.catalog.list_products(include_hidden=True)).total == 0

    await reach_photos(seller, tr)
    await seller.press(tr.text("en", "sell.button.skip"))
    await seller.send("here is the photo")  # words instead of a picture: a nudge, still on the photo step
    assert last_text(seller) == said(tr, "en", "sell.photo_expected", limit=10)
    await upload(seller, phone_photo())
    assert last_text(seller) == said(tr, "en", "sell.photo_saved", count=1, limit=10)
    await seller.press(tr.text("en", "sell.button.done"))
    assert last_text(seller) == said(tr, "en", "sell.ask_category", limit=64)
    await seller.press(tr.text("en", "sell.button.skip"))
    assert last_text(seller) == said(tr, "en", "sell.ask_kind")


async def test_done_needs_a_photo_first(seller: TelegramChat, translator: Translator) -> None:
    await reach_photos(seller, translator)
    await seller.press(translator.text("en", "sell.button.skip"))
    await upload(seller, b"\x89PNG\r\n\x1a\nbroken", as_file=True, name="x.png")
    assert seller.labels() == [translator.text("en", "sell.button.cancel")]  # nothing saved yet, so no Done
    result = await seller.press_data(SellCallback(action=SellAction.DONE).pack())  # an old or forged "Done"
    assert alert(result).text == translator.text("en", "sell.photo_needed")
    assert await seller.bot.get_state(seller.user.id) == NewProductForm.photos.state


async def test_a_buyer_cannot_sell_or_change_stock(buyer: TelegramChat, shop: Shop, owner: int,
                                                   translator: Translator) -> None:
    refused = quote(translator.error("en", PermissionDenied(permission="manage_own_products", role=None)))
    [reply] = sent(await buyer.send("/sell"))
    assert reply.text == refused
    assert await buyer.bot.get_state(buyer.user.id) is None

    product = await make_product(shop, owner, title="Pot", stock=3)
    [reply] = sent(await buyer.send(f"/stock {product.variants[0].id} 0"))
    assert reply.text == refused
    [reply] = sent(await buyer.send(f"/hide {product.id}"))
    assert reply.text == refused
    assert (await shop.catalog.product(product.id)).stock == 3


async def test_a_price_with_too_many_decimals_is_asked_again(seller: TelegramChat, shop: Shop,
                                                             translator: Translator) -> None:
    tr = translator
    await reach_photos(seller, tr)
    await seller.press(tr.text("en", "sell.button.skip"))
    await upload(seller, phone_photo())
    await seller.press(tr.text("en", "sell.button.done"))
    await seller.press(tr.text("en", "sell.button.skip"))
    await seller.press(tr.text("en", "sell.kind.physical"))

    await seller.send("12.5")
    assert last_text(seller) == quote(tr.error("en", InvalidAmount(value="12.5", currency="JPY", places=0)))
    await seller.send("free")
    assert last_text(seller) == quote(tr.error("en", InvalidAmount(value="free", currency="JPY", places=0)))
    await seller.send("1500")
    assert last_text(seller) == said(tr, "en", "sell.ask_stock", maximum=1_000_000)
    await seller.send("lots")
    assert last_text(seller) == quote(tr.error("en", InvalidInput(field="stock", reason="range", minimum=0,
                                                                  maximum=1_000_000)))
    await seller.send("2")
    await seller.press(tr.text("en", "sell.button.create"))
    [product] = (await shop.catalog.list_products(include_hidden=True)).items
    assert (str(product.price_from), product.stock) == ("1500 JPY", 2)


async def test_a_decimal_comma_or_an_over_large_price_is_explained_and_asked_again(
        seller: TelegramChat, shop: Shop, translator: Translator) -> None:
    tr = translator
    await reach_photos(seller, tr)
    await seller.press(tr.text("en", "sell.button.skip"))
    await upload(seller, phone_photo())
    await seller.press(tr.text("en", "sell.button.done"))
    await seller.press(tr.text("en", "sell.button.skip"))
    await seller.press(tr.text("en", "sell.kind.physical"))

    await seller.send("12,50")  # was read as ¥1,250
    comma = InvalidAmount(value="12,50", currency="JPY", places=0, reason="comma")
    assert last_text(seller) == quote(tr.error("en", comma))
    assert "12.50" in tr.error("en", comma) and "1,200" in tr.error("en", comma)
    await seller.send("99999999999999999999")  # was accepted here, then a raw database error at "Create"
    too_large = InvalidAmount(value="99999999999999999999", currency="JPY", places=0, reason="too_large",
                              maximum="1,000,000,000,000")
    assert last_text(seller) == quote(tr.error("en", too_large))
    assert "1,000,000,000,000" in last_text(seller)
    await seller.send("1,250")
    assert last_text(seller) == said(tr, "en", "sell.ask_stock", maximum=1_000_000)
    await seller.send("2")
    await seller.press(tr.text("en", "sell.button.create"))
    [product] = (await shop.catalog.list_products(include_hidden=True)).items
    assert (str(product.price_from), product.stock) == ("1250 JPY", 2)


def test_price_refusals_read_naturally_in_japanese(translator: Translator) -> None:
    comma = translator.error("ja", InvalidAmount(value="12,50", currency="USD", places=2, reason="comma"))
    assert comma.startswith("「12,50」はUSDの金額として読み取れません。") and "12.50" in comma
    too_large = translator.error("ja", InvalidAmount(value="1e20", currency="JPY", places=0, reason="too_large",
                                                     maximum="1,000,000,000,000"))
    assert "1,000,000,000,000 JPY" in too_large


async def test_stock_hide_and_show(seller: TelegramChat, shop: Shop, translator: Translator) -> None:
    tr = translator
    customer = await shop.customers.identify("telegram", seller.user.id)
    product = await make_product(shop, customer.id, title="Cup", stock=3)
    variant = product.variants[0]

    await seller.send(f"/stock {variant.id} 42")
    assert last_text(seller) == said(tr, "en", "sell.stock_set", sku=variant.sku, stock=42)
    assert (await shop.catalog.product(product.id)).stock == 42
    for bad in ("/stock", f"/stock {variant.id}", "/stock x 1", f"/stock {variant.id} -1", "/stock 99999999999 1"):
        await seller.send(bad)
        assert last_text(seller) == said(tr, "en", "sell.stock_usage"), bad
    await seller.send("/stock 999999 1")
    assert last_text(seller) == quote(tr.error("en", NotFound(entity="variant", id=999999)))

    await seller.send(f"/hide {product.id}")
    assert last_text(seller) == said(tr, "en", "sell.hidden", id=product.id, title="Cup")
    with pytest.raises(NotFound):
        await shop.catalog.product(product.id)
    await seller.send(f"/show {product.id}")
    assert last_text(seller) == said(tr, "en", "sell.shown", id=product.id, title="Cup")
    assert (await shop.catalog.product(product.id)).visible
    await seller.send("/hide")
    assert last_text(seller) == said(tr, "en", "sell.visibility_usage", command="hide")


async def test_a_japanese_seller_adds_a_digital_product_in_japanese(telegram: MockBot, shop: Shop,
                                                                    translator: Translator) -> None:
    tr = translator
    seller = await open_seller_chat(telegram, shop, language_code="ja")
    await reach_photos(seller, tr, "ja", title="壁紙パック")
    await seller.send("スマホ用の壁紙10枚セット")
    assert last_text(seller) == said(tr, "ja", "sell.ask_photos", limit=10)
    await upload(seller, b"\x00" * 100, as_file=True)
    assert last_text(seller) == said(tr, "ja", "sell.photo_rejected.not_an_image")
    await upload(seller, phone_photo())
    await seller.press(tr.text("ja", "sell.button.done"))
    await seller.press(tr.text("ja", "sell.button.skip"))
    await seller.press(tr.text("ja", "sell.kind.digital"))
    await seller.send("12.5")
    assert last_text(seller) == quote(tr.error("ja", InvalidAmount(value="12.5", currency="JPY", places=0)))
    await seller.send("800")  # digital: no stock step, straight to the summary
    assert tr.text("ja", "sell.summary.digital_stock") in last_text(seller)
    await seller.press(tr.text("ja", "sell.button.create"))
    [product] = (await shop.catalog.list_products(include_hidden=True)).items
    assert (product.kind, product.stock, len(product.photos)) == (ProductKind.DIGITAL, 0, 1)
    assert last_text(seller).startswith(f"商品 #{product.id}「壁紙パック」を登録しました。")
