"""Customers: one person, one or more platform identities, a locale, opt-ins and saved addresses."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any, Final

from sqlalchemy import Select, String, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from commerce.conversations import delete_conversations_of
from commerce.errors import CustomerErased, InvalidInput, NotFound
from commerce.events import Clock, actor_of, record, system_clock
from commerce.privacy import PersonalDataCipher, ShippingAddress
from commerce.storage.db import Database, UnitOfWork
from commerce.storage.recent_reads import RecentReads, Ticker
from commerce.storage.tables import (
    Address,
    CartLine,
    Customer,
    Identity,
    Order,
    Review,
    Seller,
    SupportMessage,
    SupportTicket,
    utcnow,
)

# A platform's name, as identities carry it (`<platform>:<id>`). Which platforms exist is the front-ends'
# business (and the config's, for owners): the core takes any name of this shape.
PLATFORM_NAME: Final = re.compile(r"[a-z][a-z0-9]{1,15}")
LOCALES: Final = frozenset({"ja", "en"})
MAX_ADDRESSES: Final = 5
ERASED: Final = "[erased]"
RECENT_MAX: Final = 10_000


@dataclass(frozen=True, slots=True)
class CustomerDTO:
    id: int
    locale: str | None
    marketing_opt_in: bool
    referral_code: str
    referred_by: str | None
    identities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SavedAddress:
    id: int
    address: ShippingAddress


def parse_identity(text: str) -> tuple[str, str]:
    """`"<platform>:<digits>"` → `(platform, digits)`, refusing anything else."""
    platform, _, external_id = text.partition(":")
    if not PLATFORM_NAME.fullmatch(platform) or not external_id.isdigit() or len(external_id) > 32:
        raise InvalidInput(field="identity", reason="format", value=text[:40])
    return platform, external_id


def _to_dto(customer: Customer, identities: list[Identity]) -> CustomerDTO:
    assert customer.id is not None
    return CustomerDTO(customer.id, customer.locale, customer.marketing_opt_in, customer.referral_code,
                       customer.referred_by, tuple(f"{i.platform}:{i.external_id}" for i in identities))


async def live_customer(uow: UnitOfWork, customer_id: int) -> Customer:
    """The customer row, refusing an unknown or erased one."""
    customer = await uow.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(entity="customer", id=customer_id)
    if customer.erased_at is not None:
        raise CustomerErased(id=customer_id)
    return customer


async def find_or_create_customer(uow: UnitOfWork, platform: str, external_id: str,
                                  display_name: str | None = None) -> tuple[Customer, bool]:
    """The customer behind a platform identity, created on first sight. Used inside a unit of work."""
    session = uow.session
    row = (await session.execute(
        select(Customer).join(Identity, Identity.customer_id == Customer.id)
        .where(Identity.platform == platform, Identity.external_id == external_id)
    )).scalar_one_or_none()
    if row is not None:
        return row, False
    customer = Customer(referral_code=secrets.token_hex(4))
    session.add(customer)
    await session.flush()
    session.add(Identity(customer_id=customer.id, platform=platform, external_id=external_id,
                         display_name=display_name))
    await session.flush()
    return customer, True


class CustomerService:
    def __init__(self, db: Database, cipher: PersonalDataCipher, clock: Clock = system_clock,
                 now_ns: Ticker = time.monotonic_ns) -> None:
        self._db = db
        self._cipher = cipher
        self._clock = clock
        # Who was identified in the last few seconds, by (platform, external id): every chat update identifies
        # its sender. Every change this process makes to what `CustomerDTO` shows forgets the identities.
        self._recent: RecentReads[CustomerDTO] = RecentReads(db.committed, size=RECENT_MAX, now_ns=now_ns)

    async def identify(self, platform: str, external_id: str | int, *, display_name: str | None = None,
                       locale: str | None = None, referral: str | None = None) -> CustomerDTO:
        """The customer behind a chat user; created on first contact. Safe under concurrent calls."""
        external = str(external_id)
        parse_identity(f"{platform}:{external}")
        recent = self._recent.get((platform, external))
        if recent is not None:
            return recent
        version = self._recent.version()
        customer = await self._known(platform, external) or await self._first_contact(
            platform, external, display_name=display_name, locale=locale, referral=referral)
        self._recent.put((platform, external), customer, version)
        return customer

    def forget_identity(self, platform: str, external_id: str | int) -> None:
        """Something about this identity changed outside this service (e.g. it became unreachable)."""
        self._recent.forget([(platform, str(external_id))])

    def forget_identities(self, identities: Iterable[str]) -> None:
        """These `platform:id` identities changed outside this service (e.g. two customers were linked)."""
        self._recent.forget([identity.partition(":")[::2] for identity in identities])

    async def _first_contact(self, platform: str, external: str, *, display_name: str | None, locale: str | None,
                             referral: str | None) -> CustomerDTO:
        """New, or known but marked unreachable: create, or clear the mark. Core statements only (every new
        buyer's first press comes here): read, then two inserts or one update, and the commit."""
        params = {"platform": platform, "external_id": external}
        for _ in range(3):
            try:
                async with self._db.uow() as uow:
                    connection = await uow.connection()
                    rows = (await connection.execute(_known_statement(), params)).all()
                    if rows:
                        # They wrote to us, so they can be reached again (e.g. unblocked the bot).
                        await connection.execute(update(IDENTITIES).where(
                            IDENTITIES.c.platform == platform, IDENTITIES.c.external_id == external,
                            IDENTITIES.c.unreachable_since.is_not(None)).values(unreachable_since=None))
                        customer = _customer_of(rows)
                    else:
                        customer = await _create_customer(connection, platform, external, display_name=display_name,
                                                          locale=locale, referral=referral)
                    await uow.commit()
                    return customer
            except IntegrityError:
                continue  # a concurrent first contact created it: read it again
        raise RuntimeError("could not identify customer")  # pragma: no cover

    async def _known(self, platform: str, external: str) -> CustomerDTO | None:
        """The common case, read-only: every update from a chat user lands here, so it takes no write lock,
        and it is one Core statement (the customer with all their identities), a hot read (`Database.read`).

        None when the person is new or was marked unreachable (the write path creates or clears that).
        """
        rows = await self._db.read(_known_statement(), {"platform": platform, "external_id": external})
        if not rows or rows[0].unreachable_since is not None:
            return None
        return _customer_of(rows)

    async def get(self, customer_id: int) -> CustomerDTO:
        async with self._db.uow(write=False) as uow:
            customer = await live_customer(uow, customer_id)
            return _to_dto(customer, await self._identities(uow, customer_id))

    async def set_locale(self, customer_id: int, locale: str) -> CustomerDTO:
        if locale not in LOCALES:
            raise InvalidInput(field="locale", reason="choice", choices=sorted(LOCALES))
        return await self._update(customer_id, locale=locale)

    async def set_marketing_opt_in(self, customer_id: int, opt_in: bool) -> CustomerDTO:
        return await self._update(customer_id, marketing_opt_in=opt_in)

    async def save_address(self, customer_id: int, address: ShippingAddress) -> SavedAddress:
        token = self._cipher.encrypt_address(address)
        async with self._db.uow() as uow:
            await live_customer(uow, customer_id)
            rows = list((await uow.session.execute(
                select(Address).where(Address.customer_id == customer_id).order_by(Address.id)
            )).scalars())
            for old in rows[: max(0, len(rows) - MAX_ADDRESSES + 1)]:
                await uow.session.delete(old)  # keep the newest few, like a phone's autofill
            row = Address(customer_id=customer_id, ciphertext=token, created_at=self._clock())
            uow.session.add(row)
            await uow.commit()
            assert row.id is not None
            return SavedAddress(row.id, address)

    def seal_address(self, address: ShippingAddress) -> str:
        """The address as a conversation may hold it between checkout steps: encrypted like a saved one, so
        the conversation state (in the database, its backups, or Redis) never holds it in clear."""
        return self._cipher.encrypt_address(address).decode("ascii")

    def unseal_address(self, sealed: object) -> ShippingAddress:
        if not isinstance(sealed, str):  # nothing typed yet (or a conversation from an older version)
            raise InvalidInput(field="line1", reason="required")
        return self._cipher.decrypt_address(sealed.encode())

    async def addresses(self, customer_id: int) -> list[SavedAddress]:
        async with self._db.uow(write=False) as uow:
            rows = (await uow.session.execute(
                select(Address).where(Address.customer_id == customer_id).order_by(Address.id.desc())
            )).scalars()
            return [SavedAddress(r.id, self._cipher.decrypt_address(r.ciphertext)) for r in rows if r.id]

    async def address(self, customer_id: int, address_id: int) -> ShippingAddress:
        async with self._db.uow(write=False) as uow:
            row = await uow.session.get(Address, address_id)
            if row is None or row.customer_id != customer_id:
                raise NotFound(entity="address", id=address_id)
            return self._cipher.decrypt_address(row.ciphertext)

    async def export(self, customer_id: int) -> dict[str, Any]:
        """Everything we hold about this person, readable (GDPR/APPI access request)."""
        async with self._db.uow(write=False) as uow:
            customer = await live_customer(uow, customer_id)
            session = uow.session
            identities = await self._identities(uow, customer_id)
            addresses = (await session.execute(select(Address).where(Address.customer_id == customer_id)))
            orders = (await session.execute(select(Order).where(Order.customer_id == customer_id)))
            reviews = (await session.execute(select(Review).where(Review.customer_id == customer_id)))
            tickets = list((await session.execute(
                select(SupportTicket).where(SupportTicket.customer_id == customer_id))).scalars())
            messages = list((await session.execute(select(SupportMessage).where(
                SupportMessage.ticket_id.in_([t.id for t in tickets])).order_by(SupportMessage.id))).scalars())
            return {
                "customer": {"id": customer.id, "locale": customer.locale,
                             "marketing_opt_in": customer.marketing_opt_in,
                             "referral_code": customer.referral_code, "created_at": customer.created_at.isoformat()},
                "identities": [{"platform": i.platform, "id": i.external_id, "name": i.display_name}
                               for i in identities],
                "addresses": [asdict(self._cipher.decrypt_address(a.ciphertext)) for a in addresses.scalars()],
                "orders": [{"id": o.id, "status": o.status, "currency": o.currency, "total_minor": o.total_minor,
                            "created_at": o.created_at.isoformat(),
                            "shipping": asdict(self._cipher.decrypt_address(o.shipping_ciphertext))
                            if o.shipping_ciphertext else None} for o in orders.scalars()],
                "reviews": [{"product_id": r.product_id, "stars": r.stars, "text": r.text} for r in reviews.scalars()],
                "support": [{"ticket": t.id, "subject": t.subject,
                             "messages": [m.text for m in messages if m.ticket_id == t.id]} for t in tickets],
            }

    async def erase(self, customer_id: int) -> None:
        """Forget the person; orders keep their lines and totals for accounting, anonymised. What is erased is
        overwritten in the database file (SQLite's secure_delete, then a WAL checkpoint), not only unlinked."""
        now = self._clock()
        async with self._db.uow() as uow:
            customer = await live_customer(uow, customer_id)
            session = uow.session
            rows = await self._identities(uow, customer_id)
            identities = [f"{i.platform}:{i.external_id}" for i in rows]
            await delete_conversations_of(uow, [(i.platform, i.external_id) for i in rows])
            await session.execute(delete(Identity).where(Identity.customer_id == customer_id))
            await session.execute(delete(Address).where(Address.customer_id == customer_id))
            await session.execute(delete(CartLine).where(CartLine.customer_id == customer_id))
            await session.execute(delete(Seller).where(Seller.customer_id == customer_id))
            await session.execute(update(Order).where(Order.customer_id == customer_id)
                                  .values(shipping_ciphertext=None))
            await session.execute(update(Review).where(Review.customer_id == customer_id).values(text=""))
            ticket_ids = select(SupportTicket.id).where(SupportTicket.customer_id == customer_id)
            await session.execute(update(SupportMessage).where(SupportMessage.ticket_id.in_(ticket_ids))
                                  .values(text=ERASED))
            await session.execute(update(SupportTicket).where(SupportTicket.customer_id == customer_id)
                                  .values(subject=ERASED, status="closed"))
            customer.locale = None
            customer.marketing_opt_in = False
            customer.referred_by = None
            customer.erased_at = now
            record(session, actor=actor_of(customer_id), action="customer.erase", entity="customer",
                   entity_id=customer_id, at=now)
            await uow.commit()
        self.forget_identities(identities)
        await self._db.scrub_deleted()

    async def _update(self, customer_id: int, **values: Any) -> CustomerDTO:
        async with self._db.uow() as uow:
            customer = await live_customer(uow, customer_id)
            for key, value in values.items():
                setattr(customer, key, value)
            identities = await self._identities(uow, customer_id)
            await uow.commit()
        dto = _to_dto(customer, identities)
        self.forget_identities(dto.identities)
        return dto

    @staticmethod
    async def _identities(uow: UnitOfWork, customer_id: int | None) -> list[Identity]:
        return list((await uow.session.execute(
            select(Identity).where(Identity.customer_id == customer_id).order_by(Identity.id))).scalars())


@cache
def _known_statement() -> Select[Any]:
    """The customer behind one identity, a row per identity they have (in order), with that one's mark."""
    customers = Customer.__table__  # type: ignore[attr-defined]
    mine, every = Identity.__table__.alias("mine"), Identity.__table__.alias("every")  # type: ignore[attr-defined]
    c = customers.c
    return (select(c.id, c.locale, c.marketing_opt_in, c.referral_code, c.referred_by, mine.c.unreachable_since,
                   every.c.platform, every.c.external_id)
            .select_from(mine.join(customers, c.id == mine.c.customer_id)
                         .join(every, every.c.customer_id == c.id))
            .where(mine.c.platform == bindparam("platform", type_=String),
                   mine.c.external_id == bindparam("external_id", type_=String))
            .order_by(every.c.id))


CUSTOMERS: Final = Customer.__table__  # type: ignore[attr-defined]
IDENTITIES: Final = Identity.__table__  # type: ignore[attr-defined]


def _customer_of(rows: Sequence[Any]) -> CustomerDTO:
    """Rows of `_known_statement()` → the customer."""
    first = rows[0]
    return CustomerDTO(first.id, first.locale, first.marketing_opt_in, first.referral_code, first.referred_by,
                       tuple(f"{row.platform}:{row.external_id}" for row in rows))


async def _create_customer(connection: AsyncConnection, platform: str, external: str, *, display_name: str | None,
                           locale: str | None, referral: str | None) -> CustomerDTO:
    """A new customer with this one identity (inside the caller's transaction): the platform's language as
    their locale, and who referred them, if anyone but themselves."""
    code = secrets.token_hex(4)
    stored_locale = locale if locale in LOCALES else None
    referred_by = referral[:16] if referral and referral != code else None
    customer_id = (await connection.execute(insert(CUSTOMERS).values(
        locale=stored_locale, marketing_opt_in=False, referral_code=code, referred_by=referred_by,
        created_at=utcnow()))).inserted_primary_key[0]
    await connection.execute(insert(IDENTITIES).values(customer_id=customer_id, platform=platform,
                                                       external_id=external, display_name=display_name))
    return CustomerDTO(customer_id, stored_locale, False, code, referred_by, (f"{platform}:{external}",))
