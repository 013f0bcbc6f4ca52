"""Button presses go only to the routers their payload's prefix can reach, and are parsed once per class."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest.mock import MagicMock

import pytest
from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Chat, Message, User

from bots.i18n import Translator
from bots.telegram import build_dispatcher
from bots.telegram.callback_routes import CallbackRoutes, payload_prefixes
from bots.telegram.callbacks import CartAction, CartCallback, MenuCallback, MenuTarget
from bots.telegram.inline_filters import parsed, run_sync_filters_inline


class PingCallback(CallbackData, prefix="ping"):
    n: int


def query(data: str | None) -> CallbackQuery:
    message = Message(message_id=1, date=datetime.now(UTC), chat=Chat(id=1, type="private"), text="…")
    return CallbackQuery(id="1", from_user=User(id=1, is_bot=False, first_name="B"), chat_instance="1",
                         message=message, data=data)


def names(routers: tuple[Router, ...]) -> list[str]:
    return [router.name for router in routers]


def test_a_payload_reaches_the_routers_with_its_prefix_in_order_then_the_catch_all() -> None:
    dispatcher = build_dispatcher(MagicMock(), Translator.load(), shop_name="S", terms="", default_locale="ja")
    routes = CallbackRoutes(dispatcher.sub_routers)
    menu = names(routes.for_payload(MenuCallback(target=MenuTarget.BROWSE).pack()))
    assert menu == ["shop_info", "catalog", "cart", "orders", "stale_buttons"]
    assert names(routes.for_payload(CartCallback(action=CartAction.ADD, variant_id=5).pack())) == [
        "cart", "stale_buttons"]
    # A forged or stale payload, or none at all: only the catch-all, which answers it politely.
    assert names(routes.for_payload("zz:1")) == ["stale_buttons"]
    assert names(routes.for_payload(None)) == ["stale_buttons"]
    assert names(routes.for_payload("")) == ["stale_buttons"]


def test_a_router_with_a_handler_on_any_payload_or_sub_routers_is_on_every_path() -> None:
    typed, loose, parent = Router(name="typed"), Router(name="loose"), Router(name="parent")
    typed.callback_query.register(lambda: None, PingCallback.filter())
    loose.callback_query.register(lambda: None, F.data.startswith("ping"))
    parent.include_router(Router(name="child"))
    assert payload_prefixes(typed) == {"ping"}
    assert payload_prefixes(loose) is None
    assert payload_prefixes(parent) is None
    routes = CallbackRoutes([typed, loose, parent])
    assert names(routes.for_payload("ping:1")) == ["typed", "loose", "parent"]
    assert names(routes.for_payload("pong:1")) == ["loose", "parent"]
    assert routes.fits([typed, loose, parent]) and not routes.fits([typed, loose])


async def test_filters_of_one_class_share_one_parse_of_a_press(monkeypatch: pytest.MonkeyPatch) -> None:
    router = Router()
    router.callback_query.register(lambda: None, PingCallback.filter(F.n == 1))
    router.callback_query.register(lambda: None, PingCallback.filter(F.n == 2))
    run_sync_filters_inline(router)
    calls: list[str] = []
    unpack = PingCallback.unpack.__func__  # type: ignore[attr-defined]
    counted = classmethod(lambda cls, value: calls.append(value) or unpack(cls, value))
    monkeypatch.setattr(PingCallback, "unpack", counted)
    press = query("ping:2")
    first, second = (handler.filters[0] for handler in router.callback_query.handlers)  # type: ignore[index]
    assert await first.call(press) is False
    assert await second.call(press) == {"callback_data": PingCallback(n=2)}
    assert calls == ["ping:2"]
    await first.call(query("ping:2"))  # another press parses again
    assert calls == ["ping:2", "ping:2"]


@pytest.mark.parametrize("data", ["ping:x", "ping", "ping:1:2", "pin:1", "pingpong:1", "", None])
def test_a_malformed_payload_parses_to_nothing(data: str | None) -> None:
    assert parsed(PingCallback, query(data)) is None


def test_a_well_formed_payload_parses_as_unpack_does() -> None:
    assert parsed(PingCallback, query("ping:7")) == PingCallback(n=7)
