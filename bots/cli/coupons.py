"""`chatshop coupons create|list|pause|resume|delete`: the shop's coupon codes from the command line
(docs/coupons.md). The CLI acts as the shop itself (no seller role is checked); the core checks the terms.

Dates are the shop's calendar ([shop] timezone in bot.toml): `--from 2026-12-01` starts at the beginning of that
day, `--to 2026-12-31` is the last day the code works (it stops when that day is over); a full ISO date and
time (`2026-12-31T18:00`, optionally with an offset) is the exact moment.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from rich.table import Table
from rich.text import Text

from bots.app import open_shop
from bots.cli.common import Cli, CliError, Commands, add_command
from bots.common.coupon_form import DiscountTerms, new_coupon, parse_categories, parse_discount, parse_product_ids
from bots.common.coupon_view import CouponMove, CouponState, coupon_problem, moved_notice, present_coupon
from bots.config import Settings
from bots.i18n import Translator
from commerce.bill import CouponKind
from commerce.coupons import CouponDTO
from commerce.errors import InvalidAmount, InvalidInput
from commerce.money import Money
from commerce.shop import Shop

LOCALE: Final = "en"  # the CLI speaks English, like its other messages
LIST_BATCH: Final = 100  # the most CouponService.list returns at once
T = TypeVar("T")

CREATE_EXAMPLES = """\
examples:
  chatshop coupons create SPRING10 --percent 10 --min-order 3000 --uses 100 --per-customer 1 \\
      --from 2026-12-01 --to 2026-12-31
  chatshop coupons create SHIPFREE --free-shipping --category Food --category "Green tea"
  chatshop coupons create TEA500 --amount 500 --product 12 15

