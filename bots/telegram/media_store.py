"""Moved to `bots.common.media_store` (the Discord front-end reads the same photos); kept importable here."""

from bots.common.media_store import FILE_ID_INDEX, MediaStore, reference_for

__all__ = ["FILE_ID_INDEX", "MediaStore", "reference_for"]
