"""End to end on a real Ethereum node: orders from the shop core, PaymentService requests, the QR card, real
transfers on anvil (native ETH and a deployed 6-decimal ERC-20), the real EvmBackend over HTTP and the
ChainWatcher settling orders — on SQLite and PostgreSQL. Chain state is rolled back by the `anvil` fixture."""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import PIL.Image
import pytest
import zxingcpp
from bip_utils import Bip39SeedGenerator, Bip44, Bip44Coins, Kekkak256  # type: ignore[import-untyped]
from sqlalchemy import select

from commerce.payment_records import PaymentRecords
from commerce.shop import Shop
from commerce.status import OrderStatus
from commerce.storage.tables import OutboxMessage, Payment
from media.payment_card import PaymentCard, render_payment_card
from payments.backends.evm import EvmBackend
from payments.derive import EvmAddressDeriver
from payments.methods import evm_method
from payments.rates import FixedRates
from payments.requests import PaymentRequestView, PaymentService
from payments.watcher import ORPHAN_GRACE, ChainWatcher, StepReport
from tests.conftest import FakeClock
from tests.support.anvil import Anvil, erc20_artifact, erc20_transfer, mine, revert, send_eth, snapshot
from tests.support.factories import make_buyer, make_owner, make_product

CHAIN_ID = 31337
SHOP_ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"   # an EIP-55 test vector, used as the shared address
CONFIRMATIONS = 3
MNEMONIC = " ".join(["abandon"] * 11 + ["about"])
FIRST_DERIVED = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"   # m/44'/60'/0'/0/0 of that mnemonic
PRICES = FixedRates({"ETH": Decimal("450000"), "USDT": Decimal("150")})   # JPY per whole coin
LABELS = {"amount": "Amount", "network": "Network", "address": "Address", "expires": "Expires"}


def confirmed_receipt(node: Anvil, txid: str) -> dict[str, Any]:
    """anvil answers eth_sendTransaction a moment before the block exists: wait until it is mined."""
    deadline = time.monotonic() + 10
    while (receipt := node.rpc("eth_getTransactionReceipt", txid)) is None:
        assert time.monotonic() < deadline, f"{txid} not mined"
        time.sleep(0.01)
    return dict(receipt)


def succeeded(node: Anvil, txid: str) -> str:
    assert confirmed_receipt(node, txid)["status"] == "0x1"
    return txid.lower()


def pay_eth(node: Anvil, to: str, wei: int) -> str:
    return succeeded(node, send_eth(node, node.accounts[1], to, wei))


def pay_token(node: Anvil, token: str, to: str, units: int) -> str:
    return succeeded(node, erc20_transfer(node, token, node.accounts[0], to, units))


def account_xpub() -> str:
    seed = Bip39SeedGenerator(MNEMONIC).Generate()
    return str(Bip44.FromSeed(seed, Bip44Coins.ETHEREUM).Purpose().Coin().Account(0).PublicKey().ToExtended())


def eip55(address: str) -> str:
    """EIP-55 checksum casing, computed here rather than by the code under test."""
    plain = address.lower().removeprefix("0x")
    digest = Kekkak256.QuickDigest(plain.encode()).hex()
    return "0x" + "".join(c.upper() if int(h, 16) >= 8 else c for c, h in zip(plain, digest[:40], strict=True))


@dataclass
class Rig:
    shop: Shop
    clock: FakeClock
    node: Anvil
    token: str
    service: PaymentService
    backend: EvmBackend
    records: PaymentRecords
    watcher: ChainWatcher

    async def order(self, price: str) -> tuple[int, int]:
        """A digital product priced in JPY, bought through the shop core: (buyer, order id)."""
        owner = await make_owner(self.shop)
        product = await make_product(self.shop, owner, kind="digital", stock=0, price=price)
        await self.shop.catalog.add_digital_items(owner, product.variants[0].id, ["KEY-1", "KEY-2"])
        buyer = await make_buyer(self.shop)
        return buyer, (await self.shop.orders.checkout(buyer, items=[(product.variants[0].id, 1)])).id

    async def request(self, price: str, method: str) -> tuple[int, PaymentRequestView]:
        buyer, order_id = await self.order(price)
        return buyer, await self.service.request_payment(buyer, order_id, method)

    async def status(self, view: PaymentRequestView) -> OrderStatus:
        return (await self.shop.orders.get(view.order.customer_id, view.order.id)).status

    async def step(self) -> StepReport:
        return await self.watcher.step()

    def fresh_watcher(self) -> ChainWatcher:
        """Another process taking over: index, cursor and payments come from the database."""
        return ChainWatcher(self.backend, self.records, self.shop.payments, clock=self.clock, start_behind=0)


