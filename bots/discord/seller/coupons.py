"""`/seller coupons list|new`: the shop's coupon codes for its staff, as on Telegram's `/coupons` (docs/coupons.md).

The list is an embed, a field per code (what it gives, minimum order, validity, uses, per-customer limit, scope,
paused or not), with a row of buttons under each: pause or resume, delete (after a question), and how buyers get
the code (the Telegram link when the Telegram bot is known, and `/shop code:`). `new` takes the terms as slash
options, read like the Telegram form (`bots/common/coupon_form.py`); a refusal says why and nothing is made.
Every click re-reads the coupon by its code and the core checks the role (owners and staff) again.
Everything here is ephemeral: coupons are staff business until they are shared.
"""

from __future__ import annotations

import re
from typing import Any, Final

import discord
from discord import app_commands
from discord.ui import Button, DynamicItem

from bots.common.coupon_form import new_coupon, parse_categories, parse_discount, parse_product_ids
from bots.common.coupon_view import (
    PAGE_SIZE,
    CouponMove,
    CouponView,
    coupon_problem,
    moved_notice,
    present_coupon,
    present_coupons,
    present_delete_question,
    share_lines,
)
from bots.common.links import telegram_coupon_link
from bots.discord.command_translator import command_text
from bots.discord.context import edit, identify, reply, services_of
from bots.discord.items import ShopItem
from bots.discord.render import COLOUR, md
from bots.discord.services import ShopServices
from commerce.coupons import MAX_USES
from commerce.errors import InvalidAmount, InvalidInput
from commerce.roles import Permission, require

TEXT_MAX: Final = 200  # characters of one typed option (a list of categories or products)
_STYLES: Final = {CouponMove.PAUSE: discord.ButtonStyle.secondary, CouponMove.RESUME: discord.ButtonStyle.success,
                  CouponMove.DELETE: discord.ButtonStyle.danger, CouponMove.SHARE: discord.ButtonStyle.primary}


def _option(name: str, english: str) -> app_commands.locale_str:
    return command_text(f"dso.coupons.option.{name}", english)


def add_to(group: app_commands.Group, services: ShopServices) -> None:
    coupons = app_commands.Group(name=command_text("dso.command.coupons", "coupons"),
                                 description=command_text("dso.command.coupons.description",
                                                          "Coupon codes: list, create, pause, delete, share"),
                                 parent=group)

    @coupons.command(name=command_text("dso.command.coupons.list", "list"),
                     description=command_text("dso.command.coupons.list.description",
                                              "The shop's coupon codes, newest first"))
    async def list_(interaction: discord.Interaction[Any]) -> None:
        await show_list(interaction, 0)

    names = ("code", "discount", "min_order", "starts", "ends", "uses", "per_customer", "free_shipping", "categories",
             "products")

    @coupons.command(name=command_text("dso.command.coupons.new", "new"),
                     description=command_text("dso.command.coupons.new.description", "Create a coupon code"))
    @app_commands.rename(**{name: _option(name, name) for name in names})
    @app_commands.describe(
        code=_option("code.description", "What buyers type, such as SPRING10"),
        discount=_option("discount.description", "10% (percent off), 500 (amount off) or free_shipping"),
        min_order=_option("min_order.description", "The smallest order it works for, such as 3000"),
        starts=_option("starts.description",
                       "First day, such as 2026-12-01 (shop time), or an exact time 2026-12-01T10:00"),
        ends=_option("ends.description", "Last day, such as 2026-12-31 (shop time), or an exact time 2026-12-31T18:00"),
        uses=_option("uses.description", "How many orders in total may use it"),
        per_customer=_option("per_customer.description", "How many orders each customer may use it for"),
        free_shipping=_option("free_shipping.description", "The shipping is free too"),
        categories=_option("categories.description", "Only these categories, separated by commas"),
        products=_option("products.description", "Only these product numbers, separated by commas"))
    async def new(interaction: discord.Interaction[Any], code: app_commands.Range[str, 1, 32],
                  discount: app_commands.Range[str, 1, 40], min_order: app_commands.Range[str, 1, 40] | None = None,
                  starts: app_commands.Range[str, 1, 40] | None = None,
                  ends: app_commands.Range[str, 1, 40] | None = None,
                  uses: app_commands.Range[int, 1, MAX_USES] | None = None,
                  per_customer: app_commands.Range[int, 1, MAX_USES] | None = None, free_shipping: bool = False,
                  categories: app_commands.Range[str, 1, TEXT_MAX] | None = None,
                  products: app_commands.Range[str, 1, TEXT_MAX] | None = None) -> None:
        person = await identify(interaction)
        shop, tr, locale = services.shop, services.translator, person.locale
        require(await shop.sellers.role_of(person.customer.id), Permission.MANAGE_COUPONS)  # before reading
        currency, timezone = shop.catalog.currency, shop.rules.timezone
        try:
            terms = new_coupon(code, parse_discount(discount, currency), currency, timezone,
                               free_shipping=free_shipping, min_order=min_order, starts=starts, ends=ends, uses=uses,
                               per_customer=per_customer, product_ids=parse_product_ids(products or ""),
                               categories=parse_categories(categories or ""))
            coupon = await shop.coupons.create(person.customer.id, terms)
        except (InvalidInput, InvalidAmount) as refused:
            problem = coupon_problem(tr, locale, refused, code=code.strip().upper())
            await reply(interaction, content=md(f"{problem}\n{tr.text(locale, 'dso.coupons.try_again')}"))
            return
        view = present_coupon(tr, locale, coupon, timezone=timezone, now=shop.clock())
        created = tr.text(locale, "coupons.created", code=coupon.code, gives=view.gives)
        embed = discord.Embed(title=md(tr.text(locale, "coupons.list.heading")), colour=COLOUR)
        _add_field(embed, view)
        buttons = discord.ui.View(timeout=None)
        _add_buttons(buttons, view, 0, row=0)
        buttons.add_item(CouponsPage(0, tr.text(locale, "coupons.button.back"), row=1))
        await reply(interaction, content=md(created), embed=embed, view=buttons)

    del list_, new  # registered on the group


