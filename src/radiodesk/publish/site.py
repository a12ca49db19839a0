"""Renders the listeners' web site (show page, one page per episode) from plain values.

The only user of Jinja2; pure: values in, bytes out. Reads only its own templates, never the store.
"""

from __future__ import annotations

import functools
import hashlib
import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from markupsafe import Markup

from radiodesk.audio.waveform import WAVE_HEIGHT, Wave, svg_path
from radiodesk.publish.notes import linked_html
from radiodesk.publish.social import episode_card, meta_tags, show_card
from radiodesk.show import roles

if TYPE_CHECKING:
    import jinja2

INDEX_KEY = "index.html"
# A programme's store root is one prefix below its station's root, where the station page is.
STATION_PAGE_KEY = f"../{INDEX_KEY}"
SHOW_TEMPLATE = "show.html"
EPISODE_TEMPLATE = "episode.html"
CSS_KEY = "site.css"
JS_KEY = "site.js"
STATIC_FILES = (CSS_KEY, JS_KEY)  # copied from the templates folder as they are
SITE_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Cue markup: <v Name>, <i>, <c.class>, </b>, <font …> and timestamps such as <00:01.500>.
_TAG_RE = re.compile(r"<(?:/?[A-Za-z][^<>]*|\d[\d:.]*)>")
_VOICE_RE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]+)>")
_SVG_PATH_RE = re.compile(r"[MmHhVvZz0-9. -]*")

# Interface words by language (the show's primary subtag); English for any other language.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "episodes": "Episodes", "subscribe": "Subscribe", "rss": "RSS feed",
        "rss_hint": "Paste this address into your podcast app:",
        "download": "Download MP3", "chapters": "Chapters", "transcript": "Transcript",
        "transcript_file": "Transcript file", "all_episodes": "All episodes",
        "cover": "Cover art", "waveform": "Waveform of", "open_quote": "“", "close_quote": "”",
        "no_script": "Chapter links open the MP3 at that moment.",
        "player": "Player", "no_episodes": "No episodes yet.",
        "megabytes": "MB", "soundbites": "Soundbites", "soundbite": "Soundbite", "kilobytes": "KB",
        "download_clip": "Download the clip", "listen_from_here": "Listen in the episode",
        "station": "Station", "listen": "Listen",
    },
    "ru": {
        "episodes": "Выпуски", "subscribe": "Подписаться", "rss": "RSS-лента",
        "rss_hint": "Вставьте этот адрес в приложение для подкастов:",
        "download": "Скачать MP3", "chapters": "Главы", "transcript": "Расшифровка",
        "transcript_file": "Файл расшифровки", "all_episodes": "Все выпуски",
        "cover": "Обложка", "waveform": "Звуковая волна выпуска", "open_quote": "«",
        "close_quote": "»", "no_script": "Ссылки на главы открывают MP3 с этого места.",
        "player": "Плеер", "no_episodes": "Выпусков пока нет.",
        "megabytes": "МБ", "soundbites": "Фрагменты", "soundbite": "Фрагмент", "kilobytes": "КБ",
        "download_clip": "Скачать фрагмент", "listen_from_here": "Слушать в выпуске с этого места",
        "station": "Радиостанция", "listen": "Слушать",
    },
}  # fmt: skip
# The station page's own words (kept apart from WORDS, which the show pages use).
STATION_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "programmes": "Programmes", "episode_count": "Episodes", "latest": "Latest",
        "rss": "RSS feed", "feed_address": "Feed address of", "all_feeds": "All feeds (OPML)",
        "cover": "Cover art", "no_episodes": "No episodes yet.",
    },
    "ru": {
        "programmes": "Программы", "episode_count": "Выпусков", "latest": "Последний",
        "rss": "RSS-лента", "feed_address": "Адрес ленты программы",
        "all_feeds": "Все ленты (OPML)", "cover": "Обложка", "no_episodes": "Выпусков пока нет.",
    },
}  # fmt: skip
MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "ru": ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
           "сентября", "октября", "ноября", "декабря"),  # genitive: «5 марта 2025»
}  # fmt: skip
# podcast:person roles (every role of the podcast taxonomy), singular and plural, by language.
ROLES: dict[str, dict[str, tuple[str, str]]] = roles.LABELS


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


def render_station(station: SiteStation, programmes: Sequence[SiteProgramme]) -> dict[str, bytes]:
    """Return store key -> bytes of the station page (and its style sheet), at the store's root."""
    lang = station.language.split("-")[0].lower()
    views = [
        {
            "programme": p,
            "summary": " ".join(paragraphs(p.description)[0]) if p.description.strip() else "",
            "date": format_date(p.latest.published, lang) if p.latest else "",
        }
        for p in programmes
    ]
    common = {
        "station": station,
        "words": STATION_WORDS.get(lang, STATION_WORDS["en"]),
        "station_paragraphs": paragraphs(station.description),
    }
    template = _environment().get_template("station.html")
    page = _render(template, INDEX_KEY, common, programmes=views)
    folder = resources.files("radiodesk.publish") / "templates"
    return {INDEX_KEY: page, CSS_KEY: (folder / CSS_KEY).read_bytes()}


