"""The whole core, wired once: every front-end and the CLI get one `Shop` from the composition root."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import timedelta

from commerce.alerts import StaffAlerts
from commerce.bill import Pricing
from commerce.broadcasts import BroadcastService
from commerce.cart import CartService
from commerce.catalog import CatalogService
from commerce.coupons import CouponService
from commerce.customers import CustomerService
from commerce.events import Clock, system_clock
from commerce.fulfilment import FulfilmentService
from commerce.links import LinkService
from commerce.message_refs import MessageRefs
from commerce.orders import OrderService
from commerce.outbox import OutboxService
from commerce.payment_events import PaymentEvents
from commerce.privacy import PersonalDataCipher
from commerce.referrals import ReferralRules, ReferralService
from commerce.reviews import ReviewService
from commerce.sales import SalesService
from commerce.sellers import SellerService
from commerce.storage.db import Database
from commerce.storage.recent_reads import Ticker
from commerce.support import SupportService
from commerce.two_factor import TwoFactorService


@dataclass(frozen=True, slots=True)
class ShopRules:
    currency: str = "JPY"
    payment_window: timedelta = timedelta(minutes=30)
    late_payment_window: timedelta = timedelta(hours=24)
    timezone: str = "Asia/Tokyo"  # the shop's calendar day, for sales "today"
    pricing: Pricing = Pricing()  # shipping and tax ([shipping], [tax]); none by default
    referrals: ReferralRules = ReferralRules()  # the invitation reward ([referrals]); off by default


class Shop:
    def __init__(self, db: Database, rules: ShopRules, cipher: PersonalDataCipher,
                 clock: Clock = system_clock, now_ns: Ticker = time.monotonic_ns) -> None:
        """`now_ns` ages what the services keep of recent reads (commerce/storage/recent_reads.py)."""
        self.db = db
        self.rules = rules
        self.clock = clock
        self.customers = CustomerService(db, cipher, clock, now_ns)
        self.sellers = SellerService(db, clock)
        self.catalog = CatalogService(db, rules.currency, clock, now_ns)
        self.cart = CartService(db, rules.currency, clock)
        self.orders = OrderService(db, cipher, currency=rules.currency, payment_window=rules.payment_window,
                                   pricing=replace(rules.pricing, currency=rules.currency), clock=clock,
                                   referrals=rules.referrals)
        self.coupons = CouponService(db, rules.currency, clock)
        self.referrals = ReferralService(db, rules.referrals, self.coupons, currency=rules.currency, clock=clock)
        self.payments = PaymentEvents(db, clock, referrals=rules.referrals)
        self.fulfilment = FulfilmentService(db, clock, referrals=rules.referrals)
        self.reviews = ReviewService(db, clock)
        self.support = SupportService(db, clock)
        self.broadcasts = BroadcastService(db, clock)
        self.sales = SalesService(db, rules.currency, rules.timezone, clock)
        self.outbox = OutboxService(db, clock)
        self.alerts = StaffAlerts(db, clock)
        self.message_refs = MessageRefs(db, clock, reachability_changed=self.customers.forget_identity)
        self.two_factor = TwoFactorService(db, cipher, clock)
        self.links = LinkService(db, clock)
        # After a merge every identity of the survivor must resolve to it, not to a cached absorbed customer.
        self.links.on_linked(lambda linked: self.customers.forget_identities(linked.identities))
