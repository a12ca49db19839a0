"""Check a feed and its RFC 5005 pages offline: XML, each document's tags, the archive as a whole.

The whole: guids unique across pages and stable against the live feed, pages linked in order.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from radiodesk.check import apple, podcasting
from radiodesk.check.base import NS, Findings, Problem, text
from radiodesk.spec import ITUNES_NS, is_http_url

WARN_FEED_BYTES = 3_000_000  # Pocket Casts has been reported to reject feeds over about 3 MB
MAX_FEED_BYTES = 5_000_000  # the W3C feed validator refuses larger feeds
PAGING_RELS = ("first", "last", "next", "previous", "prev")
_ENCODING_RE = re.compile(rb"^<\?xml[^>]*\bencoding=[\"']([A-Za-z0-9._-]+)[\"']")


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """What guid uniqueness and stability need to know about one item."""

    where: str
    guid: str
    title: str
    enclosure_url: str
    published: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """One parsed feed document."""

    name: str
    channel: ET.Element
    items: tuple[tuple[Entry, ET.Element], ...]
    podcast_guid: str | None
    links: Mapping[str, str]  # atom:link rel -> href


def check_feed(
    xml: bytes,
    *,
    previous: bytes | None = None,
    name: str = "feed.xml",
    now: datetime | None = None,
    strict: bool = False,
) -> list[Problem]:
    """Check one feed document offline; `previous` is the live feed it is about to replace."""
    previous_feeds = {name: previous} if previous else None
    return check_feeds({name: xml}, previous=previous_feeds, now=now, strict=strict)


def check_feeds(
    feeds: Mapping[str, bytes],
    *,
    previous: Mapping[str, bytes] | None = None,
    now: datetime | None = None,
    strict: bool = False,
) -> list[Problem]:
    """Check a feed and its RFC 5005 pages (the main feed first) as one archive, offline.

    Guids must be unique across the pages and stable against `previous`, the live documents;
    `now` turns on the warning about items dated in the future. `strict` judges a feed about
    to be published: a lapse that apps put up with is an error (see Findings).
    """
    found = Findings(strict=strict)
    documents = [doc for key, xml in feeds.items() if (doc := read_document(xml, key, found, now))]
    _check_unique([entry for doc in documents for entry, _ in doc.items], found)
    if len(documents) > 1:
        _check_paging(documents, found)
    if previous and documents:
        ignored = Findings()  # the live feed's own faults are not this publish's problems
        before = [d for key, xml in previous.items() if (d := read_document(xml, key, ignored))]
        _check_stable(documents, before, found)
    return found.problems


def read_document(
    xml: bytes, name: str, found: Findings, now: datetime | None = None
) -> Document | None:
    """Parse one feed document and check its tags; None if it is not an RSS feed at all."""
    if len(xml) > MAX_FEED_BYTES:
        found.error(name, f"is {len(xml):,} bytes; validators refuse feeds over {MAX_FEED_BYTES:,}")
    elif len(xml) > WARN_FEED_BYTES:
        found.warning(
            name, f"is {len(xml):,} bytes; some apps refuse feeds over {WARN_FEED_BYTES:,}"
        )
    root = _parse(xml, name, found)
    channel = root.find("channel") if root is not None else None
    if root is not None and channel is None:
        found.error(name, "has no <channel>")
    if channel is None:
        return None
    apple.check_channel(channel, f"{name} channel", found)
    podcasting.check_channel(channel, f"{name} channel", found)
    _check_page_links(channel, f"{name} channel", found)
    show_type = text(channel, "itunes:type")
    items = []
    for number, item in enumerate(channel.findall("item"), start=1):
        title = text(item, "title")
        where = f"{name} item {title!r}" if title else f"{name} item #{number}"
        apple.check_item(item, where, show_type, found, now)
        podcasting.check_item(item, where, found)
        items.append((_entry(item, where), item))
    links = {
        link.get("rel", "alternate"): link.get("href", "")
        for link in channel.findall("atom:link", NS)
    }
    guid = text(channel, "podcast:guid") or None
    return Document(name=name, channel=channel, items=tuple(items), podcast_guid=guid, links=links)


def _entry(item: ET.Element, where: str) -> Entry:
    enclosure = item.find("enclosure")
    return Entry(
        where=where,
        guid=text(item, "guid"),
        title=text(item, "title"),
        enclosure_url=enclosure.get("url", "") if enclosure is not None else "",
        published=text(item, "pubDate"),
    )


def _parse(xml: bytes, name: str, found: Findings) -> ET.Element | None:
    """Rules A01 and A02: well-formed UTF-8, <rss version="2.0">, the exact iTunes namespace."""
    declared = _ENCODING_RE.match(xml)
    if declared and declared[1].lower() not in (b"utf-8", b"utf8"):
        found.error(name, f"declares encoding {declared[1].decode()}; Apple reads UTF-8 only")
        return None
    try:
        xml.decode("utf-8")
    except UnicodeDecodeError as exc:
        found.error(name, f"is not UTF-8: byte {exc.start} cannot be decoded")
        return None
    # One feed() of the whole document: iterparse's 16 KiB chunks make expat rescan a long
    # token (a big comment or CDATA) once per chunk, which is quadratic.
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start-ns", "end"))
    try:
        parser.feed(xml)
        parser.close()
    except ET.ParseError as exc:
        found.error(name, f"is not well-formed XML: {exc}")
        return None
    namespaces, root = set(), None
    for event in parser.read_events():
        value = event[-1]
        if isinstance(value, tuple):  # start-ns: (prefix, uri)
            namespaces.add(value[1])
        elif isinstance(value, ET.Element):  # end: the root element ends last
            root = value
    if root is None or root.tag != "rss" or root.get("version") != "2.0":
        tag = root.tag if root is not None else None
        found.error(name, f'root is <{tag}>, not <rss version="2.0">; Apple reads RSS 2.0')
        return None
    if ITUNES_NS not in namespaces:
        wrong = [ns for ns in namespaces if ns.lower() == ITUNES_NS.lower()]
        message = f"declares {wrong[0]}, not {ITUNES_NS}" if wrong else "has no iTunes namespace"
        found.error(name, f"{message} (Apple needs exactly {ITUNES_NS})")
    return root


def _check_page_links(channel: ET.Element, where: str, found: Findings) -> None:
    """RFC 5005 section 3: absolute links, and a page with next or previous names first and last.

    The feed's own address too: apps subscribe to it, and a show moved there would loop.
    """
    rels = {link.get("rel", ""): link.get("href", "") for link in channel.findall("atom:link", NS)}
    for rel in PAGING_RELS:
        if rel in rels and not is_http_url(rels[rel]):
            found.error(where, f"atom:link rel={rel} has no absolute URL")
    own = rels.get("self")
    if own is not None and not is_http_url(own):
        found.lapse(where, f"atom:link rel=self {own!r} is not an absolute http(s) URL")
    if own and text(channel, "itunes:new-feed-url") == own:
        found.lapse(where, "itunes:new-feed-url is this feed's own URL")
    if {"next", "previous", "prev"} & rels.keys():
        for rel in ("first", "last"):
            if rel not in rels:
                found.error(where, f"paged feed has no atom:link rel={rel} (RFC 5005)")


def _check_paging(documents: Sequence[Document], found: Findings) -> None:
    """From the first page, rel=next reaches every page once and ends at rel=last."""
    by_url = {doc.links.get("self", ""): doc for doc in documents}
    first = documents[0]
    seen: list[str] = []
    doc: Document | None = first
    while doc is not None and doc.name not in seen:
        seen.append(doc.name)
        following = doc.links.get("next")
        doc = by_url.get(following) if following else None
        if following and doc is None:
            found.error(f"{seen[-1]} channel", f"atom:link rel=next {following} is not a page")
    for missing in (d.name for d in documents if d.name not in seen):
        found.error(missing, "is not reachable through rel=next from the first page")
    last = by_url.get(first.links.get("last", ""))
    if last is None or last.name != seen[-1]:
        found.error(f"{first.name} channel", f"atom:link rel=last is not the last page {seen[-1]}")


def _check_unique(entries: Sequence[Entry], found: Findings) -> None:
    """Rules A12 and A13: guids and enclosure URLs unique across the feed and its pages."""
    guids: dict[str, Entry] = {}
    enclosures: dict[str, Entry] = {}
    for entry in entries:
        if entry.guid and (first := guids.setdefault(entry.guid, entry)) is not entry:
            found.error(entry.where, f"guid {entry.guid!r} is also the guid of {first.where}")
        url = entry.enclosure_url
        if url and (first := enclosures.setdefault(url, entry)) is not entry:
            found.error(entry.where, f"enclosure {url} is also the enclosure of {first.where}")


def _check_stable(
    documents: Sequence[Document], before: Sequence[Document], found: Findings
) -> None:
    """Rule A13: a published guid never changes; one that left the feed is fine."""
    old_guids = {doc.podcast_guid for doc in before if doc.podcast_guid}
    for doc in documents:
        if doc.podcast_guid and old_guids and doc.podcast_guid not in old_guids:
            old = ", ".join(sorted(old_guids))
            found.error(
                f"{doc.name} channel", f"podcast:guid changed from {old} to {doc.podcast_guid}"
            )
    entries = [entry for doc in documents for entry, _ in doc.items]
    current = {entry.guid for entry in entries}
    previous = {entry.guid for doc in before for entry, _ in doc.items}
    gone = [entry for doc in before for entry, _ in doc.items if entry.guid not in current]
    for entry in entries:
        if entry.guid and entry.guid not in previous:
            _check_new_guid(entry, gone, found)


def _check_new_guid(entry: Entry, gone: Sequence[Entry], found: Findings) -> None:
    """Find the episode a new guid replaced: the same audio, or the same title and date."""
    same_title = [old for old in gone if entry.title and old.title == entry.title]
    same = [
        old
        for old in gone
        if (entry.enclosure_url and old.enclosure_url == entry.enclosure_url)
        or (old in same_title and old.published == entry.published)
    ]
    if same:
        found.error(
            entry.where,
            f"guid changed from {same[0].guid!r} to {entry.guid!r}; apps will show it again as new",
        )
    elif same_title:
        found.warning(
            entry.where,
            f"new guid {entry.guid!r} where {same_title[0].guid!r} had this title; "
            "if it is the same episode, keep the old guid",
        )
