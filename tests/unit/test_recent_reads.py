"""The memory of recent reads: dropped when this process commits or forgets a change, and after a few seconds."""

from __future__ import annotations

from commerce.storage.db import ANY_TABLE, Committed
from commerce.storage.recent_reads import RecentReads


class Clock:
    def __init__(self) -> None:
        self.ns = 0

    def __call__(self) -> int:
        return self.ns


def test_an_entry_lives_ttl_seconds_then_is_read_again() -> None:
    clock = Clock()
    reads: RecentReads[str] = RecentReads(Committed(), ("product",), ttl_seconds=5, now_ns=clock)
    reads.put(1, "tea cup", reads.version())
    clock.ns = 4_999_999_999
    assert reads.get(1) == "tea cup"
    clock.ns = 5_000_000_000  # e.g. another bot replica changed its price meanwhile
    assert reads.get(1) is None


def test_a_commit_to_one_of_its_tables_drops_everything_and_others_do_not() -> None:
    committed = Committed()
    reads: RecentReads[str] = RecentReads(committed, ("product", "variant"), now_ns=Clock())
    reads.put(1, "tea cup", reads.version())
    committed.note({"cart_line", "audit_event"})
    assert reads.get(1) == "tea cup"
    committed.note({"variant"})
    assert reads.get(1) is None
    reads.put(1, "tea cup (2 left)", reads.version())
    committed.note({ANY_TABLE})  # SQL we could not read as a SELECT: it may have changed anything
    assert reads.get(1) is None


def test_a_read_that_overlapped_a_commit_is_not_kept() -> None:
    committed = Committed()
    reads: RecentReads[str] = RecentReads(committed, ("product",), now_ns=Clock())
    version = reads.version()       # the card is being read…
    committed.note({"product"})     # …when a seller's edit commits
    reads.put(1, "old title", version)
    assert reads.get(1) is None


def test_the_oldest_goes_when_full() -> None:
    reads: RecentReads[int] = RecentReads(Committed(), ("product",), size=2, now_ns=Clock())
    for key in (1, 2, 3):
        reads.put(key, key, reads.version())
    assert reads.get(1) is None and reads.get(2) == 2 and reads.get(3) == 3


def test_forget_drops_those_keys_and_a_read_begun_before_it() -> None:
    reads: RecentReads[str] = RecentReads(Committed(), now_ns=Clock())
    for user in ("1", "2", "3"):
        reads.put(("telegram", user), "Hanako", reads.version())
    version = reads.version()                  # identify() starts reading the database…
    reads.forget([("telegram", "2"), ("telegram", "3")])  # …her locale changes (or she is erased)
    reads.put(("telegram", "2"), "Hanako (ja)", version)
    assert reads.get(("telegram", "1")) == "Hanako"
    assert reads.get(("telegram", "2")) is None and reads.get(("telegram", "3")) is None
