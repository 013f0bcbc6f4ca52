"""Write every line of the orders paid in a date range to a CSV file, for the shop's accountant.

One row per order line, UTF-8 with a byte-order mark (so Excel shows Japanese titles), comma-separated,
with a header line. Amounts are plain decimals in the currency's own places (JPY 1200, USD 12.50);
dates are the shop's time zone ([shop] timezone), written YYYY-MM-DD HH:MM:SS.

Repeated on every line of an order (so rows can be sorted and filtered):
  order_id, order_date, paid_date, status, currency, tax_mode (inclusive | exclusive | none),
  coupon_code, shipping_zone, payment_method, payment_asset, payment_txid
The line itself:
  line (1, 2, … within the order), title, sku, quantity, unit_price,
  line_total       unit_price × quantity
  tax_rate         percent (8, 10; 0 when untaxed)
  line_discount    the line's share of the order's discount
  line_after_discount  line_total − line_discount
  line_tax         the line's share of its rate's tax on the bill (inside line_after_discount when
                   tax_mode is inclusive, on top of it when exclusive)
  line_net         line_after_discount without tax
On the order's first line only, empty on its other lines (so summing a column counts each order once):
  order_subtotal, order_discount, order_shipping,
  shipping_tax     the shipping's share of the tax of the rate it was charged at
  order_tax, order_total, payment_amount
For every order: the line_total column sums to order_subtotal, line_discount to order_discount,
line_tax plus shipping_tax to order_tax (and per tax rate, to the tax the bill froze for that rate).

Orders are chosen by the day they were paid (an order never paid, by the day it was placed); by default
the sold ones (paid, fulfilled, shipped, delivered) and the refunded ones, whose status says so. With
several transfers to one order, the payment columns list them in the same order, separated by ";".
No personal data: no name, address or customer, so the file can go to an accountant. It is still
written readable by you only (0600), and appears under its name only once it is complete.

Cells a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) get an
apostrophe in front, as in catalog export.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Final, TextIO
from zoneinfo import ZoneInfo

from bots.app import open_shop
from bots.cli.catalog_csv import spreadsheet_safe
from bots.cli.common import Cli, CliError, Commands, add_command
from bots.common.bill_view import rate_text
from bots.config import Settings
from commerce.money import Money, format_units
from commerce.sales_export import EXPORTED, ExportOrder
from commerce.status import OrderStatus
from commerce.storage.private_files import create_private_file

COLUMNS: Final = (
    "order_id", "order_date", "paid_date", "status", "currency", "tax_mode", "line", "title", "sku", "quantity",
    "unit_price", "line_total", "tax_rate", "line_discount", "line_after_discount", "line_tax", "line_net",
    "coupon_code", "shipping_zone", "order_subtotal", "order_discount", "order_shipping", "shipping_tax",
    "order_tax", "order_total", "payment_method", "payment_asset", "payment_amount", "payment_txid")
FIRST_LINE_ONLY: Final = ("order_subtotal", "order_discount", "order_shipping", "shipping_tax", "order_tax",
                          "order_total", "payment_amount")
EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)

EXAMPLES = """\
examples:
  chatshop orders export november.csv --from 2026-11-01 --to 2026-11-30
  chatshop orders export refunds.csv --status refunded
  chatshop orders export everything.csv --status all
