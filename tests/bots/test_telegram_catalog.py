"""Browsing: categories → products (paged, edited in place) → card; variants, sold out, escaping, search."""

from __future__ import annotations

from bots.i18n import Translator
from bots.telegram.handlers.buyer.catalog import PAGE_SIZE
from bots.telegram.render import quote
from commerce.catalog import NewProduct, NewVariant
from commerce.errors import InvalidInput
from commerce.shop import Shop
from tests.bots.telegram_chat import TelegramChat, alert, edits, sent
from tests.support.factories import make_product


async def open_all_products(buyer: TelegramChat, translator: Translator) -> None:
    await buyer.send("/browse")
    await buyer.press(translator.text("en", "browse.all"))


async def test_browse_a_category_open_a_card_and_go_back(buyer: TelegramChat, shop: Shop, owner: int,
                                                         translator: Translator) -> None:
    tea = await shop.catalog.create_category(owner, "Tea")
    await shop.catalog.create_category(owner, "Ceramics")
    await shop.catalog.create_product(owner, NewProduct(title="Sencha", price="1200", stock=5, category_id=tea.id))
    await make_product(shop, owner, title="Plate")  # in no category: only under "All products"

    [categories] = sent(await buyer.send("/browse"))
    assert categories.text == f"<b>{quote(translator.text('en', 'browse.categories'))}</b>"
    assert buyer.labels() == ["Tea", "Ceramics", translator.text("en", "browse.all")]
    screen = buyer.last
    assert screen is not None

    result = await buyer.press("Tea")
    assert sent(result) == [] and [e.message_id for e in edits(result)] == [screen.message_id]
    assert buyer.labels() == ["Sencha · ¥1,200", translator.text("en", "button.back")]

    result = await buyer.press("Sencha")
    assert buyer.last is not None and buyer.last.text is not None
    assert sent(result) == [] and buyer.last.text.startswith("<b>Sencha</b>")

    await buyer.press(translator.text("en", "button.back"))
    assert buyer.labels() == ["Sencha · ¥1,200", translator.text("en", "button.back")]
    await buyer.press(translator.text("en", "button.back"))
    assert buyer.labels() == ["Tea", "Ceramics", translator.text("en", "browse.all")]


async def test_paging_edits_the_list_in_place(buyer: TelegramChat, shop: Shop, owner: int,
                                              translator: Translator) -> None:
    for n in range(PAGE_SIZE + 2):
        await make_product(shop, owner, title=f"Cup {n:02d}", price=str(100 + n))
    await open_all_products(buyer, translator)
    first_page = buyer.last
    assert first_page is not None and first_page.text is not None
    assert translator.text("en", "browse.page", page=1, pages=2) in first_page.text
    assert len([label for label in buyer.labels() if label.startswith("Cup")]) == PAGE_SIZE

    result = await buyer.press(translator.text("en", "button.next"))
    assert sent(result) == []
    [edit] = edits(result)
    assert edit.message_id == first_page.message_id
    assert translator.text("en", "browse.page", page=2, pages=2) in (edit.text or "")
    assert [label for label in buyer.labels() if label.startswith("Cup")] == ["Cup 01 · ¥101", "Cup 00 · ¥100"]
    assert translator.text("en", "button.next") not in "".join(buyer.labels())

    await buyer.press(translator.text("en", "button.prev"))
    assert "Cup 09 · ¥109" in buyer.labels()


async def test_an_empty_shop_says_so(buyer: TelegramChat, translator: Translator) -> None:
    await open_all_products(buyer, translator)
    assert buyer.last is not None
    assert buyer.last.text == f"<b>{quote(translator.text('en', 'browse.empty'))}</b>"


async def test_a_card_with_several_variants_offers_each_buyable_one(buyer: TelegramChat, shop: Shop, owner: int,
                                                                    translator: Translator) -> None:
    product = await make_product(shop, owner, title="T-shirt", variants=[
        NewVariant(price="2000", stock=3, options={"size": "S"}),
        NewVariant(price="2200", stock=0, options={"size": "M"}),
        NewVariant(price="2400", stock=1, options={"size": "L"})])
    await buyer.send(f"/start p_{product.id}")
    buy_now = translator.text("en", "button.buy_now")
    assert buyer.labels() == ["S · ¥2,000", buy_now, "L · ¥2,400", buy_now, translator.text("en", "button.share"),
                              translator.text("en", "button.back")]

    result = await buyer.press("L · ¥2,400")
    assert alert(result).text == translator.text("en", "cart.added", title="T-shirt")
    cart = await shop.cart.view((await shop.customers.identify("telegram", buyer.user.id)).id)
    assert [(line.variant_id, line.quantity) for line in cart.lines] == [(product.variants[2].id, 1)]


