"""Run plain (synchronous) handler filters on the event loop instead of in a worker thread.

aiogram runs a filter that is not a coroutine — a `State` (`NewProductForm.photos`), a magic filter
(`F.text`, `F.chat.type == "private"`) — through `asyncio.to_thread`, in case it blocks. Ours are
attribute comparisons that take microseconds, but every update that reaches one paid a thread-pool
round trip for it: five per button press, more than a millisecond in all. Filters keep their meaning and
their order; only where they run changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router


def run_sync_filters_inline(root: Router) -> None:
    """For `root` and every router under it (call after including them all)."""
    for router in root.chain_tail:
        for observer in router.observers.values():
            for handler in observer.handlers:
                for event_filter in handler.filters or ():
                    if not event_filter.awaitable:
                        # The parameter list aiogram read from the filter's signature stays as it was.
                        event_filter.callback = _awaitable(event_filter.callback)
                        event_filter.awaitable = True


def _awaitable(check: Callable[..., Any]) -> Callable[..., Any]:
    async def inline(*args: Any, **kwargs: Any) -> Any:
        return check(*args, **kwargs)

    return inline
