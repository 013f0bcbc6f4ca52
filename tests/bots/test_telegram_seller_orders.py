"""Staff work orders in the chat (/orders_admin: list by status, ship with tracking, deliver, cancel, refund,
late payments) and owners manage roles (/staff, /grant, /revoke); buyers and forged buttons change nothing."""

from __future__ import annotations

import itertools

import pytest
from aiogram import Dispatcher
from teremok import DispatchResult, MockBot

from bots.i18n import Translator
from bots.telegram import build_dispatcher
from bots.telegram.handlers.seller.seller_orders_views import (
    SellerOrdersAction,
    SellerOrdersCallback,
)
from bots.telegram.handlers.seller.staff_views import StaffAction, StaffCallback
from bots.telegram.render import quote
from commerce.errors import PermissionDenied
from commerce.privacy import ShippingAddress
from commerce.roles import Role
from commerce.shop import Shop
from commerce.status import OrderStatus
from tests.bots.conftest import SHOP_NAME, TERMS
from tests.bots.telegram_chat import TelegramChat, alert, sent
from tests.conftest import FakeClock
from tests.support.factories import make_buyer, make_product, step_up

_chat_ids = itertools.count(800_000)
ADDRESS = ShippingAddress(name="Hana <Sato> & Co", postal_code="150-0001", region="Tokyo", city="Shibuya",
                          line1="1-2-3 Jingumae")
A = SellerOrdersAction


@pytest.fixture
def dispatcher(shop: Shop, translator: Translator) -> Dispatcher:
    return build_dispatcher(shop, translator, shop_name=SHOP_NAME, terms=TERMS, default_locale="ja")


async def customer_id(shop: Shop, chat: TelegramChat) -> int:
    return (await shop.customers.identify("telegram", chat.user.id)).id


async def open_chat(telegram: MockBot, shop: Shop, role: Role | None, *, owner_id: int | None = None,
                    language_code: str = "en") -> TelegramChat:
    chat = TelegramChat(telegram, next(_chat_ids), language_code=language_code)
    if role is Role.OWNER:
        [owner] = await shop.sellers.bootstrap_owners([f"telegram:{chat.user.id}"])
        await step_up(shop, owner)  # roles and refunds need a fresh two-factor code
    elif role is not None:
        assert owner_id is not None
        await step_up(shop, owner_id)
        await shop.sellers.grant(owner_id, await customer_id(shop, chat), role)
    return chat


@pytest.fixture
async def owner(telegram: MockBot, shop: Shop) -> TelegramChat:
    return await open_chat(telegram, shop, Role.OWNER)


@pytest.fixture
async def staff(telegram: MockBot, shop: Shop, owner: TelegramChat) -> TelegramChat:
    return await open_chat(telegram, shop, Role.STAFF, owner_id=await customer_id(shop, owner))


@pytest.fixture
async def buyer_chat(telegram: MockBot) -> TelegramChat:
    return TelegramChat(telegram, next(_chat_ids), language_code="en")


async def place_order(shop: Shop, owner: TelegramChat, *, buyer: int | None = None, paid: bool = True,
                      title: str = "Tea <cup>") -> tuple[int, int]:
    """A physical order for one item, paid unless told otherwise: (order id, buyer id)."""
    product = await make_product(shop, await customer_id(shop, owner), title=title)
    buyer = buyer or await make_buyer(shop)
    order = await shop.orders.checkout(buyer, items=[(product.variants[0].id, 2)], address=ADDRESS)
    if paid:
        await shop.payments.payment_confirmed(order.id)
    return order.id, buyer


async def status_of(shop: Shop, owner: TelegramChat, order_id: int) -> OrderStatus:
    for order in await shop.orders.orders_by_status(await customer_id(shop, owner), limit=50):
        if order.id == order_id:
            return order.status
    raise AssertionError(f"order {order_id} not found")


def text_of(chat: TelegramChat) -> str:
    assert chat.last is not None and chat.last.text is not None
    return chat.last.text


async def press_exactly(chat: TelegramChat, label: str) -> DispatchResult:
    """Press the button labelled exactly `label` (a status filter's label also appears inside order lines)."""
    [data] = [b.callback_data for row in chat.rows() for b in row if b.text == label]
    assert data is not None
    return await chat.press_data(data)


