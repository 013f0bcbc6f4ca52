"""What the payment card and the receipt share: one palette, text fitted to a width, text drawn from cached masks.

An image is drawn in mode "L" whose values are palette indexes, and saved as a palette PNG: Pillow filters
no palette PNG, which makes encoding about four times faster than RGB. Antialiased text blends index
values linearly, so every ink/background pair that text is drawn with lies on one gradient of the palette.

A layout is a list of drawing operations collected while the height is still growing; `paint` makes the
image once the height is known and replays them.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from functools import lru_cache, partial
from typing import Final

from PIL import Image, ImageDraw

from media.fonts import Font, FontChoice, Style, font_for

Draw = ImageDraw.ImageDraw
DrawOp = Callable[[Draw], None]

ELLIPSIS: Final = "…"
PNG_COMPRESS_LEVEL: Final = 3  # as fast as level 1 here and 20 % smaller; level 9 costs several ms more

Rgb = tuple[int, int, int]
INK_RGB: Final[Rgb] = (17, 24, 39)
PAPER_RGB: Final[Rgb] = (255, 255, 255)
NOTICE_RGB: Final[Rgb] = (254, 243, 199)  # behind what the buyer must not get wrong (the card's network)
EDGE_RGB: Final[Rgb] = (217, 119, 6)

INK: Final = 128  # 128…255: ink → paper (body text, QR modules, the header band and its white text)
PAPER: Final = 255
MUTED: Final = 160  # labels: (74, 80, 93), 7.9:1 on paper
RULE: Final = 232
PANEL: Final = 244  # a light band on paper; ink text on it stays on the ink → paper gradient
NOTICE_INK: Final = 16  # 16…127: ink → notice background
NOTICE: Final = 127
NOTICE_MUTED: Final = 49  # labels on the notice background: (88, 90, 87)
EDGE: Final = 1


def _gradient(start: Rgb, end: Rgb, steps: int) -> bytes:
    return bytes(round(a + (b - a) * step / (steps - 1))
                 for step in range(steps) for a, b in zip(start, end, strict=True))


PALETTE: Final = (bytes(3) + bytes(EDGE_RGB) + bytes(3 * (NOTICE_INK - 2))
                  + _gradient(INK_RGB, NOTICE_RGB, NOTICE - NOTICE_INK + 1)
                  + _gradient(INK_RGB, PAPER_RGB, PAPER - INK + 1))


def paint(ops: Iterable[DrawOp], width: int, height: int) -> Image.Image:
    """A `width` × `height` palette image on paper with `ops` drawn on it in order."""
    image = Image.new("L", (width, height), PAPER)
    draw = ImageDraw.Draw(image)
    for op in ops:
        op(draw)
    image.putpalette(PALETTE)
    return image


def encode_png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


def shorten_middle(text: str, head: int = 10, tail: int = 8) -> str:
    """`bc1qcr8te4kr…8z306fyu`-style: the ends a person compares against a wallet, the middle elided."""
    text = text.strip()
    if len(text) <= head + tail + 1:
        return text
    return f"{text[:head]}{ELLIPSIS}{text[-tail:]}"


def fit_text(text: str, font: Font, max_width: float) -> str:
    """`text`, cut and ended with an ellipsis when it is wider than `max_width` pixels."""
    if font.getlength(text) <= max_width:
        return text
    return text[:_longest_prefix(text, font, max_width, ELLIPSIS)].rstrip() + ELLIPSIS


def wrap_text(text: str, font: Font, max_width: float, max_lines: int) -> list[str]:
    """Greedy line breaking at spaces (anywhere for Japanese); the last line is ellipsized if text is left."""
    lines: list[str] = []
    rest = " ".join(text.split())
    while rest and len(lines) < max_lines - 1 and font.getlength(rest) > max_width:
        fitting = max(1, _longest_prefix(rest, font, max_width, ""))
        space = rest.rfind(" ", 0, fitting + 1)
        cut = space if space > 0 else fitting
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not lines:
        lines.append(fit_text(rest, font, max_width))
    return lines


def _longest_prefix(text: str, font: Font, max_width: float, suffix: str) -> int:
    """The largest k with text[:k] + suffix no wider than max_width (binary search: names can be long)."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(text[:middle] + suffix) <= max_width:
            low = middle
        else:
            high = middle - 1
    return low


def fit_size(text: str, max_width: float, largest: int, smallest: int,
             style: Style = Style.BOLD) -> tuple[FontChoice, str]:
    """The largest size (in steps of 4) that fits `text` whole; at the smallest it is ellipsized instead."""
    for size in range(largest, smallest - 1, -4):
        choice = font_for(text, size, style)
        if choice.font.getlength(text) <= max_width:
            return choice, text
    return choice, fit_text(text, choice.font, max_width)


def text_op(xy: tuple[int, int], text: str, choice: FontChoice, fill: int, anchor: str) -> DrawOp:
    mask, (left, top) = text_mask(text, choice, anchor)
    return partial(Draw.bitmap, xy=(xy[0] + left, xy[1] + top), bitmap=mask, fill=fill)


@lru_cache(maxsize=256)
def text_mask(text: str, choice: FontChoice, anchor: str) -> tuple[Image.Image, tuple[int, int]]:
    """`text` rendered once as a coverage mask, and its offset from the anchor point.

    FreeType renders every glyph on every call; the shop name, labels and network line are the same
    on every card of a shop, so they are rendered once.
    """
    stroke = 1 if choice.fake_bold else 0  # a stroke of the text's own colour thickens a regular face
    left, top, right, bottom = choice.font.getbbox(text, anchor=anchor, stroke_width=stroke)
    mask = Image.new("L", (max(1, int(right - left)), max(1, int(bottom - top))))
    ImageDraw.Draw(mask).text((-left, -top), text, font=choice.font, fill=255, anchor=anchor,
                              stroke_width=stroke, stroke_fill=255)
    return mask, (int(left), int(top))
