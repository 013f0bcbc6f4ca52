"""Product photos from untrusted uploads: decoded under a pixel limit, upright, stripped of every tag, re-encoded.

A seller's phone puts GPS coordinates, the device and the time in EXIF/XMP; none of it may reach a buyer.
The output is a fresh JPEG built from pixels only, so nothing from the upload's metadata survives.
Pure: bytes in, bytes out. Call it with `asyncio.to_thread` from async code (decoding is CPU-bound).

Memory and work are bounded by what the header claims, before any pixel is decoded, so one upload can't
take the bot past its memory budget: a sequential JPEG (what cameras and phones write) is decoded by
libjpeg at 1/2, 1/4 or 1/8 of its size (`draft`), to about twice the pixels of the output at most; an
image that must be decoded whole (PNG, WebP, and progressive or multi-scan JPEG, which libjpeg buffers
whole) has a much lower pixel limit. A JPEG too short for the size it claims is refused as truncated
rather than decoded into grey.
"""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from media.decode_plan import decode_scale, fit

MAX_BYTES: Final = 20 * 1024 * 1024  # what Telegram lets a bot download, and plenty for a photo
MAX_PIXELS: Final = 40_000_000  # what a header may claim: a 40-megapixel camera (decoded at a fraction)
# Memory the decoding may hold at its peak (media/decode_plan.py): Telegram's largest photo, a progressive
# 2560×2560 JPEG, fits whole; a 12-megapixel phone photo is decoded at half size.
DECODE_BUDGET: Final = 48 * 1024 * 1024
# Every 8×8 block of a JPEG takes at least a couple of bits; a file with less than a tenth of that for the size
# its header claims ends early (libjpeg would paint the rest grey, at the claimed size).
_JPEG_MIN_BYTES_PER_PIXEL: Final = 1 / 2560
JPEG_QUALITY: Final = 85
BACKGROUND: Final = (255, 255, 255)  # transparent areas become white, as on a product page
_DECODING: Final = threading.Lock()
_RESIZE_BAND: Final = 128  # output rows resized at a time

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


def _opaque(image: Image.Image) -> Image.Image:
    """RGB (or L), transparent areas on white. Done before resizing: Pillow resizes RGBA by premultiplying
    the alpha in two more full-size copies."""
    if image.mode == "P" and "transparency" in image.info or image.mode in ("PA", "LA", "La", "RGBa"):
        image = image.convert("RGBA")
    if image.mode == "RGBA":
        opaque = Image.new("RGB", image.size, BACKGROUND)
        opaque.paste(image, mask=image.getchannel("A"))
        return opaque
    return image if image.mode in ("RGB", "L") else image.convert("RGB")


def _clean(image: Image.Image) -> Image.Image:
    """Pixels only, in RGB, on a brand-new image (so no `info` — EXIF, XMP, ICC, comments — comes along)."""
    image = _to_srgb(image.convert("RGB") if image.mode != "RGB" else image)
    clean = Image.new("RGB", image.size, BACKGROUND)
    clean.paste(image)
    return clean


def _check_size(image: Image.Image, data: bytes, max_pixels: int, max_side: int, budget: int) -> int:
    """From the header alone: the scale to decode at, or PhotoRejected."""
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise PhotoRejected(RejectReason.TOO_MANY_PIXELS, f"{width}x{height}")
    scale = decode_scale(image, data, max_side, budget)
    if scale is None:
        raise PhotoRejected(RejectReason.TOO_MANY_PIXELS, f"{width}x{height} {image.format} needs more memory")
    if image.format in ("JPEG", "MPO") and len(data) < width * height * _JPEG_MIN_BYTES_PER_PIXEL:
        raise PhotoRejected(RejectReason.NOT_AN_IMAGE, f"{len(data)} bytes for {width}x{height}: truncated")
    return scale


def _decode(data: bytes, max_pixels: int, max_side: int, budget: int) -> Image.Image:
    """The upload's pixels, opaque and at most `max_side` on the long side. The decoded ones are let go as
    soon as the smaller copy exists."""
    image = _open(data)
    try:
        scale = _check_size(image, data, max_pixels, max_side, budget)
        if image.format in ("JPEG", "MPO"):
            width, height = image.size
            image.draft("RGB", (max(1, width // scale), max(1, height // scale)))  # libjpeg scales as it decodes
        image.load()
        info = dict(image.info)  # the EXIF orientation and the ICC profile, for after the resize
        small = _opaque_and_resized(image, max_side)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:  # truncated, corrupt
        raise PhotoRejected(RejectReason.NOT_AN_IMAGE, str(exc)) from None
    finally:
        image.close()  # the decoded pixels go now, not whenever the garbage collector runs
    small.info = info
    return small


def _opaque_and_resized(image: Image.Image, max_side: int) -> Image.Image:
    """Opaque and fitted to max_side, a band of rows at a time: done whole, flattening and resizing would each
    keep another almost full-size image."""
    target = fit(image.size, max_side)
    if target == image.size:
        opaque = _opaque(image)
        return opaque.copy() if opaque is image else opaque
    (width, height), (out_width, out_height) = image.size, target
    resized: Image.Image | None = None
    margin = 3 * height / out_height + 2  # rows the Lanczos filter reads beyond a band
    for top in range(0, out_height, _RESIZE_BAND):
        rows = min(_RESIZE_BAND, out_height - top)
        y0, y1 = top * height / out_height, (top + rows) * height / out_height
        first, last = max(0, int(y0 - margin)), min(height, int(y1 + margin) + 1)
        band = _opaque(image.crop((0, first, width, last)))
        band = band.resize((out_width, rows), Image.Resampling.LANCZOS, box=(0, y0 - first, width, y1 - first))
        if resized is None:
            resized = Image.new(band.mode, target)
        resized.paste(band, (0, top))
    assert resized is not None
    return resized


def process_photo(data: bytes, *, max_pixels: int = MAX_PIXELS, max_side: int = 2048,
                  budget: int = DECODE_BUDGET) -> ProcessedPhoto:
    """A clean JPEG of an uploaded photo, or PhotoRejected(reason) saying why not.

    One photo is decoded at a time in a process, so uploads arriving together add one photo's memory."""
    if len(data) > MAX_BYTES:
        raise PhotoRejected(RejectReason.TOO_LARGE_BYTES, f"{len(data)} bytes")
    with _DECODING:
        small = _decode(data, max_pixels, max_side, budget)
        try:
            ImageOps.exif_transpose(small, in_place=True)
            pixels = _clean(small)
        except (OSError, SyntaxError, ValueError) as exc:
            raise PhotoRejected(RejectReason.NOT_AN_IMAGE, str(exc)) from None
        finally:
            small.close()
        out = io.BytesIO()
        pixels.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    jpeg = out.getvalue()
    return ProcessedPhoto(jpeg, pixels.width, pixels.height, hashlib.sha256(jpeg).hexdigest())
