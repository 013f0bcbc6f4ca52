"""The watcher's in-memory index of every target ever issued (until its late window ends).

A transfer matches a request by its own address (a derived, never-reused address), or on a shared
receive address by its exact amount (the EVM offset scheme: amount slots are unique per address).
Matching is a dict lookup, so a block costs the same with ten or ten thousand open requests.
"""

from __future__ import annotations

from datetime import datetime

from commerce.payment_records import NATIVE, RequestDTO, watched_until
from payments.backends.base import Transfer, Watch


class TargetIndex:
    def __init__(self) -> None:
        self.requests: dict[int, RequestDTO] = {}
        self._by_address: dict[tuple[str, str], int] = {}           # derived address → request
        self._by_amount: dict[tuple[str, str, int], int] = {}       # shared address + exact amount → request
        self._watch: Watch | None = None
        self.last_id = 0

    def add(self, request: RequestDTO) -> None:
        self.requests[request.id] = request
        key = (request.address.lower(), (request.token or NATIVE).lower())
        if request.address_is_unique:
            self._by_address[key] = request.id
        else:
            self._by_amount[(*key, request.amount_units)] = request.id
        self.last_id = max(self.last_id, request.id)
        self._watch = None

    def drop_expired(self, now: datetime) -> None:
        """Forget targets no longer watched (a shared address's amount after the late window, a derived
        address a while after it: see `watched_until`)."""
        for request in [r for r in self.requests.values() if watched_until(r) <= now]:
            del self.requests[request.id]
            key = (request.address.lower(), (request.token or NATIVE).lower())
            self._by_address.pop(key, None)
            self._by_amount.pop((*key, request.amount_units), None)
            self._watch = None

    def match(self, transfer: Transfer) -> int | None:
        key = (transfer.address.lower(), (transfer.token or NATIVE).lower())
        found = self._by_address.get(key)
        if found is None:
            found = self._by_amount.get((*key, transfer.amount))
        return found

    def watches(self, transfer: Transfer) -> bool:
        """Is this transfer to an address we watch at all (matched or not)?"""
        return transfer.address.lower() in self.watch().addresses

    def watch(self) -> Watch:
        if self._watch is None:
            self._watch = Watch(
                addresses=frozenset(r.address.lower() for r in self.requests.values()),
                tokens=frozenset(r.token.lower() for r in self.requests.values() if r.token))
        return self._watch

    def __len__(self) -> int:
        return len(self.requests)