# ---- presenting ----


def _add_field(embed: discord.Embed, view: CouponView) -> None:
    embed.add_field(name=md(f"{view.title} · {view.status}")[:256], value="\n".join(map(md, view.lines))[:1024],
                    inline=False)


def _add_buttons(buttons: discord.ui.View, view: CouponView, page: int, *, row: int) -> None:
    for button in view.buttons:
        buttons.add_item(MoveCoupon(button.move, button.code, page, button.label, row=row))


async def show_list(interaction: discord.Interaction[Any], page: int, *, notice: str | None = None) -> None:
    """One page of codes: in place of the clicked message, or as the answer to the command."""
    services, seller = services_of(interaction), await identify(interaction)
    shop, tr, locale = services.shop, services.translator, seller.locale
    coupons = await shop.coupons.list(seller.customer.id, limit=PAGE_SIZE + 1, offset=page * PAGE_SIZE)
    shown = present_coupons(tr, locale, coupons, page=page, timezone=shop.rules.timezone, now=shop.clock())
    hint = tr.text(locale, "dso.coupons.hint")
    embed = discord.Embed(title=md(shown.heading), colour=COLOUR,
                          description=md(f"{shown.empty}\n{hint}" if shown.empty else hint))
    buttons = discord.ui.View(timeout=None)
    for row, view in enumerate(shown.coupons):
        _add_field(embed, view)
        _add_buttons(buttons, view, page, row=row)
    for label, target in ((shown.previous, page - 1), (shown.next, page + 1)):
        if label:
            buttons.add_item(CouponsPage(target, label, row=len(shown.coupons)))
    content = md(notice) if notice else None
    if interaction.type is discord.InteractionType.component:
        await edit(interaction, content=content, embed=embed, view=buttons if buttons.children else None)
    else:
        await reply(interaction, content=content, embed=embed, view=buttons if buttons.children else None)


# ---- handlers (called by the items) ----


async def move_coupon(interaction: discord.Interaction[Any], move: str, code: str, page: int) -> None:
    """Pause, resume and delete redraw the list in place; delete asks first ("ask"); share answers privately."""
    services, seller = services_of(interaction), await identify(interaction)
    coupons, tr, locale, actor = services.shop.coupons, services.translator, seller.locale, seller.customer.id
    if move in (CouponMove.PAUSE, CouponMove.RESUME):
        coupon = await coupons.set_paused(actor, code, move == CouponMove.PAUSE)
        await show_list(interaction, page, notice=moved_notice(tr, locale, CouponMove(move), coupon.code))
    elif move == CouponMove.DELETE:
        coupon = await coupons.get(actor, code)  # it exists, and the asker may delete it
        question = present_delete_question(tr, locale, coupon.code)
        buttons = discord.ui.View(timeout=None)
        buttons.add_item(MoveCoupon("yes", coupon.code, page, question.confirm))
        buttons.add_item(CouponsPage(page, question.keep))
        await edit(interaction, content=md(question.text), embed=None, view=buttons)
    elif move == "yes":
        coupon = await coupons.delete(actor, code)
        await show_list(interaction, page, notice=moved_notice(tr, locale, CouponMove.DELETE, coupon.code))
    else:
        coupon = await coupons.get(actor, code)
        username = services.telegram_username
        link = telegram_coupon_link(username, coupon.code) if username else None
        await reply(interaction, content=md("\n\n".join(share_lines(tr, locale, coupon.code, link))))


# ---- the persistent components (DynamicItem): the code (the coupon's id in the core) and the page ----


_CODE: Final = r"[A-Z0-9][A-Z0-9_-]{2,31}"
_PAGE: Final = r"[0-9]{1,4}"
_MOVES: Final = "|".join([*(move.value for move in CouponMove), "yes"])


class MoveCoupon(ShopItem, DynamicItem[Button[Any]],
                 template=rf"cs:cpn:(?P<move>{_MOVES}):(?P<code>{_CODE}):(?P<page>{_PAGE})"):
    """`yes`: the delete question answered; `page`: the list to draw again afterwards."""

    def __init__(self, move: str, code: str, page: int, label: str = "", *, row: int | None = None) -> None:
        self.move, self.code, self.page = move, code, page
        style = discord.ButtonStyle.danger if move == "yes" else _STYLES.get(CouponMove(move),
                                                                              discord.ButtonStyle.secondary)
        super().__init__(Button(label=label[:80] or "-", custom_id=f"cs:cpn:{move}:{code}:{page}", style=style,
                                row=row))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> MoveCoupon:
        return cls(match["move"], match["code"], int(match["page"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await move_coupon(interaction, self.move, self.code, self.page)


class CouponsPage(ShopItem, DynamicItem[Button[Any]], template=rf"cs:cpn:list:(?P<page>{_PAGE})"):
    def __init__(self, page: int, label: str = "", *, row: int | None = None) -> None:
        self.page = page
        super().__init__(Button(label=label[:80] or "-", custom_id=f"cs:cpn:list:{page}", row=row))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> CouponsPage:
        return cls(int(match["page"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await show_list(interaction, self.page)


SELLER_COUPON_ITEMS: Final = (MoveCoupon, CouponsPage)
