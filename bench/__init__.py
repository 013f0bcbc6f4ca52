"""Benchmarks (DESIGN.md §9). aiogram is imported first as `chatshop run` imports it (bots/lazy_aiogram.py)."""

from bots.lazy_aiogram import import_aiogram

import_aiogram()
