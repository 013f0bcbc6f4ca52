"""Product cards with photos: the processed JPEG with an escaped caption, file_ids reused (and kept across a
restart), the gallery edited in place, list ↔ card without a trail of messages, Share and Reviews buttons,
forged and stale buttons, inline results as cached photos — in English and Japanese."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from aiogram import Dispatcher
from aiogram.methods import AnswerInlineQuery, SendPhoto
from aiogram.types import (
    BufferedInputFile,
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    Update,
)
from PIL import Image
from teremok import MockBot, MockUser
from teremok.validation import validate_html

from bots.common.media_store import FILE_ID_INDEX, MediaStore
from bots.i18n import Translator
from bots.telegram import build_dispatcher
from bots.telegram.callbacks import CatalogAction, CatalogCallback
from bots.telegram.render import CAPTION_MAX, quote, utf16_len
from commerce.catalog import NewProduct, ProductDTO
from commerce.errors import NotFound
from commerce.shop import Shop
from media.photos import process_photo
from tests.bots.conftest import SHOP_NAME, TERMS
from tests.bots.telegram_chat import (
    TelegramChat,
    alert,
    deleted,
    edits,
    media_edits,
    photos_sent,
    recording_bot,
    sent,
)
from tests.bots.test_telegram_after_sale import customer_of, delivered_order
from tests.support.factories import make_product

COLOURS = ("red", "green", "blue", "orange")


@pytest.fixture
def media_store(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


@pytest.fixture
def dispatcher(shop: Shop, translator: Translator, media_store: MediaStore) -> Dispatcher:
    return build_dispatcher(shop, translator, shop_name=SHOP_NAME, terms=TERMS, default_locale="ja",
                            media_store=media_store)


async def stored_photos(media_store: MediaStore, count: int) -> list[str]:
    references = []
    for colour in COLOURS[:count]:
        out = io.BytesIO()
        Image.new("RGB", (640, 480), colour).save(out, "JPEG")
        references.append(await media_store.save(process_photo(out.getvalue())))
    return references


async def photo_product(shop: Shop, owner: int, media_store: MediaStore, *, photos: int = 1,
                        title: str = "Arita plate", description: str = "Blue and white porcelain",
                        stock: int = 4) -> ProductDTO:
    return await shop.catalog.create_product(owner, NewProduct(
        title=title, description=description, price="3200", stock=stock,
        photos=await stored_photos(media_store, photos)))


def uploaded(request: SendPhoto) -> bytes:
    assert isinstance(request.photo, BufferedInputFile), f"sent by id {request.photo!r}, not uploaded"
    return request.photo.data


def caption_of(chat: TelegramChat) -> str:
    assert chat.last is not None and chat.last.photo and chat.last.caption is not None
    return chat.last.caption


# ---- the card ----


async def test_a_card_with_photos_is_the_processed_jpeg_with_an_escaped_caption(
        buyer: TelegramChat, shop: Shop, owner: int, media_store: MediaStore, translator: Translator) -> None:
    product = await photo_product(shop, owner, media_store, title='<b>Tea & "Co"</b>',
                                  description="Hand-made <3 & fired twice")

    result = await buyer.send(f"/start p_{product.id}")

    [card] = photos_sent(result)
    assert sent(result) == []
    assert uploaded(card) == media_store.path_for(product.photos[0]).read_bytes()  # the stripped JPEG
    assert card.caption is not None and card.parse_mode == "HTML"
    assert card.caption.startswith("<b>&lt;b&gt;Tea &amp; \"Co\"&lt;/b&gt;</b>\n\nHand-made &lt;3 &amp; fired twice")
    assert quote(translator.text("en", "product.price", price="¥3,200")) in card.caption
    assert quote(translator.text("en", "product.stock", stock=4)) in card.caption
    assert buyer.labels() == [translator.text("en", "button.add_to_cart"), translator.text("en", "button.buy_now"),
                              translator.text("en", "button.share"), translator.text("en", "button.back")]
    share = buyer.button(translator.text("en", "button.share"))
    assert share.switch_inline_query == '<b>Tea & "Co"</b>' and share.callback_data is None

    result = await buyer.press(translator.text("en", "button.add_to_cart"))  # the card's buttons still work
    assert alert(result).text == translator.text("en", "cart.added", title='<b>Tea & "Co"</b>')


async def test_a_long_description_is_shortened_to_fit_the_caption(
        buyer: TelegramChat, shop: Shop, owner: int, media_store: MediaStore) -> None:
    product = await photo_product(shop, owner, media_store, description="<Tea & cups> 🍵 " * 200)
    await buyer.send(f"/start p_{product.id}")
    caption = caption_of(buyer)
    assert utf16_len(caption) <= CAPTION_MAX
    assert "…" in caption and "¥3,200" in caption  # the facts are never the part cut off
    validate_html(caption)  # no `&amp;` cut in half


async def test_the_second_view_sends_the_file_id_and_a_restart_remembers_it(
        buyer: TelegramChat, shop: Shop, owner: int, media_store: MediaStore, translator: Translator) -> None:
    product = await photo_product(shop, owner, media_store)
    [first] = photos_sent(await buyer.send(f"/start p_{product.id}"))
    assert buyer.last is not None and buyer.last.photo
    file_id = buyer.last.photo[-1].file_id
    uploaded(first)

    [second] = photos_sent(await buyer.send(f"/start p_{product.id}"))
    assert second.photo == file_id  # no second upload

    restarted = MediaStore(media_store.root)  # a new process, the same media dir
    assert await restarted.file_id_for(product.photos[0]) == file_id
    bot = recording_bot(build_dispatcher(shop, translator, shop_name=SHOP_NAME, terms=TERMS, default_locale="ja",
                                         media_store=restarted))
    [after_restart] = photos_sent(await TelegramChat(bot, buyer.user.id).send(f"/start p_{product.id}"))
    assert after_restart.photo == file_id


async def test_a_file_id_telegram_refuses_is_replaced_by_a_new_upload(
        telegram: MockBot, buyer: TelegramChat, shop: Shop, owner: int, media_store: MediaStore) -> None:
    product = await photo_product(shop, owner, media_store)
    await media_store.remember_file_id(product.photos[0], "from-another-bot")
    telegram.add_result(SendPhoto, ok=False, error_code=400,
                        description="Bad Request: wrong file identifier/HTTP URL specified")

    [refused, retried] = photos_sent(await buyer.send(f"/start p_{product.id}"))
    assert refused.photo == "from-another-bot"
    assert uploaded(retried) == media_store.path_for(product.photos[0]).read_bytes()
    assert buyer.last is not None and buyer.last.photo
    assert await MediaStore(media_store.root).file_id_for(product.photos[0]) == buyer.last.photo[-1].file_id


async def test_a_missing_or_mangled_photo_file_shows_the_card_as_text(
        buyer: TelegramChat, shop: Shop, owner: int, media_store: MediaStore) -> None:
    product = await photo_product(shop, owner, media_store)
    media_store.path_for(product.photos[0]).unlink()
    (media_store.root / FILE_ID_INDEX).write_text("m/../../etc/passwd\tx\ngarbage\n", encoding="utf-8")

    result = await buyer.send(f"/start p_{product.id}")
    [card] = sent(result)
    assert photos_sent(result) == [] and card.text.startswith("<b>Arita plate</b>")


# ---- list ↔ card ↔ gallery, one screen at a time ----


async def test_from_the_list_to_a_photo_card_and_back_keeps_one_screen(
        buyer: TelegramChat, shop: Shop, owner: int, media_store: MediaStore, translator: Translator) -> None:
    await photo_product(shop, owner, media_store)
    await buyer.send("/browse")
    await buyer.press(translator.text("en", "browse.all"))
    listing = buyer.last
    assert listing is not None

    result = await buyer.press("Arita plate")
    assert len(photos_sent(result)) == 1 and deleted(result) == [listing.message_id]  # a text can't become a photo
    card = buyer.last
    assert card is not None and card.photo and list(buyer.messages) == [card.message_id]

    result = await buyer.press(translator.text("en", "button.back"))
    assert len(sent(result)) == 1 and deleted(result) == [card.message_id]
    assert buyer.labels() == ["Arita plate · ¥3,200", translator.text("en", "button.back")]
    assert len(buyer.messages) == 1


async def test_the_gallery_pages_through_photos_by_editing_the_media(
        buyer: TelegramChat, shop: Shop, owner: int, media_store: MediaStore, translator: Translator) -> None:
    product = await photo_product(shop, owner, media_store, photos=3)
    await buyer.send(f"/start p_{product.id}")
    card = buyer.last
    assert card is not None
    assert ["◀", "1/3", "▶"] in [[b.text for b in row] for row in buyer.rows()]
    first_caption = caption_of(buyer)

    result = await buyer.press("▶")
    [swap] = media_edits(result)
    assert swap.message_id == card.message_id and sent(result) == photos_sent(result) == []
    assert isinstance(swap.media.media, BufferedInputFile)
    assert swap.media.media.data == media_store.path_for(product.photos[1]).read_bytes()
    assert caption_of(buyer) == first_caption and "2/3" in buyer.labels()
    alert(result)  # the spinner stops

    await buyer.press("◀")
    [back_to_first] = media_edits(await buyer.press("◀"))  # round to the last photo
    assert isinstance(back_to_first.media.media, BufferedInputFile)
    assert back_to_first.media.media.data == media_store.path_for(product.photos[2]).read_bytes()
    assert "3/3" in buyer.labels()

    [again] = media_edits(await buyer.press("▶"))  # the first photo again: by file_id this time
    assert isinstance(again.media.media, str) and "1/3" in buyer.labels()
    assert len(buyer.messages) == 1


async def test_a_forged_photo_position_is_refused_politely_and_changes_nothing(
        buyer: TelegramChat, shop: Shop, owner: int, media_store: MediaStore, translator: Translator) -> None:
    product = await photo_product(shop, owner, media_store, photos=2)
    await buyer.send(f"/start p_{product.id}")

    forged = CatalogCallback(action=CatalogAction.PRODUCT, product_id=product.id, photo=7).pack()
    result = await buyer.press_data(forged)
    assert alert(result).text == translator.text("en", "card.photo_gone")
    assert media_edits(result) == edits(result) == sent(result) == photos_sent(result) == deleted(result) == []

    result = await buyer.press_data(f"c:p:{product.id}::0:99")  # beyond any product: not even parsed
    assert alert(result).text == translator.text("en", "error.stale_button")
    assert media_edits(result) == photos_sent(result) == []


async def test_a_deleted_product_under_an_old_card_says_so(
        buyer: TelegramChat, shop: Shop, owner: int, media_store: MediaStore, translator: Translator) -> None:
    product = await photo_product(shop, owner, media_store, photos=2)
    await buyer.send(f"/start p_{product.id}")
    await shop.catalog.delete_product(owner, product.id)

    result = await buyer.press("▶")
    assert alert(result).text == translator.error("en", NotFound(entity="product", id=product.id))
    assert media_edits(result) == photos_sent(result) == deleted(result) == []


# ---- reviews ----


async def test_reviews_button_opens_what_buyers_said(buyer: TelegramChat, shop: Shop, translator: Translator) -> None:
    order = await delivered_order(shop, buyer)
    [line] = order.lines
    await shop.reviews.add(await customer_of(shop, buyer), line.id, 4, "Lovely <b>cup</b> & fast")

    [card] = sent(await buyer.send(f"/start p_{line.product_id}"))  # no photos: a text card
    rated = await shop.catalog.product(line.product_id)
    assert quote(translator.text("en", "product.rating", rating=rated.rating, count=1)) in card.text
    assert translator.text("en", "button.reviews") in buyer.labels()

    result = await buyer.press(translator.text("en", "button.reviews"))
    [reviews] = sent(result)
    assert reviews.text.startswith(f"<b>{quote(translator.text('en', 'reviews.heading', title=line.title))}</b>")
    assert "★★★★☆" in reviews.text and quote("Lovely <b>cup</b> & fast") in reviews.text


async def test_a_product_without_reviews_has_no_reviews_button(buyer: TelegramChat, shop: Shop, owner: int,
                                                               translator: Translator) -> None:
    product = await make_product(shop, owner, title="Sencha")
    await buyer.send(f"/start p_{product.id}")
    assert translator.text("en", "button.reviews") not in buyer.labels()


# ---- in Japanese ----


async def test_the_photo_card_and_its_refusals_speak_japanese(
        new_chat: Callable[..., TelegramChat], shop: Shop, owner: int, media_store: MediaStore,
        translator: Translator) -> None:
    chat = new_chat("ja")
    product = await photo_product(shop, owner, media_store, photos=2, title="有田焼の皿")
    await chat.send(f"/start p_{product.id}")
    caption = caption_of(chat)
    assert caption.startswith("<b>有田焼の皿</b>") and "￥3,200" in caption
    assert quote(translator.text("ja", "product.stock", stock=4)) in caption
    assert {translator.text("ja", key) for key in ("button.add_to_cart", "button.buy_now", "button.share",
                                                   "button.back")} <= set(chat.labels())
    assert "1/2" in chat.labels()

    forged = CatalogCallback(action=CatalogAction.PRODUCT, product_id=product.id, photo=5).pack()
    assert alert(await chat.press_data(forged)).text == translator.text("ja", "card.photo_gone")


# ---- inline mode ----


async def ask_inline(bot: MockBot, query: str, language: str = "en") -> AnswerInlineQuery:
    user = MockUser(user_id=700_101 if language == "en" else 700_102, first_name="Ken", language_code=language)
    inline = InlineQuery(id="1", from_user=user, query=query, offset="")
    result = await bot.dispatch(Update(update_id=990_001, inline_query=inline))
    [answer] = [r for r in result.requests.all if isinstance(r, AnswerInlineQuery)]
    return answer


async def test_inline_results_post_the_cached_photo_once_telegram_has_it(
        telegram: MockBot, buyer: TelegramChat, shop: Shop, owner: int, media_store: MediaStore,
        translator: Translator) -> None:
    product = await photo_product(shop, owner, media_store, title="Arita <plate> & cup")
    [never_shown] = (await ask_inline(telegram, "arita")).results
    assert isinstance(never_shown, InlineQueryResultArticle)  # inline results can't upload a photo

    await buyer.send(f"/start p_{product.id}")
    assert buyer.last is not None and buyer.last.photo
    [result] = (await ask_inline(telegram, "arita", language="ja")).results

    assert isinstance(result, InlineQueryResultCachedPhoto)
    assert result.photo_file_id == buyer.last.photo[-1].file_id
    assert result.caption is not None and result.parse_mode == "HTML"
    assert result.caption.startswith("<b>Arita &lt;plate&gt; &amp; cup</b>") and "￥3,200" in result.caption
    validate_html(result.caption)
    assert utf16_len(result.caption) <= CAPTION_MAX
    assert result.reply_markup is not None
    [[buy], [share]] = result.reply_markup.inline_keyboard
    assert buy.text == translator.text("ja", "share.buy")
    assert buy.url == f"https://t.me/test_bot?start=p_{product.id}"
    assert share.switch_inline_query == "Arita <plate> & cup"
