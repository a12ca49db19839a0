"""Turn a producer's plain-text notes into HTML with clickable links, for the page and the feed.

The only user of linkify-it-py. Pure: text in, escaped HTML out; only http(s) and www. addresses
become links, so no note can inject markup or a `javascript:` link.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linkify_it import LinkifyIt

# A line without one of these holds no link: most lines never reach the (slower) matcher.
_MAYBE_LINK_RE = re.compile(r"https?:|www\.", re.IGNORECASE)
_LINK_SCHEMAS = ("http:", "https:")
# linkify-it keeps closing quotes and an ellipsis at a link's end («https://x.ru/a»), and after
# them the sentence's own stop; a real address has these percent-encoded, so they are cut off.
_TRAILING = "»“”’›…" + ".,:;!?"
_PARAGRAPH_BREAK_RE = re.compile(r"\n\s*\n")


def linked_html(line: str) -> str:
    """Return one line of plain text as escaped HTML, its web addresses as `<a href>` links."""
    if not _MAYBE_LINK_RE.search(line):
        return _text(line)
    parts, done = [], 0
    for start, end, url in _links(line):
        parts += [_text(line[done:start]), f'<a href="{_attribute(url)}">']
        parts += [_text(line[start:end]), "</a>"]
        done = end
    parts.append(_text(line[done:]))
    return "".join(parts)


def has_links(text: str) -> bool:
    """Tell whether any line of the text holds an address that becomes a link."""
    return any(True for line in text.splitlines() for _ in _links(line))


def paragraphs_html(text: str, line_html: Callable[[str], str] = linked_html) -> str:
    """Return plain text as `<p>` paragraphs (blank lines) with `<br>` for a single newline."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = (block.strip() for block in _PARAGRAPH_BREAK_RE.split(text))
    return "".join(
        "<p>" + "<br>".join(line_html(line.strip()) for line in block.split("\n")) + "</p>"
        for block in blocks
        if block
    )


def escaped_html(line: str) -> str:
    """Return one line of plain text as escaped HTML, with no links."""
    return _text(line)


def _links(line: str) -> Iterable[tuple[int, int, str]]:
    """Yield (start, end, href) of each http(s) or www. address in one line."""
    if not _MAYBE_LINK_RE.search(line):
        return
    for match in _matcher().match(line) or ():
        raw = match.raw.rstrip(_TRAILING)
        web = match.schema in _LINK_SCHEMAS or (
            not match.schema and raw.lower().startswith("www.")  # not bare names like "radio.by"
        )
        if web:
            cut = len(match.raw) - len(raw)
            yield match.index, match.last_index - cut, match.url[: len(match.url) - cut]


@functools.cache
def _matcher() -> LinkifyIt:
    """Return the matcher: a constant, made on first use (importing and compiling takes 0.2 s)."""
    from linkify_it import LinkifyIt

    return LinkifyIt()


def _text(text: str) -> str:
    # quote=False: podcastparser cannot decode &#x27;, and quotes are safe inside an element.
    return html.escape(text, quote=False)


def _attribute(value: str) -> str:
    return html.escape(value, quote=False).replace('"', "&quot;")  # the value is in "…"
