"""Renders the listeners' web site (show page, one page per episode, station page) from
site_model's values. The only user of Jinja2; pure: values in, bytes out. Reads only its own
templates, never the store.
"""

from __future__ import annotations

import functools
import hashlib
import html
import math
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from markupsafe import Markup

from radiodesk.audio.waveform import WAVE_HEIGHT, Wave, svg_path
from radiodesk.publish.notes import linked_html
from radiodesk.publish.site_model import (
    Page,
    SiteCue,
    SiteEpisode,
    SitePerson,
    SiteProgramme,
    SiteShow,
    SiteStation,
    StoredWave,
)
from radiodesk.publish.site_words import MONTHS, STATION_WORDS, WORDS
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
    labels = roles.LABELS.get(lang, roles.LABELS["en"])
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
