"""Episode chapters: parse the producer's list or Podcasting 2.0 JSON, fit them, write JSON.

Pure but for reading the chapters an episode keeps; never writes files, tags audio or prints.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from radiodesk.errors import CatalogError
from radiodesk.show.episode import Episode
from radiodesk.show.folders import stored_name
from radiodesk.show.timeline import Timeline, clock
from radiodesk.spec import LINE_CONTROL_RE

_log = logging.getLogger(__name__)

# https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/examples/chapters/jsonChapters.md
JSON_VERSION: Final = "1.2.0"

_LIST_HINT: Final = (
    'write one chapter a line, like "00:00 Вступление" or "1:02:03 Вопросы слушателей"'
)
_JSON_HINT: Final = 'see the JSON chapters format: {"version": "1.2.0", "chapters": [...]}'
# Not str.splitlines: it also splits at \x0b, \x85 and others, which must be refused in titles.
_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")
# A time at the start of a line: [H:]MM:SS or M:SS, with up to milliseconds after "." or ",".
_CLOCK: Final = re.compile(r"(?P<clock>\d+(?::\d+){1,2}(?:[.,]\d+)?)(?P<rest>.*)")
_TIME: Final = re.compile(
    r"(?:(?P<h>\d+):(?P<m>[0-5]\d)|(?P<lead>\d+)):(?P<s>[0-5]\d)(?:[.,](?P<ms>\d{1,3}))?"
)
# "00:00 Title", "00:00 - Title", "00:00—Title"; "$" lets a bare time say "has no title".
# A dash after a space and before a letter is the title's own: "00:00 -5 градусов".
_SEPARATOR: Final = re.compile(r"\s*[-–—:|](?:\s+|$)|\s+|[-–—]|$")
_LINK_SUFFIX: Final = re.compile(r"\s*<(?P<url>[^<>\s]+)>$")  # "00:00 Title <https://...>"
# Unicode categories no title may hold: JSON and ID3 cannot carry them, or apps show garbage.


@dataclass(frozen=True, slots=True, kw_only=True)
class Chapter:
    """One chapter: where it starts (and ends) in the published audio, and what it is called."""

    start_s: float
    title: str
    end_s: float | None = None  # filled in by fit_chapters
    url: str | None = None  # a web page about the chapter's topic
    image_url: str | None = None  # chapter art ("img" in JSON); not written to ID3


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A chapter and where the producer wrote it ("line 4" or "chapter 2"), for messages."""

    chapter: Chapter
    where: str


