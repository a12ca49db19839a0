"""What the podcast feed says, as plain values: the channel, its items and their parts.

Shared by the feed writer, the bundle that fills them in and the record of what is live;
holds no XML and no rules (those are check/'s, applied to the rendered feed).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from radiodesk.spec import PODCAST_GUID_NAMESPACE

FEED_KEY = "feed.xml"  # the main feed's store key; its further pages are page_key()s
_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


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


def podcast_guid_for(feed_url: str) -> str:
    """Return the podcast:guid the namespace derives from a feed URL (scheme, trailing / off)."""
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, _SCHEME_RE.sub("", feed_url).rstrip("/")))


def page_key(feed_key: str, number: int) -> str:
    """Return the store key of page `number` (2, 3, ...) of a paged feed: feed.xml -> feed-2.xml."""
    path = PurePosixPath(feed_key)
    return str(path.with_name(f"{path.stem}-{number}{path.suffix}"))


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