@pytest.fixture(scope="module")
def erc20(anvil_node: Anvil) -> str:
    """This module's 6-decimal token. Overrides chains.py's `erc20`, whose deploy_erc20() reads the receipt
    right after eth_sendTransaction and fails when anvil has not mined the block yet (a race seen here)."""
    txid = anvil_node.rpc("eth_sendTransaction", {"from": anvil_node.accounts[0],
                                                  "data": erc20_artifact()["bytecode"]})
    succeeded(anvil_node, txid)
    return str(confirmed_receipt(anvil_node, txid)["contractAddress"]).lower()


@pytest.fixture
async def rig(shop: Shop, clock: FakeClock, anvil: Anvil, erc20: str) -> AsyncIterator[Rig]:
    deriver = EvmAddressDeriver.from_extended_key(account_xpub())
    methods = {
        "eth": evm_method(id="eth", chain_id=CHAIN_ID, asset="ETH", decimals=18, confirmations=CONFIRMATIONS,
                          receive_address=SHOP_ADDRESS),
        "usdt": evm_method(id="usdt", chain_id=CHAIN_ID, asset="USDT", decimals=6, confirmations=CONFIRMATIONS,
                           token=erc20, receive_address=SHOP_ADDRESS),
        "eth-x": evm_method(id="eth-x", chain_id=CHAIN_ID, asset="ETH", decimals=18, confirmations=1,
                            deriver=deriver),
        "usdt-x": evm_method(id="usdt-x", chain_id=CHAIN_ID, asset="USDT", decimals=6, confirmations=1,
                             token=erc20, deriver=deriver),
    }
    records = PaymentRecords(shop.db, clock)
    service = PaymentService(records, shop.orders, PRICES, methods, shop_name="Sakura Goods",
                             late_window=timedelta(hours=24), clock=clock)
    backend = EvmBackend(anvil.url, key=f"evm:{CHAIN_ID}", chain_id=CHAIN_ID)
    watcher = ChainWatcher(backend, records, shop.payments, clock=clock, start_behind=0)
    yield Rig(shop, clock, anvil, erc20, service, backend, records, watcher)
    await backend.aclose()


async def messages(shop: Shop, order_id: int, topic: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The buyer's outbox messages about one order, oldest first."""
    async with shop.db.uow(write=False) as uow:
        rows = (await uow.session.execute(select(OutboxMessage).where(OutboxMessage.audience == "customer")
                                          .order_by(OutboxMessage.id))).scalars()
        return [(r.topic, dict(r.payload)) for r in rows
                if r.payload.get("order_id") == order_id and topic in (None, r.topic)]


@dataclass(frozen=True)
class Row:
    txid: str
    output_index: int
    amount_units: int
    block_height: int | None
    gone: bool


async def payment_rows(shop: Shop, request_id: int) -> list[Row]:
    """The stored Payment rows of one request (every row, counted or not)."""
    async with shop.db.uow(write=False) as uow:
        rows = (await uow.session.execute(select(Payment).where(Payment.request_id == request_id)
                                          .order_by(Payment.id))).scalars()
        return [Row(r.txid, r.output_index, r.amount_units, r.block_height, r.gone_at is not None) for r in rows]


def qr_text(view: PaymentRequestView) -> str:
    card = PaymentCard(uri=view.uri, amount=view.amount_text,
                       network=f"{view.method.asset} on {view.method.network_name} only",
                       address=view.request.address, expires="Pay by 12:30 (UTC)", shop_name="Sakura Goods",
                       title=f"Order #{view.order.id}", labels=LABELS)
    [barcode] = zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(render_payment_card(card))))
    return str(barcode.text)