def format_time(seconds: float) -> str:
    """Return seconds as M:SS or H:MM:SS, with milliseconds only when there are any."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, fraction = divmod(rest, 1000)
    clock = f"{hours}:{minutes:02d}:{whole:02d}" if hours else f"{minutes:02d}:{whole:02d}"
    return f"{clock}.{fraction:03d}" if fraction else clock


def _fail(source: str, where: str, problem: str, hint: str = _LIST_HINT) -> CatalogError:
    """Return the error for a problem at one place ("line 4", "chapter 2" or "") of a file."""
    place = f"{source} {where}" if where else source
    return CatalogError(f"chapters {place}: {problem}", hint=hint)


_KINDS: Final[Mapping[str, str]] = {"Cs": "lone surrogate", "Cn": "non-character"}


def _title_problem(title: str) -> str | None:
    """Say why title cannot name a chapter, or None when it can."""
    if not title.strip():
        return "has no title"
    bad = LINE_CONTROL_RE.search(title)
    if bad is None:
        return None
    kind = _KINDS.get(unicodedata.category(bad[0]), "control character")
    return f"title contains the {kind} U+{ord(bad[0]):04X}"


def _url_problem(url: str) -> str | None:
    """Say why url cannot be a chapter link: podcast apps open only http(s) links."""
    if url.startswith(("https://", "http://")) and url.isascii() and url.isprintable():
        return None
    return f"link {url!r} is not an ASCII http(s) URL"


def _parse_clock(clock: str) -> float | None:
    """Return the seconds of "[H:]MM:SS[.mmm]" or "M:SS", or None when it is no such time."""
    found = _TIME.fullmatch(clock)
    if found is None:
        return None
    hours, minutes = int(found["h"] or 0), int(found["m"] or found["lead"])
    millis = int((found["ms"] or "0").ljust(3, "0"))
    return (((hours * 60 + minutes) * 60 + int(found["s"])) * 1000 + millis) / 1000


def _parse_line(line: str, where: str, source: str) -> Chapter:
    """Parse one "TIME Title [<url>]" line."""
    found = _CLOCK.match(line.strip())
    if found is None:
        raise _fail(source, where, f"{line.strip()[:40]!r} does not start with a time")
    start_s = _parse_clock(found["clock"])
    if start_s is None:
        raise _fail(source, where, f"{found['clock']!r} is not a time (MM:SS or HH:MM:SS.mmm)")
    separator = _SEPARATOR.match(found["rest"])
    if separator is None:
        raise _fail(source, where, "put a space between the time and the title")
    title, url = found["rest"][separator.end() :].strip(), None
    if link := _LINK_SUFFIX.search(title):
        title, url = title[: link.start()].strip(), link["url"]
    return _checked(Chapter(start_s=start_s, title=title, url=url), where, source)


def _checked(chapter: Chapter, where: str, source: str, hint: str = _LIST_HINT) -> Chapter:
    """Return chapter if its title and links can be published, else raise CatalogError."""
    links = (chapter.url, chapter.image_url)
    problems = [_title_problem(chapter.title), *(_url_problem(u) for u in links if u is not None)]
    if problem := next((p for p in problems if p), None):
        raise _fail(source, where, problem, hint)
    return replace(chapter, title=chapter.title.strip())


def _parse_list(text: str, source: str) -> list[_Parsed]:
    """Parse the producer's list: one chapter a line; blank lines and "#" comments skipped."""
    lines = enumerate(_LINE_BREAK.split(text), start=1)
    return [
        _Parsed(_parse_line(line, f"line {number}", source), f"line {number}")
        for number, line in lines
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _json_time(value: object) -> float | None:
    """Return a JSON number of seconds, or None when value is not a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def _json_text(value: object) -> str | None:
    """Return a JSON string, or None when value is not one."""
    return value if isinstance(value, str) else None


# The chapter keys of the JSON format radiodesk reads and writes: key, Chapter attribute,
# how to read its value, and what the value must be (for the message when it is not).
_JSON_FIELDS: Final[tuple[tuple[str, str, Callable[[object], Any], str], ...]] = (
    ("startTime", "start_s", _json_time, "a number of seconds, 0 or more"),
    ("title", "title", _json_text, "a string"),
    ("endTime", "end_s", _json_time, "a number of seconds, 0 or more"),
    ("url", "url", _json_text, "a string"),
    ("img", "image_url", _json_text, "a string"),
)
# The spec makes "title" optional, but ID3 chapters and the apps' chapter lists need one.
_REQUIRED: Final = frozenset({"startTime", "title"})
# Keys of the spec that radiodesk cannot carry to ID3, refused rather than dropped in silence.
_UNSUPPORTED: Final[Mapping[str, str]] = {
    "location": "chapter locations are not supported; remove it",
}


def _parse_json_chapter(item: object, where: str, source: str) -> Chapter:
    """Read one chapter object of a JSON chapters file."""
    if not isinstance(item, dict):
        raise _fail(source, where, "is not a JSON object", _JSON_HINT)
    if item.get("toc", True) is False:
        raise _fail(source, where, 'silent chapters ("toc": false) are not supported', _JSON_HINT)
    for key, problem in _UNSUPPORTED.items():
        if key in item:
            raise _fail(source, where, f"{key!r}: {problem}", _JSON_HINT)
    values: dict[str, Any] = {}
    for key, attribute, read, expected in _JSON_FIELDS:
        if key not in item:
            if key in _REQUIRED:
                raise _fail(source, where, f"has no {key!r}", _JSON_HINT)
            continue
        values[attribute] = read(item[key])
        if values[attribute] is None:
            raise _fail(source, where, f"{key!r} must be {expected}", _JSON_HINT)
    chapter = _checked(Chapter(**values), where, source, _JSON_HINT)
    if chapter.end_s is not None and chapter.end_s <= chapter.start_s:
        raise _fail(source, where, "endTime is not after startTime", _JSON_HINT)
    return chapter


def _refuse_constant(name: str) -> None:
    """Refuse NaN and Infinity, which Python's json accepts but JSON does not."""
    raise ValueError(f"{name} is not a JSON number")


def _parse_json(text: str, source: str) -> list[_Parsed]:
    """Parse a Podcasting 2.0 JSON chapters file (version 1.x)."""
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise _fail(source, f"line {exc.lineno}", f"not valid JSON: {exc.msg}", _JSON_HINT) from exc
    except ValueError as exc:
        raise _fail(source, "", str(exc), _JSON_HINT) from exc
    if not isinstance(document, dict) or not isinstance(document.get("chapters"), list):
        raise _fail(source, "", 'needs a "chapters" list', _JSON_HINT)
    version = document.get("version")
    if not isinstance(version, str) or version.split(".")[0] != "1":
        problem = f"version {version!r} is not 1.x (write {JSON_VERSION!r})"
        raise _fail(source, "", problem, _JSON_HINT)
    items = enumerate(document["chapters"], start=1)
    return [
        _Parsed(_parse_json_chapter(item, f"chapter {n}", source), f"chapter {n}")
        for n, item in items
    ]


def _check_order(parsed: list[_Parsed], source: str, *, warn: bool) -> None:
    """Refuse an empty list and chapters whose starts do not increase."""
    if not parsed:
        raise _fail(source, "", "has no chapters")
    for before, after in itertools.pairwise(parsed):
        start, previous = after.chapter.start_s, before.chapter.start_s
        if start == previous:
            problem = f"starts at {format_time(start)}, as {before.where} does"
            raise _fail(source, after.where, problem)
        if start < previous:
            earlier = f"{before.where} ({format_time(previous)})"
            problem = (
                f"starts at {format_time(start)}, before {earlier}; list chapters in time order"
            )
            raise _fail(source, after.where, problem)
    if warn and parsed[0].chapter.start_s > 0:
        # Allowed: players show no chapter before the first one. Most lists start at 0:00.
        first = format_time(parsed[0].chapter.start_s)
        _log.warning("chapters %s: the first chapter starts at %s, not 00:00", source, first)


def parse_chapters(text: str, *, source: str, warn: bool = True) -> tuple[Chapter, ...]:
    """Parse a chapter list ("MM:SS Title" lines) or Podcasting 2.0 JSON, named source in errors.

    `warn`: log that the first chapter starts after 0:00 (said once, when the producer gives it).
    """
    text = text.removeprefix("\ufeff")
    parse = _parse_json if text.lstrip().startswith(("{", "[")) else _parse_list
    parsed = parse(text, source)
    _check_order(parsed, source, warn=warn)
    return tuple(item.chapter for item in parsed)


def fit_chapters(
    chapters: Iterable[Chapter], duration_s: float, *, source: str = "list"
) -> tuple[Chapter, ...]:
    """End each chapter where the next starts (the last at duration_s); refuse ones past the end."""
    ordered = tuple(chapters)
    ends = [chapter.start_s for chapter in ordered[1:]] + [duration_s]
    fitted = []
    for chapter, next_start in zip(ordered, ends, strict=True):
        if chapter.start_s >= duration_s:
            problem = (
                f"{chapter.title!r} starts at {format_time(chapter.start_s)}, at or after "
                f"the end of the audio ({format_time(duration_s)})"
            )
            raise _fail(source, "", problem, "fix its time or remove it")
        end_s = next_start if chapter.end_s is None else min(chapter.end_s, duration_s)
        fitted.append(replace(chapter, end_s=end_s))
    return tuple(fitted)


def check_within(chapters: Iterable[Chapter], recording_s: float, *, source: str) -> None:
    """Refuse a chapter that starts at or after the end of the recording (the producer's times)."""
    for chapter in chapters:
        if chapter.start_s >= recording_s:
            problem = (
                f"{chapter.title!r} starts at {clock(chapter.start_s)}, at or after the end of "
                f"the recording ({clock(recording_s)})"
            )
            raise _fail(source, "", problem, "fix its time or remove it")


def place(chapters: Iterable[Chapter], timeline: Timeline) -> tuple[Chapter, ...]:
    """Move chapters from the recording's time to the MP3's, as cues and soundbites are moved.

    A chapter runs to its end time, else to the next one's start. One wholly in silence trimmed
    from the recording is dropped; one that begins in it starts where the kept recording does.
    """
    ordered = tuple(chapters)
    following = [chapter.start_s for chapter in ordered[1:]] + [math.inf]
    placed = []
    for chapter, next_start_s in zip(ordered, following, strict=True):
        end_s = next_start_s if chapter.end_s is None else chapter.end_s
        kept = timeline.kept(chapter.start_s, end_s)
        if kept is not None:
            end = None if chapter.end_s is None else kept[1]
            placed.append(replace(chapter, start_s=kept[0], end_s=end))
    return tuple(placed)


def load_chapters(
    folder: Path, episode: Episode, duration_s: float, placing: Timeline | None = None
) -> tuple[Chapter, ...]:
    """Return the episode's chapters in the published audio's time, fitted to it (none: empty).

    The producer times chapters on the recording; `placing` (None: the episode's audio record's)
    moves them with jingles and trims: one wholly in trimmed silence is dropped, one that
    begins in it starts where the kept recording does, as cues and soundbites do.
    """
    if episode.chapters is None:
        return ()
    if placing is None:
        placing = episode.audio.timeline() if episode.audio else Timeline()
    placed = place(stored_chapters(folder, episode), placing)
    # Placed chapters start within the kept recording; the MP3 may decode a millisecond shorter.
    name = stored_name(episode, episode.chapters)
    return fit_chapters([c for c in placed if c.start_s < duration_s], duration_s, source=name)


def stored_chapters(folder: Path, episode: Episode) -> tuple[Chapter, ...]:
    """Return the chapters the episode keeps, in the recording's time (none: empty)."""
    if episode.chapters is None:
        return ()
    name = stored_name(episode, episode.chapters)
    try:
        text = (folder / episode.chapters).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"cannot read the chapters {name}: {exc}") from exc
    return parse_chapters(text, source=name, warn=False)


def _json_number(seconds: float) -> int | float:
    """Return whole seconds as an int and others rounded to the millisecond."""
    millis = round(seconds * 1000)
    return millis // 1000 if millis % 1000 == 0 else millis / 1000


def chapters_json(chapters: Iterable[Chapter]) -> bytes:
    """Return the Podcasting 2.0 JSON chapters file (1.2.0) in UTF-8, the same bytes every run."""
    items = []
    for chapter in chapters:
        item: dict[str, object] = {}
        for key, attribute, _, _ in _JSON_FIELDS:
            value = getattr(chapter, attribute)
            if value is not None:
                item[key] = _json_number(value) if isinstance(value, float) else value
        items.append(item)
    document = {"version": JSON_VERSION, "chapters": items}
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
