"""Cheaper handler filters, same answers: plain filters run on the event loop, payloads unpacked once.

aiogram runs a filter that is not a coroutine — a `State` (`NewProductForm.photos`), a magic filter
(`F.text`, `F.chat.type == "private"`) — through `asyncio.to_thread`, in case it blocks. Ours are
attribute comparisons that take microseconds, but every update that reaches one paid a thread-pool
round trip for it: five per button press, more than a millisecond in all.

A `SomeCallback.filter(...)` unpacks (and validates) the payload each time it is asked, and a router has
several of them for the same class: the catalog's "card", "list" and "reviews" handlers each parsed the
same press. Here a payload is parsed once per press and class and the result shared by the filters that
follow; a payload with another prefix is turned away before any parsing, as unpacking would have.

Filters keep their meaning and their order; only where and how often they run changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from aiogram import Router
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.types import CallbackQuery

# The last press each CallbackData class parsed, and what came of it (None: not a payload of that class).
# Compared by identity: another press, even with the same payload, parses again.
_last_parsed: dict[type[CallbackData], tuple[CallbackQuery, CallbackData | None]] = {}


def run_sync_filters_inline(root: Router) -> None:
    """For `root` and every router under it (call after including them all)."""
    for router in root.chain_tail:
        for observer in router.observers.values():
            for handler in observer.handlers:
                for event_filter in handler.filters or ():
                    if type(event_filter.callback) is CallbackQueryFilter:
                        # Same parameter (`query`) as CallbackQueryFilter.__call__, which aiogram read.
                        original = event_filter.callback
                        event_filter.callback = ParseOnceFilter(callback_data=original.callback_data,
                                                                rule=original.rule)
                    elif not event_filter.awaitable:
                        # The parameter list aiogram read from the filter's signature stays as it was.
                        event_filter.callback = _awaitable(event_filter.callback)
                        event_filter.awaitable = True


def _awaitable(check: Callable[..., Any]) -> Callable[..., Any]:
    async def inline(*args: Any, **kwargs: Any) -> Any:
        return check(*args, **kwargs)

    return inline


def parsed(kind: type[CallbackData], query: CallbackQuery) -> CallbackData | None:
    """`kind.unpack(query.data)`, or None where it raises; at most once per press and class."""
    last = _last_parsed.get(kind)
    if last is not None and last[0] is query:
        return last[1]
    data = query.data
    value: CallbackData | None = None
    separator, prefix = kind.__separator__, kind.__prefix__
    if data and (data.startswith(prefix + separator) or data == prefix):  # else unpack says "bad prefix"
        try:
            value = kind.unpack(data)
        except (TypeError, ValueError):
            value = None
    _last_parsed[kind] = (query, value)
    return value


class ParseOnceFilter(CallbackQueryFilter):
    """CallbackQueryFilter, sharing the parse of a press with the other filters for the same class."""

    __slots__ = ()

    async def __call__(self, query: CallbackQuery) -> Literal[False] | dict[str, Any]:
        if not isinstance(query, CallbackQuery) or not query.data:
            return False
        callback_data = parsed(self.callback_data, query)
        if callback_data is None:
            return False
        if self.rule is None or self.rule.resolve(callback_data):
            return {"callback_data": callback_data}
        return False
