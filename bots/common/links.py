"""Links that open the shop from outside a chat, for any front-end to show (no chat framework imported).

The Telegram deep link is parsed by `bots.telegram.deep_links`; a test keeps the two in step.
"""

from __future__ import annotations


def telegram_product_link(bot_username: str, product_id: int) -> str:
    """`https://t.me/<bot>?start=p_<id>`: opens the product card in the Telegram bot."""
    return f"https://t.me/{bot_username}?start=p_{product_id}"


def telegram_coupon_link(bot_username: str, code: str) -> str:
    """`https://t.me/<bot>?start=c_<CODE>`: the Telegram bot keeps the code for the buyer's next checkout."""
    return f"https://t.me/{bot_username}?start=c_{code}"


def telegram_invite_link(bot_username: str, code: str) -> str:
    """`https://t.me/<bot>?start=r_<code>`: a newcomer who opens it is counted as invited by `code`'s owner."""
    return f"https://t.me/{bot_username}?start=r_{code}"
