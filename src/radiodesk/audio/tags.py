"""ID3v2.3 tags of a published MP3: one field table, written in place and read back.

The only user of mutagen. It rewrites the tag at the head of the file and never loads the audio.
"""

from __future__ import annotations

import logging
import signal
import struct
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, cast

from mutagen import MutagenError, version_string
from mutagen.id3 import ID3, CTOCFlags, Encoding, Frame, Frames, PictureType
from mutagen.mp3 import MP3, HeaderNotFoundError

from radiodesk.errors import TaggingError

_log = logging.getLogger(__name__)

MUTAGEN_VERSION: Final = str(version_string)  # recorded in each episode's provenance

# mutagen is unannotated: these casts, and the Any-typed tags below, keep its Any in this module.
_open_mp3: Final = cast(Callable[[Path], Any], MP3)
_new_id3: Final = cast(Callable[[], Any], ID3)

# ID3v2.3 knows only Latin-1 and UTF-16 with a BOM (id3v2.3.0 section 3.3): no UTF-8.
_TEXT_ENCODING: Final = Encoding.UTF16
_ID3V2_MINOR: Final = 3
_NO_ID3V1: Final = 0  # mutagen's ID3v1SaveOptions.REMOVE
_UNKNOWN_LANGUAGE: Final = "XXX"  # what id3v2.4.0-structure section 4 asks for in COMM
# CHAP and CTOC frames (id3v2-chapters-1.0): element ids are ours; byte offsets are unused.
_TOC_ID: Final = "toc"
_CHAPTER_ID: Final = "chp{}"
_NO_OFFSET: Final = 0xFFFFFFFF  # "the start/end offset is not given" (section 3.1)
_MAX_MS: Final = 0xFFFFFFFF  # chapter times are 32-bit milliseconds
_HINT: Final = "check that the file is an MP3 made by `radiodesk add` and that it is writable"
# The ID3v2.3 tag header (id3v2.3.0 section 3.1) and frame header (section 3.3): a frame's size
# is a plain big-endian integer in v2.3, unlike the tag's, which is syncsafe.
_TAG_HEADER: Final = struct.Struct(">3sBBB4s")
_FRAME_HEADER: Final = struct.Struct(">4sIH")
_CHAP_ID: Final = b"CHAP"

# ISO 639-1 (the feed's <language>) to ISO 639-2/T, which TLAN and COMM carry.
_ISO_639_2: Final[Mapping[str, str]] = {
    "ar": "ara", "az": "aze", "be": "bel", "bg": "bul", "cs": "ces", "da": "dan", "de": "deu",
    "el": "ell", "en": "eng", "es": "spa", "et": "est", "fa": "fas", "fi": "fin", "fr": "fra",
    "he": "heb", "hi": "hin", "hr": "hrv", "hu": "hun", "hy": "hye", "it": "ita", "ja": "jpn",
    "ka": "kat", "kk": "kaz", "ko": "kor", "ky": "kir", "lt": "lit", "lv": "lav", "nl": "nld",
    "no": "nor", "pl": "pol", "pt": "por", "ro": "ron", "ru": "rus", "sk": "slk", "sl": "slv",
    "sr": "srp", "sv": "swe", "tg": "tgk", "tr": "tur", "tt": "tat", "uk": "ukr", "uz": "uzb",
    "zh": "zho",
}  # fmt: skip
_ISO_639_1: Final[Mapping[str, str]] = {long: short for short, long in _ISO_639_2.items()}

