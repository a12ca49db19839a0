"""What the listeners' pages show, as plain values: the show, its episodes, the station.

Filled in by the bundle (and kept in the record of what is live); rendered by site.py and
social.py. No HTML, no store keys worked out here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from radiodesk.audio.waveform import Wave


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteChapter:
    """A chapter mark: where it starts and its title."""

    start_s: float
    title: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteCue:
    """One transcript cue."""

    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteSoundbite:
    """A soundbite: its span of the episode, optional title and its own MP3 clip."""

    start_s: float
    duration_s: float
    title: str
    clip_key: str
    clip_size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SitePerson:
    """A person heard in an episode, with a podcast:person role such as host or guest."""

    name: str
    role: str


@dataclass(frozen=True, slots=True)
class StoredWave:
    """A drawing kept in a file, read only if a page that shows it is rendered.

    Fingerprints see `identity` instead of the drawing, so it must change whenever what `load`
    returns may change.
    """

    identity: str
    load: Callable[[], Wave] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteEpisode:
    """What an episode page shows; keys are store keys (`audio/…`, `images/…`)."""

    slug: str
    title: str
    description: str  # plain text, paragraphs split by blank lines
    published: datetime
    duration_s: float
    audio_key: str
    audio_size: int
    image_key: str | None
    persons: tuple[SitePerson, ...] = ()
    chapters: tuple[SiteChapter, ...] = ()
    transcript: tuple[SiteCue, ...] = ()
    transcript_key: str | None = None
    peaks: tuple[float, ...] = ()  # 0..1 waveform peaks, drawn as an inline SVG
    # The peaks drawn already (kept beside them), used instead of drawing them on the page.
    wave: Wave | StoredWave | None = None
    loudness_lufs: float | None = None  # a producer's figure: not shown to listeners
    soundbites: tuple[SiteSoundbite, ...] = ()
    # Absolute public URLs (the store's), for link previews: of this page, the MP3, own artwork.
    page_url: str | None = None
    audio_url: str | None = None
    image_url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteStationLink:
    """The station a programme belongs to, as its pages name it (linking to its page)."""

    name: str
    language: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteShow:
    """What the show page shows; `feed_url` is the feed's absolute public URL."""

    title: str
    description: str
    language: str
    author: str
    image_key: str | None
    feed_key: str
    feed_url: str
    links: tuple[tuple[str, str], ...] = ()  # extra subscribe links: (label, absolute url)
    station: SiteStationLink | None = None  # a programme's station; None for a lone show
    # Absolute public URLs (the store's), for link previews: of the show page and its artwork.
    page_url: str | None = None
    image_url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteLatest:
    """A programme's newest episode, as the station page names it."""

    title: str
    published: datetime
    page_key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteProgramme:
    """One programme on the station page; keys are station store keys (`<prefix>/…`)."""

    title: str
    description: str
    page_key: str
    page_url: str  # absolute, for the OPML's htmlUrl
    feed_url: str
    image_key: str | None
    episode_count: int
    latest: SiteLatest | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteStation:
    """What the station page says about the station itself."""

    name: str
    description: str
    language: str
    image_key: str | None
    opml_key: str


@dataclass(frozen=True, slots=True)
class Page:
    """One page of the site before it is rendered: its key, a fingerprint of all it shows."""

    key: str
    fingerprint: str  # the same fingerprint renders the same bytes (with the same radiodesk)
    render: Callable[[], bytes]
