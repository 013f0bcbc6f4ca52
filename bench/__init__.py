"""Benchmarks (DESIGN.md §9). `bots` is imported first, as `chatshop run` imports aiogram (bots/lazy_aiogram.py)."""

import bots  # noqa: F401 — for its import of aiogram