"""


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    orders = add_command(
        commands, "orders", common, summary="export order lines for accounting (CSV)",
        description="Work with the shop's orders from the command line: export them, line by line, for "
                    "accounting.",
        epilog="example:\n  chatshop orders export november.csv --from 2026-11-01 --to 2026-11-30")
    orders.set_defaults(handler=lambda _args, _cli: _usage(orders))
    actions = orders.add_subparsers(title="actions", metavar="ACTION")
    exporter = add_command(
        actions, "export", common, summary="write the lines of the orders paid in a date range to a CSV file",
        description=__doc__ or "", epilog=EXAMPLES, raw_description=True)
    exporter.add_argument("file", type=Path, metavar="FILE.csv", help="where to write the CSV")
    exporter.add_argument("--from", dest="first", type=_day, metavar="YYYY-MM-DD",
                          help="the first day, in the shop's time zone (default: the first order)")
    exporter.add_argument("--to", dest="last", type=_day, metavar="YYYY-MM-DD",
                          help="the last day, included (default: today)")
    exporter.add_argument("--status", dest="statuses", type=_statuses, action="append", metavar="STATUS[,STATUS]",
                          help="only orders in these statuses, or all (default: "
                               f"{','.join(sorted(EXPORTED))}); may be repeated")
    exporter.add_argument("--force", action="store_true", help="overwrite FILE.csv if it exists")
    exporter.set_defaults(handler=export_command)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected a day as YYYY-MM-DD, such as 2026-11-30, got "{text}"') from None


def _statuses(text: str) -> frozenset[OrderStatus]:
    words = {word.strip().lower() for word in text.split(",") if word.strip()}
    if "all" in words:
        return frozenset(OrderStatus)
    unknown = sorted(words - {status.value for status in OrderStatus})
    if unknown or not words:
        raise argparse.ArgumentTypeError(f'unknown status "{", ".join(unknown) or text}"; expected all or any of '
                                         f"{', '.join(status.value for status in OrderStatus)}")
    return frozenset(OrderStatus(word) for word in words)


@dataclass(slots=True)
class Totals:
    """What was written, per currency, for the closing line."""

    orders: int = 0
    lines: int = 0
    by_currency: dict[str, list[Money]] = field(default_factory=dict)  # subtotal, discount, shipping, tax, total

    def add(self, order: ExportOrder) -> None:
        bill = order.bill
        amounts = [Money.from_minor(minor, bill.currency) for minor in (
            bill.subtotal_minor, bill.discount_minor, bill.shipping_minor, bill.tax_minor, bill.total_minor)]
        old = self.by_currency.get(bill.currency)
        self.by_currency[bill.currency] = amounts if old is None else [a + b for a, b in zip(old, amounts, strict=True)]
        self.orders += 1
        self.lines += len(order.lines)


def export_command(args: argparse.Namespace, cli: Cli) -> int:
    settings = cli.settings()
    path: Path = args.file
    zone = ZoneInfo(settings.shop.timezone)
    last: date = args.last or datetime.now(zone).date()
    if args.first is not None and args.first > last:
        raise CliError(f"--from {args.first} is after --to {last}", exit_code=2)
    if path.exists() and not args.force:
        raise CliError(f"{path} already exists; add --force to overwrite it")
    statuses = frozenset().union(*args.statuses) if args.statuses else EXPORTED
    since = datetime.combine(args.first, time(0), zone) if args.first else EARLIEST
    until = datetime.combine(last + timedelta(days=1), time(0), zone)
    partial = path.with_name(path.name + ".partial")
    try:
        partial.unlink(missing_ok=True)
        create_private_file(partial)  # 0600 before a byte is written (and a new folder 0700)
        with partial.open("w", encoding="utf-8-sig", newline="") as out:
            totals = asyncio.run(_export(settings, out, since, until, statuses, zone))
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise CliError(f"{path}: cannot be written ({error.strerror or error})") from None
    except BaseException:
        partial.unlink(missing_ok=True)  # nothing half-written is left under either name
        raise
    days = f"from {args.first} to {last}" if args.first else f"up to {last}"
    cli.say(f"exported {totals.lines} lines of {totals.orders} orders paid {days} ({zone.key}) to {path}")
    for currency, (subtotal, discount, shipping, tax, total) in sorted(totals.by_currency.items()):
        cli.say(f"{currency}: subtotal {_plain(subtotal)}, discount {_plain(discount)}, shipping "
                f"{_plain(shipping)}, tax {_plain(tax)}, total {_plain(total)}")
    return 0


async def _export(settings: Settings, out: TextIO, since: datetime, until: datetime,
                  statuses: frozenset[OrderStatus], zone: ZoneInfo) -> Totals:
    """Stream the orders into `out` as the core reads them, batch by batch."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    totals = Totals()
    async with open_shop(settings) as shop:
        async for order in shop.sales.orders_for_export(None, since, until, statuses):  # the operator
            writer.writerows(order_rows(order, zone))
            totals.add(order)
    return totals


def order_rows(order: ExportOrder, zone: ZoneInfo) -> Iterator[list[str]]:
    """The order's lines as CSV rows in COLUMNS order, every cell spreadsheet-safe."""
    bill = order.bill
    payments = order.payments

    def money(minor: int) -> str:
        return _plain(Money.from_minor(minor, bill.currency))

    shared = {
        "order_id": str(order.id), "order_date": _local(order.created_at, zone),
        "paid_date": _local(order.paid_at, zone) if order.paid_at else "", "status": order.status.value,
        "currency": bill.currency, "tax_mode": bill.tax_mode.value, "coupon_code": bill.coupon or "",
        "shipping_zone": bill.zone_name or bill.zone_id or "",
        "payment_method": ";".join(p.method_id for p in payments), "payment_asset": ";".join(p.asset for p in payments),
        "payment_txid": ";".join(p.txid for p in payments),
    }
    first_only = {
        "order_subtotal": money(bill.subtotal_minor), "order_discount": money(bill.discount_minor),
        "order_shipping": money(bill.shipping_minor), "shipping_tax": _plain(order.shipping_tax),
        "order_tax": money(bill.tax_minor), "order_total": money(bill.total_minor),
        "payment_amount": ";".join(format_units(p.amount_units, p.decimals) for p in payments),
    }
    for line in order.lines:
        row = {
            **shared, "line": str(line.position), "title": line.title, "sku": line.sku,
            "quantity": str(line.quantity), "unit_price": _plain(line.unit_price), "line_total": _plain(line.total),
            "tax_rate": rate_text(line.tax_rate), "line_discount": _plain(line.discount),
            "line_after_discount": _plain(line.after_discount), "line_tax": _plain(line.tax),
            "line_net": _plain(line.net),
            **(first_only if line.position == 1 else dict.fromkeys(FIRST_LINE_ONLY, "")),
        }
        yield [spreadsheet_safe(row[column]) for column in COLUMNS]


def _plain(money: Money) -> str:
    """1200, 12.50: the currency's places, no symbol, no grouping, never an exponent."""
    return format(money.amount, "f")


def _local(when: datetime, zone: ZoneInfo) -> str:
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
