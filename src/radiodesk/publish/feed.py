"""Build the podcast RSS feed: view-models in, UTF-8 bytes out, paged for long archives.

The only user of feedgen and lxml. It never reads files, the clock or the network; a value that
breaks one of Apple's hard rules or the Podcasting 2.0 spec raises FeedError instead of reaching
the feed.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from email.utils import format_datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree  # type: ignore[import-untyped]

from radiodesk.errors import FeedError
from radiodesk.publish.notes import escaped_html, has_links, paragraphs_html
from radiodesk.spec import (
    APPLE_CATEGORIES,
    ATOM_NS,
    CHAPTERS_TYPE,
    CONTENT_NS,
    CONTROL_RE,
    COUNTRY_RE,
    EMAIL_RE,
    ENCLOSURE_TYPES,
    EPISODE_TYPES,
    GEO_RE,
    IMAGE_SUFFIXES,
    ITUNES_NS,
    LANGUAGE_RE,
    LOCATION_RELS,
    MAX_DESCRIPTION_BYTES,
    MAX_SOUNDBITE_TITLE,
    MEDIUMS,
    OSM_RE,
    PODCAST_GUID_NAMESPACE,
    PODCAST_NS,
    RSS_TYPE,
    SHOW_TYPES,
    TRANSCRIPT_TYPES,
    UUID_RE,
    is_http_url,
)

GENERATOR = "radiodesk"
_CHANNEL_DATES = ("pubDate", "lastBuildDate")
_EXPLICIT = {True: "true", False: "false"}  # rule A09: never yes/no/clean
_YES_NO = {True: "yes", False: "no"}  # podcast:locked
_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_SINGULAR = {"persons": "person", "transcripts": "transcript", "soundbites": "soundbite"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """Someone heard in or credited for the show, written as podcast:person."""

    name: str
    role: str = "host"
    group: str | None = None
    img: str | None = None
    href: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Funding:
    """A donation or membership link, written as podcast:funding."""

    url: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """What place the show or episode is about (or, with rel="creator", made in)."""

    name: str
    geo: str | None = None  # "geo:54.71,20.51"
    osm: str | None = None  # "R1674442"
    rel: str | None = None  # subject (the default) or creator
    country: str | None = None  # "ru"


@dataclass(frozen=True, slots=True, kw_only=True)
class Transcript:
    """A transcript or captions file, written as podcast:transcript."""

    url: str
    type: str
    language: str | None = None
    rel: str | None = None  # "captions" for timed captions


@dataclass(frozen=True, slots=True, kw_only=True)
class Soundbite:
    """A span of the episode worth sharing, written as podcast:soundbite."""

    start_s: float
    duration_s: float
    title: str = ""


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
    podcast_guid: str | None = None  # None: derived from feed_url (podcast_guid_for)
    locked: bool | None = None  # None: no podcast:locked
    locked_owner: str | None = None
    funding: tuple[Funding, ...] = ()
    location: Location | None = None
    block: bool = False
    complete: bool = False
    new_feed_url: str | None = None  # the show has moved there
    persons: tuple[Person, ...] = ()  # the regular hosts
    medium: str = "podcast"


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
    episode_type: str = "full"
    block: bool = False
    transcripts: tuple[Transcript, ...] = ()
    chapters_url: str | None = None
    location: Location | None = None
    season_name: str | None = None
    soundbites: tuple[Soundbite, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class _Tag:
    """One element an extension appends: Clark-notation name, text, attributes, children."""

    name: str
    text: str | None = None
    attrs: tuple[tuple[str, str], ...] = ()
    children: tuple[_Tag, ...] = ()
    cdata: bool = False  # text written as a CDATA section (HTML that readers read as such)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Page:
    """Where one document sits in an RFC 5005 paged feed: its index and every page's URL."""

    index: int
    urls: tuple[str, ...]


def _append_tags(parent: Any, tags: Sequence[_Tag]) -> None:
    for tag in tags:
        element = etree.SubElement(parent, tag.name, attrib=dict(tag.attrs))
        element.text = etree.CDATA(tag.text) if tag.cdata and tag.text else tag.text
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