@dataclass(frozen=True, slots=True)
class Page:
    """One page of the site before it is rendered: its key, a fingerprint of all it shows."""

    key: str
    fingerprint: str  # the same fingerprint renders the same bytes (with the same radiodesk)
    render: Callable[[], bytes]


def render_site(show: SiteShow, episodes: Sequence[SiteEpisode]) -> dict[str, bytes]:
    """Return store key -> bytes of every page of the site, newest episode first."""
    return {page.key: page.render() for page in site_pages(show, episodes)}


def site_pages(show: SiteShow, episodes: Sequence[SiteEpisode]) -> list[Page]:
    """Return every page of the site, unrendered: a big show re-renders only changed pages.

    A page's fingerprint covers everything it is rendered from (the values' reprs are exact),
    so working it out costs far less than rendering the page.
    """
    env = functools.cache(_environment)  # made (Jinja2 loaded) only if a page is rendered
    lang = show.language.split("-")[0].lower()
    show_paragraphs = paragraphs(show.description)
    common = {
        "show": show,
        "words": WORDS.get(lang, WORDS["en"]),
        "show_paragraphs": show_paragraphs,
        "show_summary": " ".join(show_paragraphs[0]) if show_paragraphs else show.title,
        "station_page_key": STATION_PAGE_KEY,
    }
    ordered = sorted(episodes, key=lambda e: (e.published, e.slug), reverse=True)
    base = repr(sorted(common.items()))
    # Templates are compiled only for a page that is rendered: the fingerprints name them, and
    # the page cache is dropped whenever radiodesk's code or templates change.
    pages = [
        Page(
            episode_key(e.slug),
            digest(base, EPISODE_TEMPLATE, repr(e)),
            functools.partial(_render_episode, env, common, e, lang),
        )
        for e in ordered
    ]
    pages.insert(
        0,
        Page(
            INDEX_KEY,
            digest(base, SHOW_TEMPLATE, *(p.fingerprint for p in pages)),
            functools.partial(_render_show, env, common, ordered, lang),
        ),
    )
    folder = resources.files("radiodesk.publish") / "templates"
    for name in STATIC_FILES:
        data = (folder / name).read_bytes()
        pages.append(Page(name, hashlib.sha256(data).hexdigest(), functools.partial(bytes, data)))
    return pages


def _render_show(
    env: Callable[[], jinja2.Environment],
    common: dict[str, Any],
    episodes: Sequence[SiteEpisode],
    lang: str,
) -> bytes:
    views = [_episode_view(e, lang) for e in episodes]
    card = show_card(common["show"], common["show_summary"], common["words"]["cover"])
    notes = linked(common["show_paragraphs"])
    template = env().get_template(SHOW_TEMPLATE)
    return _render(
        template, INDEX_KEY, common, episodes=views, show_notes=notes, social=meta_tags(card)
    )


def _render_episode(
    env: Callable[[], jinja2.Environment],
    common: dict[str, Any],
    episode: SiteEpisode,
    lang: str,
) -> bytes:
    key = episode_key(episode.slug)
    template = env().get_template(EPISODE_TEMPLATE)  # compiled once: the environment keeps it
    view = _episode_view(episode, lang)
    card = episode_card(common["show"], episode, view["summary"], common["words"]["cover"])
    return _render(template, key, common, episode=view, social=meta_tags(card))


def digest(*parts: str | None) -> str:
    """Return the fingerprint of some exact reprs."""
    hashed = hashlib.sha256()
    for part in parts:
        hashed.update(str(part).encode("utf-8", "surrogatepass") + b"\0")
    return hashed.hexdigest()


def episode_key(slug: str) -> str:
    """Return the store key of an episode's page."""
    return f"episodes/{slug}/{INDEX_KEY}"


def _environment() -> jinja2.Environment:
    import jinja2  # slow to import: a publish with nothing to render never needs it

    return jinja2.Environment(
        loader=jinja2.PackageLoader("radiodesk.publish", "templates"),
        autoescape=True,  # every value is text: hostile titles must stay text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # the templates ship with the package: no stat per page
    )


def _render(template: jinja2.Template, key: str, common: dict[str, Any], **values: Any) -> bytes:
    """Render one page; `href` turns a store key into a link relative to this page's key."""
    up = "../" * key.count("/")

    def href(target: str) -> str:
        return up + quote(target, safe="/")

    text = template.render(**common, **values, href=href)
    return text.encode("utf-8")


