"""Every button hands its click to a typed handler: once the bot is up, each slot of `ShopServices.handlers`
holds the cog that answers it, with every method the items call, taking the parameters they pass."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest

from bots.discord.app import ShopBot
from bots.discord.handlers import Handlers


def protocol_methods(protocol: type) -> dict[str, list[str]]:
    return {name: list(inspect.signature(member).parameters)[1:] for name, member in vars(protocol).items()
            if inspect.iscoroutinefunction(member)}


async def test_every_handler_slot_holds_its_cog_with_the_methods_the_buttons_call(simcord_env: Any,
                                                                                 simcord_bot: ShopBot) -> None:
    handlers = simcord_bot.services.handlers
    hints = inspect.get_annotations(Handlers, eval_str=True)
    for slot in dataclasses.fields(Handlers):
        cog = getattr(handlers, slot.name)
        assert cog in simcord_bot.cogs.values(), f"{slot.name}: no cog registered"
        for name, parameters in protocol_methods(hints[slot.name]).items():
            method = getattr(cog, name)
            given = [p for p in inspect.signature(method).parameters.values() if p.kind is not p.KEYWORD_ONLY]
            assert [p.name for p in given] == parameters, f"{slot.name}.{name}"


def test_a_handler_of_a_cog_that_was_not_loaded_says_so() -> None:
    with pytest.raises(RuntimeError, match="Catalog cog is not loaded"):
        Handlers().catalog.show_categories  # noqa: B018 — the attribute itself is the mistake
