"""Errors are data: a stable `code` (also the message key in `locales/`) and the fields a message needs.

Each front-end translates them once, in the user's language. Never put a sentence in here.
"""

from __future__ import annotations

from typing import Any, ClassVar


class CommerceError(Exception):
    code: ClassVar[str] = "error"

    def __init__(self, **fields: Any) -> None:
        self.fields = fields
        super().__init__(self.code, fields)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["fields"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __str__(self) -> str:
        detail = ", ".join(f"{key}={value!r}" for key, value in self.fields.items())
        return f"{self.code}({detail})"


class InvalidInput(CommerceError):
    """A field a person typed is out of bounds: `field`, `reason` and optional `limit`."""

    code = "invalid_input"


class InvalidAmount(CommerceError):
    code = "invalid_amount"


class InvalidQuantity(CommerceError):
    code = "invalid_quantity"


class NotFound(CommerceError):
    """`entity` with `id` does not exist, or is not visible to this person."""

    code = "not_found"


class ProductUnavailable(CommerceError):
    code = "product_unavailable"


class OutOfStock(CommerceError):
    """`title` has only `available` left of the `requested` quantity."""

    code = "out_of_stock"


class CartEmpty(CommerceError):
    code = "cart_empty"


class AddressRequired(CommerceError):
    code = "address_required"


class IllegalTransition(CommerceError):
    """Order `order_id` in `status` cannot `action`."""

    code = "illegal_transition"


class PermissionDenied(CommerceError):
    code = "permission_denied"


class NotYourOrder(CommerceError):
    code = "not_your_order"


class ReviewNotAllowed(CommerceError):
    code = "review_not_allowed"


class AlreadyReviewed(CommerceError):
    code = "already_reviewed"


class DuplicateSku(CommerceError):
    code = "duplicate_sku"


class TicketClosed(CommerceError):
    code = "ticket_closed"


class PersonalDataLocked(CommerceError):
    """Personal data cannot be read or written: the data key is missing or wrong."""

    code = "personal_data_locked"


class CustomerErased(CommerceError):
    code = "customer_erased"


class CouponRejected(CommerceError):
    """Coupon `code` can't be used: `reason` is unknown, expired, not_started, paused, used_up,
    used_by_you, minimum (with `minimum`, a Money) or scope."""

    code = "coupon_rejected"


class ShippingUnavailable(CommerceError):
    """Physical goods can't be shipped: `reason` is no_address, zone (`country`, `region`) or item (`title`,
    `zone`)."""

    code = "shipping_unavailable"


class ReceiptUnavailable(CommerceError):
    """Order `order_id` is in `status`, not paid and kept: it has no receipt (yet, or any more)."""

    code = "receipt_unavailable"
