"""Sellers and their roles, stored in the database; owners come from `sellers.owners` in bot.toml."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from commerce.customers import find_or_create_customer, parse_identity
from commerce.errors import InvalidInput, NotFound, PermissionDenied
from commerce.events import Clock, actor_of, record, system_clock
from commerce.roles import Permission, Role, require
from commerce.storage.db import Database, UnitOfWork
from commerce.storage.tables import Customer, Seller
from commerce.two_factor import require_recent_in


@dataclass(frozen=True, slots=True)
class SellerDTO:
    customer_id: int
    role: Role


async def role_in(uow: UnitOfWork, customer_id: int | None) -> Role | None:
    if customer_id is None:
        return None
    row = await uow.session.get(Seller, customer_id)
    return Role(row.role) if row else None


async def require_permission(uow: UnitOfWork, customer_id: int | None, permission: Permission) -> Role:
    """The actor's role, or PermissionDenied. Every seller action calls this inside its unit of work."""
    role = await role_in(uow, customer_id)
    require(role, permission)
    assert role is not None
    return role


async def require_step_up(uow: UnitOfWork, customer_id: int | None, permission: Permission, now: datetime) -> Role:
    """`require_permission` plus a two-factor code from the last ten minutes
    (docs/architecture.md#roles-and-two-factor): for refunds, roles, broadcasts and data export. Raises
    TwoFactorRequired / TwoFactorLocked after the role check."""
    role = await require_permission(uow, customer_id, permission)
    assert customer_id is not None
    await require_recent_in(uow, customer_id, now)
    return role


class SellerService:
    def __init__(self, db: Database, clock: Clock = system_clock) -> None:
        self._db = db
        self._clock = clock

    async def bootstrap_owners(self, owners: list[str]) -> list[int]:
        """Make every `platform:id` in the config an owner (creating the customer on first start)."""
        now = self._clock()
        ids: list[int] = []
        async with self._db.uow() as uow:
            for text in owners:
                platform, external_id = parse_identity(text)
                customer, _ = await find_or_create_customer(uow, platform, external_id)
                assert customer.id is not None
                row = await uow.session.get(Seller, customer.id)
                if row is None:
                    uow.session.add(Seller(customer_id=customer.id, role=Role.OWNER, granted_at=now))
                    record(uow.session, actor="config", action="role.grant", entity="customer",
                           entity_id=customer.id, at=now, role=Role.OWNER.value)
                elif row.role != Role.OWNER:
                    row.role = Role.OWNER
                ids.append(customer.id)
            await uow.commit()
        return ids

    async def role_of(self, customer_id: int) -> Role | None:
        async with self._db.uow(write=False) as uow:
            return await role_in(uow, customer_id)

    async def staff(self) -> list[SellerDTO]:
        async with self._db.uow(write=False) as uow:
            rows = (await uow.session.execute(select(Seller).order_by(Seller.customer_id))).scalars()
            return [SellerDTO(r.customer_id, Role(r.role)) for r in rows]

    async def grant(self, actor_id: int, customer_id: int, role: Role | str) -> SellerDTO:
        try:
            role = Role(role)
        except ValueError:
            raise InvalidInput(field="role", reason="choice", choices=[r.value for r in Role]) from None
        now = self._clock()
        async with self._db.uow() as uow:
            await require_step_up(uow, actor_id, Permission.MANAGE_ROLES, now)
            if await uow.session.get(Customer, customer_id) is None:
                raise NotFound(entity="customer", id=customer_id)
            row = await uow.session.get(Seller, customer_id)
            if row is not None and row.role == Role.OWNER and role != Role.OWNER:
                await self._refuse_last_owner(uow, customer_id)
            if row is None:
                uow.session.add(Seller(customer_id=customer_id, role=role, granted_by=actor_id, granted_at=now))
            else:
                row.role, row.granted_by, row.granted_at = role, actor_id, now
            record(uow.session, actor=actor_of(actor_id), action="role.grant", entity="customer",
                   entity_id=customer_id, at=now, role=role.value)
            await uow.commit()
        return SellerDTO(customer_id, role)

    async def revoke(self, actor_id: int, customer_id: int) -> None:
        now = self._clock()
        async with self._db.uow() as uow:
            await require_step_up(uow, actor_id, Permission.MANAGE_ROLES, now)
            row = await uow.session.get(Seller, customer_id)
            if row is None:
                raise NotFound(entity="seller", id=customer_id)
            if row.role == Role.OWNER:
                await self._refuse_last_owner(uow, customer_id)
            await uow.session.delete(row)
            record(uow.session, actor=actor_of(actor_id), action="role.revoke", entity="customer",
                   entity_id=customer_id, at=now)
            await uow.commit()

    async def _refuse_last_owner(self, uow: UnitOfWork, customer_id: int) -> None:
        owners = list((await uow.session.execute(
            select(Seller.customer_id).where(Seller.role == Role.OWNER))).scalars())
        if owners == [customer_id]:
            raise PermissionDenied(permission=Permission.MANAGE_ROLES.value, reason="last_owner")
