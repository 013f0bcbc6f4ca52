"""The Telegram storefront, wired: services in as workflow data, the customer by middleware, fresh routers."""

from __future__ import annotations

from typing import TypedDict

from aiogram import Dispatcher
from aiogram.fsm.storage.base import BaseStorage

from bots.i18n import Translator
from bots.telegram.errors import build_errors_router, build_stale_button_router
from bots.telegram.handlers.cart import build_cart_router
from bots.telegram.handlers.catalog import build_catalog_router
from bots.telegram.handlers.orders import build_orders_router
from bots.telegram.handlers.shop_info import build_shop_info_router
from bots.telegram.handlers.start import build_start_router
from bots.telegram.middleware import IdentifyCustomer
from commerce.shop import Shop


class ShopData(TypedDict):
    """What every handler may ask for by name (plus `customer` and `locale` from `IdentifyCustomer`)."""

    shop: Shop
    translator: Translator
    shop_name: str
    terms: str
    default_locale: str


def build_dispatcher(shop: Shop, translator: Translator, *, shop_name: str, terms: str, default_locale: str,
                     storage: BaseStorage | None = None) -> Dispatcher:
    """`storage` keeps conversations across restarts in production; the default is in memory."""
    data = ShopData(shop=shop, translator=translator, shop_name=shop_name, terms=terms,
                    default_locale=default_locale)
    dispatcher = Dispatcher(storage=storage, **data)  # no storage: in memory
    dispatcher.update.outer_middleware(IdentifyCustomer())
    dispatcher.include_routers(
        build_start_router(),
        build_shop_info_router(),
        build_catalog_router(),
        build_cart_router(),
        build_orders_router(),
        build_errors_router(),
        build_stale_button_router(),  # last: it answers every button nothing else understood
    )
    return dispatcher
