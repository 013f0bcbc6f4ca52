"""A front-end's outages: logged once each, retried with backoff until they end or the shop stops."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bots.common.reconnect import SETTLE, Outage, keep_trying


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]


def test_an_outage_is_logged_when_it_starts_and_when_it_ends_not_on_every_retry(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    outage = Outage("Telegram", logging.getLogger("test"), clock=clock)
    for _ in range(20):
        outage.failed("ConnectionRefusedError")
        clock.now += 3
    outage.recovered()
    outage.recovered()

    assert warnings(caplog) == [
        "Telegram can't be reached (ConnectionRefusedError); retrying in the background, the rest of the shop "
        "keeps running",
        "Telegram answering again after 60 s"]


def test_a_failure_soon_after_a_recovery_is_the_same_outage_unless_it_lasts(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    outage = Outage("Discord", logging.getLogger("test"), clock=clock)
    outage.failed("down")
    clock.now += 5
    outage.recovered()
    clock.now += 1
    outage.failed("a stale connection")  # within SETTLE of the recovery: not a new outage...
    clock.now += 1
    outage.recovered()
    assert len(warnings(caplog)) == 2

    clock.now += 1
    outage.failed("down again")  # ...unless it goes on for SETTLE seconds
    clock.now += SETTLE
    outage.failed("down again")
    assert warnings(caplog)[-1].startswith("Discord can't be reached (down again)")

    clock.now += SETTLE + 1
    outage.recovered()
    clock.now += SETTLE
    outage.failed("a new outage")  # the connection worked for SETTLE seconds: logged at once
    assert warnings(caplog)[-2:] == ["Discord answering again after 21 s",
                                     "Discord can't be reached (a new outage); retrying in the background, the rest "
                                     "of the shop keeps running"]


async def test_keep_trying_retries_what_is_transient_and_gives_back_the_result() -> None:
    attempts: list[int] = []

    async def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 2:
            raise ConnectionRefusedError("refused")
        return "me"

    outage = Outage("Telegram", logging.getLogger("test"))
    result = await keep_trying(flaky, stop=asyncio.Event(), outage=outage,
                               transient=lambda error: str(error) if isinstance(error, OSError) else None)
    assert result == "me" and len(attempts) == 2 and not outage.ongoing


async def test_keep_trying_lets_other_errors_through_and_gives_up_when_the_shop_stops() -> None:
    async def refused() -> None:
        raise PermissionError("401")

    outage = Outage("Telegram", logging.getLogger("test"))
    with pytest.raises(PermissionError):
        await keep_trying(refused, stop=asyncio.Event(), outage=outage, transient=lambda _error: None)

    stop = asyncio.Event()

    async def unreachable() -> None:
        stop.set()  # Ctrl-C while the first attempt was failing
        raise ConnectionRefusedError("refused")

    assert await asyncio.wait_for(keep_trying(unreachable, stop=stop, outage=outage, transient=str), 5) is None


async def test_discord_gateway_reconnects_are_one_outage_not_a_traceback_each(caplog: pytest.LogCaptureFixture) -> None:
    from bots.discord.app import GatewayOutage

    gateway = GatewayOutage(Outage("Discord", logging.getLogger("test")))
    discord_log = logging.getLogger("discord.client")
    discord_log.addFilter(gateway)
    try:
        for retry in (1.0, 2.0, 4.0):
            try:
                raise ConnectionResetError("Connection reset by peer")
            except ConnectionResetError:
                discord_log.exception(GatewayOutage.RECONNECT, retry)  # as discord.py's Client.connect does
        discord_log.warning("Shard ID %s has stopped responding to the gateway.", None)  # others pass through
        await gateway.connected()  # the session resumed
    finally:
        discord_log.removeFilter(gateway)
    assert [record.getMessage() for record in caplog.records] == [
        "Discord can't be reached (ConnectionResetError: Connection reset by peer); retrying in the background, "
        "the rest of the shop keeps running",
        "Shard ID None has stopped responding to the gateway.",
        "Discord answering again after 0 s"]
    assert not any(record.exc_info for record in caplog.records)
