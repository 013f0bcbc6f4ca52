"""Benchmarks (docs/architecture.md#performance). aiogram is imported first as `chatshop run` imports it
(bots/lazy_aiogram.py)."""

from bots.lazy_aiogram import import_aiogram

import_aiogram()