def podcast_guid_for(feed_url: str) -> str:
    """Return the podcast:guid the namespace derives from a feed URL (scheme, trailing / off)."""
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, _SCHEME_RE.sub("", feed_url).rstrip("/")))


def page_key(feed_key: str, number: int) -> str:
    """Return the store key of page `number` (2, 3, ...) of a paged feed: feed.xml -> feed-2.xml."""
    path = PurePosixPath(feed_key)
    return str(path.with_name(f"{path.stem}-{number}{path.suffix}"))


def build_feed(channel: Channel, items: Sequence[Item]) -> bytes:
    """Render the channel and its items as an RSS 2.0 podcast feed, newest item first."""
    _check_channel(channel)
    _check_items(channel, items)
    return _render(channel, _newest_first(items), None)


def build_feeds(
    channel: Channel, items: Sequence[Item], *, page_size: int | None, feed_key: str = "feed.xml"
) -> dict[str, bytes]:
    """Render the feed as store key -> bytes: one document, or RFC 5005 pages of page_size items.

    The first page (feed_key) holds the newest items; feed-2.xml, feed-3.xml ... hold older ones.
    """
    _check_channel(channel)
    _check_items(channel, items)
    if page_size is not None and (isinstance(page_size, bool) or page_size < 1):
        raise FeedError(f"feed page size {page_size!r} must be 1 or more")
    ordered = _newest_first(items)
    if page_size is None or len(ordered) <= page_size:
        return {feed_key: _render(channel, ordered, None)}
    chunks = [ordered[start : start + page_size] for start in range(0, len(ordered), page_size)]
    keys = [feed_key, *(page_key(feed_key, n) for n in range(2, len(chunks) + 1))]
    urls = tuple(_page_url(channel.feed_url, feed_key, key) for key in keys)
    newest = ordered[0].published
    return {
        key: _render(channel, chunk, _Page(index=index, urls=urls), newest)
        for index, (key, chunk) in enumerate(zip(keys, chunks, strict=True))
    }


def _newest_first(items: Sequence[Item]) -> list[Item]:
    return sorted(items, key=lambda item: (item.published, item.guid), reverse=True)


def _page_url(feed_url: str, feed_key: str, key: str) -> str:
    name = PurePosixPath(feed_key).name
    parts = urlsplit(feed_url)
    if parts.query or parts.fragment or not parts.path.endswith("/" + name):
        raise FeedError(
            f"channel feed URL {feed_url!r} does not end in {name!r}, so its pages have no URLs",
            hint="page the feed only when it is served from the store under its own key",
        )
    return feed_url[: -len(name)] + PurePosixPath(key).name


def _render(
    channel: Channel, ordered: Sequence[Item], page: _Page | None, newest: datetime | None = None
) -> bytes:
    newest = newest or (ordered[0].published if ordered else None)
    generator = _start_feed(channel, newest, page)
    for item in ordered:
        _add_item(generator, channel, item)
    feed: bytes = generator.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return feed


def _start_feed(channel: Channel, newest: datetime | None, page: _Page | None) -> Any:
    generator = FeedGenerator()
    generator.register_extension(GENERATOR, _ChannelExtension, _ItemExtension, atom=False)
    generator.title(channel.title.strip())
    generator.description(channel.description.strip())
    generator.language(channel.language)
    # feedgen writes the LAST link as RSS <link>, so the self link goes first.
    self_url = page.urls[page.index] if page else channel.feed_url
    generator.link(href=self_url, rel="self", type=RSS_TYPE)
    generator.link(href=channel.link, rel="alternate")
    generator.generator(GENERATOR)
    if channel.copyright:
        generator.copyright(channel.copyright.strip())
    if channel.image_url:
        generator.image(url=channel.image_url, title=channel.title.strip(), link=channel.link)
    # feedgen defaults lastBuildDate to now() and formats dates by switching the process locale;
    # drop its value and write both channel dates from the newest episode (same input, same bytes).
    generator._FeedGenerator__rss_lastBuildDate = None
    tags = _channel_tags(channel, newest, moved=page is None or page.index == 0)
    getattr(generator, GENERATOR).tags = tags + _page_links(page)
    return generator


