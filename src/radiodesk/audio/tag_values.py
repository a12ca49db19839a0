"""The values radiodesk writes into an MP3's ID3 tag: Tags, with its Cover and chapters.

Plain data: no mutagen, no files. id3_fields.py maps each field to frames; tags.py writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Cover:
    """Front cover art: the image bytes and their MIME type."""

    data: bytes
    mime: str  # a key of id3_fields.COVER_MAGIC


@dataclass(frozen=True, slots=True, kw_only=True)
class TagChapter:
    """One chapter as a CHAP frame carries it: its span of the audio, title and optional link."""

    start_s: float  # stored in whole milliseconds
    end_s: float
    title: str
    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Tags:
    """Everything radiodesk writes into an episode's ID3 tag."""

    # Text may hold any character but NUL, which ends an ID3 string: write_tags refuses it
    # (and lone surrogates) rather than change the producer's text behind their back.

    title: str
    artist: str  # the show's author
    album: str  # the show's title
    date: datetime | None  # timezone-aware; stored in UTC to the minute
    genre: str = "Podcast"
    description: str = ""
    language: str | None = None  # ISO 639-1 ("ru") or 639-2 ("rus")
    track: int | None = None  # episode number
    disc: int | None = None  # season
    podcast: bool = True
    feed_url: str | None = None
    episode_guid: str | None = None
    category: str | None = None
    url: str | None = None  # the episode's web page
    cover: Cover | None = None
    extra: Mapping[str, str] = field(default_factory=dict)  # TXXX frames by description
    chapters: tuple[TagChapter, ...] = ()  # in time order; CHAP frames under one CTOC
