"""Uploaded photos: upright, metadata-free JPEGs, or a refusal with a reason a seller can be told."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from media.photos import DECODE_BUDGET, MAX_BYTES, PhotoRejected, ProcessedPhoto, RejectReason, process_photo

GPS_TOKYO = {
    ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (35.0, 39.0, 29.0),
    ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (139.0, 44.0, 28.0),
}


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def phone_jpeg(size: tuple[int, int] = (400, 200), orientation: int = 6) -> bytes:
    """A landscape sensor image tagged "rotate 90° clockwise", with GPS, camera model and XMP."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))  # left half blue: shows where the top went
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Model] = "Seller's Phone 15"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(GPS_TOKYO)
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    return encode(image, "JPEG", exif=exif, xmp=xmp, quality=95)


def reopened(photo: ProcessedPhoto) -> Image.Image:
    image = Image.open(io.BytesIO(photo.jpeg))
    image.load()
    return image


def bomb_png(width: int, height: int) -> bytes:
    """A few hundred bytes that claim to be a width×height PNG."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
            + chunk(b"IEND", b""))


def rejected(data: bytes, **limits: int) -> RejectReason:
    with pytest.raises(PhotoRejected) as caught:
        process_photo(data, **limits)
    return caught.value.reason


def test_phone_photo_loses_gps_and_every_other_tag_and_stands_upright() -> None:
    upload = phone_jpeg()
    assert Image.open(io.BytesIO(upload)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the fixture really has GPS

    photo = process_photo(upload)

    image = reopened(photo)
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {} and image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert not {"exif", "xmp", "XML:com.adobe.xmp", "comment"} & image.info.keys()
    assert b"Exif" not in photo.jpeg and b"Phone" not in photo.jpeg and b"xmpmeta" not in photo.jpeg
    assert (photo.width, photo.height) == image.size == (200, 400)  # rotated: portrait now
    red, green, blue = image.getpixel((100, 20))[:3]  # the blue left half is the top after a clockwise turn
    assert blue > 150 and red < 100 and green < 100


def test_png_transparency_lands_on_white() -> None:
    image = Image.new("RGBA", (50, 40), (0, 0, 0, 0))
    image.paste((0, 128, 0, 255), (0, 0, 10, 40))
    photo = process_photo(encode(image, "PNG"))
    out = reopened(photo)
    assert out.mode == "RGB" and out.size == (50, 40)
    assert all(c > 245 for c in out.getpixel((40, 20)))  # was transparent
    r, g, b = out.getpixel((3, 20))
    assert g > 100 and r < 40 and b < 40


def test_palette_png_and_webp_are_accepted() -> None:
    palette = Image.new("RGB", (30, 30), (10, 200, 10)).convert("P")
    assert reopened(process_photo(encode(palette, "PNG"))).size == (30, 30)
    webp = Image.new("RGB", (30, 20), (10, 20, 200))
    assert reopened(process_photo(encode(webp, "WEBP"))).size == (30, 20)


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    started = time.perf_counter()
    assert rejected(bomb_png(100_000, 100_000)) is RejectReason.TOO_MANY_PIXELS
    assert rejected(bomb_png(8_000, 8_000)) is RejectReason.TOO_MANY_PIXELS  # under Pillow's ceiling, over ours
    assert time.perf_counter() - started < 0.5
    small = Image.new("RGB", (300, 300))
    assert rejected(encode(small, "JPEG"), max_pixels=300 * 299) is RejectReason.TOO_MANY_PIXELS


@pytest.mark.parametrize(("data", "reason"), [
    (os.urandom(4096), RejectReason.NOT_AN_IMAGE),
    ("領収書です。This is a text file, not a photo.\n".encode() * 20, RejectReason.NOT_AN_IMAGE),
    (b"", RejectReason.NOT_AN_IMAGE),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", RejectReason.NOT_AN_IMAGE),
    (encode(Image.new("RGB", (20, 20)), "GIF"), RejectReason.UNSUPPORTED),
    (encode(Image.new("RGB", (20, 20)), "BMP"), RejectReason.UNSUPPORTED),
    (encode(Image.new("RGB", (20, 20)), "TIFF"), RejectReason.UNSUPPORTED),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64, RejectReason.UNSUPPORTED),
], ids=["random", "text", "empty", "pdf", "gif", "bmp", "tiff", "heic-without-plugin"])
def test_what_is_not_a_usable_photo_is_refused_with_its_reason(data: bytes, reason: RejectReason) -> None:
    assert rejected(data) is reason


def test_a_truncated_jpeg_is_not_an_image() -> None:
    whole = phone_jpeg((800, 600))
    assert rejected(whole[: len(whole) // 2]) is RejectReason.NOT_AN_IMAGE


def test_too_many_bytes_is_refused_without_looking() -> None:
    assert rejected(b"\xff\xd8\xff" + bytes(MAX_BYTES)) is RejectReason.TOO_LARGE_BYTES


def test_a_huge_photo_is_downscaled_to_the_longest_side() -> None:
    big = Image.radial_gradient("L").resize((5000, 2500)).convert("RGB")
    photo = process_photo(encode(big, "JPEG", quality=90))
    assert (photo.width, photo.height) == reopened(photo).size == (2048, 1024)
    png = process_photo(encode(Image.new("RGB", (3000, 1000), (1, 2, 3)), "PNG"), max_side=600)
    assert (png.width, png.height) == (600, 200)


def test_output_is_deterministic_and_named_by_its_hash() -> None:
    upload = phone_jpeg()
    first, second = process_photo(upload), process_photo(upload)
    assert first == second
    import hashlib

    assert first.sha256 == hashlib.sha256(first.jpeg).hexdigest()
    assert process_photo(first.jpeg).width == first.width  # re-processing our own output is harmless


# ---- memory: one upload stays within the decoding budget, whatever its header claims ----

# Linux keeps a process's peak RSS across exec (ru_maxrss would start at pytest's): the child resets its own
# high-water mark (VmHWM, via clear_refs) once the upload is in memory, and reports how far it rose.
MEASURE = """
import sys
from media.photos import PhotoRejected, process_photo
import PIL.Image
PIL.Image.init()

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024