def _page_links(page: _Page | None) -> tuple[_Tag, ...]:
    """Return the RFC 5005 section 3 links (in RSS as atom:link, as its appendix B shows)."""
    if page is None:
        return ()
    links = [("first", page.urls[0]), ("last", page.urls[-1])]
    if page.index > 0:
        links.append(("previous", page.urls[page.index - 1]))
    if page.index < len(page.urls) - 1:
        links.append(("next", page.urls[page.index + 1]))
    return tuple(
        _Tag(name=f"{{{ATOM_NS}}}link", attrs=(("href", url), ("rel", rel), ("type", RSS_TYPE)))
        for rel, url in links
    )


def _channel_tags(channel: Channel, newest: datetime | None, *, moved: bool) -> tuple[_Tag, ...]:
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
    # Apple reads only "Yes"; other values are ignored, so false writes nothing.
    flags = (("block", channel.block), ("complete", channel.complete))
    tags += [_Tag(name=_itunes(name), text="Yes") for name, on in flags if on]
    if channel.new_feed_url and moved:
        tags.append(_Tag(name=_itunes("new-feed-url"), text=channel.new_feed_url))
    if newest is not None:
        tags += [_Tag(name=name, text=format_datetime(newest)) for name in _CHANNEL_DATES]
    return (*tags, *_channel_podcast_tags(channel))


def _channel_podcast_tags(channel: Channel) -> tuple[_Tag, ...]:
    guid = channel.podcast_guid or podcast_guid_for(channel.feed_url)
    tags = [
        _Tag(name=_podcast("guid"), text=guid),
        _Tag(name=_podcast("medium"), text=channel.medium),
    ]
    if channel.locked is not None:
        owner = (("owner", channel.locked_owner),) if channel.locked_owner else ()
        tags.append(_Tag(name=_podcast("locked"), text=_YES_NO[channel.locked], attrs=owner))
    tags += [
        _Tag(name=_podcast("funding"), text=funding.text.strip(), attrs=(("url", funding.url),))
        for funding in channel.funding
    ]
    tags += [_person_tag(person) for person in channel.persons]
    if channel.location:
        tags.append(_location_tag(channel.location))
    return tuple(tags)


def _add_item(generator: Any, channel: Channel, item: Item) -> None:
    entry = generator.add_entry(order="append")  # feedgen prepends by default
    entry.title(item.title.strip())
    entry.guid(item.guid, permalink=False)
    if item.link:
        entry.link(href=item.link, rel="alternate")
    description = paragraphs_html(item.description, escaped_html)
    if description:
        entry.content(description, type="CDATA")  # written as <description> in RSS
    entry.enclosure(item.enclosure_url, str(item.enclosure_length), item.enclosure_type)
    tags = _item_tags(item) + _item_podcast_tags(channel, item)
    getattr(entry, GENERATOR).tags = tags + _content_tags(item)


def _content_tags(item: Item) -> tuple[_Tag, ...]:
    """Return content:encoded, the notes with clickable links, if they hold an address.

    Without one it would repeat <description> byte for byte, and a feed is best kept small.
    """
    if not has_links(item.description):
        return ()
    notes = paragraphs_html(item.description)
    return (_Tag(name=f"{{{CONTENT_NS}}}encoded", text=notes, cdata=True),)


def _item_tags(item: Item) -> tuple[_Tag, ...]:
    numbers = (("season", item.season), ("episode", item.episode))
    tags = [
        # Rule A14; feedgen's own pubDate formats through a process-wide locale switch.
        _Tag(name="pubDate", text=format_datetime(item.published)),
        _Tag(name=_itunes("title"), text=item.title.strip()),
        _Tag(name=_itunes("duration"), text=str(round(item.duration_s))),
        _Tag(name=_itunes("explicit"), text=_EXPLICIT[item.explicit]),
        _Tag(name=_itunes("episodeType"), text=item.episode_type),
    ]
    tags += [_Tag(name=_itunes(key), text=str(n)) for key, n in numbers if n is not None]
    if item.block:
        tags.append(_Tag(name=_itunes("block"), text="Yes"))
    if item.image_url:
        tags.append(_Tag(name=_itunes("image"), attrs=(("href", item.image_url),)))
    return tuple(tags)


