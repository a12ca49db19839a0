"""Writes and reads the ID3v2.3 tag of an MP3 in place: the only module that opens MP3s (mutagen).

Rewrites the tag at the head of the file and never loads the audio; what each field becomes is
id3_fields.py's table.
"""

from __future__ import annotations

import logging
import signal
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, cast

from mutagen import MutagenError, version_string
from mutagen.id3 import ID3
from mutagen.mp3 import MP3, HeaderNotFoundError

from radiodesk.audio.id3_fields import FIELDS
from radiodesk.audio.tag_values import Tags
from radiodesk.errors import TaggingError

log = logging.getLogger(__name__)

MUTAGEN_VERSION: Final = str(version_string)  # recorded in each episode's provenance

# mutagen is unannotated: these casts, and the Any-typed tags below, keep its Any in this module.
_open_mp3: Final = cast(Callable[[Path], Any], MP3)
_new_id3: Final = cast(Callable[[], Any], ID3)

_ID3V2_MINOR: Final = 3
_NO_ID3V1: Final = 0  # mutagen's ID3v1SaveOptions.REMOVE
_HINT: Final = "check that the file is an MP3 made by `radiodesk add` and that it is writable"
# The ID3v2.3 tag header (id3v2.3.0 section 3.1) and frame header (section 3.3): a frame's size
# is a plain big-endian integer in v2.3, unlike the tag's, which is syncsafe.
_TAG_HEADER: Final = struct.Struct(">3sBBB4s")
_FRAME_HEADER: Final = struct.Struct(">4sIH")
_CHAP_ID: Final = b"CHAP"


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
    for row in FIELDS:
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
    for row in FIELDS:
        for frame in row.codec.write(row.frames, getattr(tags, row.name), tags):
            id3.add(frame)
    _load_mp3("tag", path)  # refuses anything that is not MPEG audio before writing
    with _translated_errors("write tags to", path), _sigint_held():
        # A fresh ID3 replaces the old tag whole; v1=0 truncates any ID3v1 at the end.
        id3.save(path, v1=_NO_ID3V1, v2_version=_ID3V2_MINOR)
        _put_chapters_in_time_order(path)
    log.info("tagged %s", path)


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
    return Tags(**{row.name: row.codec.read(row.frames, id3) for row in FIELDS})
