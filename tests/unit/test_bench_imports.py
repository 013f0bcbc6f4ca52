"""Every benchmark script still imports: a bench is run by hand, so nothing else would notice it broke."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import bench

MODULES = sorted(info.name for info in pkgutil.iter_modules(bench.__path__, "bench."))


@pytest.mark.parametrize("module", MODULES)
def test_the_bench_imports(module: str) -> None:
    importlib.import_module(module)
