"""Every button and select of the storefront, as `DynamicItem`s: the custom_id holds ids only (a regex
template parses it back), so a click keeps working after a restart. Nothing in it is trusted: prices,
stock and ownership are re-read from the core by the cog the item hands the click to.

Items are payloads, like Telegram's callbacks.py; the cogs do the work, reached through `handlers_of`.
"""

from __future__ import annotations

import re
from typing import Any, Final

import discord
from discord.ui import Button, DynamicItem, Select

from bots.discord.context import MAX_ID, hinted_locale, reply, services_of
from bots.discord.errors import answer_stale, report_error
from bots.discord.handlers import Handlers

_ID: Final = r"[1-9][0-9]{0,9}"
_OPTIONAL_ID: Final = r"(?:[1-9][0-9]{0,9})?"
_PAGE: Final = r"[0-9]{1,4}"


def handlers_of(interaction: discord.Interaction[Any]) -> Handlers:
    """The cogs of the bot this click reached, by what they do (`bots.discord.handlers`)."""
    return services_of(interaction).handlers


def optional_id(text: str | None) -> int | None:
    return int(text) if text else None


class ShopItem:
    """The behaviour every item shares: ids in range (else a polite "stale" answer and nothing changes),
    and one error path for everything the click raises."""

    ids: tuple[int | None, ...] = ()

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if all(value is None or 0 <= value <= MAX_ID for value in self.ids):
            return True
        await answer_stale(interaction)
        return False

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self.run(interaction)
        except Exception as exc:  # noqa: BLE001 — every failure is reported to the user and logged
            await report_error(interaction, exc)

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError


def _button(custom_id: str, label: str, style: discord.ButtonStyle = discord.ButtonStyle.secondary) -> Button[Any]:
    return Button(label=label[:80], custom_id=custom_id, style=style)


# ---- catalog ----

