"""The chat front-ends (Telegram, Discord), the CLI and what they share.

aiogram is imported here, before any front-end module can, so that its types build on first use
(bots/lazy_aiogram.py): a second off `chatshop run`'s start-up and ~100 MB off its memory.
"""

from bots.lazy_aiogram import import_aiogram

import_aiogram()
