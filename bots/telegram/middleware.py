"""Who is pressing: the customer behind the Telegram user, and the language to answer in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User

from bots.telegram.deep_links import referral_in, start_payload


class IdentifyCustomer(BaseMiddleware):
    """Puts `customer` and `locale` into handler data (an outer middleware on updates, so the error handler
    sees them too). A first `/start r_<code>` credits the referrer: referral only counts at first contact."""

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        translator, default_locale = data["translator"], data["default_locale"]
        hint = user.language_code if user else None
        data["locale"] = translator.locale_for(None, hint, default_locale)  # in case identifying fails
        if user is None or user.is_bot:
            return await handler(event, data)
        text = event.message.text if isinstance(event, Update) and event.message else None
        customer = await data["shop"].customers.identify(
            "telegram", user.id, display_name=user.full_name, locale=hint, referral=referral_in(start_payload(text)))
        data["customer"] = customer
        data["locale"] = translator.locale_for(customer.locale, hint, default_locale)
        return await handler(event, data)
