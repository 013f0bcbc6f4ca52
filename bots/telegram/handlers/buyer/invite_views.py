"""What /invite looks like on Telegram: the neutral invite view as HTML, and a button to share the link."""

from __future__ import annotations

from urllib.parse import urlencode

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bots.common.referrals import InviteView
from bots.i18n import Translator
from bots.telegram.render import Reply, bold, quote


def share_url(link: str, text: str) -> str:
    """Telegram's own share screen (pick a chat, the link and text are filled in): an https link, so a button."""
    return "https://t.me/share/url?" + urlencode({"url": link, "text": text})


def render_invite(tr: Translator, locale: str, view: InviteView, *, shop_name: str) -> Reply:
    parts = [bold(view.heading), quote(view.offer)]
    markup = None
    if view.link is not None:
        parts.append(f"{quote(tr.text(locale, 'invite.link_telegram'))}\n{quote(view.link)}")
        share = InlineKeyboardButton(text=tr.text(locale, "invite.share_button"),
                                     url=share_url(view.link, tr.text(locale, "invite.share_text", shop=shop_name)))
        markup = InlineKeyboardMarkup(inline_keyboard=[[share]])
    parts.append(quote(view.progress))
    if view.rewards_heading is not None:
        lines = [f"<code>{quote(reward.code)}</code> — {quote(reward.terms)}" for reward in view.rewards]
        if view.more_rewards is not None:
            lines.append(quote(view.more_rewards))
        parts.append("\n".join([quote(view.rewards_heading), *lines]))
    return Reply("\n\n".join(parts), markup)