Dates: YYYY-MM-DD in the shop's time zone ([shop] timezone): --from starts at the beginning of that day,
--to is the last day the code works. Or a full ISO date and time, e.g. 2026-12-31T18:00 (+09:00).
"""


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    coupons = add_command(
        commands, "coupons", common, summary="create, list, pause, resume or delete coupon codes",
        description="Manage the shop's coupon codes: buyers type a code at checkout (or open its Telegram "
                    "link) for a percentage or an amount off, or free shipping.",
        epilog="examples:\n  chatshop coupons create SPRING10 --percent 10 --to 2026-12-31\n"
               "  chatshop coupons list\n  chatshop coupons pause SPRING10")
    coupons.set_defaults(handler=lambda _args, _cli: _usage(coupons))
    actions = coupons.add_subparsers(title="actions", metavar="ACTION")

    create = add_command(
        actions, "create", common, summary="make a new code",
        description="Make a new coupon code. Say what it gives with --percent, --amount or --free-shipping "
                    "(--free-shipping may come with --percent or --amount); everything else is optional.",
        epilog=CREATE_EXAMPLES)
    create.add_argument("code", metavar="CODE", help="what buyers type: 3 to 32 letters, digits, - or _")
    gives = create.add_mutually_exclusive_group()
    gives.add_argument("--percent", metavar="N", help="percent off the goods, e.g. 10 or 12.5")
    gives.add_argument("--amount", metavar="AMOUNT", help="amount off in the shop's currency, e.g. 500")
    create.add_argument("--free-shipping", action="store_true", help="the shipping is free")
    create.add_argument("--min-order", metavar="AMOUNT", help="the smallest order (before discount) it works for")
    create.add_argument("--from", dest="starts", metavar="DATE", help="the first day (or moment) it works")
    create.add_argument("--to", dest="ends", metavar="DATE", help="the last day it works (or the moment it stops)")
    create.add_argument("--uses", metavar="N", help="how many orders in total may use it")
    create.add_argument("--per-customer", metavar="N", help="how many orders each customer may use it for")
    create.add_argument("--product", metavar="ID", nargs="+", action="extend", default=[],
                        help="only these products (their numbers)")
    create.add_argument("--category", metavar="NAME", nargs="+", action="extend", default=[],
                        help="only these categories")
    create.set_defaults(handler=create_command)

    lister = add_command(actions, "list", common, summary="show every code and its terms",
                         description="Show the shop's codes, newest first: what each gives, its minimum order, "
                                     "when it is valid, how often it was used, and whether it is paused.",
                         epilog="example:\n  chatshop coupons list")
    lister.set_defaults(handler=list_command)

    for name, summary, description in (
            ("pause", "stop a code for now", "Buyers can't use the code until it is resumed."),
            ("resume", "let buyers use a paused code again", "Buyers can use the code again."),
            ("delete", "remove a code for good", "Buyers can't use the code any more and it can't be made again; "
                                                 "orders that used it keep their discount.")):
        action = add_command(actions, name, common, summary=summary, description=description,
                             epilog=f"example:\n  chatshop coupons {name} SPRING10")
        action.add_argument("code", metavar="CODE")
        action.set_defaults(handler=_change_command(CouponMove(name)))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _with_shop(settings: Settings, work: Callable[[Shop], Coroutine[Any, Any, T]]) -> T:
    async def run() -> T:
        async with open_shop(settings) as shop:
            return await work(shop)

    return asyncio.run(run())


# ---- create ----

def create_command(args: argparse.Namespace, cli: Cli) -> int:
    settings = cli.settings()
    currency, timezone, tr = settings.shop.currency, settings.shop.timezone, Translator.load()
    if args.percent is None and args.amount is None and not args.free_shipping:
        raise CliError("say what the code gives: --percent N, --amount AMOUNT or --free-shipping", exit_code=2)
    try:
        terms = new_coupon(
            args.code, _discount(args, currency), currency, timezone, free_shipping=args.free_shipping,
            min_order=args.min_order, starts=args.starts, ends=args.ends, uses=args.uses,
            per_customer=args.per_customer, product_ids=parse_product_ids(",".join(args.product)),
            categories=tuple(name for text in args.category for name in parse_categories(text)))
        coupon = _with_shop(settings, lambda shop: shop.coupons.create(None, terms))
    except (InvalidInput, InvalidAmount) as refused:
        raise CliError(coupon_problem(tr, LOCALE, refused, code=args.code.strip().upper())) from None
    view = present_coupon(tr, LOCALE, coupon, timezone=timezone, now=datetime.now(UTC))
    cli.say(tr.text(LOCALE, "coupons.created", code=coupon.code, gives=view.gives))
    cli.say(" · ".join(view.lines))
    return 0


def _discount(args: argparse.Namespace, currency: str) -> DiscountTerms:
    if args.percent is not None:
        return parse_discount(f"{re.sub(r'%$', '', args.percent.strip())}%", currency)
    if args.amount is not None:
        return DiscountTerms(CouponKind.FIXED, amount=Money.parse(args.amount, currency))
    return DiscountTerms(CouponKind.FREE_SHIPPING)


# ---- list ----

def list_command(args: argparse.Namespace, cli: Cli) -> int:
    settings = cli.settings()
    coupons = _with_shop(settings, _every_coupon)
    if not coupons:
        cli.say(f"no coupon codes yet — make one with: {cli.command('coupons', 'create', 'CODE', '--percent', '10')}")
        return 0
    tr, timezone, now = Translator.load(), settings.shop.timezone, datetime.now(UTC)
    table = Table("code", "gives", "min order", "valid", "used", "per customer", "applies to", "state", box=None,
                  header_style="bold")
    table.columns[0].no_wrap = True
    for coupon in coupons:
        view = present_coupon(tr, LOCALE, coupon, timezone=timezone, now=now)
        style = None if view.state is CouponState.ACTIVE else "dim"
        used = f"{coupon.uses}/{coupon.max_uses}" if coupon.max_uses is not None else str(coupon.uses)
        per_customer = str(coupon.per_customer) if coupon.per_customer is not None else "-"
        table.add_row(Text(view.code, style="bold"), view.gives, view.min_order, view.window, used, per_customer,
                      view.scope, Text(view.status, style=style))
    cli.out.print(table)
    cli.say(f"{len(coupons)} coupon code{'s' if len(coupons) != 1 else ''}")
    return 0


async def _every_coupon(shop: Shop) -> list[CouponDTO]:
    found: list[CouponDTO] = []
    while True:
        batch = await shop.coupons.list(None, limit=LIST_BATCH, offset=len(found))
        found += batch
        if len(batch) < LIST_BATCH:
            return found


# ---- pause, resume, delete ----

def _change_command(move: CouponMove) -> Callable[[argparse.Namespace, Cli], int]:
    def change(args: argparse.Namespace, cli: Cli) -> int:
        settings = cli.settings()

        async def work(shop: Shop) -> CouponDTO:
            if move is CouponMove.DELETE:
                return await shop.coupons.delete(None, args.code)
            return await shop.coupons.set_paused(None, args.code, move is CouponMove.PAUSE)

        coupon = _with_shop(settings, work)
        cli.say(moved_notice(Translator.load(), LOCALE, move, coupon.code))
        return 0

    return change
