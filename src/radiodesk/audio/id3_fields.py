"""Each Tags field and the ID3v2.3 frames that carry it: one table of codecs.

A codec turns a value into mutagen frames, reads it back from a loaded tag, and says what is
wrong with a value before anything is written. Touches no file: tags.py loads and saves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from mutagen.id3 import CTOCFlags, Encoding, Frame, Frames, PictureType

from radiodesk.audio.tag_values import Cover, TagChapter, Tags

log = logging.getLogger(__name__)

# ID3v2.3 knows only Latin-1 and UTF-16 with a BOM (id3v2.3.0 section 3.3): no UTF-8.
_TEXT_ENCODING: Final = Encoding.UTF16
_UNKNOWN_LANGUAGE: Final = "XXX"  # what id3v2.4.0-structure section 4 asks for in COMM
# CHAP and CTOC frames (id3v2-chapters-1.0): element ids are ours; byte offsets are unused.
_TOC_ID: Final = "toc"
_CHAPTER_ID: Final = "chp{}"
_NO_OFFSET: Final = 0xFFFFFFFF  # "the start/end offset is not given" (section 3.1)
_MAX_MS: Final = 0xFFFFFFFF  # chapter times are 32-bit milliseconds

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
COVER_MAGIC: Final[Mapping[str, bytes]] = {
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}


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
        log.warning("no ISO 639-2 code known for language %r; TLAN left out", language)
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
    magic = COVER_MAGIC.get(value.mime)
    if magic is None:
        return f"has MIME type {value.mime!r}; use one of {', '.join(COVER_MAGIC)}"
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

# The sub-frames of each CHAP frame: TagChapter attributes, like the rows of FIELDS below.
_CHAPTER_FIELDS: Final[tuple[_Field, ...]] = (
    _Field("title", ("TIT2",), _TEXT),
    _Field("url", ("WXXX",), _USER_URL),
)

# The one field table. Chapters are CTOC + CHAP frames, whose sub-frames come from _CHAPTER_FIELDS.
FIELDS: Final[tuple[_Field, ...]] = (
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
