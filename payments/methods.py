"""Payment methods as the payments package sees them: one asset on one network, ready to quote and watch.

Built by the composition root from `[[payments.methods]]` in bot.toml (payments never reads config).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Protocol

# network in bot.toml → (URI scheme, chain key for cursors and leases, name shown to buyers)
BITCOIN_FAMILY: Final = {
    "mainnet": ("bitcoin", "bitcoin:mainnet", "Bitcoin"),
    "testnet": ("bitcoin", "bitcoin:testnet", "Bitcoin testnet"),
    "regtest": ("bitcoin", "bitcoin:regtest", "Bitcoin regtest"),
    "litecoin": ("litecoin", "litecoin:mainnet", "Litecoin"),
    "litecoin-testnet": ("litecoin", "litecoin:testnet", "Litecoin testnet"),
    "litecoin-regtest": ("litecoin", "litecoin:regtest", "Litecoin regtest"),
}
EVM_NETWORKS: Final = {1: "Ethereum", 10: "Optimism", 56: "BNB Smart Chain", 137: "Polygon", 8453: "Base",
                       42161: "Arbitrum One", 11155111: "Sepolia", 31337: "local Ethereum"}
AMOUNT_OFFSETS: Final = 999  # a shared EVM address tells requests apart by 1–999 extra base units


class Deriver(Protocol):
    def address(self, index: int) -> str: ...


@dataclass(frozen=True, slots=True)
class PaymentMethod:
    id: str
    family: str                  # "bitcoin" (BTC, LTC) or "evm"
    asset: str                   # BTC, LTC, ETH, USDT…
    decimals: int
    confirmations: int
    chain_key: str               # one watcher per chain: "bitcoin:regtest", "litecoin:regtest", "evm:1"
    network_name: str            # shown to buyers: "Bitcoin", "Ethereum", "Polygon"…
    uri_scheme: str              # bitcoin | litecoin | ethereum
    tolerance_percent: Decimal = Decimal(0)
    network: str | None = None   # Bitcoin-family network name
    chain_id: int | None = None  # EVM
    token: str | None = None     # ERC-20 contract, lowercase; None for the native coin
    receive_address: str | None = None   # EVM shared address (amount-offset scheme)
    deriver: Deriver | None = None       # per-request addresses from a watch-only xpub
    counter_key: str = ""                # methods sharing one account key share one address counter

    @property
    def per_request_address(self) -> bool:
        return self.deriver is not None

    def tolerance_units(self, amount_units: int) -> int:
        """How far below the amount a payment still counts as full (rounded down, in the shop's favour)."""
        return int(Decimal(amount_units) * self.tolerance_percent / 100)


def bitcoin_method(*, id: str, network: str, asset: str, confirmations: int, deriver: Deriver,
                   tolerance_percent: Decimal = Decimal(0), counter_key: str = "") -> PaymentMethod:
    scheme, chain_key, name = BITCOIN_FAMILY[network]
    return PaymentMethod(id=id, family="bitcoin", asset=asset, decimals=8, confirmations=confirmations,
                         chain_key=chain_key, network_name=name, uri_scheme=scheme,
                         tolerance_percent=tolerance_percent, network=network,
                         deriver=deriver, counter_key=counter_key or id)


def evm_method(*, id: str, chain_id: int, asset: str, decimals: int, confirmations: int, token: str | None = None,
               receive_address: str | None = None, deriver: Deriver | None = None,
               tolerance_percent: Decimal = Decimal(0), counter_key: str = "") -> PaymentMethod:
    if (receive_address is None) == (deriver is None):
        raise ValueError("an EVM method needs exactly one of receive_address or an xpub")
    return PaymentMethod(id=id, family="evm", asset=asset, decimals=decimals, confirmations=confirmations,
                         chain_key=f"evm:{chain_id}", network_name=EVM_NETWORKS.get(chain_id, f"chain {chain_id}"),
                         uri_scheme="ethereum", tolerance_percent=tolerance_percent, chain_id=chain_id,
                         token=token.lower() if token else None,
                         receive_address=receive_address.lower() if receive_address else None, deriver=deriver,
                         counter_key=counter_key or id)