# The cover formats podcast apps accept, with the magic bytes their files start with.
_COVER_MAGIC: Final[Mapping[str, bytes]] = {
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Cover:
    """Front cover art: the image bytes and their MIME type."""

    data: bytes
    mime: str  # a key of _COVER_MAGIC


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


# A codec turns one Tags value into frames, reads it back from a loaded tag, and says
# what is wrong with a value before anything is written (None when nothing is).
_Writer = Callable[[tuple[str, ...], Any, Tags], list[Frame]]
_Reader = Callable[[tuple[str, ...], Any], Any]
_Checker = Callable[[Any], str | None]


@dataclass(frozen=True, slots=True)
class _Codec:
    """How one kind of value travels to and from its ID3 frames."""

    write: _Writer
    read: _Reader
    check: _Checker


@dataclass(frozen=True, slots=True)
class _Field:
    """One Tags attribute and the ID3v2.3 frames that carry it."""

    name: str
    frames: tuple[str, ...]
    codec: _Codec


def _text_problem(value: str | None) -> str | None:
    """Say why ID3 cannot hold value: NUL ends an ID3 string, lone surrogates have no UTF-16."""
    if value is None:
        return None
    if "\x00" in value:
        return "contains a NUL character (U+0000), which ends a string in ID3"
    try:
        value.encode("utf-16")
    except UnicodeEncodeError:
        return "contains a lone surrogate that UTF-16 cannot encode"
    return None


def _no_problem(value: object) -> str | None:
    """Accept any value the dataclass types allow."""
    return None


def _write_text(frames: tuple[str, ...], value: str | None, tags: Tags) -> list[Frame]:
    """Return one UTF-16 text frame, or none for an empty value."""
    return [Frames[frames[0]](encoding=_TEXT_ENCODING, text=[value])] if value else []


def _frame_text(id3: Any, frame_id: str) -> str | None:
    """Return a text frame's values joined the ID3v2.3 way, or None when it is absent."""
    frame = id3.get(frame_id)
    return None if frame is None else "/".join(str(text) for text in frame.text)


def _read_text(frames: tuple[str, ...], id3: Any) -> str:
    """Return the frame's text, or "" when it is absent."""
    return _frame_text(id3, frames[0]) or ""


def _read_optional_text(frames: tuple[str, ...], id3: Any) -> str | None:
    """Return the frame's text, or None when it is absent."""
    return _frame_text(id3, frames[0]) or None


def _write_number(frames: tuple[str, ...], value: int | None, tags: Tags) -> list[Frame]:
    """Return a TRCK-style frame holding the number alone."""
    return [] if value is None else _write_text(frames, str(value), tags)


def _read_number(frames: tuple[str, ...], id3: Any) -> int | None:
    """Return the number before any "/total", or None when absent or not a number."""
    text = _frame_text(id3, frames[0])
    try:
        return None if text is None else int(text.split("/")[0])
    except ValueError:
        return None


def _url_problem(value: str | None) -> str | None:
    """Say why a URL frame cannot hold value: ID3 URL frames are Latin-1, so ask for ASCII."""
    if value is not None and not value.isascii():
        return "is not ASCII; percent-encode it"
    return _text_problem(value)


def _write_url(frames: tuple[str, ...], value: str | None, tags: Tags) -> list[Frame]:
    """Return one URL frame, or none."""
    return [Frames[frames[0]](url=value)] if value else []


def _read_url(frames: tuple[str, ...], id3: Any) -> str | None:
    """Return the URL of the frame, or None."""
    frame = id3.get(frames[0])
    return None if frame is None else str(frame.url)


def _write_flag(frames: tuple[str, ...], value: bool, tags: Tags) -> list[Frame]:
    """Return the iTunes podcast flag frame when value is true."""
    return [Frames[frames[0]](value=1)] if value else []


def _read_flag(frames: tuple[str, ...], id3: Any) -> bool:
    """Return whether the flag frame is present and set."""
    frame = id3.get(frames[0])
    return frame is not None and bool(frame.value)


def _language_code(language: str | None) -> str | None:
    """Return the ISO 639-2 code of "ru", "ru-RU" or "rus", or None when unknown."""
    primary = (language or "").replace("_", "-").split("-")[0].lower()
    if len(primary) == 3 and primary.isalpha():
        return primary
    code = _ISO_639_2.get(primary)
    if code is None and primary:
        _log.warning("no ISO 639-2 code known for language %r; TLAN left out", language)
    return code


def _write_language(frames: tuple[str, ...], value: str | None, tags: Tags) -> list[Frame]:
    """Return a TLAN frame with the ISO 639-2 code, or none when the code is unknown."""
    return _write_text(frames, _language_code(value), tags)


def _read_language(frames: tuple[str, ...], id3: Any) -> str | None:
    """Return the ISO 639-1 code where one is known, else the frame's own code."""
    code = (_frame_text(id3, frames[0]) or "").lower()
    return None if code in {"", "und", "xxx"} else _ISO_639_1.get(code, code)


def _date_problem(value: datetime | None) -> str | None:
    """Refuse a naive datetime: ID3 has no zone, so the tag stores UTC."""
    return "has no timezone" if value is not None and value.tzinfo is None else None


def _write_date(frames: tuple[str, ...], value: datetime | None, tags: Tags) -> list[Frame]:
    """Return TYER, TDAT (DDMM) and TIME (HHMM) in UTC, ID3v2.3's split of TDRC."""
    if value is None:
        return []
    # Written by hand: mutagen's update_to_v23() drops TIME when the hour or the minute is 0.
    utc = value.astimezone(UTC)
    texts = (f"{utc.year:04d}", f"{utc.day:02d}{utc.month:02d}", f"{utc.hour:02d}{utc.minute:02d}")
    return [
        Frames[name](encoding=_TEXT_ENCODING, text=[text])
        for name, text in zip(frames, texts, strict=True)
    ]


def _read_date(frames: tuple[str, ...], id3: Any) -> datetime | None:
    """Return the recording time in UTC from the TDRC that mutagen builds from TYER/TDAT/TIME."""
    frame = id3.get("TDRC")  # loading translates v2.3 dates to v2.4's TDRC
    if frame is None or not frame.text or frame.text[0].year is None:
        return None
    stamp = frame.text[0]
    parts = (stamp.month or 1, stamp.day or 1, stamp.hour or 0, stamp.minute or 0)
    try:
        return datetime(stamp.year, *parts, stamp.second or 0, tzinfo=UTC)
    except ValueError:
        return None


def _write_description(frames: tuple[str, ...], value: str, tags: Tags) -> list[Frame]:
    """Return TDES (read by podcast apps) and COMM (read by everything else)."""
    if not value:
        return []
    lang = _language_code(tags.language) or _UNKNOWN_LANGUAGE
    comment = Frames[frames[1]](encoding=_TEXT_ENCODING, lang=lang, desc="", text=[value])
    return [*_write_text(frames, value, tags), comment]


def _read_description(frames: tuple[str, ...], id3: Any) -> str:
    """Return TDES, else the first comment without a description, else ""."""
    comments = [frame for frame in id3.getall(frames[1]) if not frame.desc]
    fallback = "/".join(comments[0].text) if comments else ""
    return _frame_text(id3, frames[0]) or fallback


def _cover_problem(value: Cover | None) -> str | None:
    """Refuse covers that are not JPEG or PNG, or whose bytes do not match their MIME type."""
    if value is None:
        return None
    magic = _COVER_MAGIC.get(value.mime)
    if magic is None:
        return f"has MIME type {value.mime!r}; use one of {', '.join(_COVER_MAGIC)}"
    return None if value.data.startswith(magic) else f"bytes are not {value.mime}"


def _write_cover(frames: tuple[str, ...], value: Cover | None, tags: Tags) -> list[Frame]:
    """Return one front-cover APIC frame, or none."""
    if value is None:
        return []
    # The description is empty, so Latin-1 costs nothing and is what iTunes writes.
    picture = Frames[frames[0]](
        encoding=Encoding.LATIN1,
        mime=value.mime,
        type=PictureType.COVER_FRONT,
        desc="",
        data=value.data,
    )
    return [picture]


def _read_cover(frames: tuple[str, ...], id3: Any) -> Cover | None:
    """Return the front cover, else the first picture, else None."""
    pictures = sorted(id3.getall(frames[0]), key=lambda f: f.type != PictureType.COVER_FRONT)
    return Cover(data=bytes(pictures[0].data), mime=pictures[0].mime) if pictures else None


def _extra_problem(value: Mapping[str, str]) -> str | None:
    """Say what is wrong with the first bad key or value of the free-form texts."""
    found = ((key, _text_problem(key) or _text_problem(text)) for key, text in value.items())
    return next((f"[{key!r}] {problem}" for key, problem in found if problem), None)


def _write_extra(frames: tuple[str, ...], value: Mapping[str, str], tags: Tags) -> list[Frame]:
    """Return one TXXX frame per non-empty value, in key order."""
    make = Frames[frames[0]]
    return [
        make(encoding=_TEXT_ENCODING, desc=key, text=[text])
        for key, text in sorted(value.items())
        if text
    ]


def _read_extra(frames: tuple[str, ...], id3: Any) -> dict[str, str]:
    """Return every TXXX frame as description to text."""
    return {str(frame.desc): "/".join(frame.text) for frame in id3.getall(frames[0])}


def _read_user_url(frames: tuple[str, ...], id3: Any) -> str | None:
    """Return the URL of the first frame of a kind keyed by description too (WXXX), or None."""
    found = id3.getall(frames[0])
    return str(found[0].url) if found else None


def _chapter_problem(chapter: TagChapter) -> str | None:
    """Say why one chapter cannot be a CHAP frame, or None."""
    if not 0 <= chapter.start_s < chapter.end_s or round(chapter.end_s * 1000) >= _MAX_MS:
        span = f"runs from {chapter.start_s} s to {chapter.end_s} s"
        return f"{span}; it must start at 0 s or later, end after it starts, within 49 days"
    found = ((row.name, row.codec.check(getattr(chapter, row.name))) for row in _CHAPTER_FIELDS)
    return next((f"{name} {problem}" for name, problem in found if problem), None)


def _chapters_problem(value: tuple[TagChapter, ...]) -> str | None:
    """Say what is wrong with the first bad chapter, or that they are out of time order."""
    found = ((i, _chapter_problem(chapter)) for i, chapter in enumerate(value))
    problem = next((f"[{i}] {problem}" for i, problem in found if problem), None)
    starts = [chapter.start_s for chapter in value]
    return problem or (None if starts == sorted(starts) else "are not in time order")


def _milliseconds(seconds: float) -> int:
    """Return seconds as the whole milliseconds a CHAP frame holds."""
    return round(seconds * 1000)


def _write_chapters(
    frames: tuple[str, ...], value: tuple[TagChapter, ...], tags: Tags
) -> list[Frame]:
    """Return one top-level, ordered CTOC and a CHAP frame per chapter (none when no chapters)."""
    if not value:
        return []
    ids = [_CHAPTER_ID.format(i) for i in range(len(value))]
    toc = Frames[frames[0]](
        element_id=_TOC_ID,
        flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
        child_element_ids=ids,
        sub_frames=[],
    )
    chapters = [
        Frames[frames[1]](
            element_id=element_id,
            start_time=_milliseconds(chapter.start_s),
            end_time=_milliseconds(chapter.end_s),
            start_offset=_NO_OFFSET,
            end_offset=_NO_OFFSET,
            sub_frames=[
                frame
                for row in _CHAPTER_FIELDS
                for frame in row.codec.write(row.frames, getattr(chapter, row.name), tags)
            ],
        )
        for element_id, chapter in zip(ids, value, strict=True)
    ]
    return [toc, *chapters]


def _read_chapters(frames: tuple[str, ...], id3: Any) -> tuple[TagChapter, ...]:
    """Return every CHAP frame in time order (a CTOC adds nothing a flat list needs)."""
    found = sorted(id3.getall(frames[1]), key=lambda f: (f.start_time, f.element_id))
    return tuple(
        TagChapter(
            start_s=frame.start_time / 1000,
            end_s=frame.end_time / 1000,
            **{row.name: row.codec.read(row.frames, frame.sub_frames) for row in _CHAPTER_FIELDS},
        )
        for frame in found
    )


_TEXT = _Codec(_write_text, _read_text, _text_problem)
_OPTIONAL_TEXT = _Codec(_write_text, _read_optional_text, _text_problem)
_NUMBER = _Codec(_write_number, _read_number, _no_problem)
_URL = _Codec(_write_url, _read_url, _url_problem)
_FLAG = _Codec(_write_flag, _read_flag, _no_problem)
_LANGUAGE = _Codec(_write_language, _read_language, _text_problem)
_DATE = _Codec(_write_date, _read_date, _date_problem)
_DESCRIPTION = _Codec(_write_description, _read_description, _text_problem)
_COVER = _Codec(_write_cover, _read_cover, _cover_problem)
_EXTRA = _Codec(_write_extra, _read_extra, _extra_problem)
_USER_URL = _Codec(_write_url, _read_user_url, _url_problem)
_CHAPTERS = _Codec(_write_chapters, _read_chapters, _chapters_problem)

# The sub-frames of each CHAP frame: TagChapter attributes, like the rows of _FIELDS below.
_CHAPTER_FIELDS: Final[tuple[_Field, ...]] = (
    _Field("title", ("TIT2",), _TEXT),
    _Field("url", ("WXXX",), _USER_URL),
)

# The one field table. Chapters are CTOC + CHAP frames, whose sub-frames come from _CHAPTER_FIELDS.
_FIELDS: Final[tuple[_Field, ...]] = (
    _Field("title", ("TIT2",), _TEXT),
    _Field("artist", ("TPE1",), _TEXT),
    _Field("album", ("TALB",), _TEXT),
    _Field("date", ("TYER", "TDAT", "TIME"), _DATE),
    _Field("genre", ("TCON",), _TEXT),
    _Field("description", ("TDES", "COMM"), _DESCRIPTION),
    _Field("language", ("TLAN",), _LANGUAGE),
    _Field("track", ("TRCK",), _NUMBER),
    _Field("disc", ("TPOS",), _NUMBER),
    _Field("podcast", ("PCST",), _FLAG),
    _Field("feed_url", ("WFED",), _URL),
    _Field("episode_guid", ("TGID",), _OPTIONAL_TEXT),
    _Field("category", ("TCAT",), _OPTIONAL_TEXT),
    _Field("url", ("WOAF",), _URL),  # "official audio file webpage": the episode's page
    _Field("cover", ("APIC",), _COVER),
    _Field("extra", ("TXXX",), _EXTRA),
    _Field("chapters", ("CTOC", "CHAP"), _CHAPTERS),
)


@contextmanager
def _translated_errors(action: str, path: Path) -> Iterator[None]:
    """Turn mutagen's and the system's exceptions into one TaggingError naming the file."""
    try:
        yield
    except (MutagenError, OSError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        if isinstance(exc, HeaderNotFoundError):
            reason = f"not an MP3 ({reason})"
        raise TaggingError(f"cannot {action} {path}: {reason}", hint=_HINT) from exc


@contextmanager
def _sigint_held() -> Iterator[None]:
    """Hold Ctrl-C until the block ends, so a tag is never left half-written."""
    previous = signal.getsignal(signal.SIGINT)
    # Only the main thread may set handlers; None means a handler Python did not install.
    if threading.current_thread() is not threading.main_thread() or previous is None:
        yield
        return
    caught: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            signal.raise_signal(signal.SIGINT)  # now the previous handler acts on it


def _load_mp3(action: str, path: Path) -> Any:
    """Open path as MPEG audio (reading its tag, not its audio) or raise TaggingError."""
    with _translated_errors(action, path):
        return _open_mp3(path)


def _check_tags(path: Path, tags: Tags) -> None:
    """Raise TaggingError for the first value that ID3v2.3 cannot hold."""
    for row in _FIELDS:
        problem = row.codec.check(getattr(tags, row.name))
        if problem:
            raise TaggingError(
                f"cannot tag {path}: {row.name} {problem}",
                hint="fix the value in episode.toml or radiodesk.toml",
            )


def write_tags(path: Path, tags: Tags) -> None:
    """Replace every ID3 tag of the MP3 at path with tags: ID3v2.3, UTF-16, no ID3v1."""
    _check_tags(path, tags)
    id3 = _new_id3()
    for row in _FIELDS:
        for frame in row.codec.write(row.frames, getattr(tags, row.name), tags):
            id3.add(frame)
    _load_mp3("tag", path)  # refuses anything that is not MPEG audio before writing
    with _translated_errors("write tags to", path), _sigint_held():
        # A fresh ID3 replaces the old tag whole; v1=0 truncates any ID3v1 at the end.
        id3.save(path, v1=_NO_ID3V1, v2_version=_ID3V2_MINOR)
        _put_chapters_in_time_order(path)
    _log.info("tagged %s", path)


def _put_chapters_in_time_order(path: Path) -> None:
    """Reorder the CHAP frames of the tag just written by their start time, in place.

    mutagen sorts frames on save by a priority table, then by size, so CHAP frames come out in
    size order (https://github.com/quodlibet/mutagen/issues/506, open; it has no hook for the
    order). Apps follow the CTOC, but ffmpeg lists CHAP frames in file order: converting such an
    MP3 gives overlapping chapters or drops one. Each frame keeps its bytes and the tag its
    length: only the CHAP frames swap places, among the slots they already hold.
    """
    with path.open("r+b") as stream:
        magic, major, _revision, flags, size = _TAG_HEADER.unpack(stream.read(_TAG_HEADER.size))
        if magic != b"ID3" or major != _ID3V2_MINOR or flags:  # not the plain tag mutagen writes
            return
        body = stream.read(sum(byte << (7 * (3 - i)) for i, byte in enumerate(size)))
        spans = _frame_spans(body)
        slots = [span for span in spans if body[span[0] : span[0] + 4] == _CHAP_ID]
        ordered = sorted(slots, key=lambda span: _chap_start_ms(body, span[0]))
        if ordered == slots:
            return
        moved = dict(zip(slots, ordered, strict=True))
        frames = (moved.get(span, span) for span in spans)
        end = spans[-1][1]
        stream.seek(_TAG_HEADER.size)
        stream.write(b"".join(body[start:stop] for start, stop in frames) + body[end:])


def _frame_spans(body: bytes) -> list[tuple[int, int]]:
    """Return where each frame of an ID3v2.3 tag body starts and ends, up to the padding."""
    spans: list[tuple[int, int]] = []
    at = 0
    while at + _FRAME_HEADER.size <= len(body) and body[at] != 0:  # padding is all zeros
        _frame_id, size, _flags = _FRAME_HEADER.unpack_from(body, at)
        spans.append((at, at + _FRAME_HEADER.size + size))
        at += _FRAME_HEADER.size + size
    return spans


def _chap_start_ms(body: bytes, at: int) -> int:
    """Return the start time of the CHAP frame at `at`: it follows the NUL-ended element id."""
    after_id = body.index(b"\x00", at + _FRAME_HEADER.size) + 1
    return int.from_bytes(body[after_id : after_id + 4], "big")


def read_tags(path: Path) -> Tags:
    """Read the ID3 tag of the MP3 at path back into Tags (absent frames give empty values)."""
    id3 = _load_mp3("read tags from", path).tags
    if not isinstance(id3, ID3):
        raise TaggingError(f"cannot read tags from {path}: it has no ID3v2 tag", hint=_HINT)
    return Tags(**{row.name: row.codec.read(row.frames, id3) for row in _FIELDS})