def order_labels(chat: TelegramChat) -> list[str]:
    return [label for label in chat.labels() if label.startswith("#")]


async def test_staff_see_orders_by_status_and_page_through_them(staff: TelegramChat, owner: TelegramChat, shop: Shop,
                                                                translator: Translator) -> None:
    tr = translator
    paid = [(await place_order(shop, owner))[0] for _ in range(9)]
    waiting, _ = await place_order(shop, owner, paid=False)

    await staff.send("/orders_admin")
    assert text_of(staff).startswith(f"<b>{quote(tr.text('en', 'so.list.heading', status='All'))}</b>")
    assert order_labels(staff)[0].startswith(f"#{waiting} ") and len(order_labels(staff)) == 8
    await press_exactly(staff, tr.status("en", OrderStatus.AWAITING_PAYMENT))
    assert order_labels(staff) == [tr.text("en", "so.list.line", id=waiting, total="¥2,400",
                                           status=tr.status("en", OrderStatus.AWAITING_PAYMENT))]
    assert "• " + tr.status("en", OrderStatus.AWAITING_PAYMENT) in staff.labels()

    await press_exactly(staff, tr.status("en", OrderStatus.PAID))
    first = order_labels(staff)
    assert len(first) == 8 and first[0].startswith(f"#{paid[-1]} ")
    assert tr.text("en", "so.button.previous") not in staff.labels()
    await staff.press(tr.text("en", "so.button.next"))
    assert order_labels(staff) == [
        tr.text("en", "so.list.line", id=paid[0], status=tr.status("en", OrderStatus.PAID), total="¥2,400")]
    assert tr.text("en", "so.button.next") not in staff.labels()
    await staff.press(tr.text("en", "so.button.previous"))
    assert order_labels(staff) == first


async def test_the_detail_shows_lines_total_and_the_decrypted_address_escaped(
        staff: TelegramChat, owner: TelegramChat, shop: Shop, translator: Translator) -> None:
    order_id, _ = await place_order(shop, owner)
    await staff.send("/orders_admin")
    await staff.press(f"#{order_id} ")
    text = text_of(staff)
    assert f"<b>Order #{order_id} — {translator.status('en', OrderStatus.PAID)}</b>" in text
    assert "Tea &lt;cup&gt; × 2 — ¥2,400" in text and "<b>Total: ¥2,400</b>" in text
    assert "Hana &lt;Sato&gt; &amp; Co" in text and "1-2-3 Jingumae" in text
    # the buyer and the payment, as on Discord (one shared view, bots/common/staff_orders.py)
    detail = await shop.orders.staff_detail(await customer_id(shop, owner), order_id)
    buyer = (await shop.customers.get(detail.order.customer_id)).identities
    assert f"<b>{translator.text('en', 'so.detail.buyer')}</b>\n{quote(', '.join(buyer))}" in text
    assert f"<b>{translator.text('en', 'so.detail.payment')}</b>" in text
    labels = staff.labels()
    assert translator.text("en", "so.button.ship") in labels and translator.text("en", "so.button.cancel") not in labels
    # staff may not refund (owners only), so the button isn't offered
    assert translator.text("en", "so.button.refund") not in labels


async def test_ship_with_tracking_tells_the_buyer_then_deliver(staff: TelegramChat, owner: TelegramChat, shop: Shop,
                                                              translator: Translator) -> None:
    tr = translator
    order_id, buyer = await place_order(shop, owner)
    await staff.send("/orders_admin")
    await staff.press(f"#{order_id} ")
    await staff.press(tr.text("en", "so.button.ship"))
    assert text_of(staff) == quote(tr.text("en", "so.ask_tracking", id=order_id))
    await staff.send("  JP 1234 <5678>  ")
    assert await status_of(shop, owner, order_id) is OrderStatus.SHIPPED
    assert quote(tr.text("en", "so.detail.tracking", tracking="JP 1234 <5678>")) in text_of(staff)
    shipped = [item for item in await shop.outbox.due(limit=200)
               if item.topic == "order.ship" and item.customer_id == buyer]
    assert [item.payload["tracking"] for item in shipped] == ["JP 1234 <5678>"]
    assert await staff.bot.get_state(staff.user.id) is None

    result = await staff.press(tr.text("en", "so.button.deliver"))
    assert alert(result).text == tr.text("en", "so.done", status=tr.status("en", OrderStatus.DELIVERED))
    assert await status_of(shop, owner, order_id) is OrderStatus.DELIVERED
    assert tr.text("en", "so.button.deliver") not in staff.labels()


