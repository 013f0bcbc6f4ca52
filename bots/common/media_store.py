"""Processed product photos on disk, named by content hash (every front-end reads them), plus the Telegram
file_id to re-send each one.

A reference ("m/<sha256>.jpg") is what the catalog stores; the same photo uploaded twice is one file.
After the first upload Telegram gives the photo a file_id; sending that id instead of the bytes is instant.
The ids are kept in memory and appended to a small index file beside the photos, so a restart does not
upload every photo again. No table, no migration: losing the file only costs one upload per photo, and a
file_id Telegram no longer accepts (another bot token) is forgotten and replaced by the caller.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Final

from commerce.storage.private_files import PRIVATE_FILE, private_mkdir
from media.photos import ProcessedPhoto

_REFERENCE: Final = re.compile(r"m/([0-9a-f]{64})\.jpg")
_FILE_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,200}")
FILE_ID_INDEX: Final = "telegram-file-ids.tsv"  # "<reference>\t<file_id>" lines; the last line for a reference wins


def reference_for(photo: ProcessedPhoto) -> str:
    return f"m/{photo.sha256}.jpg"


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._file_ids: dict[str, str] = {}
        self._index_loaded = False

    def path_for(self, reference: str) -> Path:
        """The file behind a reference; anything not shaped like one of ours (`../`, absolute) is refused."""
        if not _REFERENCE.fullmatch(reference):
            raise ValueError(f"not a media reference: {reference[:80]!r}")
        return self.root / reference

    async def save(self, photo: ProcessedPhoto) -> str:
        reference = reference_for(photo)
        await asyncio.to_thread(self._write, self.path_for(reference), photo.jpeg)
        return reference

    async def read(self, reference: str) -> bytes:
        return await asyncio.to_thread(self.path_for(reference).read_bytes)

    async def remember_file_id(self, reference: str, file_id: str) -> None:
        """Only for a file_id whose content is the processed photo (never the seller's original upload)."""
        self.path_for(reference)  # refuses anything that is not one of our references
        if not _FILE_ID.fullmatch(file_id) or self._file_ids.get(reference) == file_id:
            return
        self._file_ids[reference] = file_id
        await asyncio.to_thread(self._append_to_index, reference, file_id)

    async def file_id_for(self, reference: str) -> str | None:
        if not self._index_loaded:
            self._file_ids = {**await asyncio.to_thread(self._read_index), **self._file_ids}
            self._index_loaded = True
        return self._file_ids.get(reference)

    def forget_file_id(self, reference: str, file_id: str) -> None:
        """Telegram refused this id: the next send uploads the photo again (and remembers the new id)."""
        if self._file_ids.get(reference) == file_id:
            del self._file_ids[reference]

    def _read_index(self) -> dict[str, str]:
        try:
            lines = (self.root / FILE_ID_INDEX).read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return {}
        found: dict[str, str] = {}
        for line in lines:  # a torn last line (a crash mid-append) or a stray edit is skipped, not fatal
            reference, _, file_id = line.partition("\t")
            if _REFERENCE.fullmatch(reference) and _FILE_ID.fullmatch(file_id):
                found[reference] = file_id
        return found

    def _append_to_index(self, reference: str, file_id: str) -> None:
        private_mkdir(self.root)
        fd = os.open(self.root / FILE_ID_INDEX, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
        with open(fd, "a", encoding="utf-8") as index:
            index.write(f"{reference}\t{file_id}\n")

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        if path.exists():  # same hash, same bytes
            return
        private_mkdir(path.parent)
        # Write then rename, so a reader never sees half a photo and a crash leaves no torn file (0600, by mkstemp).
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