async def test_a_sold_out_product_has_no_add_button(buyer: TelegramChat, shop: Shop, owner: int,
                                                    translator: Translator) -> None:
    product = await make_product(shop, owner, title="Rare vase", stock=0)
    [card] = sent(await buyer.send(f"/start p_{product.id}"))
    assert translator.text("en", "product.sold_out") in card.text
    assert buyer.labels() == [translator.text("en", "button.share"), translator.text("en", "button.back")]


async def test_user_content_is_escaped_everywhere(buyer: TelegramChat, shop: Shop, owner: int,
                                                  translator: Translator) -> None:
    title = '<b>Tea & "Co"</b> <i>'
    category = await shop.catalog.create_category(owner, "<Cups & Bowls>")
    product = await shop.catalog.create_product(owner, NewProduct(
        title=title, price="900", stock=2, category_id=category.id, description="Hand-made <3 & fired twice"))

    [card] = sent(await buyer.send(f"/start p_{product.id}"))  # teremok rejects malformed HTML like Telegram
    assert card.text.startswith("<b>&lt;b&gt;Tea &amp; \"Co\"&lt;/b&gt; &lt;i&gt;</b>\n\nHand-made &lt;3 &amp; fired")
    await buyer.press(translator.text("en", "button.add_to_cart"))

    await buyer.send("/browse")
    await buyer.press("<Cups & Bowls>")
    assert buyer.labels()[0] == '<b>Tea & "Co"</b> <i> · ¥900'  # button text is never parsed
    [cart] = sent(await buyer.send("/cart"))
    assert quote(translator.text("en", "cart.line", title=title, quantity=1, total="¥900")) in cart.text


async def test_search_by_command_or_by_typing(buyer: TelegramChat, shop: Shop, owner: int,
                                              translator: Translator) -> None:
    await make_product(shop, owner, title="Matcha latte", price="600")
    await make_product(shop, owner, title="Hojicha", price="500")
    await buyer.send("/search matcha")
    assert buyer.labels() == ["Matcha latte · ¥600"]
    await buyer.send("hojicha")
    assert buyer.labels() == ["Hojicha · ¥500"]
    [nothing] = sent(await buyer.send("/search teapot"))
    assert nothing.text == f"<b>{quote(translator.text('en', 'browse.empty'))}</b>"
    [prompt] = sent(await buyer.send("/search"))
    assert prompt.text == quote(translator.text("en", "search.prompt"))


async def test_an_over_long_search_is_refused_politely(buyer: TelegramChat, translator: Translator) -> None:
    [reply] = sent(await buyer.send("/search " + "抹茶" * 60))
    assert reply.text == quote(translator.error("en", InvalidInput(field="query", reason="too_long", limit=100)))


async def test_a_price_changed_since_shows_at_once_on_the_list_and_the_card(buyer: TelegramChat, shop: Shop,
                                                                            owner: int,
                                                                            translator: Translator) -> None:
    """Pages and cards are reused while the catalog hands out the same ones; a seller's change is not."""
    product = await shop.catalog.create_product(owner, NewProduct(title="Sencha", price="1200", stock=5))
    await open_all_products(buyer, translator)
    await buyer.press("Sencha · ¥1,200")
    await buyer.press(translator.text("en", "button.back"))
    await buyer.press("Sencha · ¥1,200")  # the same card again: reused
    assert buyer.last is not None and buyer.last.text is not None and "¥1,200" in buyer.last.text

    await shop.catalog.set_price(owner, product.variants[0].id, "900")
    await buyer.press(translator.text("en", "button.back"))
    assert buyer.labels()[0] == "Sencha · ¥900"
    await buyer.press("Sencha · ¥900")
    assert buyer.last is not None and buyer.last.text is not None
    assert "¥900" in buyer.last.text and "¥1,200" not in buyer.last.text