def _item_podcast_tags(channel: Channel, item: Item) -> tuple[_Tag, ...]:
    tags = []
    if item.season is not None:
        name = (("name", item.season_name.strip()),) if item.season_name else ()
        tags.append(_Tag(name=_podcast("season"), text=str(item.season), attrs=name))
    if item.episode is not None:
        tags.append(_Tag(name=_podcast("episode"), text=str(item.episode)))
    tags += [_transcript_tag(transcript) for transcript in item.transcripts]
    if item.chapters_url:
        attrs = (("url", item.chapters_url), ("type", CHAPTERS_TYPE))
        tags.append(_Tag(name=_podcast("chapters"), attrs=attrs))
    tags += [_person_tag(person) for person in episode_persons(channel, item)]
    if item.location:
        tags.append(_location_tag(item.location))
    tags += [_soundbite_tag(soundbite) for soundbite in item.soundbites]
    return tuple(tags)


def _soundbite_tag(soundbite: Soundbite) -> _Tag:
    attrs = (
        ("startTime", _decimal(soundbite.start_s)),
        ("duration", _decimal(soundbite.duration_s)),
    )
    return _Tag(name=_podcast("soundbite"), text=soundbite.title.strip() or None, attrs=attrs)


def _decimal(seconds: float) -> str:
    """Write seconds as the namespace's examples do: `73.5`, `15.0` (to the millisecond)."""
    text = f"{seconds:.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def episode_persons(channel: Channel, item: Item) -> tuple[Person, ...]:
    """Return the item's podcast:person list: none, or the channel's hosts restated plus its own.

    An item-level list REPLACES the channel's in apps (namespace 1.0, "person"), so an episode
    with a guest must name the regular hosts again; the same name and role is written once.
    """
    if not item.persons:
        return ()
    unique: dict[tuple[str, str], Person] = {}
    for person in (*channel.persons, *item.persons):
        unique.setdefault((person.name.strip().casefold(), person.role.casefold()), person)
    return tuple(unique.values())


def _person_tag(person: Person) -> _Tag:
    optional = (("group", person.group), ("img", person.img), ("href", person.href))
    attrs = (("role", person.role), *((key, value) for key, value in optional if value))
    return _Tag(name=_podcast("person"), text=person.name.strip(), attrs=attrs)


def _location_tag(location: Location) -> _Tag:
    optional = (
        ("rel", location.rel),
        ("geo", location.geo),
        ("osm", location.osm),
        ("country", location.country),
    )
    attrs = tuple((key, value) for key, value in optional if value)
    return _Tag(name=_podcast("location"), text=location.name.strip(), attrs=attrs)


def _transcript_tag(transcript: Transcript) -> _Tag:
    optional = (("language", transcript.language), ("rel", transcript.rel))
    attrs = (("url", transcript.url), ("type", transcript.type))
    return _Tag(
        name=_podcast("transcript"),
        attrs=(*attrs, *((key, value) for key, value in optional if value)),
    )


def _itunes(name: str) -> str:
    return f"{{{ITUNES_NS}}}{name}"


def _podcast(name: str) -> str:
    return f"{{{PODCAST_NS}}}{name}"


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
            not LANGUAGE_RE.match(channel.language),
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
            not EMAIL_RE.match(channel.owner_email),
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
    _check_channel_podcast(channel)


def _check_channel_podcast(channel: Channel) -> None:
    guid, owner = channel.podcast_guid, channel.locked_owner
    _raise_first(
        "channel",
        (guid is not None and not UUID_RE.match(guid), f"podcast guid {guid!r} is not a UUID"),
        (owner is not None and channel.locked is None, "locked owner is set but locked is not"),
        (owner is not None and not EMAIL_RE.match(owner), f"locked owner {owner!r} is invalid"),
        (channel.medium not in MEDIUMS, f"medium {channel.medium!r} is not one of {MEDIUMS}"),
        (channel.new_feed_url == channel.feed_url, "new feed URL is the feed URL itself"),
        (any(not f.text.strip() for f in channel.funding), "a funding link has no text"),
    )
    if channel.new_feed_url is not None:
        _check_url(channel.new_feed_url, "channel new feed URL")
    for funding in channel.funding:
        _check_url(funding.url, "channel funding")
    _check_persons(channel.persons, "channel")
    if channel.location is not None:
        _check_location(channel.location, "channel")


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
            item.episode_type not in EPISODE_TYPES,
            f"episode type {item.episode_type!r} is not full, trailer or bonus",
        ),
        (item.season_name is not None and item.season is None, "season name needs a season"),
        (item.season_name is not None and not item.season_name.strip(), "season name is empty"),
    )
    _check_url(item.enclosure_url, f"{where} enclosure")
    _check_enclosure_type(item, where)
    if item.link is not None:
        _check_url(item.link, f"{where} link")
    if item.image_url is not None:
        _check_image(item.image_url, f"{where} image")
    _check_item_podcast(item, where)


