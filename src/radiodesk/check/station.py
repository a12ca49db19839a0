"""Check a station's own objects: its page and its OPML list of the programme feeds.

Each must name every live programme (its feed and its page) once and nothing else, and every
URL in them must answer as apps and browsers expect, through the same Fetcher as a feed's URLs.
Parsed with lxml: the OPML as XML (entities and the network off), the page as HTML.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html  # type: ignore[import-untyped]
from lxml import etree

from radiodesk.check.base import Findings, Problem
from radiodesk.check.urls import FEED_TYPES, IMAGE_TYPES, Fetcher, Target, check_targets
from radiodesk.spec import is_http_url

OPML_TYPES = ("text/x-opml", "application/xml", "text/xml")  # the first is the one we send
# What a link from the station page should be served as, by the suffix of its path.
LINK_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    ".xml": ("feed", FEED_TYPES),
    ".opml": ("OPML", OPML_TYPES),
    ".html": ("page", ("text/html",)),
    ".css": ("style sheet", ("text/css",)),
    **{suffix: ("image", (mime,)) for suffix, mime in IMAGE_TYPES.items()},
}
_FEED_LINKS = (
    "//a[@type='application/rss+xml']/@href"
    " | //link[@rel='alternate'][@type='application/rss+xml']/@href"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Listed:
    """A live programme as the station page and OPML must name it (absolute URLs)."""

    name: str  # the programme's folder name, for messages
    feed_url: str
    page_url: str


def check_opml(
    xml: bytes,
    programmes: Sequence[Listed] | None,
    *,
    fetch: Fetcher,
    name: str = "programmes.opml",
) -> list[Problem]:
    """Check the OPML: XML, one outline per live programme with its feed and page, URLs answer.

    `programmes` None: the live programmes are not known, so only the XML and URLs are checked.
    """
    found = Findings()
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        found.error(name, f"is not well-formed XML: {exc.msg}")
        return found.problems
    body = root.find("body")
    if root.tag != "opml" or body is None:
        found.error(name, f"is not an OPML document (<opml> with a <body>), but <{root.tag}>")
        return found.problems
    if root.get("version") != "2.0":
        found.warning(name, f"OPML version {root.get('version')!r}; apps expect 2.0")
    outlines = list(body.iter("outline"))
    for outline in outlines:
        _check_outline(outline, name, found)
    feeds = {o.get("xmlUrl", ""): o.get("htmlUrl", "") for o in outlines}
    if programmes is not None:
        named = Counter(o.get("xmlUrl", "") for o in outlines)
        _compare(named, programmes, name, "outline", found)
        for p in programmes:
            page = feeds.get(p.feed_url)
            if page and page != p.page_url:  # a missing htmlUrl is reported per outline
                found.error(name, f"the outline of {p.name} has htmlUrl {page!r}, not {p.page_url}")
    targets = [Target(where=name, what="feed", url=url, types=FEED_TYPES) for url in feeds]
    targets += [
        Target(where=name, what="page", url=url, types=("text/html",)) for url in feeds.values()
    ]
    return found.problems + check_targets(_usable(targets), fetch=fetch)


def check_page(
    page: bytes,
    url: str,
    programmes: Sequence[Listed] | None,
    *,
    fetch: Fetcher,
    name: str = "index.html",
) -> list[Problem]:
    """Check the station page at `url`: a feed and page link per live programme; links answer.

    Every link, image and style sheet on it is asked for; a feed must be served as one.
    """
    found = Findings()
    try:
        document = lxml.html.document_fromstring(
            page, parser=lxml.html.HTMLParser(encoding="utf-8")
        )
    except etree.ParserError as exc:  # lxml's HTML parser refuses only an empty document
        found.error(name, f"cannot be parsed as HTML: {exc}")
        return found.problems
    feeds = [_absolute(url, href) for href in document.xpath(_FEED_LINKS)]
    links = [
        _absolute(url, href) for href in document.xpath("//a/@href | //link/@href | //img/@src")
    ]
    if programmes is not None:
        _compare(Counter(set(feeds)), programmes, name, "feed link", found)
        for p in programmes:
            if p.page_url not in links:
                found.error(name, f"does not link to the page of {p.name}: {p.page_url}")
    targets = [_link_target(link, name) for link in links]
    return found.problems + check_targets(_usable(targets), fetch=fetch)


def _check_outline(outline: Any, name: str, found: Findings) -> None:
    """OPML 2.0, subscription lists: text, type rss and xmlUrl on every outline."""
    label = outline.get("text", "")
    where = f"{name} outline {label!r}" if label else name
    if not label.strip():
        found.error(where, "an outline has no text (OPML 2.0 requires it)")
    if outline.get("type") != "rss":
        found.warning(where, f"outline type {outline.get('type')!r}; a feed's is rss")
    for attribute in ("xmlUrl", "htmlUrl"):
        value = outline.get(attribute)
        if value is None:
            found.error(where, f"has no {attribute}")
        elif not is_http_url(value):
            found.error(where, f"{attribute} {value!r} is not an absolute ASCII http(s) URL")


def _compare(
    named: Counter[str], programmes: Sequence[Listed], name: str, what: str, found: Findings
) -> None:
    """Each live programme's feed named exactly once, and no other feed (a stale page)."""
    expected = {p.feed_url for p in programmes}
    for p in programmes:
        if not named[p.feed_url]:
            found.error(name, f"has no {what} for {p.name}: {p.feed_url}")
        elif named[p.feed_url] > 1:
            found.error(name, f"names the feed of {p.name} {named[p.feed_url]} times")
    for url in sorted(set(named) - expected):
        if url:
            found.error(name, f"names the feed {url}, which is no live programme's")


def _absolute(base: str, link: str) -> str:
    return urldefrag(urljoin(base, link.strip())).url


def _link_target(url: str, where: str) -> Target:
    what, types = LINK_TYPES.get(PurePosixPath(urlsplit(url).path).suffix.lower(), ("link", ("",)))
    return Target(where=where, what=what, url=url, types=types)


def _usable(targets: Sequence[Target]) -> list[Target]:
    """Each http(s) URL once (data: icons and faults reported elsewhere are not asked for)."""
    unique: dict[str, Target] = {}
    for target in targets:
        if is_http_url(target.url):
            unique.setdefault(target.url, target)
    return list(unique.values())
