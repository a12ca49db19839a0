"""Write the podcast RSS feed: feed_model's values in, UTF-8 bytes out, paged for long archives.

The only user of feedgen and lxml. It never reads files, the clock or the network, and judges
nothing: feed_guard refuses what it cannot write, check/'s rules judge what it wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree  # type: ignore[import-untyped]

from radiodesk.errors import FeedError
from radiodesk.publish.feed_guard import refuse_unwritable
from radiodesk.publish.feed_model import (
    Channel,
    Item,
    Location,
    Person,
    Soundbite,
    Transcript,
    episode_persons,
    page_key,
    podcast_guid_for,
)
from radiodesk.publish.notes import escaped_html, has_links, paragraphs_html
from radiodesk.spec import ATOM_NS, CHAPTERS_TYPE, CONTENT_NS, ITUNES_NS, PODCAST_NS, RSS_TYPE

GENERATOR = "radiodesk"
_CHANNEL_DATES = ("pubDate", "lastBuildDate")
_EXPLICIT = {True: "true", False: "false"}  # rule A09: never yes/no/clean
_YES_NO = {True: "yes", False: "no"}  # podcast:locked


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


def build_feeds(
    channel: Channel, items: Sequence[Item], *, page_size: int | None, feed_key: str = "feed.xml"
) -> dict[str, bytes]:
    """Render the feed as store key -> bytes: one document, or RFC 5005 pages of page_size items.

    The first page (feed_key) holds the newest items; feed-2.xml, feed-3.xml ... hold older ones.
    """
    refuse_unwritable(channel, items)
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
