"""Build the podcast RSS feed: view-models in, UTF-8 bytes out.

The only user of feedgen and lxml. It never reads files, the clock or the network; a value that
breaks one of Apple's hard rules it can check raises FeedError instead of reaching the feed.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from email.utils import format_datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree  # type: ignore[import-untyped]

from radiodesk.config import APPLE_CATEGORIES
from radiodesk.errors import FeedError

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"  # rule A02: exactly this, case matters
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
GENERATOR = "radiodesk"
MAX_DESCRIPTION_BYTES = 4000  # rule A05
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")  # rule A06
# Rule A11: the enclosure types Apple accepts, by file extension.
ENCLOSURE_TYPES: dict[str, tuple[str, ...]] = {
    ".mp3": ("audio/mpeg",),
    ".m4a": ("audio/x-m4a", "audio/mp4"),
    ".mp4": ("video/mp4",),
    ".m4v": ("video/x-m4v",),
    ".mov": ("video/quicktime",),
}
SHOW_TYPES = ("episodic", "serial")
_CHANNEL_DATES = ("pubDate", "lastBuildDate")
_EXPLICIT = {True: "true", False: "false"}  # rule A09: never yes/no/clean

# XML 1.0 forbids C0 controls other than tab, LF and CR, lone surrogates, U+FFFE and U+FFFF;
# C1 controls and DEL are legal XML but no listener should see them, so they are refused too.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[a-z]{2,4})?$", re.IGNORECASE)  # rule A07
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PARAGRAPH_BREAK_RE = re.compile(r"\n\s*\n")


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """Someone heard in an episode, written as podcast:person."""

    name: str
    role: str = "host"


@dataclass(frozen=True, slots=True, kw_only=True)
class Channel:
    """What the feed says about the show."""

    title: str
    description: str
    language: str
    link: str
    feed_url: str
    author: str
    owner_name: str
    owner_email: str
    category: str
    subcategory: str | None
    explicit: bool
    image_url: str | None
    copyright: str | None = None
    show_type: str = "episodic"


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    """One published episode; its description is plain text, paragraphs split by blank lines."""

    guid: str
    title: str
    description: str
    published: datetime
    link: str | None
    enclosure_url: str
    enclosure_length: int
    enclosure_type: str = "audio/mpeg"
    duration_s: float
    season: int | None
    episode: int | None
    explicit: bool
    image_url: str | None
    persons: tuple[Person, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class _Tag:
    """One element an extension appends: Clark-notation name, text, attributes, children."""

    name: str
    text: str | None = None
    attrs: tuple[tuple[str, str], ...] = ()
    children: tuple[_Tag, ...] = ()


def _append_tags(parent: Any, tags: Sequence[_Tag]) -> None:
    for tag in tags:
        element = etree.SubElement(parent, tag.name, attrib=dict(tag.attrs))
        element.text = tag.text
        _append_tags(element, tag.children)


class _ChannelExtension(BaseExtension):  # type: ignore[misc]
    """feedgen extension that appends prepared tags to <channel>."""

    def __init__(self) -> None:
        self.tags: tuple[_Tag, ...] = ()

    def extend_ns(self) -> dict[str, str]:
        """Return the namespaces the feed root declares."""
        return {"itunes": ITUNES_NS, "podcast": PODCAST_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        """Append the tags to the feed's <channel>."""
        _append_tags(rss_feed[0], self.tags)
        return rss_feed


class _ItemExtension(BaseEntryExtension):  # type: ignore[misc]
    """feedgen entry extension that appends prepared tags to one <item>."""

    def __init__(self) -> None:
        self.tags: tuple[_Tag, ...] = ()

    def extend_rss(self, entry: Any) -> Any:
        """Append the tags to the <item>."""
        _append_tags(entry, self.tags)
        return entry


def build_feed(channel: Channel, items: Sequence[Item]) -> bytes:
    """Render the channel and its items as an RSS 2.0 podcast feed, newest item first."""
    _check_channel(channel)
    _check_items(channel, items)
    ordered = sorted(items, key=lambda item: (item.published, item.guid), reverse=True)
    generator = _start_feed(channel, ordered[0].published if ordered else None)
    for item in ordered:
        _add_item(generator, item)
    feed: bytes = generator.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return feed


