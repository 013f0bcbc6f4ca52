"""A reply is reused only for the very objects it was built from, and with the same key."""

from __future__ import annotations

from dataclasses import dataclass

from bots.telegram.render import RenderedReplies, Reply


@dataclass(frozen=True)
class Card:
    title: str


def counting(replies: list[str]):
    def build(card: Card):
        def make() -> Reply:
            replies.append(card.title)
            return Reply(card.title)
        return make
    return build


def test_the_same_object_and_key_reuse_the_reply_an_equal_new_object_does_not() -> None:
    memo, built = RenderedReplies(), []
    build = counting(built)
    card, translator = Card("tea"), object()
    first = memo.get((card, translator), ("ja",), build(card))
    assert memo.get((card, translator), ("ja",), build(card)) is first
    assert built == ["tea"]
    # An equal value the core read again (its few seconds were up, or it changed) is built afresh.
    fresh = Card("tea")
    assert memo.get((fresh, translator), ("ja",), build(fresh)) is not first
    # Another key (locale, page, photo …) or another translator is another reply.
    memo.get((fresh, translator), ("en",), build(fresh))
    memo.get((fresh, object()), ("en",), build(fresh))
    assert built == ["tea"] * 4


def test_an_id_reused_by_another_object_is_not_mistaken_for_the_first() -> None:
    memo, built = RenderedReplies(), []
    build = counting(built)
    translator = object()
    for title in ("a", "b", "c", "d"):  # temporaries: CPython often hands out the same id again
        card = Card(title)
        assert memo.get((card, translator), (), build(card)).text == title
        del card
    assert built == ["a", "b", "c", "d"]


def test_it_keeps_at_most_its_size() -> None:
    memo, built = RenderedReplies(size=2), []
    build = counting(built)
    cards = [Card(str(n)) for n in range(3)]
    for card in cards:
        memo.get((card,), (), build(card))
    memo.get((cards[0],), (), build(cards[0]))  # the oldest went to make room
    memo.get((cards[2],), (), build(cards[2]))  # the newest stayed
    assert built == ["0", "1", "2", "0"]
