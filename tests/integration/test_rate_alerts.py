"""An absurd rate at checkout, through the real shop: the buyer is told payment is briefly unavailable and loses
nothing, the staff get one notice per incident through the outbox (and one when rates are back), in their
language — on SQLite and PostgreSQL. The rate source is a local httpx MockTransport answering like CoinGecko."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from bots.common.notices import NoticeWriter
from bots.common.rich_text import plain
from bots.i18n import Translator
from commerce.outbox import OutboxItem
from commerce.payment_records import PaymentRecords
from commerce.shop import Shop
from commerce.status import OrderStatus
from commerce.storage.tables import OutboxMessage
from payments.errors import AbsurdRate
from payments.methods import evm_method
from payments.rates import build_rate_source
from payments.requests import PaymentService
from tests.conftest import FakeClock
from tests.support.factories import make_buyer, make_owner, make_product

SHOP_ADDRESS = "0x00000000000000000000000000000000c0ffee42"


class Feed:
    def __init__(self) -> None:
        self.eth_jpy = "450000"

    def handle(self, request: httpx.Request) -> httpx.Response:
        coin, currency = request.url.params["ids"], request.url.params["vs_currencies"]
        return httpx.Response(200, content=f'{{"{coin}": {{"{currency}": {self.eth_jpy}}}}}'.encode())


@pytest.fixture
async def client(feed: Feed) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(feed.handle)) as http:
        yield http


@pytest.fixture
def feed() -> Feed:
    return Feed()


async def staff_notices(shop: Shop) -> list[OutboxItem]:
    async with shop.db.uow(write=False) as uow:
        rows = (await uow.session.execute(select(OutboxMessage).where(OutboxMessage.audience == "sellers",
                                                                      OutboxMessage.topic.startswith("rate."))
                                          .order_by(OutboxMessage.id))).scalars()
        return [OutboxItem(r.id or 0, r.customer_id, r.audience, r.topic, dict(r.payload), r.attempts, r.created_at)
                for r in rows]


async def test_an_absurd_rate_pauses_payment_politely_and_tells_the_staff_once(
        shop: Shop, clock: FakeClock, feed: Feed, client: httpx.AsyncClient) -> None:
    rates = build_rate_source("coingecko", {}, client, cache_seconds=60, timeout_seconds=5, clock=clock,
                              alerts=shop.alerts)
    methods = {"eth": evm_method(id="eth", chain_id=1, asset="ETH", decimals=18, confirmations=12,
                                 receive_address=SHOP_ADDRESS)}
    service = PaymentService(PaymentRecords(shop.db, clock), shop.orders, rates, methods, shop_name="Sakura Goods",
                             late_window=timedelta(hours=24), clock=clock)
    owner = await make_owner(shop)
    product = await make_product(shop, owner, kind="digital", stock=0, price="1200")
    await shop.catalog.add_digital_items(owner, product.variants[0].id, ["KEY-1"])
    buyer = await make_buyer(shop)
    order = await shop.orders.checkout(buyer, items=[(product.variants[0].id, 1)])
    tr = Translator.load()

    feed.eth_jpy = "1e30"                       # ¥1,200 would be 2 wei
    for _ in range(3):                          # the buyer tries again, and again
        with pytest.raises(AbsurdRate) as refused:
            await service.request_payment(buyer, order.id, "eth")
    assert "briefly unavailable" in tr.error("en", refused.value)
    assert "一時的にご利用いただけません" in tr.error("ja", refused.value)
    assert await service.current(buyer, order.id) is None          # no request at a wrong price …
    assert (await shop.orders.get(buyer, order.id)).status is OrderStatus.AWAITING_PAYMENT   # … and nothing lost

    feed.eth_jpy = "452000.5"
    view = await service.request_payment(buyer, order.id, "eth")
    assert view.request.amount_units >= 1200 * 10**18 // 452001     # about 0.00265 ETH, not 2 wei

    notices = await staff_notices(shop)
    assert [n.topic for n in notices] == ["rate.out_of_range", "rate.restored"]
    words = NoticeWriter(shop, tr)
    out_of_range = plain(await words.for_staff(notices[0], "en") or ())
    assert "1 ETH = 1000000000000000000000000000000 JPY" in out_of_range and "500–500000000 JPY" in out_of_range
    restored = plain(await words.for_staff(notices[1], "ja") or ())
    assert "1 ETH = 452000.5 JPY" in restored and "戻りました" in restored


async def test_a_sudden_jump_is_told_to_the_staff_with_the_last_good_rate(
        shop: Shop, clock: FakeClock, feed: Feed, client: httpx.AsyncClient) -> None:
    rates = build_rate_source("coingecko", {}, client, cache_seconds=60, timeout_seconds=5, clock=clock,
                              alerts=shop.alerts, max_jump=Decimal(2))
    assert await rates.price("ETH", "JPY") == Decimal(450_000)
    feed.eth_jpy = "45000"                      # a tenth: a feed glitch, not a market
    clock.advance(seconds=61)
    with pytest.raises(AbsurdRate):
        await rates.price("ETH", "JPY")
    [notice] = await staff_notices(shop)
    text = plain(await NoticeWriter(shop, Translator.load()).for_staff(notice, "en") or ())
    assert "45000 JPY" in text and "2× away from the last good rate (450000 JPY)" in text
