"""`/seller coupons` on Discord: staff make a code with slash options, see it described, pause it (a buyer's
`/shop code:` then refuses it politely), resume it, see how buyers get it, delete it after a question; bad terms
are explained and nothing is made; people without the permission, and forged buttons, change nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commerce.roles import Role
from commerce.shop import Shop
from tests.discord.conftest import TELEGRAM_BOT, button_labels, embed_of
from tests.discord.seller_support import add_manager, make_discord_owner
from tests.discord.test_discord_safety import press
from tests.support.factories import make_owner, make_product, step_up


async def make_staff(simcord_env: Any, shop: Shop, name: str = "ken") -> Any:
    owner = add_manager(simcord_env, "aiko")
    owner_id = await make_discord_owner(shop, owner)
    member = add_manager(simcord_env, name)
    await step_up(shop, owner_id)
    await shop.sellers.grant(owner_id, (await shop.customers.identify("discord", member.id)).id, Role.STAFF)
    return member


def fields(message: Any) -> dict[str, str]:
    return {field.name: field.value for field in embed_of(message).fields}


async def test_staff_make_a_coupon_pause_it_resume_it_and_delete_it(simcord_env: Any, channel: Any, buyer: Any,
                                                                    shop: Shop) -> None:
    staff = await make_staff(simcord_env, shop)
    owner = await make_owner(shop)
    for name in ("Tea", "Cups"):
        await shop.catalog.create_category(owner, name)
    product = await make_product(shop, owner)

    created = await staff.slash(channel, "seller coupons new", code="spring10", discount="10%", min_order="1,000",
                                uses=100, per_customer=1, starts="2026-11-01", ends="2026-12-31",
                                categories="Tea, Cups", products=str(product.id))
    assert created.ephemeral and created.response.content == "Coupon SPRING10 is ready: 10% off."
    [(name, value)] = fields(created.response).items()
    assert name == "SPRING10 — 10% off · Active"
    assert value.splitlines() == ["Orders from ¥1,000", "Valid Nov 1, 2026 – Dec 31, 2026", "Used 0 of 100",
                                  "1 per customer", f"Only: Cups, Tea, product #{product.id}"]
    assert button_labels(created.response) == ["⏸ Pause SPRING10", "🗑 Delete SPRING10", "🔗 Link SPRING10",
                                               "« All coupons"]

    listing = await staff.slash(channel, "seller coupons list")
    paused = await staff.click(listing.response, label="⏸ Pause SPRING10")
    assert paused.response.content == "SPRING10 is paused: buyers can't use it until you resume it."
    assert "SPRING10 — 10% off · ⏸ Paused" in fields(paused.response)
    assert (await shop.coupons.get(None, "SPRING10")).paused

    refused = await buyer.slash(channel, "shop", code="spring10")
    assert "The code SPRING10 is paused by the shop for now" in refused.response.content

    resumed = await staff.click(paused.response, label="▶️ Resume SPRING10")
    assert "SPRING10 — 10% off · Active" in fields(resumed.response)
    kept = await buyer.slash(channel, "shop", code="spring10")
    assert "The code SPRING10 is saved" in kept.response.content

    shared = await staff.click(resumed.response, label="🔗 Link SPRING10")
    assert shared.ephemeral
    assert f"https://t.me/{TELEGRAM_BOT}?start=c_SPRING10" in shared.response.content
    assert "/shop code:SPRING10" in shared.response.content

    asked = await staff.click(resumed.response, label="🗑 Delete SPRING10")
    assert asked.response.content.startswith("Delete SPRING10?")
    assert button_labels(asked.response) == ["🗑 Yes, delete SPRING10", "Keep it"]
    deleted = await staff.click(asked.response, label="🗑 Yes, delete SPRING10")
    assert deleted.response.content == "SPRING10 is deleted."
    assert embed_of(deleted.response).description.startswith("No coupon codes yet.")
    assert await shop.coupons.list(None) == []


async def test_bad_terms_are_explained_and_nothing_is_made(simcord_env: Any, channel: Any, shop: Shop,
                                                           discord_locale: Callable[[int, str], None]) -> None:
    staff = await make_staff(simcord_env, shop)

    async def refused(expected: str, **options: Any) -> None:
        answer = await staff.slash(channel, "seller coupons new", **options)
        assert answer.ephemeral and expected in answer.response.content, answer.response.content
        assert "Please run /seller coupons new again" in answer.response.content

    await refused("“ten” isn't a discount I can read", code="SPRING10", discount="ten")
    await refused("The percentage must be more than 0% and at most 100%", code="SPRING10", discount="150%")
    await refused("“2026/12/01” isn't a date I can read", code="SPRING10", discount="10%", starts="2026/12/01")
    await refused("The coupon must end after it starts", code="SPRING10", discount="10%", starts="2026-12-31",
                  ends="2026-12-01")
    await refused("“x1” isn't a product number", code="SPRING10", discount="10%", products="12, x1")
    await refused("can't be a code", code="S!", discount="10%")
    assert await shop.coupons.list(None) == []

    await staff.slash(channel, "seller coupons new", code="SPRING10", discount="free_shipping")
    await refused("The code SPRING10 already exists", code="spring10", discount="500")

    discord_locale(staff.id, "ja")
    answer = await staff.slash(channel, "seller coupons new", code="WINTER", discount="10%", ends="31-12-2026")
    assert answer.response.content.startswith("「31-12-2026」は日付として読み取れません")
    listing = await staff.slash(channel, "seller coupons list")
    assert "SPRING10 — 送料無料 · 有効" in fields(listing.response)


async def test_people_without_the_permission_are_refused(simcord_env: Any, channel: Any, shop: Shop) -> None:
    owner = add_manager(simcord_env, "aiko")
    owner_id = await make_discord_owner(shop, owner)
    created = await owner.slash(channel, "seller coupons new", code="SPRING10", discount="10%")
    stranger, seller = add_manager(simcord_env, "mallory"), add_manager(simcord_env, "sam")
    await step_up(shop, owner_id)
    await shop.sellers.grant(owner_id, (await shop.customers.identify("discord", seller.id)).id, Role.SELLER)

    for member in (stranger, seller):
        for answer in (await member.slash(channel, "seller coupons list"),
                       await member.slash(channel, "seller coupons new", code="HACK", discount="100%")):
            assert answer.ephemeral and "Sorry" in answer.response.content and not answer.response.embeds
    for custom_id in ("cs:cpn:pause:SPRING10:0", "cs:cpn:delete:SPRING10:0"):   # buttons of the owner's message
        forged = await press(stranger, created.response, custom_id)
        assert forged.ephemeral and "Sorry" in forged.response.content

    assert [(c.code, c.paused) for c in await shop.coupons.list(None)] == [("SPRING10", False)]


async def test_the_list_pages_four_codes_at_a_time(simcord_env: Any, channel: Any, shop: Shop) -> None:
    owner = add_manager(simcord_env, "aiko")
    await make_discord_owner(shop, owner)
    for number in range(6):
        await owner.slash(channel, "seller coupons new", code=f"CODE{number}", discount=f"{number + 1}%")

    listing = await owner.slash(channel, "seller coupons list")
    assert [name.split(" ")[0] for name in fields(listing.response)] == ["CODE5", "CODE4", "CODE3", "CODE2"]
    assert "Next ▶" in button_labels(listing.response) and "◀ Previous" not in button_labels(listing.response)
    second = await owner.click(listing.response, label="Next ▶")
    assert [name.split(" ")[0] for name in fields(second.response)] == ["CODE1", "CODE0"]
    paused = await owner.click(second.response, label="⏸ Pause CODE0")
    assert [name.split(" ")[0] for name in fields(paused.response)] == ["CODE1", "CODE0"]   # still page two
