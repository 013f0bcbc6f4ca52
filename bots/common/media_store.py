"""Processed product photos on disk, named by content hash, plus the Telegram file_id to re-send each one.

A reference ("m/<sha256>.jpg") is what the catalog stores; the same photo uploaded twice is one file.
file_ids are remembered in-process only for now: after a restart the photo is uploaded again from disk.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Final

from media.photos import ProcessedPhoto

_REFERENCE: Final = re.compile(r"m/([0-9a-f]{64})\.jpg")


def reference_for(photo: ProcessedPhoto) -> str:
    return f"m/{photo.sha256}.jpg"


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._file_ids: dict[str, str] = {}

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

    def remember_file_id(self, reference: str, file_id: str) -> None:
        """Only for a file_id whose content is the processed photo (never the seller's original upload)."""
        self._file_ids[reference] = file_id

    def file_id_for(self, reference: str) -> str | None:
        return self._file_ids.get(reference)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        if path.exists():  # same hash, same bytes
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a reader never sees half a photo and a crash leaves no torn file.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
