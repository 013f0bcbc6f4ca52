"""identify()'s memory of recent customers: a few seconds at most, and never what a change made stale."""

from __future__ import annotations

from commerce.customers import CustomerDTO, RecentCustomers

HANAKO = CustomerDTO(7, "ja", False, "abcd1234", None, ("telegram:55",))


class Clock:
    def __init__(self) -> None:
        self.ns = 0

    def __call__(self) -> int:
        return self.ns


def test_an_entry_lives_ttl_seconds_then_is_read_again() -> None:
    clock = Clock()
    recent = RecentCustomers(ttl_seconds=5, now_ns=clock)
    recent.put("telegram", "55", HANAKO, epoch=recent.epoch)
    clock.ns = 4_999_999_999
    assert recent.get("telegram", "55") == HANAKO
    clock.ns = 5_000_000_000  # e.g. another bot process changed her language meanwhile
    assert recent.get("telegram", "55") is None


def test_a_read_that_began_before_a_change_is_not_remembered() -> None:
    recent = RecentCustomers(now_ns=Clock())
    epoch = recent.epoch             # identify() starts reading the database…
    recent.forget(["telegram:55"])   # …her locale changes (or she is erased) before it finishes
    recent.put("telegram", "55", HANAKO, epoch=epoch)
    assert recent.get("telegram", "55") is None


def test_forget_drops_every_identity_and_the_oldest_goes_when_full() -> None:
    recent = RecentCustomers(size=2, now_ns=Clock())
    for user in ("1", "2", "3"):
        recent.put("telegram", user, HANAKO, epoch=recent.epoch)
    assert recent.get("telegram", "1") is None and recent.get("telegram", "3") == HANAKO
    recent.forget(["telegram:2", "telegram:3"])
    assert recent.get("telegram", "2") is None and recent.get("telegram", "3") is None