def _episode_view(episode: SiteEpisode, lang: str) -> dict[str, Any]:
    """Return what the templates need of an episode, formatted for the show's language."""
    wave = episode.wave.load() if isinstance(episode.wave, StoredWave) else episode.wave
    wave = wave or Wave(width=len(episode.peaks), path=wave_path(episode.peaks))
    notes = paragraphs(episode.description)
    return {
        "slug": episode.slug,
        "key": episode_key(episode.slug),
        "title": episode.title,
        "notes": linked(notes),
        "summary": " ".join(notes[0]) if notes else "",
        "date": format_date(episode.published, lang),
        "date_iso": episode.published.isoformat(),
        "duration": format_duration(episode.duration_s),
        "duration_iso": iso_duration(episode.duration_s),
        "audio_key": episode.audio_key,
        "megabytes": f"{episode.audio_size / 1_000_000:.1f}",
        "image_key": episode.image_key,
        "persons": group_persons(episode.persons, lang),
        "chapters": [
            (_seconds(c.start_s), format_position(c.start_s), c.title) for c in episode.chapters
        ],
        "transcript": transcript_lines(episode.transcript),
        "transcript_key": episode.transcript_key,
        # Escaping 2,000 paths of 400 bars is most of the page's cost; a path of only these
        # characters is markup-safe as it is.
        "wave_path": Markup(wave.path) if _SVG_PATH_RE.fullmatch(wave.path) else wave.path,
        "wave_width": wave.width,
        "wave_height": WAVE_HEIGHT,
        "soundbites": [
            {
                "seconds": _seconds(s.start_s),
                "span": f"{format_position(s.start_s)}–{format_position(s.start_s + s.duration_s)}",
                "title": s.title,
                "clip_key": s.clip_key,
                "kilobytes": f"{s.clip_size / 1000:.0f}",
            }
            for s in episode.soundbites
        ],
    }


def paragraphs(text: str) -> list[list[str]]:
    """Split plain text into paragraphs (blank lines) of lines (single newlines)."""
    blocks = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").strip())
    return [
        [line.strip() for line in block.strip().split("\n")] for block in blocks if block.strip()
    ]


def linked(blocks: list[list[str]]) -> list[list[Markup]]:
    """Return paragraphs of plain lines as HTML lines, web addresses made links."""
    return [[Markup(linked_html(line)) for line in lines] for lines in blocks]


def format_date(moment: datetime, lang: str) -> str:
    """Write a date the way the language does, without the locale: `5 марта 2025`."""
    months = MONTHS.get(lang, MONTHS["en"])
    return f"{moment.day} {months[moment.month - 1]} {moment.year}"


def format_duration(seconds: float) -> str:
    """Write a duration as H:MM:SS (rounded to the second)."""
    minutes, secs = divmod(round(max(seconds, 0.0)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def format_position(seconds: float) -> str:
    """Write a position in the audio as H:MM:SS, cut to the second as players show it."""
    return format_duration(math.floor(max(seconds, 0.0)))


def iso_duration(seconds: float) -> str:
    """Write a duration for `<time datetime>`: `PT1H2M3S`."""
    minutes, secs = divmod(round(max(seconds, 0.0)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"PT{hours}H{minutes}M{secs}S"


def group_persons(persons: Sequence[SitePerson], lang: str) -> list[tuple[str, list[str]]]:
    """Group names by role in order of first appearance, each with its (plural) label."""
    groups: dict[str, list[str]] = {}
    for person in persons:
        groups.setdefault(person.role.lower(), []).append(person.name)
    labels = ROLES.get(lang, ROLES["en"])
    return [
        (labels.get(role, (role.capitalize(), role.capitalize()))[len(names) > 1], names)
        for role, names in groups.items()
    ]


def transcript_lines(cues: Sequence[SiteCue]) -> list[tuple[str, str, str | None, str]]:
    """Return (fragment time, shown time, speaker if it changed, plain text) for each cue."""
    lines: list[tuple[str, str, str | None, str]] = []
    previous: str | None = None
    for cue in cues:
        speaker, text = cue_text(cue.text)
        shown = speaker if speaker and speaker != previous else None
        previous = speaker or previous
        lines.append((_seconds(cue.start_s), format_position(cue.start_s), shown, text))
    return lines


def cue_text(text: str) -> tuple[str | None, str]:
    """Split WebVTT/SRT cue text into its voice (`<v Name>`) and plain text, markup removed."""
    voice = _VOICE_RE.search(text)
    plain = html.unescape(_TAG_RE.sub("", text))  # WebVTT escapes `<` and `&` as entities
    return (voice.group(1).strip() if voice else None), " ".join(plain.split())


def wave_path(peaks: Sequence[float]) -> str:
    """Draw the peaks as one SVG path of bars mirrored around the middle, one unit per peak."""
    return svg_path(peaks)


def _seconds(value: float) -> str:
    """Write a media-fragment time (`#t=…`): whole seconds, or up to milliseconds."""
    return f"{max(value, 0.0):.3f}".rstrip("0").rstrip(".")
