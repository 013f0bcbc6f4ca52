"""Moved to `bots.common.media_store` (the Discord front-end reads the same photos); kept importable here."""

from bots.common.media_store import MediaStore, reference_for

__all__ = ["MediaStore", "reference_for"]