def _check_item_podcast(item: Item, where: str) -> None:
    _check_persons(item.persons, where)
    for transcript in item.transcripts:
        _raise_first(
            f"{where} transcript",
            (
                transcript.type not in TRANSCRIPT_TYPES,
                f"type {transcript.type!r} is not one of {', '.join(TRANSCRIPT_TYPES)}",
            ),
            (
                transcript.language is not None and not LANGUAGE_RE.match(transcript.language),
                f"language {transcript.language!r} is not a code like ru or en-us",
            ),
            (transcript.rel not in (None, "captions"), f"rel {transcript.rel!r} is not captions"),
        )
        _check_url(transcript.url, f"{where} transcript")
    if item.chapters_url is not None:
        _check_url(item.chapters_url, f"{where} chapters")
    if item.location is not None:
        _check_location(item.location, where)
    for soundbite in item.soundbites:
        start, length = soundbite.start_s, soundbite.duration_s
        _raise_first(
            f"{where} soundbite at {start!r} s",
            (not (math.isfinite(start) and start >= 0), "does not start at 0 s or later"),
            (not (math.isfinite(length) and length > 0), "lasts no time"),
            (start + length > item.duration_s + 0.001, "runs past the end of the episode"),
            (len(soundbite.title.strip()) > MAX_SOUNDBITE_TITLE, "title is over 128 characters"),
        )


def _check_persons(persons: Sequence[Person], where: str) -> None:
    _raise_first(
        where,
        (
            any(not p.name.strip() or not p.role.strip() for p in persons),
            "a person has no name or role",
        ),
    )
    for person in persons:
        for url in (person.img, person.href):
            if url is not None:
                _check_url(url, f"{where} person {person.name!r}")


def _check_location(location: Location, where: str) -> None:
    geo, osm, rel, country = location.geo, location.osm, location.rel, location.country
    geo_match = GEO_RE.match(geo) if geo is not None else None
    lat_lon = (float(geo_match[1]), float(geo_match[2])) if geo_match else (0.0, 0.0)
    _raise_first(
        f"{where} location",
        (not location.name.strip(), "has no name"),
        (
            geo is not None and (not geo_match or abs(lat_lon[0]) > 90 or abs(lat_lon[1]) > 180),
            f"geo {geo!r} is not like geo:54.71,20.51",
        ),
        (osm is not None and not OSM_RE.match(osm), f"osm {osm!r} is not like R1674442"),
        (rel is not None and rel not in LOCATION_RELS, f"rel {rel!r} is not subject or creator"),
        (country is not None and not COUNTRY_RE.match(country), f"country {country!r} is not ru"),
    )


def _check_characters(value: Any, where: str) -> None:
    # lxml refuses these with a bare ValueError; say which field holds one instead.
    for field in fields(value):
        content = getattr(value, field.name)
        for part in content if isinstance(content, tuple) else (content,):
            if is_dataclass(part):
                _check_characters(part, f"{where} {_SINGULAR.get(field.name, field.name)}")
            elif isinstance(part, str) and (found := CONTROL_RE.search(part)):
                code = f"U+{ord(found.group()):04X}"
                raise FeedError(
                    f"{where} {field.name} contains the control character {code}",
                    hint="remove it from the text; feeds cannot carry control characters",
                )


def _check_url(url: str, where: str) -> None:
    if not is_http_url(url):
        raise FeedError(
            f"{where} {url!r} is not an absolute http(s) URL",
            hint="Apple needs ASCII URLs without spaces: percent-encode or transliterate the path",
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
