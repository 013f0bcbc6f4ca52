"""Personal data at rest: shipping addresses (and TOTP seeds) are encrypted with the shop's data key."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

from cryptography.fernet import Fernet, InvalidToken

from commerce.errors import InvalidInput, PersonalDataLocked

_LIMITS = {"name": 100, "postal_code": 16, "region": 64, "city": 64, "line1": 200, "line2": 200,
           "country": 2, "phone": 32}
_REQUIRED = ("name", "postal_code", "city", "line1", "country")


@dataclass(frozen=True, slots=True)
class ShippingAddress:
    name: str
    postal_code: str
    region: str
    city: str
    line1: str
    line2: str = ""
    country: str = "JP"
    phone: str = ""

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, str):
                raise InvalidInput(field=field.name, reason="not_text")
            value = " ".join(value.split())
            object.__setattr__(self, field.name, value)
            if len(value) > _LIMITS[field.name]:
                raise InvalidInput(field=field.name, reason="too_long", limit=_LIMITS[field.name])
            if field.name in _REQUIRED and not value:
                raise InvalidInput(field=field.name, reason="required")
        object.__setattr__(self, "country", self.country.upper())
        if not self.country.isalpha() or len(self.country) != 2:
            raise InvalidInput(field="country", reason="country_code")

    def lines(self) -> list[str]:
        """The address as a label would print it."""
        parts = [self.name, f"{self.postal_code} {self.region} {self.city}".strip(), self.line1,
                 self.line2, self.country, self.phone]
        return [part for part in parts if part]


class PersonalDataCipher:
    """Fernet (AES-128-CBC + HMAC) over JSON. Without a key, personal data can't be stored or read."""

    def __init__(self, key: str | bytes | None) -> None:
        self._fernet: Fernet | None = None
        if key:
            try:
                self._fernet = Fernet(key)
            except (ValueError, TypeError):
                raise PersonalDataLocked(reason="bad_key") from None

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    @property
    def enabled(self) -> bool:
        return self._fernet is not None

    def encrypt_address(self, address: ShippingAddress) -> bytes:
        return self._require().encrypt(json.dumps(asdict(address), ensure_ascii=False).encode())

    def decrypt_address(self, token: bytes) -> ShippingAddress:
        try:
            data = json.loads(self._require().decrypt(token))
        except InvalidToken:
            raise PersonalDataLocked(reason="wrong_key") from None
        return ShippingAddress(**data)

    def encrypt_secret(self, secret: str) -> bytes:
        """Any short secret (a TOTP seed) sealed like addresses are; refused without a key."""
        return self._require().encrypt(secret.encode())

    def decrypt_secret(self, token: bytes) -> str:
        try:
            return self._require().decrypt(token).decode()
        except InvalidToken:
            raise PersonalDataLocked(reason="wrong_key") from None

    def can_read(self, token: bytes) -> bool:
        """Whether this key opens `token` (anything sealed here); False without a key."""
        if self._fernet is None:
            return False
        try:
            self._fernet.decrypt(token)
        except InvalidToken:
            return False
        return True

    def _require(self) -> Fernet:
        if self._fernet is None:
            raise PersonalDataLocked(reason="no_key")
        return self._fernet
