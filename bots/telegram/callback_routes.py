"""Send a button press only to the routers that could answer it, judged by its payload's prefix.

aiogram offers every callback query to each router in turn, and each router to each of its handlers,
until one matches: a press on "add to cart" walked ~20 routers and unpacked its payload once per
`CallbackData` filter on the way (~0.7 ms). Nearly every button handler has a `SomeCallback.filter(...)`,
which can only pass when the payload starts with that class's prefix, so the routers a payload can reach
are known in advance. `ShopDispatcher` skips the others: the same routers see the press, in the same
order, with the same filters; those skipped could only have answered "not mine".

A router stays on every path if it has a callback handler without such a filter (the stale-button
catch-all), an outer middleware on callback queries, or sub-routers (we don't look inside those).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from aiogram import Dispatcher, Router
from aiogram.dispatcher.event.bases import REJECTED, UNHANDLED
from aiogram.dispatcher.event.telegram import TelegramEventObserver
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import CallbackQuery, TelegramObject

SEPARATOR: Final = ":"  # aiogram's default, and every CallbackData's here
_MAX_KEYS: Final = 256  # forged payloads may invent prefixes: remember only so many


def payload_prefixes(router: Router) -> frozenset[str] | None:
    """The prefixes a callback payload must have for `router` to answer it; None if any payload may do."""
    observer = router.callback_query
    if router.sub_routers or len(observer.outer_middleware):
        return None
    prefixes: set[str] = set()
    for handler in observer.handlers:
        typed = [f.callback for f in handler.filters or () if isinstance(f.callback, CallbackQueryFilter)]
        own = {f.callback_data.__prefix__ for f in typed if f.callback_data.__separator__ == SEPARATOR}
        if not own:
            return None  # e.g. the stale-button catch-all, or a filter on `F.data`
        prefixes |= own  # any one of them failing rejects the handler; keeping all is the safe side
    return frozenset(prefixes)


class CallbackRoutes:
    """The routers (in their order) that may answer a payload, memoised per prefix."""

    def __init__(self, routers: Sequence[Router]) -> None:
        self.routers = tuple(routers)
        self._prefixes = [(router, payload_prefixes(router)) for router in self.routers]
        self._by_key: dict[str | None, tuple[Router, ...]] = {}

    def fits(self, routers: Sequence[Router]) -> bool:
        """Still the routers this index was built for (a router included later rebuilds it)."""
        return tuple(routers) == self.routers  # Router has no __eq__: this compares identities, in C

    def for_payload(self, data: str | None) -> tuple[Router, ...]:
        # CallbackQueryFilter rejects an empty payload, and one whose first field isn't its prefix.
        key = data.split(SEPARATOR, 1)[0] if data else None
        routers = self._by_key.get(key)
        if routers is None:
            routers = tuple(router for router, prefixes in self._prefixes
                            if prefixes is None or (key is not None and key in prefixes))
            if len(self._by_key) < _MAX_KEYS:
                self._by_key[key] = routers
        return routers


class ShopDispatcher(Dispatcher):
    """aiogram's Dispatcher, with callback queries offered only to the routers their prefix can reach."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._callback_routes: CallbackRoutes | None = None

    async def _propagate_event(self, observer: TelegramEventObserver | None, update_type: str,
                               event: TelegramObject, **kwargs: Any) -> Any:
        if update_type != "callback_query" or not isinstance(event, CallbackQuery) or observer is None:
            return await super()._propagate_event(observer, update_type, event, **kwargs)
        routes = self._callback_routes
        if routes is None or not routes.fits(self.sub_routers):
            routes = self._callback_routes = CallbackRoutes(self.sub_routers)
        # Router._propagate_event, over the routers that may answer instead of all of them.
        result, data = await observer.check_root_filters(event, **kwargs)
        if not result:
            return UNHANDLED
        kwargs.update(data)
        response = await observer.trigger(event, **kwargs)
        if response is REJECTED:  # pragma: no cover — as in aiogram: only if a handler returns REJECTED
            return UNHANDLED
        if response is not UNHANDLED:
            return response
        for router in routes.for_payload(event.data):
            response = await router.propagate_event(update_type=update_type, event=event, **kwargs)
            if response is not UNHANDLED:
                break
        return response
