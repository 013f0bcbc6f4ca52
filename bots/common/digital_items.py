"""Reading a seller's upload of digital items (.txt: one a line; .csv: the first column), the same on every
front-end: bounded in size, UTF-8 text only. The core then skips blanks and repeats and counts them."""

from __future__ import annotations

import csv
import io
from typing import Final

from bots.i18n import Translator
from commerce.catalog import DigitalImport

UPLOAD_MAX_BYTES: Final = 256 * 1024
# A first CSV cell that names the column rather than being an item.
_HEADERS: Final = frozenset({"code", "codes", "key", "keys", "item", "items", "content", "license", "licence",
                             "serial", "serials", "コード", "キー", "シリアル", "アイテム"})


class UnreadableUpload(Exception):
    """The upload is not a text list we can read: `reason` is `too_large` or `not_text`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_items(data: bytes, file_name: str | None) -> list[str]:
    """The lines of a .txt, or the first column of a .csv (its header row dropped), blank ones kept for counting."""
    if len(data) > UPLOAD_MAX_BYTES:
        raise UnreadableUpload("too_large")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableUpload("not_text") from None
    if "\x00" in text or any(ord(c) < 32 and c not in "\t\r\n" for c in text):
        raise UnreadableUpload("not_text")
    if not (file_name or "").lower().endswith(".csv"):
        return text.splitlines()
    try:
        rows = [row[0] if row else "" for row in csv.reader(io.StringIO(text))]
    except csv.Error:
        raise UnreadableUpload("not_text") from None
    if rows and rows[0].strip().casefold() in _HEADERS:
        rows = rows[1:]
    return rows


def import_report(translator: Translator, locale: str, result: DigitalImport) -> str:
    """What an import did, in words: added and the new stock, then each kind of skipped line."""
    lines = [translator.text(locale, "sell.digital.added", count=result.added, stock=result.stock)]
    for key, count in (("sell.digital.skipped_blank", result.blank),
                       ("sell.digital.skipped_duplicates", result.duplicates),
                       ("sell.digital.skipped_stored", result.already_stored)):
        if count:
            lines.append(translator.text(locale, key, count=count))
    return "\n".join(lines)
