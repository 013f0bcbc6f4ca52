"""The payment card: one PNG with the QR code of a payment URI and, as text, what the buyer must check.

Pure: a `PaymentCard` in, PNG bytes out (call it through `asyncio.to_thread` from async code). Every
string arrives translated and formatted by the front-end; this module only lays it out, sized for a
phone screen: a large QR (error correction M, 4-module quiet zone), the amount in big bold type, then
network, shortened address and expiry.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Final

import qrcode  # type: ignore[import-untyped]  # qrcode ships no type information
import qrcode.base  # type: ignore[import-untyped]
import qrcode.exceptions  # type: ignore[import-untyped]
import qrcode.util  # type: ignore[import-untyped]
from PIL import Image

from media.drawing import (
    EDGE,
    INK,
    MUTED,
    NOTICE,
    NOTICE_INK,
    NOTICE_MUTED,
    PAPER,
    RULE,
    Draw,
    DrawOp,
    encode_png,
    fit_size,
    fit_text,
    paint,
    text_op,
    wrap_text,
)
from media.drawing import shorten_middle as shorten_address
from media.drawing import text_mask as _text_mask  # noqa: F401  # the name the card's tests clear the text cache by
from media.fonts import Style, font_for

WIDTH: Final = 720
MARGIN: Final = 40
QR_TARGET_PX: Final = 460  # the QR with its quiet zone; the light quiet zone blends into the card
QR_BORDER: Final = 4  # modules of quiet zone, as ISO/IEC 18004 asks

SHOP_SIZE: Final = 28
TITLE_SIZE: Final = 36
LABEL_SIZE: Final = 20
VALUE_SIZE: Final = 28
AMOUNT_SIZE: Final = 56
AMOUNT_MIN_SIZE: Final = 30
LINE_GAP: Final = 10
LABEL_COLUMN_MAX: Final = 200


@dataclass(frozen=True, slots=True)
class PaymentCard:
    uri: str  # exactly what the QR encodes (bitcoin:…, ethereum:…@1/transfer?…)
    amount: str  # formatted, e.g. "0.00123456 BTC"
    network: str  # translated, e.g. "USDT on Ethereum only"
    address: str  # full address; the card shows it shortened in the middle
    expires: str  # translated and formatted, e.g. "Pay by 14:30 (JST)"
    shop_name: str
    title: str  # e.g. "Order #42"
    labels: Mapping[str, str]  # translated small labels: "amount", "network", "address", "expires"


def render_payment_card(card: PaymentCard) -> bytes:
    """Draw `card` as a 720 px wide PNG; the same card always gives the same bytes.

    Raises qrcode's DataOverflowError for a URI beyond a QR code's capacity (about 2,300 bytes at level M).
    """
    ops: list[DrawOp] = []
    content = WIDTH - 2 * MARGIN

    header = 80
    ops.append(partial(Draw.rectangle, xy=(0, 0, WIDTH, header - 1), fill=INK))
    shop = font_for(card.shop_name, SHOP_SIZE, Style.BOLD)
    ops.append(text_op((MARGIN, header // 2), fit_text(card.shop_name, shop.font, content), shop, PAPER, "lm"))

    y = header + 28 + TITLE_SIZE
    title = font_for(card.title, TITLE_SIZE, Style.BOLD)
    ops.append(text_op((MARGIN, y), fit_text(card.title, title.font, content), title, INK, "ls"))

    qr = qr_image(card.uri)
    qr_top = y + 8
    ops.append(partial(Draw.bitmap, xy=((WIDTH - qr.width) // 2, qr_top), bitmap=qr, fill=INK))
    y = qr_top + qr.height + LABEL_SIZE - 4  # the quiet zone already spaces the label from the code

    amount_label = card.labels.get("amount", "")
    if amount_label:
        label = font_for(amount_label, LABEL_SIZE)
        ops.append(text_op((WIDTH // 2, y), fit_text(amount_label, label.font, content), label, MUTED, "ms"))
    amount, amount_text = fit_size(card.amount, content, AMOUNT_SIZE, AMOUNT_MIN_SIZE)
    y += 16 + AMOUNT_SIZE
    ops.append(text_op((WIDTH // 2, y), amount_text, amount, INK, "ms"))

    y += 28
    ops.append(partial(Draw.line, xy=(MARGIN, y, WIDTH - MARGIN, y), fill=RULE, width=2))
    y += 14

    rows = (("network", card.network, Style.REGULAR, 2), ("address", shorten_address(card.address), Style.MONO, 1),
            ("expires", card.expires, Style.REGULAR, 2))
    label_fonts = {key: font_for(card.labels.get(key, ""), LABEL_SIZE) for key, *_ in rows}
    label_width = min(LABEL_COLUMN_MAX, max(int(choice.font.getlength(card.labels.get(key, "")))
                                            for key, choice in label_fonts.items()))
    value_x = MARGIN + label_width + 20
    line_height = VALUE_SIZE + LINE_GAP
    for key, value, style, max_lines in rows:
        value_font = font_for(value, VALUE_SIZE, style)
        lines = wrap_text(value, value_font.font, WIDTH - MARGIN - value_x, max_lines)
        row_height = len(lines) * line_height + 2 * LINE_GAP
        if key == "network":
            box = (MARGIN - 14, y, WIDTH - MARGIN + 14, y + row_height)
            ops.append(partial(Draw.rounded_rectangle, xy=box, radius=10, fill=NOTICE, outline=EDGE, width=2))
        baseline = y + LINE_GAP + VALUE_SIZE
        label_text = fit_text(card.labels.get(key, ""), label_fonts[key].font, label_width)
        ink, muted = (NOTICE_INK, NOTICE_MUTED) if key == "network" else (INK, MUTED)
        ops.append(text_op((MARGIN, baseline), label_text, label_fonts[key], muted, "ls"))
        for index, line in enumerate(lines):
            ops.append(text_op((value_x, baseline + index * line_height), line, value_font, ink, "ls"))
        y += row_height + 8

    return encode_png(paint(ops, WIDTH, y + MARGIN - 8))


# ---- QR code --------------------------------------------------------------------------------------------

def qr_matrix(data: str) -> list[list[bool]]:
    """The modules of `data` as a QR code (error correction M, smallest version), quiet zone included."""
    code = _FastMaskQRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QR_BORDER)
    code.add_data(data)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    return matrix


def qr_image(data: str) -> Image.Image:
    """A mask of the code (255 = dark module), whole pixels per module, at most QR_TARGET_PX wide."""
    matrix = qr_matrix(data)
    modules = len(matrix)
    box = max(2, QR_TARGET_PX // modules)
    small = Image.frombytes("L", (modules, modules), b"".join(bytes(row) for row in matrix).translate(_DARK_TO_255))
    return small.resize((modules * box, modules * box), Image.Resampling.NEAREST)


_DARK_TO_255: Final = bytes([0, 255]) + bytes(254)


class _FastMaskQRCode(qrcode.QRCode):  # type: ignore[misc]  # qrcode is untyped, so its classes are Any
    """qrcode's encoder and module layout, with its two slow steps done on whole integers.

    qrcode appends data one bit at a time, computes Reed–Solomon codes with polynomial objects, and
    scores the eight masks module by module (about 9 ms for a version 7 code, most of a card's
    budget). Here the bit stream and the remainders are integers, and all masks are scored on one
    big integer with the same ISO/IEC 18004 penalty rules and tie-break (lowest mask wins), so the
    matrix is the one qrcode itself would make; a unit test compares them.
    """

    modules: list[list[bool]]  # after makeImpl: True for a dark module

    def best_fit(self, start: int | None = None) -> int:
        version = start or 1
        while True:  # the length fields widen at versions 10 and 27, which can push the data up a version
            needed = self._bits(version).length
            fitted = bisect_left(qrcode.util.BIT_LIMIT_TABLE[self.error_correction], needed, version)
            if fitted > 40:
                raise qrcode.exceptions.DataOverflowError(f"{needed} bits do not fit in a QR code")
            if qrcode.util.mode_sizes_for_version(fitted) is qrcode.util.mode_sizes_for_version(version):
                self.version = fitted
                return fitted
            version = fitted

    def make(self, fit: bool = True) -> None:
        if fit or self._version is None:
            self.best_fit(start=self._version)
        self.data_cache = _codewords(self._bits(self.version), self.version, self.error_correction)
        self.makeImpl(True, 0)  # data masked with mask 0, format and version areas left light
        tables = _mask_tables(self.version)
        lines = b"".join(bytes(line) + _SEPARATOR for line in (*self.modules, *zip(*self.modules, strict=True)))
        unmasked = int.from_bytes(lines)
        penalties = [_penalty(unmasked ^ flip, tables) for flip in tables.flips]
        mask = penalties.index(min(penalties))
        # Re-mask what is already laid out instead of laying the data out again; then the real format bits.
        remasked = (unmasked ^ tables.flips[mask]).to_bytes(len(lines))
        stride = tables.size + 1
        self.modules = [list(map(bool, remasked[row * stride:row * stride + tables.size]))
                        for row in range(tables.size)]
        self.setup_type_info(False, mask)
        if self.version >= 7:
            self.setup_type_number(False)

    def _bits(self, version: int) -> _BitStream:
        bits = _BitStream()
        for segment in self.data_list:
            bits.put(segment.mode, 4)
            bits.put(len(segment), qrcode.util.length_in_bits(segment.mode, version))
            segment.write(bits)
        return bits


class _BitStream:
    """The part of qrcode's BitBuffer that its segments write to, appending whole fields to one integer."""

    __slots__ = ("length", "value")

    def __init__(self) -> None:
        self.value = 0
        self.length = 0

    def put(self, number: int, length: int) -> None:
        self.value = (self.value << length) | (number & ((1 << length) - 1))
        self.length += length

    def __len__(self) -> int:
        return self.length


