"""An in-memory chain behind the ChainBackend Protocol: blocks, a mempool, reorgs and call counting."""

from __future__ import annotations

import hashlib
import itertools

from payments.backends.base import BackendError, Block, Tip, Transfer, Watch

_counter = itertools.count()


def _hash(*parts: object) -> str:
    return hashlib.sha256(repr((parts, next(_counter))).encode()).hexdigest()


class FakeChain:
    has_mempool = True

    def __init__(self, key: str = "fake:regtest", height: int = 10) -> None:
        self.key = key
        self.blocks: list[tuple[str, tuple[Transfer, ...]]] = [(_hash("genesis"), ())]
        self.mempool_txs: list[Transfer] = []
        self.calls = 0
        self.failing: str | None = None
        for _ in range(height):
            self.mine()

    # --- driving the chain from a test ---

    def pay(self, address: str, amount: int, *, token: str | None = None, index: int = 0) -> Transfer:
        transfer = Transfer(txid=_hash(address, amount), index=index, address=address.lower(), amount=amount,
                            token=token)
        self.mempool_txs.append(transfer)
        return transfer

    def mine(self, count: int = 1) -> None:
        for _ in range(count):
            self.blocks.append((_hash(len(self.blocks)), tuple(self.mempool_txs)))
            self.mempool_txs = []

    def drop_from_mempool(self, transfer: Transfer) -> None:
        self.mempool_txs.remove(transfer)

    def reorg(self, depth: int, *, keep_transfers: bool = True) -> list[Transfer]:
        """Replace the top `depth` blocks with empty ones; orphaned transfers go back to the mempool."""
        orphaned = [t for _, transfers in self.blocks[-depth:] for t in transfers]
        del self.blocks[-depth:]
        if keep_transfers:
            self.mempool_txs.extend(orphaned)
        for _ in range(depth):
            self.blocks.append((_hash("fork", len(self.blocks)), ()))
        return orphaned

    @property
    def height(self) -> int:
        return len(self.blocks) - 1

    # --- the Protocol ---

    def _call(self) -> None:
        self.calls += 1
        if self.failing:
            raise BackendError(self.failing)

    async def tip(self) -> Tip:
        self._call()
        return Tip(self.height, self.blocks[-1][0])

    async def block_hash(self, height: int) -> str:
        self._call()
        return self.blocks[height][0]

    async def block(self, height: int, watch: Watch) -> Block:
        self._call()
        block_hash, transfers = self.blocks[height]
        return Block(height, block_hash, self.blocks[height - 1][0] if height else "",
                     tuple(t for t in transfers if t.address in watch.addresses))

    async def mempool(self, watch: Watch) -> list[Transfer]:
        self._call()
        return [t for t in self.mempool_txs if t.address in watch.addresses]

    async def aclose(self) -> None:
        pass