async def test_a_too_long_tracking_number_is_refused_and_asked_again(staff: TelegramChat, owner: TelegramChat,
                                                                     shop: Shop, translator: Translator) -> None:
    order_id, _ = await place_order(shop, owner)
    await staff.send("/orders_admin")
    await staff.press(f"#{order_id} ")
    await staff.press(translator.text("en", "so.button.ship"))
    await staff.send("X" * 200)
    assert await status_of(shop, owner, order_id) is OrderStatus.PAID
    await staff.send("JP-1")
    assert await status_of(shop, owner, order_id) is OrderStatus.SHIPPED


async def test_owner_records_a_refund_with_a_note(owner: TelegramChat, shop: Shop, translator: Translator) -> None:
    tr = translator
    order_id, buyer = await place_order(shop, owner)
    await owner.send("/orders_admin")
    await owner.press(f"#{order_id} ")
    await owner.press(tr.text("en", "so.button.refund"))
    assert text_of(owner) == quote(tr.text("en", "so.ask_refund_note", id=order_id))
    await owner.send("txid 0xabc <refund>")
    assert await status_of(shop, owner, order_id) is OrderStatus.REFUNDED
    assert [item.payload.get("note") for item in await shop.outbox.due(limit=200)
            if item.topic == "order.refund" and item.customer_id == buyer] == ["txid 0xabc <refund>"]


async def test_owner_accepts_one_late_payment_and_refunds_another(owner: TelegramChat, shop: Shop,
                                                                  translator: Translator, clock: FakeClock) -> None:
    tr = translator
    kept, _ = await place_order(shop, owner, paid=False)
    returned, _ = await place_order(shop, owner, paid=False)
    clock.advance(minutes=31)
    await shop.payments.expire_due()
    for order_id in (kept, returned):
        await shop.payments.late_payment(order_id)

    await owner.send("/orders_admin")
    await press_exactly(owner, tr.status("en", OrderStatus.PAID_LATE))
    await owner.press(f"#{kept} ")
    assert tr.text("en", "so.button.refund_late") in owner.labels()
    await owner.press(tr.text("en", "so.button.accept_late"))
    assert await status_of(shop, owner, kept) is OrderStatus.PAID

    await owner.press(tr.text("en", "so.button.back"))
    await owner.press(f"#{returned} ")
    await step_up(shop, await customer_id(shop, owner))  # the code from the start is half an hour old
    await owner.press(tr.text("en", "so.button.refund_late"))
    await owner.press(tr.text("en", "so.button.skip_note"))
    assert await status_of(shop, owner, returned) is OrderStatus.REFUNDED


async def test_staff_cancel_an_order_awaiting_payment(staff: TelegramChat, owner: TelegramChat, shop: Shop,
                                                      translator: Translator) -> None:
    order_id, _ = await place_order(shop, owner, paid=False)
    await staff.send("/orders_admin")
    await staff.press(f"#{order_id} ")
    await staff.press(translator.text("en", "so.button.cancel"))
    assert await status_of(shop, owner, order_id) is OrderStatus.CANCELLED


async def test_a_buyer_can_use_none_of_it(buyer_chat: TelegramChat, owner: TelegramChat, shop: Shop,
                                          translator: Translator) -> None:
    tr = translator
    order_id, _ = await place_order(shop, owner)
    denied = tr.error("en", PermissionDenied())
    for command in ("/orders_admin", "/staff", f"/grant {buyer_chat.user.id} staff", f"/revoke {owner.user.id}"):
        result = await buyer_chat.send(command)
        assert [m.text for m in sent(result)] == [quote(denied)], command
    owner_id = await customer_id(shop, owner)
    forged = [SellerOrdersCallback(action=action, order_id=order_id, status=OrderStatus.PAID)
              for action in (A.DETAIL, A.SHIP, A.DELIVER, A.CANCEL, A.REFUND, A.ACCEPT_LATE)]
    for payload in [*forged, SellerOrdersCallback(action=A.LIST), StaffCallback(action=StaffAction.REVOKE,
                                                                                customer_id=owner_id)]:
        result = await buyer_chat.press_data(payload.pack())
        assert alert(result).text == denied and alert(result).show_alert, payload
    assert await buyer_chat.bot.get_state(buyer_chat.user.id) is None
    assert await status_of(shop, owner, order_id) is OrderStatus.PAID
    assert await shop.sellers.role_of(owner_id) is Role.OWNER
    assert await shop.sellers.role_of(await customer_id(shop, buyer_chat)) is None


