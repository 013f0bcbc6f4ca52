"""Pure rules: roles, review eligibility, personal-data encryption, address bounds."""

from __future__ import annotations

import pytest

from commerce.errors import InvalidInput, PermissionDenied, PersonalDataLocked, ReviewNotAllowed
from commerce.privacy import PersonalDataCipher, ShippingAddress
from commerce.reviews import check_review
from commerce.roles import Permission, Role, can, require
from commerce.status import OrderStatus


@pytest.mark.parametrize("permission", list(Permission))
def test_owner_may_do_everything(permission: Permission) -> None:
    assert can(Role.OWNER, permission)


@pytest.mark.parametrize(("role", "allowed"), [
    (Role.STAFF, {"manage_own_products", "manage_all_products", "manage_categories", "view_orders",
                  "manage_orders", "answer_support", "view_sales", "manage_coupons"}),
    (Role.SELLER, {"manage_own_products", "view_orders", "view_sales"}),
    (None, set()),
])
def test_roles_grant_exactly_their_permissions(role: Role | None, allowed: set[str]) -> None:
    assert {p.value for p in Permission if can(role, p)} == allowed


def test_require_names_what_was_missing() -> None:
    with pytest.raises(PermissionDenied) as err:
        require(Role.STAFF, Permission.REFUND)
    assert err.value.fields == {"permission": "refund", "role": "staff"}


@pytest.mark.parametrize("status", [OrderStatus.DELIVERED, OrderStatus.FULFILLED])
def test_reviews_allowed_after_delivery(status: OrderStatus) -> None:
    assert check_review(status, 5, "  lovely  ") == "lovely"


@pytest.mark.parametrize("status", sorted(set(OrderStatus) - {OrderStatus.DELIVERED, OrderStatus.FULFILLED}))
def test_reviews_refused_before_delivery(status: OrderStatus) -> None:
    with pytest.raises(ReviewNotAllowed):
        check_review(status, 5, "")


@pytest.mark.parametrize("stars", [0, 6, -1, True])
def test_stars_are_one_to_five(stars: int) -> None:
    with pytest.raises(InvalidInput) as err:
        check_review(OrderStatus.DELIVERED, stars, "")
    assert err.value.field == "stars"


def test_review_text_is_bounded() -> None:
    with pytest.raises(InvalidInput):
        check_review(OrderStatus.DELIVERED, 4, "x" * 1001)


ADDRESS = ShippingAddress(name="山田 太郎", postal_code="100-0001", region="東京都", city="千代田区",
                          line1="千代田1-1", phone="03-0000-0000")


def test_address_round_trips_and_is_unreadable_at_rest() -> None:
    cipher = PersonalDataCipher(PersonalDataCipher.generate_key())
    token = cipher.encrypt_address(ADDRESS)
    assert "千代田".encode() not in token and b"100-0001" not in token
    assert cipher.decrypt_address(token) == ADDRESS


def test_wrong_or_missing_key_locks_personal_data() -> None:
    token = PersonalDataCipher(PersonalDataCipher.generate_key()).encrypt_address(ADDRESS)
    with pytest.raises(PersonalDataLocked) as err:
        PersonalDataCipher(PersonalDataCipher.generate_key()).decrypt_address(token)
    assert err.value.reason == "wrong_key"
    with pytest.raises(PersonalDataLocked):
        PersonalDataCipher(None).encrypt_address(ADDRESS)
    with pytest.raises(PersonalDataLocked):
        PersonalDataCipher("not-a-fernet-key")


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": ""}, "name"), ({"line1": "x" * 201}, "line1"), ({"country": "JPN"}, "country"),
    ({"postal_code": "  "}, "postal_code"),
])
def test_address_fields_are_validated(changes: dict[str, str], field: str) -> None:
    values = {"name": "A", "postal_code": "1", "region": "", "city": "C", "line1": "L"} | changes
    with pytest.raises(InvalidInput) as err:
        ShippingAddress(**values)
    assert err.value.field == field


def test_address_whitespace_is_normalised() -> None:
    address = ShippingAddress(name="  A   B ", postal_code="1", region="", city="C", line1="L", country="jp")
    assert (address.name, address.country) == ("A B", "JP")
