"""Discord, in a shop that charges Japanese consumption tax and ships by zone: product cards show the price with
tax and the shipping rule; a paid order's detail shows its itemised bill and a Receipt button that attaches the
receipt (qualified invoice) as a PNG and a PDF; an unpaid order has none, and a forged click is refused politely."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from PIL import Image

from bots.i18n import Translator
from commerce.bill import Pricing, ShippingRules, TaxMode, TaxRules, Zone
from commerce.payment_records import PaymentRecords
from commerce.privacy import PersonalDataCipher
from commerce.shop import Shop, ShopRules
from commerce.status import OrderStatus
from commerce.storage.db import Database
from payments.requests import PaymentService
from tests.conftest import FakeClock
from tests.discord.conftest import button_labels, embed_of
from tests.discord.test_discord_orders import customer_id, order_button
from tests.discord.test_discord_safety import custom_id_of, open_card, press
from tests.integration.test_order_lifecycle import HOME
from tests.support.factories import make_owner, make_product, step_up

TXID = "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060"
JAPAN = Pricing("JPY", TaxRules(TaxMode.INCLUSIVE, Decimal(10), registration="T1234567890123"),
                ShippingRules((Zone("honshu", "本州", frozenset({"JP"}), fee_minor=600, free_over_minor=5000),)))


@pytest.fixture
def shop(db: Database, clock: FakeClock, data_key: str) -> Shop:
    return Shop(db, ShopRules(currency="JPY", pricing=JAPAN), PersonalDataCipher(data_key), clock)


async def test_a_card_shows_the_price_with_tax_and_the_shipping_rule(simcord_env: Any, channel: Any, buyer: Any,
                                                                      shop: Shop) -> None:
    owner = await make_owner(shop)
    await make_product(shop, owner, title="Arita mug", price="1100")
    await make_product(shop, owner, title="Tea e-book", price="800", kind="digital", stock=0)

    card = embed_of(await open_card(buyer, channel, "Arita mug"))
    assert "**Price: ¥1,100 (tax incl.)**\nShipping ¥600 · free over ¥5,000\nIn stock: 10" in card.description
    ebook = embed_of(await open_card(buyer, channel, "Tea e-book"))
    assert "**Price: ¥800 (tax incl.)**\nDigital: no shipping\n" in ebook.description


async def paid_order(shop: Shop, payments: PaymentService, buyer: int) -> tuple[int, int]:
    """(the shop's owner, an order of two mugs paid in USDT by one transfer the watcher saw confirmed)"""
    owner = await make_owner(shop)
    mug = await make_product(shop, owner, title="Arita mug **limited**", price="1650", stock=5)
    order = await shop.orders.checkout(buyer, items=[(mug.variants[0].id, 2)], address=HOME)
    view = await payments.request_payment(buyer, order.id, "usdt-eth")
    await PaymentRecords(shop.db, shop.clock).record_payment(view.request.chain, view.request.id, TXID, 0,
                                                             view.request.amount_units, 100, "0xblock")
    await shop.payments.settle([order.id], {view.request.chain: 200})
    return owner, order.id


async def test_a_paid_order_shows_its_bill_and_attaches_its_receipt(simcord_env: Any, channel: Any, buyer: Any,
                                                                    shop: Shop, payments: PaymentService,
                                                                    translator: Translator) -> None:
    _, order_id = await paid_order(shop, payments, await customer_id(shop, buyer))
    listed = await buyer.slash(channel, "orders")
    detail = await buyer.click(listed.response, label=order_button(listed.response, order_id))

    text = embed_of(detail.response).description
    assert r"Arita mug \*\*limited\*\* × 2 — ¥3,300" in text
    assert "Subtotal: ¥3,300\nShipping (本州): ¥600\n**Total: ¥3,900**\n" in text
    assert translator.text("en", "bill.tax_included", rate="10", base="¥3,900", tax="¥354") in text
    assert "🧾 Receipt" in button_labels(detail.response)

    sent = await buyer.click(detail.response, label="🧾 Receipt")
    answer = sent.response  # the deferred answer, filled in
    assert answer.ephemeral and answer.content == f"🧾 Qualified invoice for order #{order_id} (image and PDF)."
    png, pdf = answer.attachments
    assert (png.filename, pdf.filename) == (f"receipt-{order_id}.png", f"receipt-{order_id}.pdf")
    image = Image.open(io.BytesIO(await png.read()))
    assert image.format == "PNG" and image.size[0] == 720
    assert (await pdf.read()).startswith(b"%PDF")
    assert simcord_env.errors == []


async def test_an_unpaid_order_has_no_receipt_and_a_stale_or_foreign_click_is_refused(
        simcord_env: Any, channel: Any, buyer: Any, other_buyer: Any, shop: Shop,
        payments: PaymentService) -> None:
    owner = await make_owner(shop)
    mug = await make_product(shop, owner, title="Arita mug", price="1650")
    order = await shop.orders.checkout(await customer_id(shop, buyer), items=[(mug.variants[0].id, 1)],
                                       address=HOME)
    assert order.status is OrderStatus.AWAITING_PAYMENT
    listed = await buyer.slash(channel, "orders")
    unpaid = await buyer.click(listed.response, label=order_button(listed.response, order.id))
    assert "🧾 Receipt" not in button_labels(unpaid.response)

    owner, paid = await paid_order(shop, payments, await customer_id(shop, buyer))
    listed = await buyer.slash(channel, "orders")
    detail = await buyer.click(listed.response, label=order_button(listed.response, paid))
    peek = await press(other_buyer, detail.response, custom_id_of(detail.response, "🧾 Receipt"))
    assert peek.ephemeral and "couldn't find that order" in peek.response.content
    assert not peek.response.attachments

    await step_up(shop, owner)
    await shop.fulfilment.refund(owner, paid, "refund tx 0xabc")
    stale = await buyer.click(detail.response, label="🧾 Receipt")  # the detail still shows it
    assert stale.ephemeral and stale.response.content == (
        f"There is no receipt for order #{paid} (Refunded): receipts are issued for paid orders.")
    assert not stale.response.attachments
    assert simcord_env.errors == []
