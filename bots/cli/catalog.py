"""The catalog as a CSV file: one row per variant, UTF-8, comma-separated, with a header line.

Columns (in any order; only title and price are required):

  product_ref  any text tying rows together: rows with the same product_ref are the
               variants of one product; an empty product_ref makes the row a product of its own
  title        product title (required on a product's first row, at most 120 characters)
  description  product description (at most 4000 characters)
  kind         physical | digital (default physical)
  category     category name; missing categories are created (at most 64 characters)
  visible      true | false (default true); hidden products are not shown to buyers
  sku          the variant's stock-keeping unit, unique in the shop (empty: one is generated)
  options      what sets this variant apart, as name=value pairs separated by ";",
               e.g. size=M;colour=red (at most 3)
  price        the variant's price in the shop currency as a plain decimal, e.g. 1200 or 12.50,
               with no more decimals than the currency has (JPY: none). Decimals take a point;
               a comma may only group thousands ("1,200"), so "12,50" is refused, never read
               as 1250 (and "1,200" in a currency with 3 decimals, where it is unclear)
  stock        units on hand, a whole number (default 0); leave it empty for digital
               products, whose stock is the number of codes added to them in the bot
  photos       photo references (media ids or file names) separated by ";" (at most 10)

Columns that describe the product (title, description, kind, category, visible, photos) are read
from the product's first row; later rows of the same product may leave them empty or repeat them.

Import reads the file as a stream and adds the products in batches inside one transaction:
it imports nothing if any row is wrong (or the file can't be read to its end), and each problem
is reported as "line N: column: problem", where line 1 is the header. A long import shows its
progress. Import always adds new products. Text may not hold NUL characters.
Export writes the same columns, so exporting and importing into an empty shop gives the same
catalog (the codes of digital products are not exported).

Formulas: a spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return),
so export puts an apostrophe before such a cell ("=SUM(A1)" is written '=SUM(A1)) and before
an apostrophe that such a cell starts with. Import takes that one apostrophe off again, so
exported files import unchanged; a cell you write yourself as '=... is read as =...
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from bots.app import open_shop
from bots.cli.catalog_csv import COLUMNS, CatalogCsvError
from bots.cli.catalog_reader import CatalogReader
from bots.cli.catalog_shop import ImportSummary, all_products, export_catalog, import_rows
from bots.cli.common import Cli, CliError, Commands, add_command, format_price
from bots.config import Settings
from commerce.catalog import ProductDTO

IMPORT_EXAMPLE = """\
example file:
  product_ref,title,description,kind,category,visible,sku,options,price,stock,photos
  tee,Sakura T-shirt,Soft cotton,physical,Clothes,true,TEE-S,size=S;colour=pink,3000,10,tee.jpg
  tee,,,,,,TEE-M,size=M;colour=pink,3000,4,
  ebook,Tea guide,PDF,digital,Books,true,,,1200,,

example:
  chatshop catalog import products.csv
"""


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    catalog = add_command(
        commands, "catalog", common, summary="import, export or list products (CSV)",
        description="Manage the product catalog with files: import a CSV from another shop, export the "
                    "catalog as CSV, or list the products.",
        epilog="examples:\n  chatshop catalog import products.csv\n  chatshop catalog export backup.csv\n"
               "  chatshop catalog list --hidden")
    catalog.set_defaults(handler=lambda _args, _cli: _usage(catalog))
    actions = catalog.add_subparsers(title="actions", metavar="ACTION")

    importer = add_command(
        actions, "import", common, summary="add the products in a CSV file (all rows or none)",
        description=__doc__ or "", epilog=IMPORT_EXAMPLE, raw_description=True)
    importer.add_argument("file", type=Path, metavar="FILE.csv", help="the CSV file to import")
    importer.set_defaults(handler=import_command)

    exporter = add_command(
        actions, "export", common, summary="write every product (hidden ones too) to a CSV file",
        description="Write the whole catalog, one row per variant, in the format that import reads "
                    f"(columns: {','.join(COLUMNS)}). Cells a spreadsheet would run as a formula (starting "
                    "with = + - @, a tab or a carriage return) get an apostrophe in front, so opening the "
                    "file runs nothing; import takes it off again.",
        epilog="example:\n  chatshop catalog export products.csv")
    exporter.add_argument("file", type=Path, metavar="FILE.csv", help="where to write the CSV")
    exporter.add_argument("--force", action="store_true", help="overwrite FILE.csv if it exists")
    exporter.set_defaults(handler=export_command)

    lister = add_command(
        actions, "list", common, summary="show the products: id, title, lowest price, total stock",
        description="Show one product a line: its id, title, lowest variant price and total stock.",
        epilog="example:\n  chatshop catalog list --hidden")
    lister.add_argument("--hidden", action="store_true", help="include products hidden from buyers")
    lister.set_defaults(handler=list_command)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


# ---- import ----

def import_command(args: argparse.Namespace, cli: Cli) -> int:
    settings = cli.settings()
    path: Path = args.file
    with _open_csv(path) as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        try:
            reader = CatalogReader(text, settings.shop.currency)
            summary = asyncio.run(_import(settings, reader, binary, cli))
        except CatalogCsvError as error:
            _report(cli, path, error)
            return 1
        except UnicodeDecodeError:
            raise CliError(f"{path}: not UTF-8 text, nothing was imported — save the CSV as UTF-8 and try "
                           "again") from None
        except OSError as error:
            raise CliError(f"{path}: cannot be read ({error.strerror or error})") from None
    categories = f", new categories: {', '.join(summary.new_categories)}" if summary.new_categories else ""
    cli.say(f"imported {summary.products} products ({summary.variants} variants) from {path}{categories}")
    return 0


@contextmanager
def _open_csv(path: Path) -> Iterator[BinaryIO]:
    """The file, read as a stream: its size doesn't matter, only the number of products does."""
    try:
        binary = path.open("rb")
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except OSError as error:
        raise CliError(f"{path}: cannot be read ({error.strerror or error})") from None
    with binary:
        yield binary


