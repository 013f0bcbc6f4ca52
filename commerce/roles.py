"""Who may do what. Checked in the core services, whatever a front-end already showed or hid."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from commerce.errors import PermissionDenied


class Role(StrEnum):
    OWNER = "owner"
    STAFF = "staff"
    SELLER = "seller"


class Permission(StrEnum):
    MANAGE_OWN_PRODUCTS = "manage_own_products"
    MANAGE_ALL_PRODUCTS = "manage_all_products"
    MANAGE_CATEGORIES = "manage_categories"
    VIEW_ORDERS = "view_orders"
    MANAGE_ORDERS = "manage_orders"
    REFUND = "refund"
    ANSWER_SUPPORT = "answer_support"
    BROADCAST = "broadcast"
    VIEW_SALES = "view_sales"
    MANAGE_ROLES = "manage_roles"
    EXPORT_DATA = "export_data"
    MANAGE_COUPONS = "manage_coupons"


_GRANTS: Final[dict[Role, frozenset[Permission]]] = {
    Role.OWNER: frozenset(Permission),
    Role.STAFF: frozenset({
        Permission.MANAGE_OWN_PRODUCTS, Permission.MANAGE_ALL_PRODUCTS, Permission.MANAGE_CATEGORIES,
        Permission.VIEW_ORDERS, Permission.MANAGE_ORDERS, Permission.ANSWER_SUPPORT,
        Permission.VIEW_SALES, Permission.MANAGE_COUPONS,
    }),
    Role.SELLER: frozenset({Permission.MANAGE_OWN_PRODUCTS, Permission.VIEW_ORDERS, Permission.VIEW_SALES}),
}


def can(role: Role | None, permission: Permission) -> bool:
    return role is not None and permission in _GRANTS[role]


def require(role: Role | None, permission: Permission) -> None:
    if not can(role, permission):
        raise PermissionDenied(permission=permission.value, role=role.value if role else None)
