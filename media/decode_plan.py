"""How much memory decoding an upload will take, worked out from its header before any pixel is decoded.

`decode_scale` picks the largest size libjpeg may decode a JPEG at (1, 1/2, 1/4 or 1/8: DCT scaling, Pillow's
`draft`) — other formats are decoded whole — such that the peak stays within a byte budget, or says that
nothing fits. The peak is whichever is larger: while decoding, the decoded pixels plus the decoder's own
buffers; while resizing, the decoded pixels plus the resized copy.

What the decoders hold (Pillow 13; tests/unit/test_photos.py checks real peaks against the budget):
- Pillow keeps 4 bytes a pixel for every multi-band mode (RGB too), 1 for L, P and 1.
- A sequential JPEG is decoded a band of rows at a time: nothing else of size.
- A progressive (or multi-scan) JPEG is buffered whole as DCT coefficients first: 2 bytes a coefficient, 64
  per 8×8 block of every component, at full size whatever the scale.
- WebP: libwebp decodes into its own canvas, Pillow copies that into a bytes object, then into the image —
  about 16 bytes a pixel in all.
"""

from __future__ import annotations

from typing import Final

from PIL import Image

_SCALES: Final = (1, 2, 4, 8)
_WEBP_EXTRA_PER_PIXEL: Final = 12  # libwebp's canvas and Pillow's copy of it, beside the image's 4
_OUTPUT_BYTES_PER_PIXEL: Final = 4


def fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def decode_scale(image: Image.Image, data: bytes, max_side: int, budget: int) -> int | None:
    """1, 2, 4 or 8 (decode at 1/n of the size), or None when even the smallest would not fit `budget`."""
    width, height = image.size
    jpeg = image.format in ("JPEG", "MPO")
    extra = 0
    if jpeg and buffered_whole(data):
        extra = coefficient_bytes(image)
    elif image.format == "WEBP":
        extra = _WEBP_EXTRA_PER_PIXEL * width * height
    per_pixel = 1 if image.mode in ("1", "L", "P") else 4
    for scale in _SCALES if jpeg else _SCALES[:1]:
        decoded_size = (_ceil(width, scale), _ceil(height, scale))
        decoded = per_pixel * decoded_size[0] * decoded_size[1]
        out_width, out_height = fit(decoded_size, max_side)
        resized = _OUTPUT_BYTES_PER_PIXEL * out_width * out_height
        if max(extra + decoded, decoded + resized) <= budget:
            return scale
    return None


def coefficient_bytes(image: Image.Image) -> int:
    """What libjpeg buffers for a progressive JPEG: every component's 8×8 blocks, 64 coefficients of 2 bytes."""
    width, height = image.size
    layers = getattr(image, "layer", None) or [(1, 1, 1, 0)] * 3  # (id, h, v, table); unknown: 3 full components
    h_max = max(layer[1] for layer in layers) or 1
    v_max = max(layer[2] for layer in layers) or 1
    blocks = sum(_ceil(_ceil(width * h, h_max), 8) * _ceil(_ceil(height * v, v_max), 8) for _, h, v, *_ in layers)
    return blocks * 64 * 2


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def buffered_whole(data: bytes) -> bool:
    """Whether libjpeg must buffer the whole image: progressive, or several scans (the first scan carries
    fewer components than the frame). Read from the markers before the first scan."""
    at, components, progressive = 2, 0, False
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        length = int.from_bytes(data[at + 2:at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a frame header (SOFn)
            progressive = marker in (0xC2, 0xC6, 0xCA, 0xCE)
            components = data[at + 9] if at + 9 < len(data) else 0
        elif marker == 0xDA:  # the first scan
            return progressive or at + 4 >= len(data) or data[at + 4] < components
        at += 2 + length
    return True  # no scan found: counted as the costly kind (load() will refuse it anyway)
