"""Episode transcripts: check that a WebVTT or SRT file is sound, and retime it for the MP3.

Pure: bytes in, cues or retimed bytes out (a file whose times do not move is published as is).
WebVTT: https://www.w3.org/TR/webvtt1/ section 4; SRT, which has no spec, as players read it.
"""

from __future__ import annotations

import codecs
import itertools
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from radiodesk.errors import CatalogError
from radiodesk.show.timeline import clock
from radiodesk.spec import CONTROL_RE

Format = Literal["vtt", "srt"]

# The MIME types podcast:transcript names (podcastindex.org/namespace/1.0#transcript).
TRANSCRIPT_TYPES: Final[Mapping[Format, str]] = {"vtt": "text/vtt", "srt": "application/x-subrip"}
SUFFIXES: Final[Mapping[Format, str]] = {"vtt": ".vtt", "srt": ".srt"}
_NAMES: Final[Mapping[Format, str]] = {"vtt": "a WebVTT", "srt": "an SRT"}
_EXAMPLES: Final[Mapping[Format, str]] = {
    "vtt": "00:00:01.000 --> 00:00:04.000",
    "srt": "00:00:01,000 --> 00:00:04,000",
}
# A timestamp of each format: WebVTT may leave out the hours; SRT has a comma before the millis.
# Hours of one digit are accepted, as the WebVTT parsing algorithm (section 6.1) accepts them.
_TIMESTAMPS: Final[Mapping[Format, re.Pattern[str]]] = {
    "vtt": re.compile(r"(?:(?P<h>\d+):)?(?P<m>[0-5]\d):(?P<s>[0-5]\d)\.(?P<ms>\d{3})"),
    "srt": re.compile(r"(?P<h>\d+):(?P<m>[0-5]\d):(?P<s>[0-5]\d),(?P<ms>\d{3})"),
}
_ARROW: Final = "-->"
_TIMING: Final = re.compile(r"(?P<start>\S+?)\s*-->\s*(?P<end>\S+)(?:\s+(?P<settings>.*))?")
_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")  # the three WebVTT allows; not str.splitlines
_VTT_HEADER: Final = re.compile(r"WEBVTT(?:[ \t].*)?")
_VTT_NOTE: Final = re.compile(r"NOTE(?:[ \t].*)?")
_VTT_HEAD_BLOCKS: Final = re.compile(r"(?:STYLE|REGION)[ \t]*")  # allowed only before the cues
_FOREIGN_BOMS: Final[Mapping[bytes, str]] = {b"\xff\xfe": "UTF-16", b"\xfe\xff": "UTF-16"}
_KEEP_BREAKS: Final = re.compile(r"(\r\n|\r|\n)")  # as _LINE_BREAK, keeping each break
# WebVTT cue text may time its own words: `<00:00:05.000>` (section 4.2.2, cue timestamps).
_INNER_STAMP: Final = re.compile(r"<((?:\d+:)?[0-5]\d:[0-5]\d\.\d{3})>")
_SEPARATORS: Final[Mapping[Format, str]] = {"vtt": ".", "srt": ","}


@dataclass(frozen=True, slots=True, kw_only=True)
class Cue:
    """One timed piece of text."""

    start_s: float
    end_s: float
    text: str  # the cue's lines joined with "\n", markup such as <v Speaker> kept
    line: int = field(default=0, compare=False)  # of its timing line in the file, for messages


@dataclass(frozen=True, slots=True, kw_only=True)
class Transcript:
    """A checked transcript file: its format, cues, and how to publish it."""

    format: Format
    cues: tuple[Cue, ...]
    mime: str  # for podcast:transcript type= and the object's Content-Type
    suffix: str  # ".vtt" or ".srt"


@dataclass(frozen=True, slots=True)
class _Block:
    """Lines between blank lines, with the number of the first one."""

    first_line: int
    lines: Sequence[str]


@dataclass(frozen=True, slots=True)
class _Located:
    """A cue and the block it was read from; `timing_at` indexes the block's timing line."""

    block: _Block
    timing_at: int
    cue: Cue

    @property
    def line(self) -> int:
        """Return the number of the timing line."""
        return self.block.first_line + self.timing_at


