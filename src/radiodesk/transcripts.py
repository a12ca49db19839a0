"""Episode transcripts: check that a WebVTT or SRT file is sound before it is published.

Pure: takes the file's bytes and returns its cues; the file itself is published unchanged.
WebVTT: https://www.w3.org/TR/webvtt1/ (file structure, section 4). SRT has no formal spec;
this follows what players accept: number, "HH:MM:SS,mmm --> HH:MM:SS,mmm", text, blank line.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from radiodesk.errors import CatalogError

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
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # all Cc but tab and breaks


@dataclass(frozen=True, slots=True, kw_only=True)
class Cue:
    """One timed piece of text."""

    start_s: float
    end_s: float
    text: str  # the cue's lines joined with "\n", markup such as <v Speaker> kept


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
    if control := _CONTROL.search(text):
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
    return Cue(start_s=start, end_s=end, text="\n".join(text))


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


def _parse_vtt(blocks: list[_Block], source: str) -> list[tuple[int, Cue]]:
    """Read the cues of a WebVTT file, skipping NOTE blocks and STYLE/REGION before the cues."""
    header = blocks[0]
    if not _VTT_HEADER.fullmatch(header.lines[0]):
        raise _fail(source, 1, "the WEBVTT header must be alone on the line or followed by a space")
    for number, line in enumerate(header.lines, start=header.first_line):
        if _ARROW in line:
            raise _fail(source, number, "put a blank line between the WEBVTT header and the cues")
    cues: list[tuple[int, Cue]] = []
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
        cues.append((block.first_line + timing_at, _parse_cue(block, timing_at, "vtt", source)))
    return cues


def _parse_srt(blocks: list[_Block], source: str) -> list[tuple[int, Cue]]:
    """Read the cues of an SRT file: number, timing line, text."""
    cues: list[tuple[int, Cue]] = []
    for block in blocks:
        timing_at, number = _timing_index(block), block.lines[0].strip()
        if timing_at == 0:
            raise _fail(source, block.first_line, "the cue has no number before its timing line")
        if timing_at is None:
            raise _missing_timing(block, "srt", source)
        if not (number.isascii() and number.isdigit()):
            raise _fail(source, block.first_line, f"expected a cue number, found {number[:40]!r}")
        cues.append((block.first_line + 1, _parse_cue(block, 1, "srt", source)))
    return cues


_PARSERS: Final[Mapping[Format, Callable[[list[_Block], str], list[tuple[int, Cue]]]]] = {
    "vtt": _parse_vtt,
    "srt": _parse_srt,
}


def _check_order(cues: list[tuple[int, Cue]], source: str) -> None:
    """Refuse a file without cues, and cues that start before an earlier one (WebVTT 4.1)."""
    if not cues:
        raise _fail(source, None, "has no cues")
    for (_, before), (line, cue) in itertools.pairwise(cues):
        if cue.start_s < before.start_s:
            raise _fail(source, line, "the cue starts before the one above it; order cues by time")


def parse_transcript(data: bytes, *, source: str) -> Transcript:
    """Check a WebVTT or SRT file's bytes and return its cues, or raise CatalogError."""
    text = _decode(data, source)
    fmt: Format = "vtt" if text.startswith("WEBVTT") else "srt"
    cues = _PARSERS[fmt](list(_blocks(text)), source)
    _check_order(cues, source)
    return Transcript(
        format=fmt,
        cues=tuple(cue for _, cue in cues),
        mime=TRANSCRIPT_TYPES[fmt],
        suffix=SUFFIXES[fmt],
    )