def _codewords(bits: _BitStream, version: int, error_correction: int) -> list[int]:
    """Data and error-correction codewords, interleaved by block, as qrcode.util.create_data makes them."""
    blocks = qrcode.base.rs_blocks(version, error_correction)
    capacity = sum(block.data_count for block in blocks)
    bits.put(0, min(capacity * 8 - bits.length, 4))  # terminator
    bits.put(0, -bits.length % 8)
    data = bits.value.to_bytes(bits.length // 8)
    data += (bytes([qrcode.util.PAD0, qrcode.util.PAD1]) * capacity)[:capacity - len(data)]
    data_blocks: list[bytes] = []
    ec_blocks: list[bytes] = []
    for block in blocks:
        chunk, data = data[:block.data_count], data[block.data_count:]
        data_blocks.append(chunk)
        ec_blocks.append(_reed_solomon(chunk, block.total_count - block.data_count))
    return [block[index] for blocks_ in (data_blocks, ec_blocks) for index in range(max(map(len, blocks_)))
            for block in blocks_ if index < len(block)]


def _reed_solomon(data: bytes, ec_count: int) -> bytes:
    """The remainder of data·x^ec_count divided by the generator polynomial: one table lookup per byte."""
    table = _rs_table(ec_count)
    top = 8 * (ec_count - 1)
    keep = (1 << top) - 1
    remainder = 0
    for byte in data:
        remainder = ((remainder & keep) << 8) ^ table[byte ^ (remainder >> top)]
    return remainder.to_bytes(ec_count)


@lru_cache(maxsize=32)
def _rs_table(ec_count: int) -> tuple[int, ...]:
    """For each factor f: f × (the generator polynomial without its leading 1), as an ec_count-byte int."""
    log, exp = qrcode.base.LOG_TABLE, qrcode.base.EXP_TABLE
    generator = [1]
    for power in range(ec_count):  # ∏ (x − α^power)
        root = exp[power]
        generator = [high ^ (_gf_multiply(low, root, log, exp)) for high, low in
                     zip([*generator, 0], [0, *generator], strict=True)]
    return tuple(int.from_bytes(bytes(_gf_multiply(coefficient, factor, log, exp) for coefficient in generator[1:]))
                 for factor in range(256))


def _gf_multiply(a: int, b: int, log: list[int], exp: list[int]) -> int:
    return 0 if a == 0 or b == 0 else exp[(log[a] + log[b]) % 255]


# A matrix for scoring is one big integer: every row, then every column, one byte (0 light, 1 dark) per
# module, each line followed by a separator byte. Shifting by one byte reaches the left (or upper) neighbour.
_SEPARATOR: Final = b"\x02"
_FINDER_LIKE: Final = bytes([1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0])


@dataclass(frozen=True, slots=True)
class _MaskTables:
    size: int
    flips: tuple[int, ...]  # per mask: the data modules where it differs from mask 0
    has_left: int  # 1 at every module with a left neighbour in its line
    has_upper: int  # 1 at every row module below the first row
    row_modules: int  # 1 at every module of the rows half


def _penalty(lines: int, tables: _MaskTables) -> int:
    same_left = ~(lines ^ (lines >> 8)) & tables.has_left
    # N1: each run of 5+ same-coloured modules in a line scores its length − 2: one point for each
    # 5-module window inside it, plus two for its first window.
    windows = same_left & (same_left >> 8) & (same_left >> 16) & (same_left >> 24)
    score = windows.bit_count() + 2 * (windows & ~(windows >> 8)).bit_count()
    # N2: 3 points for each 2×2 block of one colour.
    same_upper = ~(lines ^ (lines >> 8 * (tables.size + 1))) & tables.has_upper
    score += 3 * (same_upper & (same_upper >> 8) & same_left).bit_count()
    # N3: 40 points for each 1:1:3:1:1 finder look-alike with four light modules on one side.
    data = lines.to_bytes(2 * tables.size * (tables.size + 1))
    score += 40 * (data.count(_FINDER_LIKE) + data.count(_FINDER_LIKE[::-1]))
    # N4: 10 points per 5 % away from half dark, with the same float arithmetic as qrcode.
    dark = (lines & tables.row_modules).bit_count()
    return score + 10 * int(abs(dark / (tables.size * tables.size) * 100 - 50) / 5)


@lru_cache(maxsize=40)
def _mask_tables(version: int) -> _MaskTables:
    size = version * 4 + 17
    blank = qrcode.QRCode(version=version, error_correction=qrcode.constants.ERROR_CORRECT_M)
    blank.modules_count = size
    blank.modules = [[None] * size for _ in range(size)]
    for row, column in ((0, 0), (size - 7, 0), (0, size - 7)):
        blank.setup_position_probe_pattern(row, column)
    blank.setup_position_adjust_pattern()
    blank.setup_timing_pattern()
    blank.setup_type_info(True, 0)  # format and version areas (and the dark module) are not data
    if version >= 7:
        blank.setup_type_number(True)
    is_data = [[module is None for module in row] for row in blank.modules]

    def as_lines(grid: list[list[bool]]) -> int:
        return int.from_bytes(b"".join(bytes(line) + b"\x00" for line in (*grid, *zip(*grid, strict=True))))

    masks = [qrcode.util.mask_func(pattern) for pattern in range(8)]
    flips = tuple(as_lines([[is_data[i][j] and mask(i, j) != masks[0](i, j) for j in range(size)]
                            for i in range(size)]) for mask in masks)
    line = b"\x00" + b"\x01" * (size - 1) + b"\x00"
    empty = bytes(size + 1)
    return _MaskTables(
        size=size,
        flips=flips,
        has_left=int.from_bytes(line * (2 * size)),
        has_upper=int.from_bytes(empty + (b"\x01" * size + b"\x00") * (size - 1) + empty * size),
        row_modules=int.from_bytes((b"\x01" * size + b"\x00") * size + empty * size),
    )
