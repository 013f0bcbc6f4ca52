"""The cart: add from a card, then −/+/remove edit the cart message in place, re-checked by the core."""

from __future__ import annotations

from bots.i18n import Translator
from bots.telegram.render import quote
from commerce.errors import OutOfStock
from commerce.shop import Shop
from tests.bots.telegram_chat import TelegramChat, alert, edits, sent
from tests.support.factories import make_product


async def cart_of(shop: Shop, chat: TelegramChat) -> list[tuple[str, int]]:
    customer = await shop.customers.identify("telegram", chat.user.id)
    return [(line.title, line.quantity) for line in (await shop.cart.view(customer.id)).lines]


def cart_text(translator: Translator, lines: list[tuple[str, int, str]], total: str) -> str:
    shown = [quote(f"{n}. " + translator.text("en", "cart.line", title=title, quantity=quantity, total=line_total))
             for n, (title, quantity, line_total) in enumerate(lines, start=1)]
    heading, footer = translator.text("en", "cart.title"), translator.text("en", "cart.total", total=total)
    return "\n".join([f"<b>{quote(heading)}</b>", *shown, "", f"<b>{quote(footer)}</b>"])


async def test_browse_add_to_cart_and_see_it_in_the_cart(buyer: TelegramChat, shop: Shop, owner: int,
                                                         translator: Translator) -> None:
    await make_product(shop, owner, title="Tea cup", price="1200", stock=10)
    await buyer.send("/start")
    await buyer.press(translator.text("en", "menu.browse"))
    await buyer.press(translator.text("en", "browse.all"))
    await buyer.press("Tea cup")
    card = buyer.last

    for _ in range(2):
        result = await buyer.press(translator.text("en", "button.add_to_cart"), on=card)
        assert alert(result).text == translator.text("en", "cart.added", title="Tea cup")
        assert sent(result) == [] and edits(result) == []  # the card stays as it is

    [reply] = sent(await buyer.send("/cart"))
    assert reply.text == cart_text(translator, [("Tea cup", 2, "¥2,400")], "¥2,400")
    assert await cart_of(shop, buyer) == [("Tea cup", 2)]


async def test_minus_plus_and_remove_edit_the_cart_in_place(buyer: TelegramChat, shop: Shop, owner: int,
                                                            translator: Translator) -> None:
    cup = await make_product(shop, owner, title="Cup", price="1000", stock=3)
    pot = await make_product(shop, owner, title="Pot", price="5000", stock=1)
    await buyer.send("/start")
    customer = await shop.customers.identify("telegram", buyer.user.id)
    await shop.cart.add(customer.id, cup.variants[0].id)
    await shop.cart.add(customer.id, pot.variants[0].id)
    [shown] = sent(await buyer.send("/cart"))
    cart_message = buyer.last
    assert cart_message is not None
    assert shown.text == cart_text(translator, [("Cup", 1, "¥1,000"), ("Pot", 1, "¥5,000")], "¥6,000")
    plus, minus = [b for b in buyer.labels() if b == "+"], [b for b in buyer.labels() if b == "−"]
    assert len(plus) == len(minus) == 2

    first_plus = buyer.rows()[0][2]
    result = await buyer.press_data(first_plus.callback_data or "")
    assert sent(result) == [] and [e.message_id for e in edits(result)] == [cart_message.message_id]
    assert edits(result)[0].text == cart_text(translator, [("Cup", 2, "¥2,000"), ("Pot", 1, "¥5,000")], "¥7,000")
    # pressing the same (now stale) "+" again asks for the same quantity: a double tap doesn't count twice
    await buyer.press_data(first_plus.callback_data or "", on=cart_message)
    assert await cart_of(shop, buyer) == [("Cup", 2), ("Pot", 1)]

    second_line = buyer.rows()[1]
    result = await buyer.press_data(second_line[2].callback_data or "")  # Pot: + beyond the stock of 1
    assert alert(result).show_alert
    assert alert(result).text == translator.error("en", OutOfStock(title="Pot", requested=2, available=1))
    assert edits(result) == [] and await cart_of(shop, buyer) == [("Cup", 2), ("Pot", 1)]

    await buyer.press_data(second_line[0].callback_data or "")  # Pot: − from 1 removes the line
    assert await cart_of(shop, buyer) == [("Cup", 2)]
    await buyer.press(f"1. {translator.text('en', 'button.remove')}")
    assert await cart_of(shop, buyer) == []
    assert buyer.message(cart_message.message_id).text == quote(translator.text("en", "cart.empty"))
    assert buyer.labels() == []


async def test_a_line_that_became_unavailable_is_struck_through_and_not_totalled(
        buyer: TelegramChat, shop: Shop, owner: int, translator: Translator) -> None:
    cup = await make_product(shop, owner, title="Cup", price="1000", stock=3)
    bowl = await make_product(shop, owner, title="Bowl", price="800", stock=3)
    await buyer.send("/start")
    customer = await shop.customers.identify("telegram", buyer.user.id)
    await shop.cart.add(customer.id, cup.variants[0].id)
    await shop.cart.add(customer.id, bowl.variants[0].id)
    await shop.catalog.update_product(owner, cup.id, visible=False)

    [reply] = sent(await buyer.send("/cart"))
    gone = quote("1. " + translator.text("en", "cart.line", title="Cup", quantity=1, total="¥1,000")
                 + " — " + translator.text("en", "product.sold_out"))
    assert f"<s>{gone}</s>" in reply.text
    assert reply.text.endswith(f"<b>{quote(translator.text('en', 'cart.total', total='¥800'))}</b>")