async def _import(settings: Settings, reader: CatalogReader, binary: BinaryIO, cli: Cli) -> ImportSummary:
    owners = settings.sellers.owners[:1]
    size = os.fstat(binary.fileno()).st_size
    async with open_shop(settings) as shop:
        owner_id = (await shop.sellers.bootstrap_owners(owners))[0] if owners else None
        columns = (TextColumn("importing"), BarColumn(), TaskProgressColumn(), TextColumn("{task.fields[rows]:,} rows"),
                   TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn())
        with Progress(*columns, console=cli.out, transient=True, disable=not cli.out.is_terminal) as progress:
            task = progress.add_task("import", total=size or None, rows=0)

            def advance(rows: int) -> None:
                progress.update(task, completed=binary.tell(), rows=rows)

            return await import_rows(shop, reader, owner_id, advance)


def _report(cli: Cli, path: Path, error: CatalogCsvError) -> None:
    count = len(error.problems)
    more = " (reading stopped there; fix these and try again)" if error.stopped else ""
    cli.fail(f"{path}: {count} problem{'s' if count != 1 else ''}{more}, nothing was imported:")
    for problem in error.problems:
        cli.fail(str(problem))


# ---- export ----

def export_command(args: argparse.Namespace, cli: Cli) -> int:
    settings = cli.settings()
    path: Path = args.file
    if path.exists() and not args.force:
        raise CliError(f"{path} already exists; add --force to overwrite it")
    rows = asyncio.run(_export(settings))
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    try:
        path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    except OSError as error:
        raise CliError(f"{path}: cannot be written ({error.strerror or error})") from None
    products = len({row["product_ref"] for row in rows})
    cli.say(f"exported {products} products ({len(rows)} variants) to {path}")
    return 0


async def _export(settings: Settings) -> list[dict[str, str]]:
    async with open_shop(settings) as shop:
        return await export_catalog(shop)


# ---- list ----

def list_command(args: argparse.Namespace, cli: Cli) -> int:
    settings = cli.settings()
    products = asyncio.run(_list(settings, include_hidden=args.hidden))
    if not products:
        cli.say(f"no products yet — add some with: {cli.command('catalog', 'import', 'FILE.csv')}")
        return 0
    table = Table("id", "title", "price", "stock", box=None, header_style="bold")
    table.columns[1].no_wrap, table.columns[1].overflow = True, "ellipsis"
    for column in (table.columns[0], table.columns[2], table.columns[3]):
        column.no_wrap, column.justify = True, "right"
    for product in products:
        price = format_price(product.price_from.amount, settings.shop.currency, settings.shop.default_locale)
        title = Text(product.title) if product.visible else Text(f"{product.title} (hidden)", style="dim")
        table.add_row(str(product.id), title, price, str(product.stock))
    cli.out.print(table)
    cli.say(f"{len(products)} products")
    return 0


async def _list(settings: Settings, *, include_hidden: bool) -> list[ProductDTO]:
    async with open_shop(settings) as shop:
        return await all_products(shop, include_hidden=include_hidden)
