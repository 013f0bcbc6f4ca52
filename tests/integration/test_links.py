"""Linking Telegram and Discord (`/link`) on real databases: one customer, one cart, one order history after.

Every error a person can meet (wrong, expired, used, own code; too many guesses; two sellers), and two
redeems of one code at once: exactly one links.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel

from commerce.cart import MAX_QUANTITY
from commerce.errors import CommerceError, CustomerErased, NotFound
from commerce.links import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CUSTOMER_COLUMNS,
    MAX_FAILURES,
    LinkConflict,
    LinkExpired,
    LinkInvalid,
    LinkLocked,
    LinkResult,
    LinkSelf,
)
from commerce.privacy import ShippingAddress
from commerce.roles import Role
from commerce.shop import Shop
from commerce.storage.tables import AuditEvent, LinkCode, TwoFactorSecret
from tests.conftest import FakeClock
from tests.support.factories import make_owner, make_product, step_up

HOME = ShippingAddress(name="Hanako Yamada", postal_code="100-0001", region="Tokyo", city="Chiyoda",
                       line1="1-1 Chiyoda", phone="090-0000-0000")


def customer_foreign_keys() -> set[tuple[str, str]]:
    return {(table.name, fk.parent.name) for table in SQLModel.metadata.sorted_tables
            for fk in table.foreign_keys if fk.column.table.name == "customer"}


def test_every_column_that_points_at_a_customer_is_merged() -> None:
    # A new table with a customer reference must say what linking does with it (commerce/links.py).
    assert customer_foreign_keys() == set(CUSTOMER_COLUMNS)


async def references_to(shop: Shop, customer_id: int) -> dict[str, int]:
    """Rows anywhere in the schema that still point at `customer_id`."""
    found = {}
    async with shop.db.uow(write=False) as uow:
        for table, column in customer_foreign_keys():
            table_ = SQLModel.metadata.tables[table]
            count = (await uow.session.execute(select(func.count()).select_from(table_)
                                               .where(table_.c[column] == customer_id))).scalar_one()
            if count:
                found[f"{table}.{column}"] = count
    return found


async def on_telegram(shop: Shop, user: int) -> int:
    return (await shop.customers.identify("telegram", user)).id


async def on_discord(shop: Shop, user: int) -> int:
    return (await shop.customers.identify("discord", user)).id


async def test_linked_buyer_sees_one_cart_and_every_order_from_both_apps(shop: Shop, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    cup, bowl, pot = [(await make_product(shop, owner, title=title, stock=200)).variants[0].id
                      for title in ("Cup", "Bowl", "Teapot")]
    telegram = await on_telegram(shop, 7001)
    clock.advance(days=1)
    discord = await on_discord(shop, 424242424242424242)

    telegram_order = await shop.orders.checkout(telegram, items=[(cup, 1)], address=HOME)
    discord_order = await shop.orders.checkout(discord, items=[(pot, 2)], address=HOME)
    await shop.cart.add(telegram, cup, 2)
    await shop.cart.add(telegram, bowl, 90)
    await shop.cart.add(discord, cup, 3)
    await shop.cart.add(discord, bowl, 20)
    await shop.cart.add(discord, pot, 1)
    await shop.customers.save_address(discord, HOME)
    await shop.customers.set_marketing_opt_in(discord, True)
    await shop.customers.set_locale(discord, "en")
    ticket = await shop.support.open(discord, "Where is my teapot?")

    code = await shop.links.issue(discord)
    assert len(code.code) == CODE_LENGTH and set(code.code) <= set(CODE_ALPHABET) and code.minutes == 10
    result = await shop.links.redeem(telegram, code.code.lower())  # case doesn't matter

    # The older customer (first seen on Telegram) survives, whoever issued the code.
    assert (result.survivor_id, result.absorbed_id) == (telegram, discord)
    assert set(result.identities) == {"telegram:7001", "discord:424242424242424242"}
    assert await on_telegram(shop, 7001) == await on_discord(shop, 424242424242424242) == telegram
    cart = {line.variant_id: line.quantity for line in (await shop.cart.view(telegram)).lines}
    assert cart == {cup: 5, bowl: MAX_QUANTITY, pot: 1}  # summed, within the cart's maximum
    assert {o.id for o in await shop.orders.history(telegram)} == {telegram_order.id, discord_order.id}
    assert (await shop.orders.get(telegram, discord_order.id)).id == discord_order.id
    assert [a.address for a in await shop.customers.addresses(telegram)] == [HOME]
    assert (await shop.support.get(telegram, ticket.id)).id == ticket.id
    merged = await shop.customers.get(telegram)
    assert merged.marketing_opt_in and merged.locale == "en"

    with pytest.raises(NotFound):
        await shop.customers.get(discord)
    assert await references_to(shop, discord) == {}
    async with shop.db.uow(write=False) as uow:
        [event] = (await uow.session.execute(select(AuditEvent.entity_id, AuditEvent.detail, AuditEvent.actor)
                                             .where(AuditEvent.action == "customer.link"))).all()
    assert (event.entity_id, event.detail["absorbed"], event.actor) == (telegram, discord, f"customer:{telegram}")


async def test_a_code_from_telegram_can_be_redeemed_on_discord(shop: Shop, clock: FakeClock) -> None:
    telegram = await on_telegram(shop, 7002)
    clock.advance(minutes=1)
    discord = await on_discord(shop, 555)
    code = await shop.links.issue(telegram)
    result = await shop.links.redeem(discord, f" {code.code[:4]}-{code.code[4:]} ")  # as people type it
    assert (result.survivor_id, result.absorbed_id) == (telegram, discord)
    assert await on_discord(shop, 555) == telegram
    # The same code again, from either side: they are already one customer.
    for side in (on_discord, on_telegram):
        with pytest.raises(LinkSelf) as again:
            await shop.links.redeem(await side(shop, 555 if side is on_discord else 7002), code.code)
        assert again.value.reason == "linked"


async def test_own_expired_replaced_used_and_malformed_codes_are_refused(shop: Shop, clock: FakeClock) -> None:
    alice, bob, carol = [await on_telegram(shop, 7100 + n) for n in range(3)]
    code = await shop.links.issue(alice)
    with pytest.raises(LinkSelf) as own:
        await shop.links.redeem(alice, code.code)
    assert own.value.reason == "own"

    for text in ("", "ABC", "ABCDEFG!", "O0I1LABC", "X" * 500):
        with pytest.raises(LinkInvalid) as malformed:
            await shop.links.redeem(bob, text)
        assert malformed.value.reason == "format"

    clock.advance(minutes=10, seconds=1)
    with pytest.raises(LinkExpired):
        await shop.links.redeem(bob, code.code)

    first = await shop.links.issue(alice)
    second = await shop.links.issue(alice)  # replaces the first
    with pytest.raises(LinkInvalid) as replaced:
        await shop.links.redeem(bob, first.code)
    assert replaced.value.reason == "unknown" and replaced.value.attempts_left == MAX_FAILURES - 1

    await shop.links.redeem(bob, second.code)
    with pytest.raises(LinkInvalid) as used:
        await shop.links.redeem(carol, second.code)
    assert used.value.reason == "used"
    assert await shop.customers.get(carol)  # carol is untouched

    async with shop.db.uow(write=False) as uow:  # only the hash is ever stored
        hashes = (await uow.session.execute(select(LinkCode.code_hash))).scalars().all()
    assert second.code not in hashes and all(h is None or len(h) == 64 for h in hashes)


async def test_five_wrong_codes_lock_redeeming_for_a_while(shop: Shop, clock: FakeClock) -> None:
    alice, mallory = await on_telegram(shop, 7200), await on_discord(shop, 7201)
    code = await shop.links.issue(alice)
    wrong = "".join(c for c in CODE_ALPHABET[:CODE_LENGTH])
    assert wrong != code.code
    for attempts_left in range(MAX_FAILURES - 1, 0, -1):
        with pytest.raises(LinkInvalid) as guess:
            await shop.links.redeem(mallory, wrong)
        assert guess.value.attempts_left == attempts_left
    with pytest.raises(LinkLocked) as locked:
        await shop.links.redeem(mallory, wrong)
    assert locked.value.minutes == 15
    with pytest.raises(LinkLocked):  # even the right code, while locked
        await shop.links.redeem(mallory, code.code)
    async with shop.db.uow(write=False) as uow:
        actions = (await uow.session.execute(select(AuditEvent.action))).scalars().all()
    assert "link.lockout" in actions

    clock.advance(minutes=15)
    code = await shop.links.issue(alice)
    assert (await shop.links.redeem(mallory, code.code)).survivor_id == alice


async def test_wrong_codes_are_forgiven_after_the_window(shop: Shop, clock: FakeClock) -> None:
    alice, bob = await on_telegram(shop, 7300), await on_discord(shop, 7301)
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(LinkInvalid):
            await shop.links.redeem(bob, "ABCDEFGH")
    clock.advance(minutes=11)
    with pytest.raises(LinkInvalid) as fresh:
        await shop.links.redeem(bob, "ABCDEFGH")
    assert fresh.value.attempts_left == MAX_FAILURES - 1
    code = await shop.links.issue(alice)
    await shop.links.redeem(bob, code.code)


async def test_two_sellers_are_never_merged_and_a_role_moves_to_the_survivor(shop: Shop, clock: FakeClock) -> None:
    owner = await make_owner(shop)
    await step_up(shop, owner)
    clock.advance(minutes=1)
    staff = await on_discord(shop, 7400)
    await shop.sellers.grant(owner, staff, Role.STAFF)
    code = await shop.links.issue(staff)
    with pytest.raises(LinkConflict) as both:
        await shop.links.redeem(owner, code.code)
    assert both.value.reason == "roles"
    assert await shop.sellers.role_of(staff) is Role.STAFF  # nothing changed
    assert await shop.customers.get(staff)

    buyer = await on_telegram(shop, 7401)
    clock.advance(minutes=1)
    second_owner_account = await on_discord(shop, 7402)
    await shop.sellers.grant(owner, second_owner_account, Role.SELLER)
    product = await make_product(shop, second_owner_account, title="Handmade cup")
    code = await shop.links.issue(second_owner_account)
    result = await shop.links.redeem(buyer, code.code)
    assert result.survivor_id == buyer  # older, and now the seller
    assert await shop.sellers.role_of(buyer) is Role.SELLER
    assert (await shop.catalog.update_product(buyer, product.id, title="Handmade cup II")).title == "Handmade cup II"


async def test_two_factor_on_both_sides_is_refused(shop: Shop, clock: FakeClock) -> None:
    alice, bob = await on_telegram(shop, 7500), await on_discord(shop, 7501)
    async with shop.db.uow() as uow:  # both enrolled (e.g. sellers whose roles were later revoked)
        for customer in (alice, bob):
            uow.session.add(TwoFactorSecret(customer_id=customer, secret_ciphertext=b"x"))
        await uow.commit()
    code = await shop.links.issue(alice)
    with pytest.raises(LinkConflict) as both:
        await shop.links.redeem(bob, code.code)
    assert both.value.reason == "two_factor"
    assert await on_discord(shop, 7501) == bob


async def test_erased_customers_cannot_link(shop: Shop) -> None:
    alice, bob = await on_telegram(shop, 7600), await on_discord(shop, 7601)
    code = await shop.links.issue(alice)
    await shop.customers.erase(alice)
    with pytest.raises(LinkInvalid):
        await shop.links.redeem(bob, code.code)
    with pytest.raises(CustomerErased):
        await shop.links.issue(alice)


async def test_two_redeems_of_one_code_at_once_link_exactly_once(shop: Shop, clock: FakeClock) -> None:
    issuer = await on_telegram(shop, 7700)
    clock.advance(minutes=1)
    racers = [await on_discord(shop, 7701 + n) for n in range(2)]
    code = await shop.links.issue(issuer)
    outcomes = await asyncio.gather(*(shop.links.redeem(r, code.code) for r in racers), return_exceptions=True)
    linked = [o for o in outcomes if isinstance(o, LinkResult)]
    refused = [o for o in outcomes if not isinstance(o, LinkResult)]
    assert len(linked) == 1 and len(refused) == 1
    assert isinstance(refused[0], CommerceError) and refused[0].code == "link.invalid"
    assert len((await shop.customers.get(issuer)).identities) == 2


async def test_listeners_hear_of_a_merge_after_it_commits(shop: Shop, clock: FakeClock) -> None:
    heard: list[tuple[int, int]] = []
    shop.links.on_linked(lambda result: heard.append((result.survivor_id, result.absorbed_id)))
    alice = await on_telegram(shop, 7800)
    clock.advance(minutes=1)
    bob = await on_discord(shop, 7801)
    with pytest.raises(LinkInvalid):
        await shop.links.redeem(bob, "ABCDEFGH")
    assert heard == []
    await shop.links.redeem(bob, (await shop.links.issue(alice)).code)
    assert heard == [(alice, bob)]
