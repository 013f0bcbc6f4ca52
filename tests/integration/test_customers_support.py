"""Customers, personal data, reviews, support, broadcasts and roles on real databases."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from commerce.errors import (
    AlreadyReviewed,
    CustomerErased,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PersonalDataLocked,
    ReviewNotAllowed,
    TicketClosed,
)
from commerce.message_refs import Contact
from commerce.privacy import PersonalDataCipher, ShippingAddress
from commerce.roles import Role
from commerce.shop import Shop, ShopRules
from commerce.storage.tables import (
    Address,
    CartLine,
    Identity,
    Order,
    OrderLine,
    OutboxMessage,
    Review,
    SupportMessage,
    SupportTicket,
)
from tests.conftest import FakeClock
from tests.support.factories import make_buyer, make_owner, make_product, step_up

HOME = ShippingAddress(name="Hanako Yamada", postal_code="150-0001", region="Tokyo", city="Shibuya",
                       line1="Jingumae 2-2-2", line2="Sakura Heights 301", phone="090-1234-5678")


async def scalars(shop: Shop, query: Any) -> list[Any]:
    async with shop.db.uow(write=False) as uow:
        rows = list((await uow.session.execute(query)).scalars())
        uow.session.expunge_all()  # keep loaded rows readable after the unit of work rolls back
        return rows


async def outbox(shop: Shop, topic: str) -> list[tuple[str, int | None, dict[str, Any]]]:
    async with shop.db.uow(write=False) as uow:
        rows = (await uow.session.execute(select(OutboxMessage).where(OutboxMessage.topic == topic)
                                          .order_by(OutboxMessage.id))).scalars()
        return [(r.audience, r.customer_id, dict(r.payload)) for r in rows]


async def delivered_order(shop: Shop, owner: int, buyer: int, variant_id: int, quantity: int = 1) -> Any:
    """A physical order that was paid, shipped and delivered."""
    order = await shop.orders.checkout(buyer, items=[(variant_id, quantity)], address=HOME)
    await shop.payments.payment_confirmed(order.id)
    await shop.fulfilment.ship(owner, order.id, "JP1")
    return await shop.fulfilment.deliver(owner, order.id)


# ---- identity and locale ----

async def test_identify_is_idempotent(shop: Shop) -> None:
    first = await shop.customers.identify("telegram", 4242, display_name="Hanako", locale="ja")
    again = await shop.customers.identify("telegram", "4242", locale="en")
    assert again.id == first.id
    assert again.identities == ("telegram:4242",)
    assert again.locale == "ja"  # a later contact does not overwrite the saved choice
    other = await shop.customers.identify("discord", 4242)
    assert other.id != first.id


async def test_identify_sees_this_process_changes_at_once(shop: Shop) -> None:
    """identify() remembers recent customers for a few seconds; a change made here is seen on the next call."""
    first = await shop.customers.identify("telegram", 5151, locale="ja")
    await shop.customers.set_locale(first.id, "en")
    assert (await shop.customers.identify("telegram", 5151)).locale == "en"
    await shop.customers.set_marketing_opt_in(first.id, True)
    assert (await shop.customers.identify("telegram", 5151)).marketing_opt_in is True

    await shop.customers.erase(first.id)
    after = await shop.customers.identify("telegram", 5151)
    assert after.id != first.id and after.locale is None  # a new person to the shop

    # Blocked the bot, then wrote again: reachable once more, even right after being marked.
    assert await shop.message_refs.mark_unreachable("telegram", 5151) is True
    assert await shop.message_refs.contact_on(after.id, "telegram") is None
    await shop.customers.identify("telegram", 5151)
    assert await shop.message_refs.contact_on(after.id, "telegram") == Contact("telegram", "5151", None)


async def test_concurrent_first_contact_makes_one_customer(shop: Shop) -> None:
    results = await asyncio.gather(*(shop.customers.identify("telegram", 777, display_name="Taro")
                                     for _ in range(20)))
    assert {c.id for c in results} == {results[0].id}
    assert len(await scalars(shop, select(Identity).where(Identity.external_id == "777"))) == 1


async def test_locale_is_set_and_unknown_locales_refused(shop: Shop) -> None:
    assert (await shop.customers.identify("telegram", 1, locale="fr")).locale is None
    buyer = await make_buyer(shop)
    assert (await shop.customers.set_locale(buyer, "en")).locale == "en"
    with pytest.raises(InvalidInput) as caught:
        await shop.customers.set_locale(buyer, "fr")
    assert caught.value.field == "locale"
    assert (await shop.customers.get(buyer)).locale == "en"


# ---- personal data ----

async def test_addresses_are_encrypted_at_rest_and_round_trip(shop: Shop) -> None:
    buyer = await make_buyer(shop)
    saved = await shop.customers.save_address(buyer, HOME)

    [raw] = await scalars(shop, select(Address.ciphertext).where(Address.customer_id == buyer))
    for secret in ("Jingumae", "Hanako", "090-1234-5678"):
        assert secret.encode() not in bytes(raw)
    assert await shop.customers.address(buyer, saved.id) == HOME
    assert [a.address for a in await shop.customers.addresses(buyer)] == [HOME]
    with pytest.raises(NotFound):
        await shop.customers.address(await make_buyer(shop), saved.id)


async def test_wrong_or_missing_key_locks_personal_data(shop: Shop, clock: FakeClock) -> None:
    buyer = await make_buyer(shop)
    saved = await shop.customers.save_address(buyer, HOME)
    wrong = Shop(shop.db, ShopRules(), PersonalDataCipher(PersonalDataCipher.generate_key()), clock)
    with pytest.raises(PersonalDataLocked):
        await wrong.customers.address(buyer, saved.id)
    with pytest.raises(PersonalDataLocked):
        await wrong.customers.export(buyer)

    keyless = Shop(shop.db, ShopRules(), PersonalDataCipher(None), clock)
    with pytest.raises(PersonalDataLocked):
        await keyless.customers.save_address(buyer, HOME)
    assert await shop.customers.address(buyer, saved.id) == HOME


async def test_export_contains_everything_held_about_the_person(shop: Shop) -> None:
    owner = await make_owner(shop)
    me = await shop.customers.identify("telegram", 5150, display_name="Hanako")
    cup = (await make_product(shop, owner, stock=5)).variants[0].id
    await shop.customers.save_address(me.id, HOME)
    order = await delivered_order(shop, owner, me.id, cup)
    await shop.reviews.add(me.id, order.lines[0].id, 5, "lovely glaze")
    ticket = await shop.support.open(me.id, "Where is my parcel?", order_id=order.id)
    await shop.support.reply(owner, ticket.id, "On its way")
    second = await shop.support.open(me.id, "Can I change the colour?")

    data = await shop.customers.export(me.id)
    assert data["customer"]["id"] == me.id
    assert data["identities"] == [{"platform": "telegram", "id": "5150", "name": "Hanako"}]
    assert data["addresses"][0]["line1"] == "Jingumae 2-2-2"
    [exported_order] = data["orders"]
    assert (exported_order["id"], exported_order["total_minor"]) == (order.id, 1200)
    assert exported_order["shipping"]["name"] == "Hanako Yamada"
    assert data["reviews"] == [{"product_id": order.lines[0].product_id, "stars": 5, "text": "lovely glaze"}]
    assert data["support"] == [{"ticket": ticket.id, "subject": "Where is my parcel?",
                                "messages": ["Where is my parcel?", "On its way"]},
                               {"ticket": second.id, "subject": "Can I change the colour?",
                                "messages": ["Can I change the colour?"]}]


async def test_erase_forgets_the_person_but_keeps_the_accounts(shop: Shop) -> None:
    owner = await make_owner(shop)
    me = (await shop.customers.identify("telegram", 6160, display_name="Hanako")).id
    cup = (await make_product(shop, owner, stock=5)).variants[0].id
    await shop.customers.save_address(me, HOME)
    order = await delivered_order(shop, owner, me, cup, quantity=2)
    await shop.reviews.add(me, order.lines[0].id, 4, "nice but small")
    ticket = await shop.support.open(me, "My address is Jingumae 2-2-2")
    await shop.cart.add(me, cup, 1)

    await shop.customers.erase(me)

    assert await scalars(shop, select(Identity).where(Identity.customer_id == me)) == []
    assert await scalars(shop, select(Address).where(Address.customer_id == me)) == []
    assert await scalars(shop, select(CartLine).where(CartLine.customer_id == me)) == []
    assert await scalars(shop, select(Order.shipping_ciphertext).where(Order.id == order.id)) == [None]
    assert await scalars(shop, select(Order.total_minor).where(Order.id == order.id)) == [2400]
    assert await scalars(shop, select(OrderLine.quantity).where(OrderLine.order_id == order.id)) == [2]
    [review] = await scalars(shop, select(Review).where(Review.customer_id == me))
    assert (review.stars, review.text) == (4, "")
    texts = await scalars(shop, select(SupportMessage.text).where(SupportMessage.ticket_id == ticket.id))
    assert texts and all("Jingumae" not in t for t in texts)
    subjects = await scalars(shop, select(SupportTicket.subject).where(SupportTicket.id == ticket.id))
    assert subjects and "Jingumae" not in subjects[0]
    with pytest.raises(CustomerErased):
        await shop.customers.get(me)
    with pytest.raises(CustomerErased):
        await shop.customers.export(me)
    assert (await shop.customers.identify("telegram", 6160)).id != me  # a fresh start, not the old data


# ---- reviews ----

async def test_reviews_only_on_delivered_orders_once_per_line(shop: Shop) -> None:
    owner = await make_owner(shop)
    buyer = await make_buyer(shop)
    product = await make_product(shop, owner, stock=5)
    cup = product.variants[0].id
    paid = await shop.orders.checkout(buyer, items=[(cup, 1)], address=HOME)
    await shop.payments.payment_confirmed(paid.id)

    with pytest.raises(ReviewNotAllowed):
        await shop.reviews.add(buyer, paid.lines[0].id, 5)
    await shop.fulfilment.ship(owner, paid.id, "JP1")
    with pytest.raises(ReviewNotAllowed):
        await shop.reviews.add(buyer, paid.lines[0].id, 5)
    await shop.fulfilment.deliver(owner, paid.id)
    for stars in (0, 6):
        with pytest.raises(InvalidInput) as caught:
            await shop.reviews.add(buyer, paid.lines[0].id, stars)
        assert caught.value.field == "stars"
    with pytest.raises(NotFound):
        await shop.reviews.add(await make_buyer(shop), paid.lines[0].id, 5)

    review = await shop.reviews.add(buyer, paid.lines[0].id, 4, "  good  ")
    assert (review.stars, review.text) == (4, "good")
    with pytest.raises(AlreadyReviewed):
        await shop.reviews.add(buyer, paid.lines[0].id, 1)
    assert [r.stars for r in await shop.reviews.for_product(product.id)] == [4]


async def test_rating_average_appears_on_the_product(shop: Shop) -> None:
    owner = await make_owner(shop)
    product = await make_product(shop, owner, stock=10)
    ebook = await make_product(shop, owner, title="E-book", kind="digital")
    await shop.catalog.add_digital_items(owner, ebook.variants[0].id, ["K1"])
    for stars in (5, 4, 4):
        buyer = await make_buyer(shop)
        order = await delivered_order(shop, owner, buyer, product.variants[0].id)
        await shop.reviews.add(buyer, order.lines[0].id, stars)
    buyer = await make_buyer(shop)
    fulfilled = await shop.orders.checkout(buyer, items=[(ebook.variants[0].id, 1)])
    await shop.payments.payment_confirmed(fulfilled.id)
    await shop.reviews.add(buyer, fulfilled.lines[0].id, 2)

    seen = await shop.catalog.product(product.id)
    assert (seen.rating, seen.review_count) == (Decimal("4.3"), 3)
    seen = await shop.catalog.product(ebook.id)
    assert (seen.rating, seen.review_count) == (Decimal("2.0"), 1)


# ---- support ----

async def test_support_messages_reach_the_other_side(shop: Shop) -> None:
    owner = await make_owner(shop)
    staff = await make_buyer(shop)
    await step_up(shop, owner)
    await shop.sellers.grant(owner, staff, "staff")
    buyer = await make_buyer(shop)

    ticket = await shop.support.open(buyer, "The lid is cracked\nphoto attached")
    assert ticket.subject == "The lid is cracked"
    first = ticket.messages[0].id
    assert await outbox(shop, "support.message") == [("sellers", None, {"ticket_id": ticket.id, "message_id": first})]
    ticket = await shop.support.reply(staff, ticket.id, "Sorry! We will send a new one")
    answer = ticket.messages[-1].id
    assert await outbox(shop, "support.reply") == [("customer", buyer, {"ticket_id": ticket.id, "message_id": answer})]
    assert await shop.support.message_text(answer) == "Sorry! We will send a new one"
    ticket = await shop.support.reply(buyer, ticket.id, "Thank you")
    assert [m.from_shop for m in ticket.messages] == [False, True, False]
    assert len(await outbox(shop, "support.message")) == 2


async def test_strangers_cannot_join_a_ticket_and_closed_tickets_refuse_replies(shop: Shop) -> None:
    owner = await make_owner(shop)
    buyer = await make_buyer(shop)
    stranger = await make_buyer(shop)
    seller = await make_buyer(shop)
    await step_up(shop, owner)
    await shop.sellers.grant(owner, seller, "seller")
    ticket = await shop.support.open(buyer, "Help")

    for intruder in (stranger, seller):
        with pytest.raises(PermissionDenied):
            await shop.support.reply(intruder, ticket.id, "I am staff, honest")
        with pytest.raises(PermissionDenied):
            await shop.support.get(intruder, ticket.id)
    order = await shop.orders.checkout(buyer, items=[((await make_product(shop, owner)).variants[0].id, 1)],
                                       address=HOME)
    with pytest.raises(NotFound):
        await shop.support.open(stranger, "about their order", order_id=order.id)
    assert len((await shop.support.get(buyer, ticket.id)).messages) == 1

    await shop.support.close(buyer, ticket.id)
    for author in (buyer, owner):
        with pytest.raises(TicketClosed):
            await shop.support.reply(author, ticket.id, "one more thing")
    closed = await shop.support.get(owner, ticket.id)
    assert (closed.status, len(closed.messages)) == ("closed", 1)


# ---- broadcasts ----

async def test_broadcast_reaches_opted_in_living_customers(shop: Shop) -> None:
    owner = await make_owner(shop)
    keen, also_keen, erased, changed_mind, silent = [await make_buyer(shop) for _ in range(5)]
    for person in (keen, also_keen, erased, changed_mind):
        await shop.customers.set_marketing_opt_in(person, True)
    await shop.customers.set_marketing_opt_in(changed_mind, False)
    await shop.customers.erase(erased)

    await step_up(shop, owner)
    sent = await shop.broadcasts.create(owner, "  New teacups in stock!  ")
    assert (sent.text, sent.status, sent.pending, sent.delivered, sent.failed) == (
        "New teacups in stock!", "sending", 2, 0, 0)
    assert await shop.broadcasts.pending_recipients(sent.id) == [keen, also_keen]
    assert await shop.broadcasts.unfinished() == [sent.id]

    await shop.broadcasts.mark(sent.id, keen, delivered=True)
    await shop.broadcasts.mark(sent.id, also_keen, delivered=False, error="bot was blocked by the user")
    assert await shop.broadcasts.pending_recipients(sent.id) == []
    done = await shop.broadcasts.finish(sent.id)
    assert (done.status, done.pending, done.delivered, done.failed) == ("done", 0, 1, 1)
    assert await shop.broadcasts.unfinished() == []
    assert silent not in await shop.broadcasts.pending_recipients(sent.id)


@pytest.mark.parametrize("role", ["seller", "staff", None])
async def test_only_owners_broadcast(shop: Shop, role: str | None) -> None:
    owner = await make_owner(shop)
    person = await make_buyer(shop)
    await shop.customers.set_marketing_opt_in(person, True)
    if role:
        await step_up(shop, owner)
        await shop.sellers.grant(owner, person, role)
        await step_up(shop, person)  # a fresh code doesn't make up for a missing permission
    with pytest.raises(PermissionDenied):
        await shop.broadcasts.create(person, "Buy my things")
    assert await shop.broadcasts.unfinished() == []


# ---- roles ----

async def test_owner_grants_and_revokes_roles_staff_cannot(shop: Shop) -> None:
    owner = await make_owner(shop)
    helper = await make_buyer(shop)
    other = await make_buyer(shop)

    await step_up(shop, owner)
    assert (await shop.sellers.grant(owner, helper, "staff")).role is Role.STAFF
    assert await shop.sellers.role_of(helper) is Role.STAFF
    with pytest.raises(PermissionDenied):
        await shop.sellers.grant(helper, other, "seller")
    with pytest.raises(PermissionDenied):
        await shop.sellers.grant(helper, helper, "owner")
    with pytest.raises(PermissionDenied):
        await shop.sellers.revoke(helper, owner)
    with pytest.raises(InvalidInput):
        await shop.sellers.grant(owner, other, "emperor")
    assert await shop.sellers.role_of(other) is None
    assert await shop.sellers.role_of(helper) is Role.STAFF

    await shop.sellers.revoke(owner, helper)
    assert await shop.sellers.role_of(helper) is None
    assert [(s.customer_id, s.role) for s in await shop.sellers.staff()] == [(owner, Role.OWNER)]


async def test_the_last_owner_stays_an_owner(shop: Shop) -> None:
    owner = await make_owner(shop)
    await step_up(shop, owner)
    with pytest.raises(PermissionDenied):
        await shop.sellers.grant(owner, owner, "staff")
    with pytest.raises(PermissionDenied):
        await shop.sellers.revoke(owner, owner)
    assert await shop.sellers.role_of(owner) is Role.OWNER

    second = await make_buyer(shop)
    await shop.sellers.grant(owner, second, "owner")
    await step_up(shop, second)
    await shop.sellers.grant(second, owner, "staff")  # two owners: one may step down
    assert await shop.sellers.role_of(owner) is Role.STAFF
    with pytest.raises(PermissionDenied):
        await shop.sellers.revoke(second, second)
    assert [(s.customer_id, s.role) for s in await shop.sellers.staff()] == [(owner, Role.STAFF),
                                                                            (second, Role.OWNER)]