def _start_feed(channel: Channel, newest: datetime | None) -> Any:
    generator = FeedGenerator()
    generator.register_extension(GENERATOR, _ChannelExtension, _ItemExtension, atom=False)
    generator.title(channel.title.strip())
    generator.description(channel.description.strip())
    generator.language(channel.language)
    # feedgen writes the LAST link as RSS <link>, so the self link goes first.
    generator.link(href=channel.feed_url, rel="self", type="application/rss+xml")
    generator.link(href=channel.link, rel="alternate")
    generator.generator(GENERATOR)
    if channel.copyright:
        generator.copyright(channel.copyright.strip())
    if channel.image_url:
        generator.image(url=channel.image_url, title=channel.title.strip(), link=channel.link)
    # feedgen defaults lastBuildDate to now() and formats dates by switching the process locale;
    # drop its value and write both channel dates from the newest episode (same input, same bytes).
    generator._FeedGenerator__rss_lastBuildDate = None
    getattr(generator, GENERATOR).tags = _channel_tags(channel, newest)
    return generator


def _channel_tags(channel: Channel, newest: datetime | None) -> tuple[_Tag, ...]:
    subcategories = (channel.subcategory,) if channel.subcategory else ()
    owner = (
        _Tag(name=_itunes("name"), text=channel.owner_name.strip()),
        _Tag(name=_itunes("email"), text=channel.owner_email),
    )
    category = _Tag(
        name=_itunes("category"),
        attrs=(("text", channel.category),),
        children=tuple(_Tag(name=_itunes("category"), attrs=(("text", s),)) for s in subcategories),
    )
    tags = [
        # Owner before author: feedparser lets a later itunes:name overwrite the author.
        _Tag(name=_itunes("owner"), children=owner),
        _Tag(name=_itunes("author"), text=channel.author.strip()),
        category,
        _Tag(name=_itunes("explicit"), text=_EXPLICIT[channel.explicit]),
        _Tag(name=_itunes("type"), text=channel.show_type),
    ]
    if channel.image_url:
        # feedgen's itunes_image() silently drops .jpeg URLs, so the tag is written here.
        tags.append(_Tag(name=_itunes("image"), attrs=(("href", channel.image_url),)))
    if newest is not None:
        tags += [_Tag(name=name, text=format_datetime(newest)) for name in _CHANNEL_DATES]
    return tuple(tags)


def _add_item(generator: Any, item: Item) -> None:
    entry = generator.add_entry(order="append")  # feedgen prepends by default
    entry.title(item.title.strip())
    entry.guid(item.guid, permalink=False)
    if item.link:
        entry.link(href=item.link, rel="alternate")
    description = _paragraphs_html(item.description)
    if description:
        entry.content(description, type="CDATA")  # written as <description> in RSS
    entry.enclosure(item.enclosure_url, str(item.enclosure_length), item.enclosure_type)
    getattr(entry, GENERATOR).tags = _item_tags(item)


def _item_tags(item: Item) -> tuple[_Tag, ...]:
    numbers = (("season", item.season), ("episode", item.episode))
    tags = [
        # Rule A14; feedgen's own pubDate formats through a process-wide locale switch.
        _Tag(name="pubDate", text=format_datetime(item.published)),
        _Tag(name=_itunes("title"), text=item.title.strip()),
        _Tag(name=_itunes("duration"), text=str(round(item.duration_s))),
        _Tag(name=_itunes("explicit"), text=_EXPLICIT[item.explicit]),
        _Tag(name=_itunes("episodeType"), text="full"),
    ]
    tags += [_Tag(name=_itunes(key), text=str(n)) for key, n in numbers if n is not None]
    if item.image_url:
        tags.append(_Tag(name=_itunes("image"), attrs=(("href", item.image_url),)))
    tags += [
        _Tag(
            name=f"{{{PODCAST_NS}}}person", text=person.name.strip(), attrs=(("role", person.role),)
        )
        for person in item.persons
    ]
    return tuple(tags)