data = open(sys.argv[1], "rb").read()
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")
before = status("VmRSS")
try:
    photo = process_photo(data)
    outcome = f"{photo.width}x{photo.height}"
except PhotoRejected as rejected:
    outcome = rejected.reason.value
print(outcome, status("VmHWM") - before)
"""


def peak_growth(tmp_path: Path, name: str, data: bytes) -> tuple[str, int]:
    """Process `data` in a fresh interpreter: what came out, and how far its peak RSS grew meanwhile."""
    path = tmp_path / name
    path.write_bytes(data)
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, check=True,
                          timeout=300)
    outcome, grown = done.stdout.split()
    return outcome, int(grown)


def solid_png(width: int, height: int) -> bytes:
    """A real, complete PNG of one colour: it deflates to almost nothing (6300×6300 is about 115 KB)."""
    rows = zlib.compressobj(9)
    body = b"".join(rows.compress(b"\x00" + bytes(width * 3)) for _ in range(height)) + rows.flush()

    def chunk(kind: bytes, content: bytes) -> bytes:
        return struct.pack(">I", len(content)) + kind + content + struct.pack(">I", zlib.crc32(kind + content))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def lying_jpeg(width: int, height: int, *, progressive: bool) -> bytes:
    """A small complete JPEG whose frame header claims width×height: what is there is a few hundred bytes."""
    data = encode(Image.new("RGB", (64, 64), (200, 30, 30)), "JPEG", progressive=progressive)
    frame = data.index(b"\xff\xc2" if progressive else b"\xff\xc0")
    data = data[:frame + 5] + struct.pack(">HH", height, width) + data[frame + 9:]
    return data[:633]


def noise(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    return Image.effect_noise((300, 300), 60).resize(size).convert(mode)


@pytest.mark.slow
def test_the_trials_decompression_bombs_are_refused_without_the_memory(tmp_path: Path) -> None:
    """Before, each was turned into a 2048-pixel photo: the PNG for +521 MiB of peak memory here, the
    progressive JPEG for +144 MiB (the trial saw +377 MB and +143 MB)."""
    png = solid_png(6300, 6300)
    assert 100_000 < len(png) < 130_000
    assert peak_growth(tmp_path, "bomb.png", png) == ("too_many_pixels", pytest.approx(0, abs=16 << 20))
    for progressive in (False, True):
        jpeg = lying_jpeg(6000, 6000, progressive=progressive)
        assert len(jpeg) <= 633 and Image.open(io.BytesIO(jpeg)).size == (6000, 6000)
        outcome, grown = peak_growth(tmp_path, "lying.jpg", jpeg)
        assert outcome in ("not_an_image", "too_many_pixels") and grown < 16 << 20, (progressive, grown)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "make", "size"), [
    ("telegram-largest.jpg", lambda: encode(noise((2560, 2560)), "JPEG", quality=87, progressive=True), "2048x2048"),
    ("progressive-444.jpg", lambda: encode(noise((2560, 2560)), "JPEG", progressive=True, subsampling=0),
     "1280x1280"),  # its coefficients alone take 39 MB: decoded at half size to stay in the budget
    ("phone-12mp.jpg", lambda: encode(noise((4032, 3024)), "JPEG", quality=90), "2016x1512"),
    ("camera-36mp.jpg", lambda: encode(noise((6000, 6000), "L"), "JPEG", quality=90), "2048x2048"),
    ("screenshot.png", lambda: encode(noise((2560, 2560), "RGBA"), "PNG", compress_level=1), "2048x2048"),
    ("palette.png", lambda: encode(noise((4000, 4000), "P"), "PNG", compress_level=1), "2048x2048"),
    ("web.webp", lambda: encode(noise((2000, 1500)), "WEBP"), "2000x1500"),
    ("big.webp", lambda: encode(noise((2048, 2048)), "WEBP"), "too_many_pixels"),
])
def test_the_largest_photos_accepted_stay_within_the_decoding_budget(
        tmp_path: Path, name: str, make: object, size: str) -> None:
    assert callable(make)
    outcome, grown = peak_growth(tmp_path, name, make())
    assert outcome == size
    assert grown <= DECODE_BUDGET * 1.1, f"{name}: +{grown / 2**20:.1f} MiB"
