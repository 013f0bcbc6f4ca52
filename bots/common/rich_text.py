"""Text with a little emphasis, for any chat platform: what a notice says, as spans each front-end renders in
its own markup (HTML for Telegram, Markdown for Discord).

The notices' templates (`locales/*/notify.po`) mark emphasis with a small HTML subset — <b>, <code>,
<blockquote> — which `parse` reads with a real HTML parser; every value from a payload or a person goes into a
template through `escape`, so it is only ever text, whatever characters it holds.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Final

TAGS: Final = frozenset({"b", "code", "blockquote"})


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    bold: bool = False
    code: bool = False
    quote: bool = False  # a quoted block (a relayed support message)


RichText = tuple[Span, ...]


def escape(value: str) -> str:
    """A value for a template: plain text, whatever it holds."""
    return html.escape(value, quote=False)


def parse(markup: str) -> RichText:
    """A template's text, filled in, as spans; a tag outside the subset is dropped, its text kept."""
    reader = _Reader()
    reader.feed(markup)
    reader.close()
    return tuple(reader.spans)


def plain(rich: RichText) -> str:
    return "".join(span.text for span in rich)


def to_html(rich: RichText) -> str:
    """For Telegram's HTML parse mode."""
    out, quoting = [], False
    for span in rich:
        if span.quote != quoting:
            out.append("<blockquote>" if span.quote else "</blockquote>")
            quoting = span.quote
        text = escape(span.text)
        if span.code:
            text = f"<code>{text}</code>"
        if span.bold:
            text = f"<b>{text}</b>"
        out.append(text)
    if quoting:
        out.append("</blockquote>")
    return "".join(out)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.spans: list[Span] = []
        self._open = {"b": 0, "code": 0, "blockquote": 0}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in TAGS:
            self._open[tag] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in TAGS and self._open[tag]:
            self._open[tag] -= 1

    def handle_data(self, data: str) -> None:
        span = Span(data, bold=self._open["b"] > 0, code=self._open["code"] > 0, quote=self._open["blockquote"] > 0)
        last = self.spans[-1] if self.spans else None
        if last is not None and (last.bold, last.code, last.quote) == (span.bold, span.code, span.quote):
            self.spans[-1] = Span(last.text + data, span.bold, span.code, span.quote)
        else:
            self.spans.append(span)
