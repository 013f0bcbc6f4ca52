"""Buyers pressing buttons in a Telegram shop, as a timeline: which button, on which message, at what time.

A visit: Browse on the main menu (the categories), a category (its first page of products), sometimes the
next pages, a product (its card: a photo with a caption, or text when it has no photo), sometimes the
next photo of its gallery, sometimes Add to cart, then often Back to the list and another product; at
the end, sometimes a look at the cart. Each press is made on the message the previous one left (a text
list, a photo card), so the bot edits, swaps or replaces it as it would for a person.

Who and what: a visit is by a returning customer (one of those the shop already has, or one who came
earlier in the run) or, with NEW_SHARE, by someone new. Categories are favoured Zipf-like (the second
half as often as the first, …), buyers go past the first page of a list less and less often, and on a
page pick the top products more (Zipf again): so a few products get most of the views, and the tail is
seen now and then, as in a real shop.

When: visits begin at random (a Poisson stream) so that the whole shop gets RATE presses a second, and
inside a visit the buyer reads for a few seconds between presses. The shop's recent-read caches age
by this clock (`Press.at_ns`), not by how fast the benchmark feeds the presses, so they expire as they
would at that rate.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Chat, Message, PhotoSize, Update, User

from bench.telegram_shop import Listed, World
from bots.telegram.callbacks import CartAction, CartCallback, CatalogAction, CatalogCallback, MenuCallback, MenuTarget
from commerce.cart import MAX_LINES

NEW_SHARE: Final = 0.3  # visits by someone who never wrote to the shop before
NEXT_PAGE: Final = 0.3  # chance to look at the next page of a list
GALLERY: Final = 0.3  # chance to swipe to the next photo of a card with several
ADD: Final = 0.3  # chance to put the product in the cart
ANOTHER: Final = 0.5  # chance to go back to the list for another product (at most MAX_CARDS a visit)
CART: Final = 0.3  # chance to look at the cart at the end of a visit that added something
MAX_CARDS: Final = 4
FIRST_NEW_BUYER: Final = 5_000_000
_SECOND: Final = 1_000_000_000
_BOT: Final = User(id=42, is_bot=True, first_name="Shop")


@dataclass(frozen=True, slots=True)
class Press:
    at_ns: int  # on the shop's clock
    update: Update


@dataclass(slots=True)
class _Step:
    after_s: float  # reading time before this press
    data: CallbackData
    on_photo: bool  # pressed on a photo message (a card with photos)


@dataclass(slots=True)
class Buyers:
    """Who visits next; remembers what each one has in the cart, so no press asks for more than is allowed."""

    known: list[int]
    new_ids: Iterator[int] = field(default_factory=lambda: itertools.count(FIRST_NEW_BUYER))
    carts: dict[int, dict[int, int]] = field(default_factory=dict)  # user → variant → quantity
    new: int = 0
    returning: int = 0

    def next(self, rng: random.Random) -> int:
        if rng.random() < NEW_SHARE or not self.known:
            user_id = next(self.new_ids)
            self.known.append(user_id)
            self.new += 1
            return user_id
        self.returning += 1
        return rng.choice(self.known)


def zipf_index(rng: random.Random, count: int) -> int:
    """0 … count-1, the k-th (from 1) with weight 1/k."""
    return rng.choices(range(count), weights=[1 / k for k in range(1, count + 1)])[0]


def visit(rng: random.Random, world: World, cart: dict[int, int]) -> list[_Step]:
    category_id = world.categories[zipf_index(rng, len(world.categories))]
    pages = world.pages[category_id]
    steps = [_Step(0.0, MenuCallback(target=MenuTarget.BROWSE), False),
             _Step(rng.uniform(2, 6), CatalogCallback(action=CatalogAction.PRODUCTS, category_id=category_id), False)]
    page = 0
    while page + 1 < len(pages) and rng.random() < NEXT_PAGE:
        page += 1
        steps.append(_Step(rng.uniform(2, 6), CatalogCallback(action=CatalogAction.PRODUCTS,
                                                              category_id=category_id, page=page), False))
    added = on_photo = False
    for card in range(MAX_CARDS):
        if card:  # Back, from the card (`on_photo`: the last one had a photo) to the list it was opened from
            steps.append(_Step(rng.uniform(1, 3), CatalogCallback(action=CatalogAction.PRODUCTS,
                                                                  category_id=category_id, page=page), on_photo))
        product = pages[page][zipf_index(rng, len(pages[page]))]
        steps.append(_Step(rng.uniform(2, 8), _card(product, 0), False))
        on_photo = product.photos > 0
        if product.photos > 1 and rng.random() < GALLERY:
            steps.append(_Step(rng.uniform(2, 5), _card(product, 1), True))
        if product.buyable and rng.random() < ADD:
            variant_id, stock = rng.choice(product.buyable)
            if _take(cart, variant_id, stock):
                steps.append(_Step(rng.uniform(3, 12), CartCallback(action=CartAction.ADD, variant_id=variant_id),
                                   on_photo))
                added = True
        if rng.random() >= ANOTHER:
            break
    if added and rng.random() < CART:  # from the main menu, further up the chat
        steps.append(_Step(rng.uniform(2, 6), MenuCallback(target=MenuTarget.CART), False))
    return steps


def _card(product: Listed, photo: int) -> CatalogCallback:
    return CatalogCallback(action=CatalogAction.PRODUCT, product_id=product.id, category_id=product.category_id,
                           page=product.page, photo=photo)


def _take(cart: dict[int, int], variant_id: int, stock: int) -> bool:
    """One more of the variant in `cart`, if the shop would take it (stock, lines); False if not."""
    quantity = cart.get(variant_id, 0) + 1
    if quantity > stock or (variant_id not in cart and len(cart) >= MAX_LINES):
        return False
    cart[variant_id] = quantity
    return True


def timeline(world: World, *, rate: float, seed: int = 3, buyers: Buyers | None = None) -> Iterator[Press]:
    """Presses in time order, without end, about RATE a second on average over the whole shop."""
    rng = random.Random(seed)
    buyers = buyers if buyers is not None else Buyers(list(world.buyers))
    mean_presses = sum(len(visit(random.Random(n), world, {})) for n in range(500)) / 500
    visits_per_s = rate / mean_presses
    ahead: list[tuple[int, int, int, list[_Step]]] = []  # (next press at, tie-break, user, steps left)
    order = itertools.count()
    next_visit_ns = 0
    update_ids = itertools.count(1)
    while True:
        if not ahead or next_visit_ns <= ahead[0][0]:
            user_id = buyers.next(rng)
            steps = visit(rng, world, buyers.carts.setdefault(user_id, {}))
            heapq.heappush(ahead, (next_visit_ns, next(order), user_id, steps))
            next_visit_ns += int(rng.expovariate(visits_per_s) * _SECOND)
            continue
        at_ns, _, user_id, steps = heapq.heappop(ahead)
        step = steps.pop(0)
        yield Press(at_ns, press(next(update_ids), user_id, step.data.pack(), on_photo=step.on_photo))
        if steps:
            heapq.heappush(ahead, (at_ns + int(steps[0].after_s * _SECOND), next(order), user_id, steps))


def press(update_id: int, user_id: int, data: str, *, on_photo: bool = False) -> Update:
    """A button press on a message of the bot's (a photo message if `on_photo`), as Telegram sends it."""
    user = User(id=user_id, is_bot=False, first_name="Buyer", language_code="en" if user_id % 2 else "ja")
    chat = Chat(id=user_id, type="private")
    now = datetime.now(UTC)
    if on_photo:
        message = Message(message_id=update_id, date=now, chat=chat, from_user=_BOT, caption="…",
                          photo=[PhotoSize(file_id=f"photo-{update_id}", file_unique_id=f"u{update_id}",
                                           width=480, height=480)])
    else:
        message = Message(message_id=update_id, date=now, chat=chat, from_user=_BOT, text="…")
    return Update(update_id=update_id, callback_query=CallbackQuery(
        id=str(update_id), from_user=user, chat_instance=str(user_id), message=message, data=data))
