"""Product photos from untrusted uploads: decoded under a pixel limit, upright, stripped of every tag, re-encoded.

A seller's phone puts GPS coordinates, the device and the time in EXIF/XMP; none of it may reach a buyer.
The output is a fresh JPEG built from pixels only, so nothing from the upload's metadata survives.
Pure: bytes in, bytes out. Call it with `asyncio.to_thread` from async code (decoding is CPU-bound).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

MAX_BYTES: Final = 20 * 1024 * 1024  # what Telegram lets a bot download, and plenty for a photo
JPEG_QUALITY: Final = 85
BACKGROUND: Final = (255, 255, 255)  # transparent areas become white, as on a product page

# Decoders we trust with uploads. Everything else is refused before any pixel is decoded.
_DECODED: Final = ("JPEG", "PNG", "WEBP")  # JPEG also opens phones' multi-picture (MPO) files
# Recognised, so the seller hears "unsupported" rather than "not an image".
_OTHER_IMAGES: Final = (b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*", b"\x00\x00\x01\x00", b"8BPS")
_ISO_BMFF_BRANDS: Final = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis")


class RejectReason(StrEnum):
    NOT_AN_IMAGE = "not_an_image"
    TOO_MANY_PIXELS = "too_many_pixels"
    TOO_LARGE_BYTES = "too_large_bytes"
    UNSUPPORTED = "unsupported"


class PhotoRejected(Exception):
    def __init__(self, reason: RejectReason, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)


@dataclass(frozen=True, slots=True)
class ProcessedPhoto:
    jpeg: bytes
    width: int
    height: int
    sha256: str


def _decoders() -> tuple[str, ...]:
    """HEIC joins the trusted decoders only when a plugin (pillow-heif) has registered it."""
    Image.init()
    return tuple(name for name in (*_DECODED, "HEIF") if name in Image.OPEN)


def _looks_like_other_image(data: bytes) -> bool:
    if data.startswith(_OTHER_IMAGES):
        return True
    return data[4:8] == b"ftyp" and data[8:12] in _ISO_BMFF_BRANDS


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=_decoders())
    except Image.DecompressionBombError as exc:  # Pillow's own ceiling, far above ours
        raise PhotoRejected(RejectReason.TOO_MANY_PIXELS, str(exc)) from None
    except UnidentifiedImageError:
        reason = RejectReason.UNSUPPORTED if _looks_like_other_image(data) else RejectReason.NOT_AN_IMAGE
        raise PhotoRejected(reason) from None
    except (OSError, SyntaxError, ValueError) as exc:  # a header that lies about itself
        raise PhotoRejected(RejectReason.NOT_AN_IMAGE, str(exc)) from None
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert from the embedded colour profile (e.g. Display P3) so colours survive dropping it."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"),
                                              outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken profile: the pixels are still fine as they are
    return converted if converted is not None else image


def _flatten(image: Image.Image) -> Image.Image:
    """Pixels only, in RGB, on a brand-new image (so no `info` — EXIF, XMP, ICC, comments — comes along)."""
    if image.mode in ("P", "PA", "LA", "La", "RGBa"):  # may carry transparency
        image = image.convert("RGBA")
    elif image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGB")
    image = _to_srgb(image)
    clean = Image.new("RGB", image.size, BACKGROUND)
    if image.mode == "RGBA":
        clean.paste(image, mask=image.getchannel("A"))
    else:
        clean.paste(image)
    return clean


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def process_photo(data: bytes, *, max_pixels: int = 40_000_000, max_side: int = 2048) -> ProcessedPhoto:
    """A clean JPEG of an uploaded photo, or PhotoRejected(reason) saying why not."""
    if len(data) > MAX_BYTES:
        raise PhotoRejected(RejectReason.TOO_LARGE_BYTES, f"{len(data)} bytes")
    with _open(data) as image:
        width, height = image.size  # from the header: nothing is decoded yet
        if width < 1 or height < 1 or width * height > max_pixels:
            raise PhotoRejected(RejectReason.TOO_MANY_PIXELS, f"{width}x{height}")
        if image.format in ("JPEG", "MPO"):
            image.draft("RGB", (max_side, max_side))  # let libjpeg decode at a fraction of the size
        try:
            image.load()
            upright = ImageOps.exif_transpose(image)
            pixels = _flatten(upright)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:  # truncated, corrupt
            raise PhotoRejected(RejectReason.NOT_AN_IMAGE, str(exc)) from None
    target = _fit(pixels.size, max_side)
    if target != pixels.size:
        pixels = pixels.resize(target, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    pixels.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    jpeg = out.getvalue()
    return ProcessedPhoto(jpeg, pixels.width, pixels.height, hashlib.sha256(jpeg).hexdigest())
