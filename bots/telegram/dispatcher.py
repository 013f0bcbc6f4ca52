"""The Telegram storefront, wired: services in as workflow data, the customer by middleware, fresh routers."""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation

from bots.common.legal import ShopTerms
from bots.common.media_store import MediaStore
from bots.i18n import Translator
from bots.telegram.callback_routes import ShopDispatcher
from bots.telegram.errors import build_errors_router, build_stale_button_router
from bots.telegram.flood import FloodLimit
from bots.telegram.handlers.buyer.cart import build_cart_router
from bots.telegram.handlers.buyer.catalog import build_catalog_router
from bots.telegram.handlers.buyer.checkout import build_checkout_router
from bots.telegram.handlers.buyer.inline import build_inline_router
from bots.telegram.handlers.buyer.invite import build_invite_router
from bots.telegram.handlers.buyer.link import build_link_router
from bots.telegram.handlers.buyer.orders import build_orders_router
from bots.telegram.handlers.buyer.payment import build_payment_router
from bots.telegram.handlers.buyer.privacy import build_privacy_router
from bots.telegram.handlers.buyer.reviews import build_reviews_router
from bots.telegram.handlers.buyer.shop_info import build_shop_info_router
from bots.telegram.handlers.buyer.start import build_start_router
from bots.telegram.handlers.buyer.support import build_support_router
from bots.telegram.handlers.seller.broadcast import build_broadcast_router
from bots.telegram.handlers.seller.coupons import build_coupons_router
from bots.telegram.handlers.seller.sales import build_sales_router
from bots.telegram.handlers.seller.security import build_security_router
from bots.telegram.handlers.seller.sell import build_sell_router
from bots.telegram.handlers.seller.sell_digital import build_sell_digital_router
from bots.telegram.handlers.seller.sell_edit import build_sell_edit_router
from bots.telegram.handlers.seller.seller_orders import build_seller_orders_router
from bots.telegram.handlers.seller.staff import build_staff_router
from bots.telegram.inline_filters import run_sync_filters_inline
from bots.telegram.middleware import IdentifyCustomer
from commerce.shop import Shop
from payments.requests import PaymentService


class ShopData(TypedDict):
    """What every handler may ask for by name (plus `customer` and `locale` from `IdentifyCustomer`)."""

    shop: Shop
    translator: Translator
    shop_name: str
    terms: ShopTerms
    default_locale: str
    payments: PaymentService | None  # None: no payment method configured, checkout says so politely
    media_store: MediaStore | None    # None: sellers can't upload photos (no media dir)


def build_dispatcher(shop: Shop, translator: Translator, *, shop_name: str, terms: ShopTerms | str,
                     default_locale: str, storage: BaseStorage | None = None, payments: PaymentService | None = None,
                     media_store: MediaStore | None = None) -> ShopDispatcher:
    """`storage` keeps conversations across restarts in production; the default is in memory. `terms` given as
    text is `[shop] terms` alone (no `[legal]` section)."""
    shop_terms = ShopTerms(terms) if isinstance(terms, str) else terms
    data = ShopData(shop=shop, translator=translator, shop_name=shop_name, terms=shop_terms,
                    default_locale=default_locale, payments=payments, media_store=media_store)
    # One update at a time per chat: an album of photos, or a double tap on Confirm, can't race itself.
    dispatcher = ShopDispatcher(storage=storage, events_isolation=SimpleEventIsolation(), **data)
    dispatcher.update.outer_middleware(IdentifyCustomer())
    # Searching, inline queries and checkout steps cost the most: one shared per-user budget for them.
    expensive = FloodLimit(max_per_window=20, window=timedelta(seconds=10))
    catalog, inline, checkout = build_catalog_router(), build_inline_router(), build_checkout_router()
    catalog.message.middleware(expensive)
    inline.inline_query.middleware(expensive)
    checkout.callback_query.middleware(expensive)
    dispatcher.include_routers(
        build_start_router(),
        build_shop_info_router(),
        build_support_router(),  # before catalog: a reply to a ticket message is not a search
        catalog,
        build_cart_router(),
        checkout,
        build_payment_router(),
        build_orders_router(),
        # Before the seller conversations: a refund or a broadcast refused for a stale code says "send /verify",
        # and the conversation waiting for the note must not swallow it.
        build_security_router(),
        build_sell_router(),
        build_sell_edit_router(),
        build_sell_digital_router(),
        build_seller_orders_router(),
        build_staff_router(),
        build_sales_router(),
        build_coupons_router(),
        build_reviews_router(),
        build_privacy_router(),
        build_link_router(),
        build_invite_router(),
        build_broadcast_router(),
        inline,
        build_errors_router(),
        build_stale_button_router(),  # last: it answers every button nothing else understood
    )
    run_sync_filters_inline(dispatcher)
    return dispatcher