async def test_a_forged_payload_that_does_not_parse_is_a_stale_button(staff: TelegramChat,
                                                                      translator: Translator) -> None:
    result = await staff.press_data("so:d:99999999999:paid:0")
    assert alert(result).text == translator.text("en", "error.stale_button")


async def test_owner_grants_and_revokes_roles_and_staff_cannot(owner: TelegramChat, staff: TelegramChat, shop: Shop,
                                                               telegram: MockBot, translator: Translator) -> None:
    tr = translator
    newcomer = TelegramChat(telegram, next(_chat_ids))
    await owner.send(f"/grant {newcomer.user.id} seller")
    who = f"telegram:{newcomer.user.id}"
    assert text_of(owner) == quote(tr.text("en", "st.granted", who=who, role=tr.text("en", "st.role.seller")))
    newcomer_id = await customer_id(shop, newcomer)
    assert await shop.sellers.role_of(newcomer_id) is Role.SELLER

    await owner.send("/staff")
    assert quote(tr.text("en", "st.list.line", who=who, role="seller")) in text_of(owner)
    assert tr.text("en", "st.button.revoke", who=f"telegram:{owner.user.id}") not in owner.labels()

    denied = quote(tr.error("en", PermissionDenied()))
    for command in (f"/grant {newcomer.user.id} staff", f"/revoke {newcomer.user.id}", "/staff"):
        assert [m.text for m in sent(await staff.send(command))] == [denied], command
    assert await shop.sellers.role_of(newcomer_id) is Role.SELLER

    await owner.send(f"/grant {newcomer.user.id} owner")
    assert text_of(owner) == quote(tr.text("en", "st.grant_usage"))
    await owner.send(f"/revoke {newcomer.user.id}")
    assert text_of(owner) == quote(tr.text("en", "st.revoked", who=who))
    assert await shop.sellers.role_of(newcomer_id) is None

    await owner.send("/staff")
    await owner.press(tr.text("en", "st.button.revoke", who=f"telegram:{staff.user.id}"))
    assert await shop.sellers.role_of(await customer_id(shop, staff)) is None
    assert f"telegram:{staff.user.id}" not in text_of(owner)


async def test_the_last_owner_cannot_revoke_themselves(owner: TelegramChat, translator: Translator) -> None:
    result = await owner.send(f"/revoke {owner.user.id}")
    assert [m.text for m in sent(result)] == [
        quote(translator.error("en", PermissionDenied(reason="last_owner")))]


async def test_japanese_staff_work_in_japanese(telegram: MockBot, owner: TelegramChat, shop: Shop,
                                               translator: Translator) -> None:
    tr = translator
    staff_ja = await open_chat(telegram, shop, Role.STAFF, owner_id=await customer_id(shop, owner),
                               language_code="ja")
    order_id, _ = await place_order(shop, owner)
    await staff_ja.send("/orders_admin")
    assert "注文一覧" in text_of(staff_ja)
    await staff_ja.press(f"注文 #{order_id}・")
    assert f"注文 #{order_id}（{tr.status('ja', OrderStatus.PAID)}）" in text_of(staff_ja)
    await staff_ja.press(tr.text("ja", "so.button.ship"))
    assert text_of(staff_ja) == quote(tr.text("ja", "so.ask_tracking", id=order_id))
    await staff_ja.send("JP-123")
    assert "追跡番号：JP-123" in text_of(staff_ja)
    await staff_ja.send("/staff")
    assert text_of(staff_ja) == quote(tr.error("ja", PermissionDenied()))