def _paragraphs_html(text: str) -> str:
    """Turn plain text into escaped <p> paragraphs, with <br> for a single newline."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = (p.strip() for p in _PARAGRAPH_BREAK_RE.split(text))
    # quote=False: podcastparser cannot decode &#x27;, and quotes are safe inside an element.
    return "".join(
        "<p>"
        + "<br>".join(html.escape(line.strip(), quote=False) for line in p.split("\n"))
        + "</p>"
        for p in paragraphs
        if p
    )


def _itunes(name: str) -> str:
    return f"{{{ITUNES_NS}}}{name}"


def _check_channel(channel: Channel) -> None:
    _check_characters(channel, "channel")
    description_bytes = len(channel.description.strip().encode("utf-8"))
    subcategories = APPLE_CATEGORIES.get(channel.category, ())
    _raise_first(
        "channel",
        (not channel.title.strip(), "title is empty"),
        (not channel.description.strip(), "description is empty"),
        (
            description_bytes > MAX_DESCRIPTION_BYTES,
            f"description is {description_bytes} bytes; Apple allows {MAX_DESCRIPTION_BYTES}",
        ),
        (
            not _LANGUAGE_RE.match(channel.language),
            f"language {channel.language!r} is not a code like ru or en-us",
        ),
        (channel.category not in APPLE_CATEGORIES, f"category {channel.category!r} is not Apple's"),
        (
            channel.subcategory is not None and channel.subcategory not in subcategories,
            f"subcategory {channel.subcategory!r} is not under {channel.category!r}",
        ),
        (not isinstance(channel.explicit, bool), "explicit must be true or false"),
        (not channel.author.strip(), "author is empty"),
        (not channel.owner_name.strip(), "owner name is empty"),
        (
            not _EMAIL_RE.match(channel.owner_email),
            f"owner email {channel.owner_email!r} is invalid",
        ),
        (
            channel.show_type not in SHOW_TYPES,
            f"type {channel.show_type!r} is not episodic or serial",
        ),
    )
    _check_url(channel.link, "channel link")
    _check_url(channel.feed_url, "channel feed URL")
    if channel.image_url is not None:
        _check_image(channel.image_url, "channel image")


def _check_items(channel: Channel, items: Sequence[Item]) -> None:
    guids: set[str] = set()
    enclosures: set[str] = set()
    for item in items:
        where = f"episode {item.guid!r}"
        _check_item(item, where)
        _raise_first(
            where,
            (item.guid in guids, "guid is used by another episode"),  # rule A13
            (item.enclosure_url in enclosures, "enclosure URL is used by another episode"),  # A12
            (
                channel.show_type == "serial" and item.episode is None,
                "has no episode number (a serial show needs one)",
            ),
        )
        guids.add(item.guid)
        enclosures.add(item.enclosure_url)


def _check_item(item: Item, where: str) -> None:
    _check_characters(item, where)
    for person in item.persons:
        _check_characters(person, f"{where} person")
    length = item.enclosure_length
    _raise_first(
        where,
        (not item.guid.strip(), "guid is empty"),
        (item.guid != item.guid.strip(), "guid starts or ends with whitespace"),
        (not item.title.strip(), "title is empty"),  # rule A10
        (item.published.utcoffset() is None, "publication date has no time zone"),
        (
            isinstance(length, bool) or not isinstance(length, int) or length <= 0,
            f"enclosure length {length!r} is not a size in bytes",
        ),
        (
            not math.isfinite(item.duration_s) or item.duration_s < 0,
            f"duration {item.duration_s!r} is not a number of seconds",
        ),
        (item.season is not None and item.season < 1, "season must be 1 or more"),
        (item.episode is not None and item.episode < 1, "episode number must be 1 or more"),
        (not isinstance(item.explicit, bool), "explicit must be true or false"),
        (
            any(not p.name.strip() or not p.role for p in item.persons),
            "a person has no name or role",
        ),
    )
    _check_url(item.enclosure_url, f"{where} enclosure")
    _check_enclosure_type(item, where)
    if item.link is not None:
        _check_url(item.link, f"{where} link")
    if item.image_url is not None:
        _check_image(item.image_url, f"{where} image")


def _check_characters(value: Channel | Item | Person, where: str) -> None:
    # lxml refuses these with a bare ValueError; say which field holds one instead.
    for field in fields(value):
        text = getattr(value, field.name)
        if isinstance(text, str) and (found := _CONTROL_RE.search(text)):
            code = f"U+{ord(found.group()):04X}"
            raise FeedError(
                f"{where} {field.name} contains the control character {code}",
                hint="remove it from the text; feeds cannot carry control characters",
            )


def _check_url(url: str, where: str) -> None:
    if not _is_http_url(url):
        raise FeedError(
            f"{where} {url!r} is not an absolute http(s) URL",
            hint="Apple needs ASCII URLs without spaces: percent-encode or transliterate the path",
        )


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced "[" in the host
        return False
    has_space = any(char.isspace() for char in url)
    return (
        parts.scheme in ("http", "https") and bool(parts.netloc) and url.isascii() and not has_space
    )


def _check_image(url: str, where: str) -> None:
    _check_url(url, where)
    if not urlsplit(url).path.lower().endswith(IMAGE_SUFFIXES):
        raise FeedError(f"{where} {url!r} must end in .jpg, .jpeg or .png")


def _check_enclosure_type(item: Item, where: str) -> None:
    suffix = PurePosixPath(urlsplit(item.enclosure_url).path).suffix.lower()
    accepted = ENCLOSURE_TYPES.get(suffix)
    if accepted is None:
        raise FeedError(f"{where} enclosure must end in one of {', '.join(ENCLOSURE_TYPES)}")
    if item.enclosure_type not in accepted:
        raise FeedError(
            f"{where} enclosure type {item.enclosure_type!r} does not match {suffix}",
            hint=f"use {' or '.join(accepted)}",
        )


def _raise_first(where: str, *checks: tuple[bool, str]) -> None:
    for failed, message in checks:
        if failed:
            raise FeedError(f"{where} {message}")
