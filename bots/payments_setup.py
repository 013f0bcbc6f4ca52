"""Payments from bot.toml: methods (with their watch-only keys from the environment), chain backends,
the rate source, the request service and one watcher per chain. Part of the composition root."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from bots.config import BitcoinMethod, EvmMethod, Settings
from commerce.events import Clock, system_clock
from commerce.payment_records import PaymentRecords
from commerce.shop import Shop
from payments.backends.base import ChainBackend
from payments.methods import PaymentMethod, bitcoin_method, evm_method
from payments.rate_checks import RateAlerts
from payments.rates import RateSource, build_rate_source
from payments.requests import PaymentService
from payments.watcher import ChainWatcher

log = logging.getLogger(__name__)


class PaymentSetupError(Exception):
    """bot.toml names something the environment doesn't provide (an xpub, an RPC URL)."""


@dataclass
class Payments:
    methods: dict[str, PaymentMethod]
    service: PaymentService
    backends: dict[str, ChainBackend]
    records: PaymentRecords


def _secret(settings: Settings, env_name: str, what: str) -> str:
    value = settings.secret(env_name)
    if value is None:
        raise PaymentSetupError(f"{what}: set the environment variable {env_name}")
    return value.get_secret_value()


def _account_key(family: str, xpub: str) -> str:
    """One address counter per wallet account, whichever methods use it (ETH and USDT from one xpub)."""
    return f"{family}:{hashlib.sha256(xpub.encode()).hexdigest()[:20]}"


def build_methods(settings: Settings) -> dict[str, PaymentMethod]:
    # Address derivation (bip_utils: ~0.2 s and ~10 MB to import) is loaded only by a shop that takes payments.
    from payments.derive import AddressDeriver, EvmAddressDeriver

    methods: dict[str, PaymentMethod] = {}
    for spec in settings.payments.methods:
        where = f"payments method {spec.id!r}"
        if isinstance(spec, BitcoinMethod):
            xpub = _secret(settings, spec.xpub_env, where)
            deriver = AddressDeriver.from_extended_key(xpub, spec.network)
            methods[spec.id] = bitcoin_method(id=spec.id, network=spec.network, asset=spec.asset,
                                              confirmations=spec.confirmations, deriver=deriver,
                                              tolerance_percent=spec.underpaid_tolerance_percent,
                                              counter_key=_account_key("bitcoin", xpub))
        else:
            assert isinstance(spec, EvmMethod)
            evm_xpub = _secret(settings, spec.xpub_env, where) if spec.xpub_env else None
            evm_deriver = EvmAddressDeriver.from_extended_key(evm_xpub) if evm_xpub else None
            methods[spec.id] = evm_method(id=spec.id, chain_id=spec.chain_id, asset=spec.asset,
                                          decimals=spec.decimals, confirmations=spec.confirmations,
                                          token=spec.token, receive_address=spec.receive_address,
                                          deriver=evm_deriver, tolerance_percent=spec.underpaid_tolerance_percent,
                                          counter_key=_account_key("evm", evm_xpub) if evm_xpub else "")
    return methods


def build_backends(settings: Settings, methods: dict[str, PaymentMethod],
                   client: httpx.AsyncClient) -> dict[str, ChainBackend]:
    """One backend per chain (methods on the same chain share it, and so share one watcher)."""
    from payments.backends.bitcoind import BitcoindBackend
    from payments.backends.esplora import EsploraBackend
    from payments.backends.evm import EvmBackend

    backends: dict[str, ChainBackend] = {}
    for spec in settings.payments.methods:
        key = methods[spec.id].chain_key
        if key in backends:
            continue
        where = f"payments method {spec.id!r}"
        # Each backend proves its node is on this method's chain before believing it (payments/backends/identity.py).
        if isinstance(spec, BitcoinMethod):
            url = str(spec.url) if spec.url else _secret(settings, spec.url_env or "", where)
            backend_class: Any = BitcoindBackend if spec.backend == "bitcoind" else EsploraBackend
            backends[key] = backend_class(url, key=key, network=spec.network, client=client)
        else:
            assert isinstance(spec, EvmMethod)
            url = str(spec.rpc_url) if spec.rpc_url else _secret(settings, spec.rpc_url_env or "", where)
            backends[key] = EvmBackend(url, key=key, chain_id=spec.chain_id, client=client)
    return backends


def build_rates(settings: Settings, client: httpx.AsyncClient, clock: Clock,
                alerts: RateAlerts | None = None) -> RateSource:
    """The rate source; an unbelievable rate is refused, logged once and, given `alerts`, told to the staff."""
    rates = settings.rates
    return build_rate_source(rates.source, dict(rates.fixed), client, cache_seconds=rates.cache_seconds,
                             timeout_seconds=rates.timeout_seconds, clock=clock, max_jump=rates.max_jump,
                             alerts=alerts)


@asynccontextmanager
async def open_payments(settings: Settings, shop: Shop, *, clock: Clock = system_clock) -> AsyncIterator[Payments]:
    """Payment methods, backends and the request service; HTTP connections closed at exit."""
    methods = build_methods(settings)
    timeout = httpx.Timeout(settings.rates.timeout_seconds)
    async with httpx.AsyncClient(timeout=timeout) as client:
        records = PaymentRecords(shop.db, clock)
        service = PaymentService(records, shop.orders, build_rates(settings, client, clock, shop.alerts), methods,
                                 shop_name=settings.shop.name, clock=clock,
                                 late_window=timedelta(hours=settings.shop.late_payment_window_hours))
        yield Payments(methods, service, build_backends(settings, methods, client), records)


async def run_watchers(payments: Payments, shop: Shop, stop: asyncio.Event, *, clock: Clock = system_clock,
                       poll: timedelta = timedelta(seconds=5)) -> None:
    """One watcher per chain until `stop` is set; the composition root owns the task group."""
    async with asyncio.TaskGroup() as group:
        for backend in payments.backends.values():
            watcher = ChainWatcher(backend, payments.records, shop.payments, clock=clock, poll=poll)
            group.create_task(watcher.run(stop), name=f"watcher {backend.key}")
            log.info("watching %s", backend.key)
