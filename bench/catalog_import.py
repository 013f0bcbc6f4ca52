"""`chatshop catalog import` of a large CSV: wall time and the process's peak memory (RSS).

Usage: python -m bench.catalog_import [sqlite|postgres ...] [--rows 100000] [--repeat 3]

Writes a CSV of ROWS variant rows (products of 1–3 variants, Japanese and English titles, options,
categories, a description, a formula-looking title now and then), then runs the real command
`python -m bots.cli.main catalog import FILE` in a fresh process against a fresh shop, REPEAT times per
backend. The peak RSS and the CPU time (user + system) are the child's own, from `os.wait4`, so they count
the interpreter, the imports and the import itself; CPU time says more than wall time on a shared machine.
Target (docs/architecture.md#performance): ≤ 200 MB for the whole process.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

from bench._common import spread
from bots.cli.catalog_csv import COLUMNS

CONFIG = """
[shop]
name = "Bench Shop"
currency = "JPY"
[database]
url = "{url}"
[telegram]
enabled = false
[rates]
source = "fixed"
[sellers]
owners = ["telegram:1"]
"""

WORDS = ["tea", "cup", "kyoto", "matcha", "bowl", "cotton", "shirt", "print", "poster", "湯呑み", "有田焼",
         "手ぬぐい", "浴衣", "linen", "indigo", "ceramic", "vintage", "handmade", "gift"]
CATEGORIES = ["Clothes", "Tableware", "Books", "Prints", "雑貨", "お茶"]


def write_catalog(path: Path, rows: int) -> int:
    """ROWS variant rows; returns how many products they make."""
    rng = random.Random(22)
    products = written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        while written < rows:
            products += 1
            sizes = rng.choice([[""], ["S", "M"], ["S", "M", "L"]])[: rows - written]
            title = " ".join(rng.sample(WORDS, 3)) + f" #{products}"
            if products % 97 == 0:
                title = "=" + title  # exported cells like this come back with a leading apostrophe
            for number, size in enumerate(sizes):
                first = number == 0
                writer.writerow([
                    f"p{products}", title if first else "",
                    " ".join(rng.sample(WORDS, 8)) if first else "",
                    "physical", rng.choice(CATEGORIES) if first else "", "true",
                    f"SKU-{products}-{size or 'ONE'}", f"size={size}" if size else "",
                    str(rng.randint(300, 30_000)), str(rng.randint(0, 50)), "",
                ])
                written += 1
    return products


def import_once(folder: Path, catalog: Path) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds, peak RSS in MB and the last line of output of one `catalog import`."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bots.cli.main", "catalog", "import", str(catalog),
         "--config", str(folder / "bot.toml")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    output, errors = process.stdout.read(), process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"import failed ({process.returncode}): {errors.decode()[-2000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output.decode().strip().splitlines()[-1]


async def database_url(backend: str, folder: Path, stack: AsyncExitStack) -> str:
    if backend == "sqlite":
        return "sqlite+aiosqlite:///data/shop.db"
    from tests.support.postgres import postgres_database

    return await stack.enter_async_context(postgres_database())


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("backends", nargs="*", default=["sqlite"])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        catalog = Path(directory) / "products.csv"
        products = write_catalog(catalog, args.rows)
        print(f"{args.rows:,} rows, {products:,} products, {catalog.stat().st_size / 1e6:.1f} MB of CSV")
        for backend in args.backends:
            async with AsyncExitStack() as stack:  # what any import costs: the interpreter, imports, the database
                folder = Path(directory) / f"{backend}-start"
                folder.mkdir()
                url = await database_url(backend, folder, stack)
                (folder / "bot.toml").write_text(CONFIG.format(url=url), encoding="utf-8")
                one_row = Path(directory) / "one.csv"
                write_catalog(one_row, 1)
                took, used, peak, _ = await asyncio.to_thread(import_once, folder, one_row)
            print(f"{backend:9} start-up (a one-row import): {took:.1f} s ({used:.1f} s CPU), peak RSS {peak:.1f} MB")
            seconds: list[float] = []
            cpu: list[float] = []
            peaks: list[float] = []
            for run in range(args.repeat):
                folder = Path(directory) / f"{backend}-{run}"
                folder.mkdir()
                async with AsyncExitStack() as stack:
                    url = await database_url(backend, folder, stack)
                    (folder / "bot.toml").write_text(CONFIG.format(url=url), encoding="utf-8")
                    took, used, peak, said = await asyncio.to_thread(import_once, folder, catalog)
                seconds.append(took)
                cpu.append(used)
                peaks.append(peak)
                print(f"{backend:9} run {run + 1}: {took:6.1f} s ({used:6.1f} s CPU), peak RSS {peak:6.1f} MB "
                      f"({said})", flush=True)
            per_row = statistics.median(cpu) / args.rows * 1000
            print(f"{backend:9} {args.rows:,} rows: time {spread(seconds, 's', 1)}; CPU {spread(cpu, 's', 1)} "
                  f"({per_row:.2f} ms a row, median); peak RSS {spread(peaks, 'MB', 1)} (target ≤ 200 MB)")


if __name__ == "__main__":
    asyncio.run(main())
