"""Notices as spans: parsed from the templates' HTML subset with a real parser, values inert, and rendered
for each platform from the same structure."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bots.common.rich_text import Span, escape, parse, plain, to_html
from bots.discord.notifier import to_markdown


def test_the_subset_becomes_spans_and_anything_else_only_text() -> None:
    rich = parse(f"<b>Order #7</b> paid\n<code>{escape('A<B>&_C')}</code><i>x</i><blockquote>hi\nthere</blockquote>")
    assert rich == (Span("Order #7", bold=True), Span(" paid\n"), Span("A<B>&_C", code=True), Span("x"),
                    Span("hi\nthere", quote=True))
    assert to_html(rich) == "<b>Order #7</b> paid\n<code>A&lt;B&gt;&amp;_C</code>x<blockquote>hi\nthere</blockquote>"
    assert to_markdown(rich) == "**Order #7** paid\n`A<B>&_C`x> hi\n> there"


@given(st.text())
def test_any_value_stays_text_on_every_platform(value: str) -> None:
    rich = parse(f"<b>{escape(value)}</b>")
    assert plain(rich) == value
    assert parse(to_html(rich)) == rich
