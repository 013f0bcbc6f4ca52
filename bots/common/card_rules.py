"""What a product card says beside the product itself: how its price is taxed and what shipping costs there.

Both come from the shop's pricing (`shop.orders.pricing`, from `[tax]` and `[shipping]` in bot.toml). Shipping
rules name categories; products carry a category id. `card_rules` resolves the few names the rules mention
from the catalog's category list (a recent read, kept for a few seconds), not with a query per card, and
hands the presenter a frozen value it can read without any I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from commerce.bill import Pricing, ShippingRules, TaxMode
from commerce.catalog import ProductDTO
from commerce.shop import Shop


@dataclass(frozen=True, slots=True)
class CardRules:
    """Hashable and compared by value, so a card cached for one set of rules is not shown under another."""

    tax_mode: TaxMode = TaxMode.NONE
    shipping: ShippingRules = ShippingRules()
    categories: tuple[tuple[int, str], ...] = ()  # (id, name) of the categories the shipping rules name
    currency: str = "JPY"  # of the fees in `shipping`

    @classmethod
    def of(cls, pricing: Pricing, categories: tuple[tuple[int, str], ...] = ()) -> CardRules:
        named = _named_categories(pricing.shipping)
        return cls(pricing.tax.mode, pricing.shipping,
                   tuple((id_, name) for id_, name in categories if name in named), pricing.currency)

    def category_of(self, product: ProductDTO) -> str | None:
        """The product's category name, as far as the rules care (None: none, or one they don't name)."""
        return next((name for id_, name in self.categories if id_ == product.category_id), None)


NO_RULES = CardRules()


async def card_rules(shop: Shop) -> CardRules:
    """The rules every card is presented with right now (the category list only when the rules name one)."""
    pricing = shop.orders.pricing
    if not (pricing.shipping.enabled and _named_categories(pricing.shipping)):
        return CardRules.of(pricing)
    return CardRules.of(pricing, tuple((c.id, c.name) for c in await shop.catalog.categories()))


def _named_categories(shipping: ShippingRules) -> frozenset[str]:
    home = shipping.home
    return shipping.free_categories | (home.no_ship_categories if home is not None else frozenset())
