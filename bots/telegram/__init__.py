"""The Telegram storefront (aiogram 3): `build_dispatcher` wires it onto a `Shop`.

aiogram is imported here, before any module of this package can, so that its types build on first use
(bots/lazy_aiogram.py): a second off `chatshop run`'s start-up and ~100 MB off its memory.
"""

from bots.lazy_aiogram import import_aiogram

import_aiogram()

from bots.telegram.dispatcher import build_dispatcher  # noqa: E402 — after aiogram is imported lazily

__all__ = ["build_dispatcher"]
