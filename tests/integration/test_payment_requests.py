"""Making an order payable: quotes, unique targets, URIs, replacement, and a rate source that is down."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from commerce.errors import IllegalTransition, NotFound
from commerce.payment_records import PaymentRecords
from commerce.shop import Shop
from commerce.status import OrderStatus
from payments.derive import AddressDeriver
from payments.errors import RateUnavailable
from payments.methods import bitcoin_method, evm_method
from payments.rates import CoinGeckoRates, FixedRates
from payments.requests import PaymentService
from payments.uri import parse_payment_uri
from payments.watcher import ChainWatcher
from tests.conftest import FakeClock
from tests.support.factories import make_buyer, make_owner, make_product
from tests.support.fake_chain import FakeChain

ZPUB = ("zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz"
        "2AGutZYs")
SHOP_ADDRESS = "0x000000000000000000000000000000000000dEaD"
USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"


class DownRates:
    async def price(self, asset: str, fiat: str) -> Decimal:
        raise RateUnavailable(asset=asset, fiat=fiat, reason="timeout")


def service(shop: Shop, clock: FakeClock, rates: object | None = None) -> PaymentService:
    methods = {
        "btc": bitcoin_method(id="btc", network="mainnet", asset="BTC", confirmations=1,
                              deriver=AddressDeriver.from_extended_key(ZPUB, "mainnet")),
        "usdt": evm_method(id="usdt", chain_id=1, asset="USDT", decimals=6, confirmations=12, token=USDT,
                           receive_address=SHOP_ADDRESS),
        "eth": evm_method(id="eth", chain_id=1, asset="ETH", decimals=18, confirmations=12,
                          receive_address=SHOP_ADDRESS),
    }
    prices = FixedRates({"BTC": Decimal("15000000"), "USDT": Decimal("150"), "ETH": Decimal("450000")})
    return PaymentService(PaymentRecords(shop.db, clock), shop.orders, rates or prices, methods,  # type: ignore[arg-type]
                          shop_name="Sakura Goods", late_window=timedelta(hours=24), clock=clock)


async def an_order(shop: Shop, price: str = "1875") -> tuple[int, int]:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, kind="digital", stock=0, price=price)
    await shop.catalog.add_digital_items(owner, product.variants[0].id, ["KEY"] * 3)
    buyer = await make_buyer(shop)
    order = await shop.orders.checkout(buyer, items=[(product.variants[0].id, 1)])
    return buyer, order.id


async def test_bitcoin_request_uses_a_fresh_derived_address_and_an_exact_bip21_uri(shop: Shop,
                                                                                  clock: FakeClock) -> None:
    payments = service(shop, clock)
    buyer, order_id = await an_order(shop)
    view = await payments.request_payment(buyer, order_id, "btc")
    # ¥1,875 at ¥15,000,000 per BTC is exactly 0.000125 BTC
    assert view.request.amount_units == 12_500 and view.amount_text == "0.000125 BTC"
    assert view.request.address == "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"   # BIP84 vector, index 0
    assert view.uri == ("bitcoin:bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu?amount=0.000125"
                        f"&label=Sakura%20Goods&message=Order%20{order_id}")
    buyer2, order2 = await an_order(shop)
    second = await payments.request_payment(buyer2, order2, "btc")
    assert second.request.address == "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g"   # index 1: never reused


async def test_evm_requests_on_a_shared_address_get_unique_amounts(shop: Shop, clock: FakeClock) -> None:
    payments = service(shop, clock)
    orders = [await an_order(shop, price="1500") for _ in range(30)]
    views = await asyncio.gather(*(payments.request_payment(b, o, "usdt") for b, o in orders))
    amounts = [v.request.amount_units for v in views]
    assert len(set(amounts)) == 30
    assert all(10_000_001 <= a <= 10_000_999 for a in amounts)   # 10 USDT + a 1–999 unit offset
    parsed = parse_payment_uri(views[0].uri)
    assert views[0].uri.startswith(f"ethereum:{USDT}@1/transfer?address={SHOP_ADDRESS}&uint256=")
    assert int(parsed["uint256"]) == amounts[0]


async def test_native_eth_amount_is_in_wei_without_exponent(shop: Shop, clock: FakeClock) -> None:
    payments = service(shop, clock)
    buyer, order_id = await an_order(shop, price="4500")
    view = await payments.request_payment(buyer, order_id, "eth")
    offset = view.request.amount_units - 10**16      # 0.01 ETH plus a free 1–999 wei offset
    assert 1 <= offset <= 999
    assert view.uri == f"ethereum:{SHOP_ADDRESS}@1?value={10**16 + offset}"


async def test_changing_method_replaces_the_request(shop: Shop, clock: FakeClock) -> None:
    payments = service(shop, clock)
    buyer, order_id = await an_order(shop)
    await payments.request_payment(buyer, order_id, "btc")
    usdt = await payments.request_payment(buyer, order_id, "usdt")
    current = await payments.current(buyer, order_id)
    assert current is not None and current.request.id == usdt.request.id and current.method.asset == "USDT"


async def test_rate_source_down_creates_nothing(shop: Shop, clock: FakeClock) -> None:
    payments = service(shop, clock, rates=DownRates())
    buyer, order_id = await an_order(shop)
    with pytest.raises(RateUnavailable) as err:
        await payments.request_payment(buyer, order_id, "btc")
    assert err.value.code == "rate_unavailable"
    assert await payments.current(buyer, order_id) is None
    assert await PaymentRecords(shop.db).next_index("btc") == 0   # no address was burnt either


async def test_someone_elses_order_unknown_method_and_paid_orders_are_refused(shop: Shop, clock: FakeClock) -> None:
    payments = service(shop, clock)
    buyer, order_id = await an_order(shop)
    stranger = await make_buyer(shop)
    with pytest.raises(NotFound):
        await payments.request_payment(stranger, order_id, "btc")
    with pytest.raises(NotFound):
        await payments.request_payment(buyer, order_id, "doge")
    await shop.payments.payment_confirmed(order_id)
    with pytest.raises(IllegalTransition):
        await payments.request_payment(buyer, order_id, "btc")


async def test_the_payment_is_shown_again_only_to_its_buyer_and_only_while_the_order_awaits_it(
        shop: Shop, clock: FakeClock) -> None:
    """The rule both front-ends used to check themselves (`PaymentService.to_resume`)."""
    payments = service(shop, clock)
    buyer, order_id = await an_order(shop)
    order, view = await payments.to_resume(buyer, order_id)
    assert order.id == order_id and view is None          # no method chosen yet: the front-end offers them
    requested = await payments.request_payment(buyer, order_id, "btc")
    order, view = await payments.to_resume(buyer, order_id)
    assert view is not None and view.request.id == requested.request.id
    with pytest.raises(NotFound):
        await payments.to_resume(await make_buyer(shop), order_id)
    await shop.payments.payment_confirmed(order_id)
    with pytest.raises(IllegalTransition):
        await payments.to_resume(buyer, order_id)


async def test_a_request_is_paid_through_the_watcher(shop: Shop, clock: FakeClock) -> None:
    payments = service(shop, clock)
    buyer, order_id = await an_order(shop, price="4500")
    view = await payments.request_payment(buyer, order_id, "eth")
    chain = FakeChain(key="evm:1")
    watcher = ChainWatcher(chain, PaymentRecords(shop.db, clock), shop.payments, clock=clock, start_behind=0)
    await watcher.step()
    chain.pay(view.request.address, view.request.amount_units)
    chain.mine(12)
    await watcher.step()
    assert (await shop.orders.get(buyer, order_id)).status is OrderStatus.FULFILLED


class PriceHandler(BaseHTTPRequestHandler):
    mode = "garbage"

    def do_GET(self) -> None:
        if self.mode == "slow":
            time.sleep(1.0)
        status, body = (500, b"oops") if self.mode == "down" else (200, b"<html>not json")
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize("mode", ["down", "garbage", "slow"])
async def test_a_real_rate_source_that_fails_creates_nothing(shop: Shop, clock: FakeClock, mode: str) -> None:
    PriceHandler.mode = mode
    server = ThreadingHTTPServer(("127.0.0.1", 0), PriceHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        async with httpx.AsyncClient() as client:
            rates = CoinGeckoRates(client, f"http://127.0.0.1:{server.server_port}",
                                   timeout=timedelta(milliseconds=300))
            payments = service(shop, clock, rates=rates)
            buyer, order_id = await an_order(shop)
            with pytest.raises(RateUnavailable) as err:
                await payments.request_payment(buyer, order_id, "btc")
            assert err.value.code == "rate_unavailable" and err.value.reason
            assert await payments.current(buyer, order_id) is None
            assert (await shop.orders.get(buyer, order_id)).status is OrderStatus.AWAITING_PAYMENT
    finally:
        server.shutdown()
        server.server_close()


async def test_the_first_concurrent_requests_of_a_new_method_each_get_their_own_address(shop: Shop,
                                                                                       clock: FakeClock) -> None:
    records = PaymentRecords(shop.db, clock)
    indices = await asyncio.gather(*(records.next_index("btc-new") for _ in range(20)))
    assert sorted(indices) == list(range(20))        # the counter row is made once; nobody fails on it
