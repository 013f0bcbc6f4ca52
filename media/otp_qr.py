"""The two-factor enrolment QR: an `otpauth://` URI as a plain, high-contrast PNG for an authenticator app."""

from __future__ import annotations

import io
from typing import Final

import qrcode  # type: ignore[import-untyped]  # qrcode ships no type information
import qrcode.constants  # type: ignore[import-untyped]

BOX_SIZE: Final = 10   # pixels per module: scannable off a phone screen held up to another phone
BORDER: Final = 4      # the quiet zone the QR specification asks for


def render_otp_qr(uri: str) -> bytes:
    """PNG bytes of a QR code holding `uri` (pure: run it with `asyncio.to_thread` from async code)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=BOX_SIZE, border=BORDER)
    code.add_data(uri)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white").get_image()
    buffer = io.BytesIO()
    image.convert("1").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