async def test_native_eth_on_the_shared_address_is_seen_confirmed_and_fulfilled(rig: Rig) -> None:
    buyer, view = await rig.request("4500000", "eth")          # ¥4,500,000 at ¥450,000/ETH: 10 ETH, past 2**63 wei
    amount = view.request.amount_units
    assert 10 * 10**18 + 1 <= amount <= 10 * 10**18 + 999     # plus a unique 1–999 wei offset
    assert view.request.address == SHOP_ADDRESS.lower() and view.request.confirmations == CONFIRMATIONS
    assert view.uri == f"ethereum:{eip55(SHOP_ADDRESS)}@{CHAIN_ID}?value={amount}"
    assert qr_text(view) == view.uri
    await rig.step()                                            # the watcher is running before the buyer pays

    txid = pay_eth(rig.node, SHOP_ADDRESS, amount)              # automine: mined at once, 1/3
    report = await rig.step()
    assert (report.blocks, report.payments) == (1, 1)
    assert await rig.status(view) is OrderStatus.CONFIRMING
    [row] = await payment_rows(rig.shop, view.request.id)
    assert (row.txid, row.output_index, row.amount_units, row.gone) == (txid, 0, amount, False)

    mine(rig.node)
    await rig.step()
    assert await rig.status(view) is OrderStatus.CONFIRMING      # 2/3
    mine(rig.node)
    await rig.step()
    order = await rig.shop.orders.get(buyer, view.order.id)
    assert order.status is OrderStatus.FULFILLED and order.overpaid_units is None
    assert [(t, p.get("confirmations")) for t, p in await messages(rig.shop, view.order.id)] == [
        ("order.payment_seen", None), ("order.confirmations", 1), ("order.confirmations", 2),
        ("order.payment_confirmed", None), ("order.fulfil", None)]
    assert [d.content for d in await rig.shop.fulfilment.delivered_items(buyer, view.order.id)] == ["KEY-1"]

    before = await messages(rig.shop, view.order.id)
    again = await rig.step()                                     # nothing new: nothing changes
    assert (again.blocks, again.payments, again.decisions) == (0, 0, [])
    assert await messages(rig.shop, view.order.id) == before
    assert len(await payment_rows(rig.shop, view.request.id)) == 1


async def test_erc20_on_the_shared_address_matches_only_the_exact_amount(rig: Rig) -> None:
    _, first = await rig.request("1500", "usdt")                # ¥1,500 at ¥150: 10 USDT
    _, second = await rig.request("1500", "usdt")
    a, b = first.request.amount_units, second.request.amount_units
    assert a != b and all(10_000_001 <= x <= 10_000_999 for x in (a, b))
    assert first.amount_text == f"10.{a - 10_000_000:06d}".rstrip("0") + " USDT"
    assert first.uri == (f"ethereum:{eip55(rig.token)}@{CHAIN_ID}/transfer?address={eip55(SHOP_ADDRESS)}"
                         f"&uint256={a}")
    assert qr_text(first) == first.uri
    await rig.step()

    txid = pay_token(rig.node, rig.token, SHOP_ADDRESS, a)
    await rig.step()
    assert await rig.status(first) is OrderStatus.CONFIRMING
    mine(rig.node, CONFIRMATIONS - 1)
    await rig.step()
    assert await rig.status(first) is OrderStatus.FULFILLED
    [row] = await payment_rows(rig.shop, first.request.id)
    assert (row.txid, row.amount_units) == (txid, a)

    assert await rig.status(second) is OrderStatus.AWAITING_PAYMENT   # the other request is untouched
    assert await payment_rows(rig.shop, second.request.id) == []
    assert await messages(rig.shop, second.order.id) == []


async def test_underpaid_token_on_a_derived_address_tells_the_exact_remainder_and_a_top_up_pays(rig: Rig) -> None:
    buyer, view = await rig.request("1875", "usdt-x")           # 12.5 USDT, exactly: no offset on its own address
    assert view.request.amount_units == 12_500_000
    assert view.request.address == FIRST_DERIVED.lower()
    assert view.uri == (f"ethereum:{eip55(rig.token)}@{CHAIN_ID}/transfer?address={FIRST_DERIVED}"
                        "&uint256=12500000")
    assert qr_text(view) == view.uri
    await rig.step()

    pay_token(rig.node, rig.token, FIRST_DERIVED, 12_000_000)
    await rig.step()
    await rig.step()                                             # no second "underpaid" for the same payment
    assert await rig.status(view) is OrderStatus.AWAITING_PAYMENT
    underpaid = await messages(rig.shop, view.order.id, "order.underpaid")
    assert [(p["remaining_units"], p["remaining"], p["address"]) for _, p in underpaid] == [
        (500_000, "0.5 USDT", FIRST_DERIVED.lower())]

    pay_token(rig.node, rig.token, FIRST_DERIVED, 500_000)
    await rig.step()
    order = await rig.shop.orders.get(buyer, view.order.id)
    assert order.status is OrderStatus.FULFILLED and order.overpaid_units is None
    assert sorted(r.amount_units for r in await payment_rows(rig.shop, view.request.id)) == [500_000, 12_000_000]


