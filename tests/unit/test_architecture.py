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


PLATFORM_WORDS = ("telegram", "discord")


def platform_names_in(path: Path) -> list[str]:
    """Names and string constants (docstrings and comments aside) that name a chat platform."""
    tree = ast.parse(path.read_text(), str(path))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value
        elif isinstance(node, ast.Name | ast.alias | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            text = getattr(node, "id", None) or getattr(node, "name", "")
        elif isinstance(node, ast.Attribute):
            text = node.attr
        else:
            continue
        if any(word in text.lower() for word in PLATFORM_WORDS):
            where = path.relative_to(ROOT) if ROOT in path.parents else path.name
            found.append(f"{where}:{getattr(node, 'lineno', '?')} {text[:40]!r}")
    return found


def test_the_core_names_no_chat_platform() -> None:
    """A third chat app is a new adapter folder under bots/: the core takes any platform name it is given.
    (Migrations are history: they may rename what an older version stored.)"""
    migrations = ROOT / "commerce" / "storage" / "migrations"
    offenders = [found for path in sorted((ROOT / "commerce").rglob("*.py")) if migrations not in path.parents
                 for found in platform_names_in(path)]
    assert offenders == []


def test_the_platform_check_sees_strings_and_names_but_not_prose(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('"""Telegram and Discord in prose."""\n# telegram in a comment\n'
                      'KIND = "telegram"\ndef telegram_chat():\n    """Discord too."""\n    return DISCORD\n')
    assert sorted(hit.split(" ", 1)[1] for hit in platform_names_in(module)) == [
        "'DISCORD'", "'telegram'", "'telegram_chat'"]
