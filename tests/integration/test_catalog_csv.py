"""`chatshop catalog import|export|list` against a real SQLite shop in a temp dir."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bots.cli.main import main

CONFIG = """\
[shop]
name = "Test"
currency = "{currency}"
[database]
url = "{url}"
[telegram]
enabled = false
[rates]
source = "fixed"
[sellers]
owners = ["telegram:1"]
"""

GOOD_CSV = """\
product_ref,title,description,kind,category,visible,sku,options,price,stock,photos
tee,Sakura tee,"Soft cotton,
washable",physical,Clothes,true,TEE-S,size=S;colour=pink,3000,10,tee-front.jpg;tee-back.jpg
tee,,,,,,TEE-M,size=M;colour=pink,3200,4,
guide,Tea guide,A PDF,digital,Books,true,GUIDE,,1200,,
,Secret mug,,physical,,false,MUG,,"1,500",3,
"""


SQLITE = "sqlite+aiosqlite:///data/shop.db"


def shop_dir(tmp_path: Path, name: str = "shop", *, currency: str = "JPY", url: str = SQLITE) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "bot.toml").write_text(CONFIG.format(currency=currency, url=url), encoding="utf-8")
    return folder


def write_csv(tmp_path: Path, text: str, name: str = "products.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def chatshop(folder: Path, *args: str) -> int:
    return main([*args, "--config", str(folder / "bot.toml")])


def read_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def test_import_then_list_shows_products_with_lowest_price_and_total_stock(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    products = write_csv(tmp_path, GOOD_CSV)

    assert chatshop(folder, "catalog", "import", str(products)) == 0
    out = capsys.readouterr().out
    assert "imported 3 products (4 variants)" in out
    assert "Books, Clothes" in out

    assert chatshop(folder, "catalog", "list") == 0
    listing = capsys.readouterr().out
    tee_line = next(line for line in listing.splitlines() if "Sakura tee" in line)
    assert "3,000" in tee_line and tee_line.rstrip().endswith("14")
    assert "Tea guide" in listing
    assert "Secret mug" not in listing  # hidden

    assert chatshop(folder, "catalog", "list", "--hidden") == 0
    hidden = capsys.readouterr().out
    mug_line = next(line for line in hidden.splitlines() if "Secret mug" in line)
    assert "1,500" in mug_line and mug_line.rstrip().endswith("3")


def test_export_writes_variants_options_and_categories(tmp_path: Path) -> None:
    folder = shop_dir(tmp_path)
    assert chatshop(folder, "catalog", "import", str(write_csv(tmp_path, GOOD_CSV))) == 0
    exported = tmp_path / "export.csv"

    assert chatshop(folder, "catalog", "export", str(exported)) == 0

    rows = read_rows(exported)
    assert [row["sku"] for row in rows] == ["TEE-S", "TEE-M", "GUIDE", "MUG"]
    tee_s, tee_m, guide, mug = rows
    assert tee_s["product_ref"] == tee_m["product_ref"] != guide["product_ref"]
    assert tee_m["options"] == "colour=pink;size=M"
    assert tee_s["description"] == "Soft cotton,\nwashable"
    assert tee_s["photos"] == "tee-front.jpg;tee-back.jpg"
    assert (tee_m["price"], tee_m["stock"], tee_m["category"]) == ("3200", "4", "Clothes")
    assert (guide["kind"], guide["stock"], guide["category"]) == ("digital", "", "Books")
    assert (mug["visible"], mug["price"], mug["category"]) == ("false", "1500", "")


def test_export_then_import_into_an_empty_shop_gives_the_same_catalog(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = shop_dir(tmp_path, "first"), shop_dir(tmp_path, "second")
    assert chatshop(first, "catalog", "import", str(write_csv(tmp_path, GOOD_CSV))) == 0
    assert chatshop(first, "catalog", "export", str(tmp_path / "first.csv")) == 0

    assert chatshop(second, "catalog", "import", str(tmp_path / "first.csv")) == 0
    assert chatshop(second, "catalog", "export", str(tmp_path / "second.csv")) == 0

    assert read_rows(tmp_path / "second.csv") == read_rows(tmp_path / "first.csv")
    capsys.readouterr()
    assert chatshop(first, "catalog", "list", "--hidden") == 0
    first_listing = capsys.readouterr().out
    assert chatshop(second, "catalog", "list", "--hidden") == 0
    assert capsys.readouterr().out == first_listing


def test_bad_rows_are_all_reported_by_line_and_nothing_is_imported(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    bad = write_csv(tmp_path, (
        "product_ref,title,kind,price,stock\n"
        "cup,Tea cup,physical,800,5\n"
        "plate,Plate,physical,12.5,1\n"      # line 3: JPY has no decimals
        "bowl,Bowl,service,100,1\n"          # line 4: unknown kind
        "spoon,,physical,100,1\n"            # line 5: no title
    ))

    assert chatshop(folder, "catalog", "import", str(bad)) == 1

    err = capsys.readouterr().err
    problems = [line for line in err.splitlines() if line.startswith("line ")]
    assert len(problems) == 3
    assert problems[0].startswith('line 3: price: "12.5"') and "JPY" in problems[0]
    assert problems[1].startswith("line 4: kind:") and '"service"' in problems[1]
    assert problems[2].startswith("line 5: title: required")
    assert "nothing was imported" in err
    assert "Traceback" not in err

    assert chatshop(folder, "catalog", "list", "--hidden") == 0
    assert "no products yet" in capsys.readouterr().out


def test_core_errors_are_reported_on_the_line_they_came_from(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    assert chatshop(folder, "catalog", "import", str(write_csv(tmp_path, GOOD_CSV))) == 0
    again = write_csv(tmp_path, (
        "product_ref,title,sku,options,price,stock\n"
        "pot,Tea pot,POT-1,,5000,2\n"
        "tee2,Other tee,NEW-S,size=S,3000,1\n"
        "tee2,,TEE-M,size=M,3000,1\n"        # line 4: SKU already in the shop
    ), "again.csv")
    capsys.readouterr()

    assert chatshop(folder, "catalog", "import", str(again)) == 1

    err = capsys.readouterr().err
    assert 'line 4: sku: "TEE-M" is already used by a product in the shop' in err
    assert chatshop(folder, "catalog", "list") == 0
    assert "Tea pot" not in capsys.readouterr().out  # the good row was rolled back too


def test_variant_rows_must_agree_with_their_product_and_differ_in_options(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    bad = write_csv(tmp_path, (
        "product_ref,title,sku,options,price,stock\n"
        "tee,Tee,A,size=S,100,1\n"
        "tee,Shirt,B,size=S,100,1\n"
        "tee,,A,size,100,-1\n"
    ))

    assert chatshop(folder, "catalog", "import", str(bad)) == 1

    err = capsys.readouterr().err
    assert "line 3: title: differs from line 2" in err
    assert "line 3: options: same options as line 2" in err
    assert 'line 4: sku: "A" is already used on line 2' in err
    assert "line 4: options: expected name=value pairs" in err
    assert "line 4: stock: expected a whole number" in err


def test_unknown_and_missing_columns_are_reported_on_the_header(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    bad = write_csv(tmp_path, "title,colour\nTee,red\n")

    assert chatshop(folder, "catalog", "import", str(bad)) == 1

    err = capsys.readouterr().err
    assert "line 1: colour: unknown column" in err
    assert "line 1: price: missing column" in err


def test_export_refuses_to_overwrite_without_force(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    target = write_csv(tmp_path, "keep me\n", "precious.csv")

    assert chatshop(folder, "catalog", "export", str(target)) == 1
    assert "--force" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "keep me\n"

    assert chatshop(folder, "catalog", "export", str(target), "--force") == 0
    assert target.read_text(encoding="utf-8").startswith("product_ref,title,")


def test_import_help_documents_the_columns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "import", "--help"]) == 0
    out = capsys.readouterr().out
    for column in ("product_ref", "title", "description", "kind", "category", "visible", "sku", "options",
                   "price", "stock", "photos"):
        assert column in out
    assert "size=M;colour=red" in out and "chatshop catalog import" in out


def test_a_spreadsheet_export_with_bom_and_crlf_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shop_dir(tmp_path)
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffTitle,Price,Stock\r\nお茶,\"1,200\",5\r\n".encode())

    assert chatshop(folder, "catalog", "import", str(path)) == 0

    assert chatshop(folder, "catalog", "list") == 0
    tea_line = next(line for line in capsys.readouterr().out.splitlines() if "お茶" in line)
    assert "1,200" in tea_line and tea_line.rstrip().endswith("5")
