"""The Telegram storefront (aiogram 3): `build_dispatcher` wires it onto a `Shop`."""

from bots.telegram.dispatcher import build_dispatcher

__all__ = ["build_dispatcher"]