async def test_overpaid_native_on_a_derived_address_marks_the_exact_excess(rig: Rig) -> None:
    buyer, view = await rig.request("4500", "eth-x")             # 0.01 ETH exactly
    assert (view.request.amount_units, view.request.address) == (10**16, FIRST_DERIVED.lower())
    assert view.uri == f"ethereum:{FIRST_DERIVED}@{CHAIN_ID}?value={10**16}"
    await rig.step()

    pay_eth(rig.node, FIRST_DERIVED, 10**16 + 123_456_789)
    await rig.step()
    order = await rig.shop.orders.get(buyer, view.order.id)
    assert order.status is OrderStatus.FULFILLED and order.overpaid_units == 123_456_789
    [(_, confirmed)] = await messages(rig.shop, view.order.id, "order.payment_confirmed")
    assert confirmed["overpaid_units"] == 123_456_789


async def test_payment_after_expiry_inside_the_late_window_is_paid_late(rig: Rig) -> None:
    _, view = await rig.request("4500", "eth")
    await rig.step()
    rig.clock.advance(minutes=31)
    assert await rig.shop.payments.expire_due() == [view.order.id]
    assert await rig.status(view) is OrderStatus.EXPIRED

    pay_eth(rig.node, SHOP_ADDRESS, view.request.amount_units)
    mine(rig.node, CONFIRMATIONS - 1)
    await rig.step()
    assert await rig.status(view) is OrderStatus.PAID_LATE       # never silently settled at the old rate
    assert [t for t, _ in await messages(rig.shop, view.order.id)] == ["order.expire", "order.late_payment"]


async def test_reorg_removes_the_payment_and_a_second_payment_counts_once(rig: Rig) -> None:
    buyer, view = await rig.request("4500", "eth")
    amount = view.request.amount_units
    await rig.step()
    fork = snapshot(rig.node)
    orphaned = pay_eth(rig.node, SHOP_ADDRESS, amount)
    mine(rig.node)
    await rig.step()
    assert await rig.status(view) is OrderStatus.CONFIRMING      # 2/3

    revert(rig.node, fork)                                       # the payment's blocks are gone…
    mine(rig.node, 3)                                            # …and another chain is longer at those heights
    report = await rig.step()
    assert report.reorg_depth == 2
    # EVM nodes show no mempool: an orphaned payment usually comes back in a later block, so it keeps
    # counting for a few blocks before it is given up.
    assert await rig.status(view) is OrderStatus.CONFIRMING
    mine(rig.node, ORPHAN_GRACE)
    await rig.step()
    assert await rig.status(view) is OrderStatus.AWAITING_PAYMENT
    assert "order.payment_vanished" in [t for t, _ in await messages(rig.shop, view.order.id)]
    assert [r.gone for r in await payment_rows(rig.shop, view.request.id)] == [True]

    paid = pay_eth(rig.node, SHOP_ADDRESS, amount)
    await rig.step()
    assert await rig.status(view) is OrderStatus.CONFIRMING
    mine(rig.node, CONFIRMATIONS - 1)
    await rig.step()
    order = await rig.shop.orders.get(buyer, view.order.id)
    assert order.status is OrderStatus.FULFILLED and order.overpaid_units is None   # not counted twice
    rows = await payment_rows(rig.shop, view.request.id)
    live = [r for r in rows if not r.gone]
    assert [(r.txid, r.amount_units, r.block_height is not None) for r in live] == [(paid, amount, True)]
    assert {r.txid for r in rows} <= {orphaned, paid}

    for watcher in (rig.watcher, rig.watcher, rig.fresh_watcher()):   # replays, and a restarted process
        await watcher.step()
    assert len(await payment_rows(rig.shop, view.request.id)) == len(rows)
    assert len(await messages(rig.shop, view.order.id, "order.payment_confirmed")) == 1
    assert (await rig.shop.orders.get(buyer, view.order.id)).status is OrderStatus.FULFILLED


async def test_a_new_block_costs_at_most_three_backend_calls(rig: Rig) -> None:
    _, eth = await rig.request("4500", "eth")
    _, usdt = await rig.request("1500", "usdt")                  # a token is watched: eth_getLogs is needed
    for _ in range(20):                                          # many open requests cost no more per block
        await rig.request("1500", "usdt")
    await rig.step()

    pay_token(rig.node, rig.token, SHOP_ADDRESS, usdt.request.amount_units)
    rig.backend.calls = 0
    report = await rig.step()
    assert (report.blocks, report.payments) == (1, 1) and rig.backend.calls <= 3   # tip + block + logs
    assert await rig.status(usdt) is OrderStatus.CONFIRMING

    rig.backend.calls = 0
    await rig.step()                                             # no new block: only the tip is read
    assert rig.backend.calls == 1
    assert await rig.status(eth) is OrderStatus.AWAITING_PAYMENT