def _fail(source: str, line: int | None, problem: str, hint: str | None = None) -> CatalogError:
    """Return the error for a problem at one line of a transcript file."""
    place = f"{source} line {line}" if line else source
    return CatalogError(f"transcript {place}: {problem}", hint=hint)


def _decode(data: bytes, source: str) -> str:
    """Return the file's text: UTF-8, a BOM allowed, no control characters but tab and breaks."""
    for bom, encoding in _FOREIGN_BOMS.items():
        if data.startswith(bom):
            raise _fail(source, None, f"is {encoding}", hint="save it as UTF-8")
    if b"\x00" in data:
        raise _fail(source, None, "is binary, not a WebVTT or SRT text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _fail(source, line, "is not UTF-8 text", hint="save it as UTF-8") from exc
    if control := CONTROL_RE.search(text):
        line = len(_LINE_BREAK.findall(text, 0, control.start())) + 1
        raise _fail(source, line, f"contains the control character U+{ord(control[0]):04X}")
    if not text.strip():
        raise _fail(source, None, "is empty")
    return text


def _blocks(text: str) -> Iterator[_Block]:
    """Yield the runs of non-blank lines; a line of only spaces counts as blank."""
    lines: list[str] = []
    for number, line in enumerate([*_LINE_BREAK.split(text), ""], start=1):
        if line.strip():
            lines.append(line)
        elif lines:
            yield _Block(number - len(lines), lines)
            lines = []


def _timestamp(stamp: str, fmt: Format, line: int, source: str) -> float:
    """Return the seconds of a timestamp in fmt, or raise CatalogError naming the line."""
    found = _TIMESTAMPS[fmt].fullmatch(stamp)
    if found is None:
        hint = f"write times like {_EXAMPLES[fmt]!r}"
        raise _fail(source, line, f"{stamp!r} is not {_NAMES[fmt]} time", hint=hint)
    hours = int(found.groupdict().get("h") or 0)
    seconds = (hours * 60 + int(found["m"])) * 60 + int(found["s"])
    return (seconds * 1000 + int(found["ms"])) / 1000  # exact to the millisecond


def _parse_cue(block: _Block, timing_at: int, fmt: Format, source: str) -> Cue:
    """Read the cue whose timing line is block.lines[timing_at]."""
    line = block.first_line + timing_at
    timing = _TIMING.fullmatch(block.lines[timing_at].strip())
    if timing is None:
        hint = f"write {_EXAMPLES[fmt]!r}"
        raise _fail(source, line, f"is not {_NAMES[fmt]} timing line", hint=hint)
    start = _timestamp(timing["start"], fmt, line, source)
    end = _timestamp(timing["end"], fmt, line, source)
    if end <= start:
        raise _fail(source, line, f"the cue ends at {timing['end']}, not after its start")
    text = block.lines[timing_at + 1 :]
    for number, text_line in enumerate(text, start=line + 1):
        if _ARROW in text_line:
            problem = f"{_ARROW!r} inside a cue's text; is a blank line missing before it?"
            raise _fail(source, number, problem)
    return Cue(start_s=start, end_s=end, text="\n".join(text), line=line)


def _timing_index(block: _Block) -> int | None:
    """Return where the timing line is: first, or second after an identifier or number."""
    return next((i for i, line in enumerate(block.lines[:2]) if _ARROW in line), None)


def _missing_timing(block: _Block, fmt: Format, source: str) -> CatalogError:
    """Return the error for a block that has no timing line where one belongs."""
    for number, line in enumerate(block.lines[:2], start=block.first_line):
        if _TIMESTAMPS[fmt].match(line.strip()):
            return _fail(source, number, f"{_ARROW!r} missing between the start and end times")
    expected = f"a cue number, then {_EXAMPLES[fmt]!r}" if fmt == "srt" else _EXAMPLES[fmt]
    found = block.lines[0].strip()[:40]
    return _fail(source, block.first_line, f"expected {expected}, found {found!r}")


def _parse_vtt(blocks: list[_Block], source: str) -> list[_Located]:
    """Read the cues of a WebVTT file, skipping NOTE blocks and STYLE/REGION before the cues."""
    header = blocks[0]
    if not _VTT_HEADER.fullmatch(header.lines[0]):
        raise _fail(source, 1, "the WEBVTT header must be alone on the line or followed by a space")
    for number, line in enumerate(header.lines, start=header.first_line):
        if _ARROW in line:
            raise _fail(source, number, "put a blank line between the WEBVTT header and the cues")
    cues: list[_Located] = []
    for block in blocks[1:]:
        first = block.lines[0]
        head_block = _VTT_HEAD_BLOCKS.fullmatch(first)
        if head_block and cues:
            raise _fail(source, block.first_line, f"a {first.strip()} block after the first cue")
        if head_block or _VTT_NOTE.fullmatch(first):
            if _ARROW in "".join(block.lines):
                raise _fail(source, block.first_line, f"a {first.split()[0]} block has {_ARROW!r}")
            continue
        timing_at = _timing_index(block)
        if timing_at is None:
            raise _missing_timing(block, "vtt", source)
        cues.append(_Located(block, timing_at, _parse_cue(block, timing_at, "vtt", source)))
    return cues


def _parse_srt(blocks: list[_Block], source: str) -> list[_Located]:
    """Read the cues of an SRT file: number, timing line, text."""
    cues: list[_Located] = []
    for block in blocks:
        timing_at, number = _timing_index(block), block.lines[0].strip()
        if timing_at == 0:
            raise _fail(source, block.first_line, "the cue has no number before its timing line")
        if timing_at is None:
            raise _missing_timing(block, "srt", source)
        if not (number.isascii() and number.isdigit()):
            raise _fail(source, block.first_line, f"expected a cue number, found {number[:40]!r}")
        cues.append(_Located(block, 1, _parse_cue(block, 1, "srt", source)))
    return cues


_PARSERS: Final[Mapping[Format, Callable[[list[_Block], str], list[_Located]]]] = {
    "vtt": _parse_vtt,
    "srt": _parse_srt,
}


def _check_order(cues: list[_Located], source: str) -> None:
    """Refuse a file without cues, and cues that start before an earlier one (WebVTT 4.1)."""
    if not cues:
        raise _fail(source, None, "has no cues")
    for before, after in itertools.pairwise(cues):
        if after.cue.start_s < before.cue.start_s:
            problem = "the cue starts before the one above it; order cues by time"
            raise _fail(source, after.line, problem)


def _read(data: bytes, source: str) -> tuple[str, Format, list[_Located]]:
    """Return the file's text, its format and its cues, checked."""
    text = _decode(data, source)
    fmt: Format = "vtt" if text.startswith("WEBVTT") else "srt"
    cues = _PARSERS[fmt](list(_blocks(text)), source)
    _check_order(cues, source)
    return text, fmt, cues


def parse_transcript(data: bytes, *, source: str) -> Transcript:
    """Check a WebVTT or SRT file's bytes and return its cues, or raise CatalogError."""
    _text, fmt, cues = _read(data, source)
    return Transcript(
        format=fmt,
        cues=tuple(found.cue for found in cues),
        mime=TRANSCRIPT_TYPES[fmt],
        suffix=SUFFIXES[fmt],
    )


def check_within(transcript: Transcript, recording_s: float, *, source: str) -> None:
    """Refuse a cue that starts at or after the end of the recording, as chapters are refused.

    One that only runs over the end is cut to it when published.
    """
    for cue in transcript.cues:
        if cue.start_s >= recording_s:
            problem = (
                f"the cue {clock(cue.start_s)} --> {clock(cue.end_s)} starts at or after the end "
                f"of the recording ({clock(recording_s)})"
            )
            raise _fail(source, cue.line, problem, hint="fix its times or remove it")


# ---------------------------------------------------------------- retiming


def retime(
    data: bytes,
    *,
    source: str,
    offset_s: float,
    kept_from_s: float = 0.0,
    kept_to_s: float = math.inf,
) -> bytes:
    """Return the transcript with its cues moved by `offset_s` (the published audio's time).

    Cue times are the recording's, of which the audio keeps `kept_from_s` to `kept_to_s`: a cue
    outside that is dropped, one across its edge is cut to it. Everything else (header, notes,
    styles, cue settings, line breaks) stays; times that do not move give back `data` itself.
    """
    text, fmt, cues = _read(data, source)
    window = (max(kept_from_s, -offset_s), kept_to_s)  # never before the audio's start
    moved = [_moved(found.cue, offset_s, window) for found in cues]
    if moved == [found.cue for found in cues]:
        return data
    if not any(moved):
        raise _fail(source, None, "every cue lies in the silence trimmed from the recording")
    parts = _KEEP_BREAKS.split(text)
    lines, breaks = parts[0::2], [*parts[1::2], ""]
    kept = [(found, cue) for found, cue in zip(cues, moved, strict=True) if cue is not None]
    for number, (found, cue) in enumerate(kept, start=1):
        _rewrite(lines, found, cue, number, fmt, offset_s)
    for found, new in zip(cues, moved, strict=True):
        if new is None:  # the cue goes, with the blank lines after it: no gap is left
            first = end = found.block.first_line - 1
            while end < len(lines) and (
                end < first + len(found.block.lines) or not lines[end].strip()
            ):
                end += 1
            lines[first:end] = breaks[first:end] = [""] * (end - first)
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    return bom + "".join(map(str.__add__, lines, breaks)).encode("utf-8")


def _rewrite(
    lines: list[str], found: _Located, cue: Cue, number: int, fmt: Format, offset_s: float
) -> None:
    """Write a kept cue's new times into its lines (and its number, in SRT)."""
    first = found.block.first_line - 1
    at = first + found.timing_at
    lines[at] = _timing_line(lines[at], cue, fmt)
    if fmt == "srt":
        lines[first] = str(number)  # SRT numbers run 1, 2, 3 ... without gaps
        return
    for index in range(at + 1, first + len(found.block.lines)):
        lines[index] = _INNER_STAMP.sub(lambda stamp: _inner(stamp[1], cue, offset_s), lines[index])


def _moved(cue: Cue, offset_s: float, window: tuple[float, float]) -> Cue | None:
    """Return the cue cut to the window and moved by offset_s; None if nothing of it is left."""
    start_s, end_s = max(cue.start_s, window[0]), min(cue.end_s, window[1])
    if end_s - start_s < 0.001:
        return None
    return Cue(start_s=_ms(start_s + offset_s), end_s=_ms(end_s + offset_s), text=cue.text)


def _ms(seconds: float) -> float:
    return round(seconds * 1000) / 1000  # as _timestamp reads them: exact to the millisecond


def _stamp(seconds: float, fmt: Format) -> str:
    """Write a time as HH:MM:SS.mmm (WebVTT) or HH:MM:SS,mmm (SRT)."""
    minutes, millis = divmod(round(seconds * 1000), 60_000)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}{_SEPARATORS[fmt]}{millis % 1000:03d}"


def _timing_line(line: str, cue: Cue, fmt: Format) -> str:
    """Return a timing line with the cue's times and the line's own cue settings."""
    timing = _TIMING.fullmatch(line.strip())
    assert timing is not None  # _read parsed this line
    indent = line[: len(line) - len(line.lstrip())]
    tail = f" {timing['settings']}" if timing["settings"] else ""
    return f"{indent}{_stamp(cue.start_s, fmt)} --> {_stamp(cue.end_s, fmt)}{tail}"


def _inner(stamp: str, cue: Cue, offset_s: float) -> str:
    """Move a timestamp inside a cue's text, keeping it within the (cut) cue."""
    seconds = _timestamp(stamp, "vtt", 0, "") + offset_s
    return f"<{_stamp(min(max(seconds, cue.start_s), cue.end_s), 'vtt')}>"