class ShowCategories(ShopItem, DynamicItem[Button[Any]], template=r"cs:cats"):
    def __init__(self, label: str = "") -> None:
        super().__init__(_button("cs:cats", label))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> ShowCategories:
        return cls(item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await handlers_of(interaction).catalog.show_categories(interaction)


class ShowProducts(ShopItem, DynamicItem[Button[Any]],
                   template=rf"cs:list:(?P<category>{_OPTIONAL_ID}):(?P<page>{_PAGE})"):
    def __init__(self, category_id: int | None, page: int, label: str = "") -> None:
        self.category_id, self.page = category_id, page
        self.ids = (category_id,)
        super().__init__(_button(f"cs:list:{category_id or ''}:{page}", label))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> ShowProducts:
        return cls(optional_id(match["category"]), int(match["page"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await handlers_of(interaction).catalog.show_products(interaction, self.category_id, self.page)


class OpenProduct(ShopItem, DynamicItem[Button[Any]],
                  template=rf"cs:prod:(?P<product>{_ID}):(?P<category>{_OPTIONAL_ID}):(?P<page>{_PAGE})"):
    def __init__(self, product_id: int, category_id: int | None, page: int, label: str = "") -> None:
        self.product_id, self.category_id, self.page = product_id, category_id, page
        self.ids = (product_id, category_id)
        super().__init__(_button(f"cs:prod:{product_id}:{category_id or ''}:{page}", label))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> OpenProduct:
        return cls(int(match["product"]), optional_id(match["category"]), int(match["page"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await handlers_of(interaction).catalog.open_product(
            interaction, self.product_id, self.category_id, self.page, None)


class ChooseVariant(ShopItem, DynamicItem[Select[Any]],
                    template=rf"cs:var:(?P<product>{_ID}):(?P<category>{_OPTIONAL_ID}):(?P<page>{_PAGE})"):
    def __init__(self, product_id: int, category_id: int | None, page: int,
                 options: list[discord.SelectOption] | None = None, placeholder: str | None = None) -> None:
        self.product_id, self.category_id, self.page = product_id, category_id, page
        self.ids = (product_id, category_id)
        super().__init__(Select(custom_id=f"cs:var:{product_id}:{category_id or ''}:{page}",
                                options=options or [discord.SelectOption(label="-")], placeholder=placeholder))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Select[Any],
                             match: re.Match[str]) -> ChooseVariant:
        return cls(int(match["product"]), optional_id(match["category"]), int(match["page"]), item.options)

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        chosen = self.item.values[0] if self.item.values else ""
        if not chosen.isdigit() or not 0 < int(chosen) <= MAX_ID:
            await answer_stale(interaction)
            return
        await handlers_of(interaction).catalog.open_product(
            interaction, self.product_id, self.category_id, self.page, int(chosen))


# ---- cart ----

class AddToCart(ShopItem, DynamicItem[Button[Any]], template=rf"cs:add:(?P<variant>{_ID})"):
    def __init__(self, variant_id: int, label: str = "") -> None:
        self.variant_id = variant_id
        self.ids = (variant_id,)
        super().__init__(_button(f"cs:add:{variant_id}", label, discord.ButtonStyle.primary))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> AddToCart:
        return cls(int(match["variant"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await handlers_of(interaction).cart.add_to_cart(interaction, self.variant_id)


class SetQuantity(ShopItem, DynamicItem[Button[Any]],
                  template=rf"cs:qty:(?P<variant>{_ID}):(?P<quantity>[0-9]{{1,3}})"):
    def __init__(self, variant_id: int, quantity: int, label: str = "") -> None:
        self.variant_id, self.quantity = variant_id, quantity
        self.ids = (variant_id,)
        super().__init__(_button(f"cs:qty:{variant_id}:{quantity}", label))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> SetQuantity:
        return cls(int(match["variant"]), int(match["quantity"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await handlers_of(interaction).cart.set_quantity(interaction, self.variant_id, self.quantity)


class RemoveLine(ShopItem, DynamicItem[Button[Any]], template=rf"cs:rm:(?P<variant>{_ID})"):
    def __init__(self, variant_id: int, label: str = "") -> None:
        self.variant_id = variant_id
        self.ids = (variant_id,)
        super().__init__(_button(f"cs:rm:{variant_id}", label, discord.ButtonStyle.danger))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> RemoveLine:
        return cls(int(match["variant"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await handlers_of(interaction).cart.remove_line(interaction, self.variant_id)


# ---- checkout ----

class CheckOutCart(ShopItem, DynamicItem[Button[Any]], template=r"cs:checkout"):
    def __init__(self, label: str = "") -> None:
        super().__init__(_button("cs:checkout", label, discord.ButtonStyle.success))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> CheckOutCart:
        return cls(item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await handlers_of(interaction).checkout.check_out_cart(interaction)


class BuyNow(ShopItem, DynamicItem[Button[Any]], template=rf"cs:buy:(?P<variant>{_ID})"):
    def __init__(self, variant_id: int, label: str = "") -> None:
        self.variant_id = variant_id
        self.ids = (variant_id,)
        super().__init__(_button(f"cs:buy:{variant_id}", label, discord.ButtonStyle.success))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> BuyNow:
        return cls(int(match["variant"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await handlers_of(interaction).checkout.buy_now(interaction, self.variant_id)


class CheckoutStep(ShopItem, DynamicItem[Button[Any]],
                   template=r"cs:co:(?P<step>address|save|once|confirm|abort|coupon|drop)"):
    """The buttons of the checkout conversation; where the buyer is lives in the database, not here."""

    def __init__(self, step: str, label: str = "") -> None:
        self.step = step
        style = {"confirm": discord.ButtonStyle.success, "abort": discord.ButtonStyle.danger}.get(
            step, discord.ButtonStyle.primary)
        super().__init__(_button(f"cs:co:{step}", label, style))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> CheckoutStep:
        return cls(match["step"], item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        checkout = handlers_of(interaction).checkout
        step = {"address": checkout.step_address, "save": checkout.step_save, "once": checkout.step_once,
                "confirm": checkout.step_confirm, "abort": checkout.step_abort, "coupon": checkout.step_coupon,
                "drop": checkout.step_drop_coupon}[self.step]
        await step(interaction)


class CheckoutChoice(ShopItem, DynamicItem[Select[Any]], template=r"cs:co:(?P<choice>saved|method)"):
    """A saved address, or a payment method: the chosen value is re-checked by the cog."""

    def __init__(self, choice: str, options: list[discord.SelectOption] | None = None,
                 placeholder: str | None = None) -> None:
        self.choice = choice
        super().__init__(Select(custom_id=f"cs:co:{choice}", placeholder=placeholder,
                                options=options or [discord.SelectOption(label="-")]))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Select[Any],
                             match: re.Match[str]) -> CheckoutChoice:
        return cls(match["choice"], item.options)

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        value = self.item.values[0] if self.item.values else ""
        checkout = handlers_of(interaction).checkout
        choose = checkout.choose_saved if self.choice == "saved" else checkout.choose_method
        await choose(interaction, value[:64])


# ---- payment ----

class PaymentAction(ShopItem, DynamicItem[Button[Any]], template=rf"cs:pay:(?P<action>st|ch|cx):(?P<order>{_ID})"):
    """On the payment message: check status (st), change method (ch), cancel the order (cx)."""

    def __init__(self, action: str, order_id: int, label: str = "") -> None:
        self.action, self.order_id = action, order_id
        self.ids = (order_id,)
        style = discord.ButtonStyle.danger if action == "cx" else discord.ButtonStyle.secondary
        super().__init__(_button(f"cs:pay:{action}:{order_id}", label, style))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> PaymentAction:
        return cls(match["action"], int(match["order"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        payment = handlers_of(interaction).payment
        act = {"st": payment.check_status, "ch": payment.choose_method, "cx": payment.cancel_order}[self.action]
        await act(interaction, self.order_id)


class PayWith(ShopItem, DynamicItem[Select[Any]], template=rf"cs:pay:with:(?P<order>{_ID})"):
    def __init__(self, order_id: int, options: list[discord.SelectOption] | None = None,
                 placeholder: str | None = None) -> None:
        self.order_id = order_id
        self.ids = (order_id,)
        super().__init__(Select(custom_id=f"cs:pay:with:{order_id}", placeholder=placeholder,
                                options=options or [discord.SelectOption(label="-")]))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Select[Any],
                             match: re.Match[str]) -> PayWith:
        return cls(int(match["order"]), item.options)

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        value = self.item.values[0] if self.item.values else ""
        await handlers_of(interaction).payment.pay_with(interaction, self.order_id, value[:64])


# ---- sharing, language, privacy ----

class SharedBuy(ShopItem, DynamicItem[Button[Any]], template=rf"cs:share:(?P<product>{_ID})"):
    """The Buy button under a product card posted publicly with /share: anyone may press it."""

    def __init__(self, product_id: int, label: str = "") -> None:
        self.product_id = product_id
        self.ids = (product_id,)
        super().__init__(_button(f"cs:share:{product_id}", label, discord.ButtonStyle.success))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> SharedBuy:
        return cls(int(match["product"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await handlers_of(interaction).share.buy_shared(interaction, self.product_id)


class SetLanguage(ShopItem, DynamicItem[Button[Any]], template=r"cs:lang:(?P<locale>ja|en)"):
    def __init__(self, locale: str, label: str = "") -> None:
        self.locale = locale
        super().__init__(_button(f"cs:lang:{locale}", label))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> SetLanguage:
        return cls(match["locale"], item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await handlers_of(interaction).shop_info.set_language(interaction, self.locale)


class PrivacyAction(ShopItem, DynamicItem[Button[Any]], template=r"cs:pv:(?P<action>export|erase|keep)"):
    def __init__(self, action: str, label: str = "") -> None:
        self.action = action
        style = discord.ButtonStyle.danger if action == "erase" else discord.ButtonStyle.secondary
        super().__init__(_button(f"cs:pv:{action}", label, style))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> PrivacyAction:
        return cls(match["action"], item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        privacy = handlers_of(interaction).privacy
        act = {"export": privacy.export_data, "erase": privacy.erase_data, "keep": privacy.keep_data}[self.action]
        await act(interaction)


class ConfirmErase(ShopItem, DynamicItem[Button[Any]], template=rf"cs:pv:yes:(?P<customer>{_ID})"):
    """customer: who was asked, so an old "yes" can't erase the fresh identity made since (or someone else)."""

    def __init__(self, customer_id: int, label: str = "") -> None:
        self.customer_id = customer_id
        self.ids = (customer_id,)
        super().__init__(_button(f"cs:pv:yes:{customer_id}", label, discord.ButtonStyle.danger))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: Button[Any],
                             match: re.Match[str]) -> ConfirmErase:
        return cls(int(match["customer"]), item.label or "")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        await handlers_of(interaction).privacy.confirm_erase(interaction, self.customer_id)


ALL_ITEMS: Final = (ShowCategories, ShowProducts, OpenProduct, ChooseVariant, AddToCart, SetQuantity, RemoveLine,
                    CheckOutCart, BuyNow, CheckoutStep, CheckoutChoice, PaymentAction, PayWith, SharedBuy,
                    SetLanguage, PrivacyAction, ConfirmErase)


async def tell(interaction: discord.Interaction[Any], key: str, **fields: Any) -> None:
    """A short private notice in the reader's language."""
    text = services_of(interaction).translator.text(hinted_locale(interaction), key, **fields)
    await reply(interaction, content=text, ephemeral=True)