async def test_a_reorg_that_mines_the_same_payment_elsewhere_keeps_it_counted_once(rig: Rig) -> None:
    buyer, view = await rig.request("4500", "eth")
    await rig.step()
    fork = snapshot(rig.node)
    txid = pay_eth(rig.node, SHOP_ADDRESS, view.request.amount_units)
    raw = rig.node.rpc("eth_getRawTransactionByHash", txid)
    mine(rig.node)
    await rig.step()
    assert await rig.status(view) is OrderStatus.CONFIRMING

    revert(rig.node, fork)
    mine(rig.node)                                               # the other chain: an empty block first…
    assert str(rig.node.rpc("eth_sendRawTransaction", raw)).lower() == txid   # …then the same transaction
    moved_to = int(confirmed_receipt(rig.node, txid)["blockNumber"], 16)
    report = await rig.step()                                    # same tip height, another hash
    assert report.reorg_depth == 2
    assert await payment_rows(rig.shop, view.request.id) == [
        Row(txid, 0, view.request.amount_units, moved_to, False)]
    assert await rig.status(view) is OrderStatus.CONFIRMING     # 1/3 on its new block
    mine(rig.node, CONFIRMATIONS - 1)
    await rig.step()
    order = await rig.shop.orders.get(buyer, view.order.id)
    assert order.status is OrderStatus.FULFILLED and order.overpaid_units is None
    assert "order.payment_vanished" not in [t for t, _ in await messages(rig.shop, view.order.id)]


async def test_a_reverted_native_transfer_pays_nothing(rig: Rig) -> None:
    # The shop's receive address is a contract wallet (as a Safe is) that does work when it receives ether;
    # a transfer with only 21,000 gas runs out of gas: mined, status 0, and no wei moves.
    rig.node.rpc("anvil_setCode", SHOP_ADDRESS, "0x600160005500")   # SSTORE(0, 1); STOP
    _, view = await rig.request("4500", "eth")
    await rig.step()
    balance = int(rig.node.rpc("eth_getBalance", SHOP_ADDRESS, "latest"), 16)
    txid = rig.node.rpc("eth_sendTransaction", {"from": rig.node.accounts[1], "to": SHOP_ADDRESS,
                                                "value": hex(view.request.amount_units), "gas": hex(21_000)})
    assert confirmed_receipt(rig.node, txid)["status"] == "0x0"
    assert int(rig.node.rpc("eth_getBalance", SHOP_ADDRESS, "latest"), 16) == balance
    mine(rig.node, CONFIRMATIONS)
    await rig.step()
    assert await rig.status(view) is OrderStatus.AWAITING_PAYMENT   # not paid, keys not delivered
    assert await payment_rows(rig.shop, view.request.id) == []


async def test_a_payment_briefly_reorged_out_after_the_window_is_not_lost(rig: Rig) -> None:
    buyer, view = await rig.request("4500", "eth")
    await rig.step()
    fork = snapshot(rig.node)
    txid = pay_eth(rig.node, SHOP_ADDRESS, view.request.amount_units)   # paid in time…
    raw = rig.node.rpc("eth_getRawTransactionByHash", txid)
    await rig.step()
    assert await rig.status(view) is OrderStatus.CONFIRMING
    rig.clock.advance(minutes=31)                                # …and the window closes while it confirms
    revert(rig.node, fork)
    mine(rig.node)                                               # a one-block reorg; the tx waits in mempools
    assert (await rig.step()).reorg_depth == 1
    rig.node.rpc("eth_sendRawTransaction", raw)                  # and is mined again
    confirmed_receipt(rig.node, txid)
    mine(rig.node, CONFIRMATIONS - 1)
    await rig.step()
    assert [(r.txid, r.gone) for r in await payment_rows(rig.shop, view.request.id)] == [(txid, False)]
    # The shop holds the buyer's money: the order must be paid, or at least handed to the seller as paid_late.
    assert (await rig.shop.orders.get(buyer, view.order.id)).status in (OrderStatus.FULFILLED, OrderStatus.PAID_LATE)
