"""Imports point one way (docs/architecture.md#layers). Walks every module's imports, including lazy ones
inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAT = {"aiogram", "discord", "telegram", "bots"}
FORBIDDEN = {
    "commerce": CHAT | {"payments", "media", "httpx", "qrcode", "PIL"},
    "payments": CHAT | {"media"},
    "media": CHAT | {"payments", "commerce", "sqlalchemy", "sqlmodel"},
}


def imported_roots(path: Path) -> set[tuple[int, str]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {(node.lineno, alias.name.split(".")[0]) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add((node.lineno, node.module.split(".")[0]))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_respect_the_layering(package: str) -> None:
    violations = [f"{path.relative_to(ROOT)}:{line} imports {name}"
                  for path in sorted((ROOT / package).rglob("*.py"))
                  for line, name in sorted(imported_roots(path)) if name in FORBIDDEN[package]]
    assert violations == []


def test_the_walker_sees_lazy_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from aiogram import Bot\n    import discord.ui\n")
    assert {name for _, name in imported_roots(module)} == {"aiogram", "discord"}


def test_no_float_near_money() -> None:
    offenders = []
    for package in ("commerce", "payments"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                is_call = isinstance(node, ast.Call) and getattr(node.func, "id", None) == "float"
                is_hint = isinstance(node, ast.Name) and node.id == "float" and not is_call
                if is_call or is_hint:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
