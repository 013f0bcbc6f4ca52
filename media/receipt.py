"""The receipt (領収書) or qualified invoice (適格請求書): one portrait PNG, or a one-page PDF of the same drawing.

Pure: a `Receipt` in, bytes out (call it through `asyncio.to_thread` from async code). Every string
arrives translated and formatted by the front-end — money included, in the buyer's language; this module
only lays it out, in the payment card's family: the shop's name on an ink band, the title in bold, the
total large in a light panel, then the lines, the summary, the tax breakdown and the footer notes.

The image is 720 px wide and grows with the lines. Past `MAX_LINES` lines it shows the first ones and a
"… and N more" row; the summary, tax and footer sections keep their first `MAX_ROWS` / `MAX_FOOTER` rows.
Long words in the footer (transaction ids, addresses) are shortened in the middle, as the card shortens
the address; any other text too long for its place is wrapped or ellipsized.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import partial
from typing import Final

from PIL import Image

from media.drawing import (
    INK,
    MUTED,
    PANEL,
    PAPER,
    RULE,
    Draw,
    DrawOp,
    encode_png,
    fit_size,
    fit_text,
    paint,
    shorten_middle,
    text_op,
    wrap_text,
)
from media.fonts import Style, font_for

WIDTH: Final = 720
MARGIN: Final = 40
CONTENT: Final = WIDTH - 2 * MARGIN

MAX_LINES: Final = 60
MAX_ROWS: Final = 12  # summary and tax rows each
MAX_FOOTER: Final = 8
# With every section full and every text at its longest, the image stays within 9,280 px: the tallest photo
# a Telegram chat takes at this width (width + height ≤ 10,000). A test checks it.

SHOP_SIZE: Final = 28
TITLE_SIZE: Final = 36
META_SIZE: Final = 20  # registration number, receipt number, date, footer notes, line details
CUSTOMER_SIZE: Final = 28
BODY_SIZE: Final = 24  # line titles and amounts, summary rows
TOTAL_SIZE: Final = 56
TOTAL_MIN_SIZE: Final = 30
COLUMN_GAP: Final = 24
AMOUNT_COLUMN_MAX: Final = CONTENT * 9 // 20  # an amount column wider than this is ellipsized

# A word this long in the footer is an id (a transaction hash, an address): shown as its two ends.
LONG_WORD: Final = re.compile(r"[0-9A-Za-z]{25,}")

# One page as wide as A4 (210 mm), as tall as the drawing.
PDF_RESOLUTION: Final = WIDTH / (210 / 25.4)
PDF_JPEG_QUALITY: Final = 90  # Pillow stores a PDF page as JPEG; at 90, without chroma subsampling, text stays crisp


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    title: str  # e.g. "Arita mug (blue)"
    detail: str  # e.g. "¥1,200 × 2  ※" (※: a reduced-rate item)
    amount: str  # e.g. "¥2,400"


@dataclass(frozen=True, slots=True)
class Receipt:
    title: str  # "領収書", "適格請求書", "Receipt", "Qualified invoice"
    shop_name: str
    registration: str  # e.g. "登録番号 T1234567890123"; "" when the shop has none
    number: str  # e.g. "No. 42"
    issued: str  # the date, formatted
    customer: str  # e.g. "山田太郎 様"; "" for none
    lines: tuple[ReceiptLine, ...]
    summary: tuple[tuple[str, str], ...]  # (label, amount): 小計, 割引 (SPRING10), 送料 (本州), 合計 …
    taxes: tuple[tuple[str, str], ...]  # (label, amount): ("10%対象 ¥5,500", "内消費税 ¥500") …
    total_label: str
    total: str
    footer: tuple[str, ...] = ()  # payment method, "Tx: 0x…", "※は軽減税率(8%)対象", notes
    more_lines: str = "… +{count}"  # shown past MAX_LINES; {count} is the number left out


def render_receipt_png(receipt: Receipt) -> bytes:
    """Draw `receipt` as a 720 px wide PNG; the same receipt always gives the same bytes."""
    return encode_png(_draw(receipt))


def render_receipt_pdf(receipt: Receipt) -> bytes:
    """The same drawing as a one-page PDF (the page holds the image; its text is not selectable)."""
    out = io.BytesIO()
    # No creation date: the same receipt gives the same bytes, and rendering reads no clock.
    _draw(receipt).convert("RGB").save(out, "PDF", resolution=PDF_RESOLUTION, title=receipt.title,
                                       creationDate=None, modDate=None,
                                       quality=PDF_JPEG_QUALITY, subsampling=0)
    return out.getvalue()


def shorten_long_words(text: str) -> str:
    """`Tx: 0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060` → `Tx: 0x5c504ed4…a1b22060`."""
    return LONG_WORD.sub(lambda word: shorten_middle(word.group()), text)


class _Sheet:
    """Drawing operations collected top to bottom; `y` is where the next thing goes."""

    def __init__(self) -> None:
        self.ops: list[DrawOp] = []
        self.y = 0

    def text(self, x: int, text: str, size: int, fill: int, anchor: str = "ls",
             style: Style = Style.REGULAR, max_width: int = CONTENT) -> None:
        """One line at baseline `y`, ellipsized to `max_width`."""
        if text:
            choice = font_for(text, size, style)
            self.ops.append(text_op((x, self.y), fit_text(text, choice.font, max_width), choice, fill, anchor))

    def paragraph(self, x: int, text: str, size: int, fill: int, max_width: int, max_lines: int,
                  style: Style = Style.REGULAR) -> int:
        """Lines wrapped to `max_width`, the first baseline at `y + size`; returns the height used."""
        choice = font_for(text, size, style)
        lines = wrap_text(text, choice.font, max_width, max_lines)
        step = _line_step(size)
        for index, line in enumerate(lines):
            if line:
                self.ops.append(text_op((x, self.y + size + index * step), line, choice, fill, "ls"))
        return size + (len(lines) - 1) * step

    def row(self, label: str, amount: str, size: int, fill: int, label_lines: int = 2) -> None:
        """`label` on the left (wrapped), `amount` right-aligned on its first line; moves `y` below both."""
        amount_width = _amount_width(amount, size)
        top = self.y
        height = self.paragraph(MARGIN, label, size, fill, CONTENT - amount_width - COLUMN_GAP, label_lines)
        self.y = top + size
        self.text(WIDTH - MARGIN, amount, size, fill, "rs", max_width=amount_width)
        self.y = top + height

    def rule(self, fill: int = RULE, width: int = 2) -> None:
        self.ops.append(partial(Draw.line, xy=(MARGIN, self.y, WIDTH - MARGIN, self.y), fill=fill, width=width))


def _line_step(size: int) -> int:
    return size * 4 // 3


def _amount_width(amount: str, size: int) -> int:
    if not amount:
        return 0
    return min(AMOUNT_COLUMN_MAX, int(font_for(amount, size).font.getlength(amount)) + 1)


def _draw(receipt: Receipt) -> Image.Image:
    sheet = _Sheet()
    _header(sheet, receipt)
    _total(sheet, receipt)
    _lines(sheet, receipt)
    _summary(sheet, receipt)
    _footer(sheet, receipt)
    return paint(sheet.ops, WIDTH, sheet.y + MARGIN)


def _header(sheet: _Sheet, receipt: Receipt) -> None:
    band = 108 if receipt.registration else 80  # the issuer and its registration number belong together
    sheet.ops.append(partial(Draw.rectangle, xy=(0, 0, WIDTH, band - 1), fill=INK))
    sheet.y = 38 if receipt.registration else band // 2
    sheet.text(MARGIN, receipt.shop_name, SHOP_SIZE, PAPER, "lm", Style.BOLD)
    if receipt.registration:
        sheet.y = 78
        sheet.text(MARGIN, receipt.registration, META_SIZE, RULE, "lm")

    sheet.y = band + 20
    sheet.y += sheet.paragraph(MARGIN, receipt.title, TITLE_SIZE, INK, CONTENT, 2, Style.BOLD) + 16

    number, issued = font_for(receipt.number, META_SIZE), font_for(receipt.issued, META_SIZE)
    both = number.font.getlength(receipt.number) + COLUMN_GAP + issued.font.getlength(receipt.issued)
    sheet.y += META_SIZE
    if both <= CONTENT:
        sheet.text(MARGIN, receipt.number, META_SIZE, MUTED)
        sheet.text(WIDTH - MARGIN, receipt.issued, META_SIZE, MUTED, "rs")
    else:
        sheet.text(MARGIN, receipt.number, META_SIZE, MUTED)
        sheet.y += _line_step(META_SIZE)
        sheet.text(MARGIN, receipt.issued, META_SIZE, MUTED)

    if receipt.customer:
        sheet.y += 20
        sheet.y += sheet.paragraph(MARGIN, receipt.customer, CUSTOMER_SIZE, INK, CONTENT, 2) + 10
        sheet.rule(INK, 2)  # the addressee is underlined, as on a paper receipt
    sheet.y += 24


def _total(sheet: _Sheet, receipt: Receipt) -> None:
    top = sheet.y
    box = (MARGIN - 14, top, WIDTH - MARGIN + 14, top + 16 + META_SIZE + 16 + TOTAL_SIZE + 24)
    sheet.ops.append(partial(Draw.rounded_rectangle, xy=box, radius=10, fill=PANEL))
    sheet.y += 16 + META_SIZE
    sheet.text(WIDTH // 2, receipt.total_label, META_SIZE, MUTED, "ms", max_width=CONTENT - 32)
    choice, total = fit_size(receipt.total, CONTENT - 32, TOTAL_SIZE, TOTAL_MIN_SIZE)
    sheet.y += 16 + TOTAL_SIZE
    sheet.ops.append(text_op((WIDTH // 2, sheet.y), total, choice, INK, "ms"))
    sheet.y = box[3] + 28


def _lines(sheet: _Sheet, receipt: Receipt) -> None:
    shown = receipt.lines[:MAX_LINES]
    for index, line in enumerate(shown):
        if index:
            sheet.y += 12
            sheet.rule(RULE, 1)
        sheet.y += 12
        sheet.row(line.title, line.amount, BODY_SIZE, INK)
        if line.detail:
            sheet.y += 8
            sheet.y += sheet.paragraph(MARGIN, line.detail, META_SIZE, MUTED, CONTENT, 1)
    left_out = len(receipt.lines) - len(shown)
    if left_out:
        sheet.y += 16 + META_SIZE
        # replace, not format: a stray brace in a translation must not cost the buyer the receipt
        sheet.text(MARGIN, receipt.more_lines.replace("{count}", str(left_out)), META_SIZE, MUTED)
    sheet.y += 20
    sheet.rule()
    sheet.y += 8


def _summary(sheet: _Sheet, receipt: Receipt) -> None:
    for label, amount in receipt.summary[:MAX_ROWS]:
        sheet.y += 12
        sheet.row(label, amount, BODY_SIZE, INK)
    taxes = receipt.taxes[:MAX_ROWS]
    if taxes:
        sheet.y += 12
    for label, amount in taxes:
        sheet.y += 8
        sheet.row(label, amount, META_SIZE, MUTED)


def _footer(sheet: _Sheet, receipt: Receipt) -> None:
    notes = [note for note in receipt.footer[:MAX_FOOTER] if note.strip()]
    if not notes:
        return
    sheet.y += 20
    sheet.rule()
    sheet.y += 4
    for note in notes:
        sheet.y += 8
        sheet.y += sheet.paragraph(MARGIN, shorten_long_words(note), META_SIZE, MUTED, CONTENT, 2)
