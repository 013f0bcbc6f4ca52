"""Import aiogram with its Bot API types built when first used, not all at import.

aiogram declares its ~300 types with pydantic's `defer_build=True`, then undoes it at the end of
`aiogram/types/__init__.py` by calling `model_rebuild(_types_namespace=…)` on every one of them, which builds
each validator and serializer with its whole tree of nested types inlined: ~3 s and ~100 MB of a `chatshop
run` start-up, most of it for types a shop never receives. While aiogram is imported here, that call only
records the names it was given, and they are added to the modules of aiogram's models, so each type is built,
with the same names resolved, the first time anything validates or dumps it.
Any other `model_rebuild` call, and any import of aiogram after the first, behave as pydantic does.
`tests/unit/test_lazy_aiogram.py` checks that every type still builds and that the import stays lazy.
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import BaseModel


def import_aiogram() -> None:
    """Import aiogram (once per process) with its types and methods left to build on first use."""
    if "aiogram" in sys.modules:
        return
    pydantic_rebuild = BaseModel.__dict__["model_rebuild"]
    names: dict[str, Any] = {}  # aiogram passes every type the same namespace: all of its types
    modules: set[str] = set()

    def record_namespace(cls: type[BaseModel], *, force: bool = False, raise_errors: bool = True,
                         _parent_namespace_depth: int = 2, _types_namespace: Any = None) -> bool | None:
        if _types_namespace is None or force or cls.__pydantic_complete__ or not cls.__module__.startswith("aiogram."):
            return pydantic_rebuild.__func__(cls, force=force, raise_errors=raise_errors,
                                             _parent_namespace_depth=_parent_namespace_depth + 1,
                                             _types_namespace=_types_namespace)
        if not names:
            names.update(_types_namespace)
        modules.add(cls.__module__)
        return None

    BaseModel.model_rebuild = classmethod(record_namespace)  # type: ignore[method-assign, assignment]
    try:
        import aiogram  # noqa: F401 — the import is the point
    finally:
        BaseModel.model_rebuild = pydantic_rebuild  # type: ignore[method-assign]
    # When pydantic builds a model it resolves each nested type's annotations in that type's module, where
    # aiogram imports the names only under TYPE_CHECKING. They are added to those modules (never replacing a
    # name that is there), so a type builds whoever asks first: a method, a `Response[list[Update]]`, a filter.
    for module in modules:
        module_names = vars(sys.modules[module])
        for name, value in names.items():
            module_names.setdefault(name, value)
