"""Reads what ffmpeg prints: its version and listings, the input's streams, meter summaries.

Pure text in, values out: runs nothing (ffmpeg.py does) and knows no loudness targets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from radiodesk.errors import ToolError

INSTALL_HINT = (
    "install ffmpeg with libmp3lame (e.g. `apt install ffmpeg`) or `pip install imageio-ffmpeg`"
)
GENERIC_MESSAGES = frozenset({"Conversion failed!", "Exiting with exit code 1"})
# ffmpeg 5.x follows a filter's own error with these lines, which say nothing about the cause.
GENERIC_PREFIXES = (
    "video:",
    "Error reinitializing filters!",
    "Failed to inject frame into filter network",
    "Error while processing the decoded data for stream",
)
# ffmpeg's named channel layouts (libavutil/channel_layout.c) and their channel counts.
LAYOUT_CHANNELS = {
    "mono": 1, "stereo": 2, "downmix": 2, "2.1": 3, "3.0": 3, "3.0(back)": 3, "4.0": 4,
    "quad": 4, "quad(side)": 4, "3.1": 4, "5.0": 5, "5.0(side)": 5, "4.1": 5, "5.1": 6,
    "5.1(side)": 6, "6.0": 6, "6.0(front)": 6, "3.1.2": 6, "hexagonal": 6, "6.1": 7,
    "6.1(back)": 7, "6.1(front)": 7, "7.0": 7, "7.0(front)": 7, "7.1": 8, "7.1(wide)": 8,
    "7.1(wide-side)": 8, "5.1.2": 8, "7.1(top)": 8, "octagonal": 8, "cube": 8, "5.1.4": 10,
    "7.1.2": 10, "7.1.4": 12, "7.2.3": 12, "9.1.4": 14, "hexadecagonal": 16, "22.2": 24,
}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioStream:
    """One audio stream as ffmpeg lists it for the input."""

    codec: str
    sample_rate_hz: int
    channels: int
    layout: str
    header_duration_s: float | None = None  # what the container claims; the file may be shorter
    container: str = ""  # the demuxer ffmpeg chose: "wav", "flac", "mov,mp4,m4a,3gp,3g2,mj2" ...


@dataclass(frozen=True, slots=True)
class InputProblem:
    """Why ffmpeg could not use an input file."""

    kind: Literal["no-audio-stream", "unreadable"]
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Ebur128Summary:
    """The summary the ebur128 filter prints when it closes (silence gives -70 LUFS, -inf dBTP)."""

    integrated_lufs: float
    lra_lu: float
    true_peak_dbtp: float | None  # None unless run with peak=true
    sample_peak_dbfs: float | None = None  # None unless run with peak=sample


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumeStats:
    """What one volumedetect filter printed: RMS and sample peak (16-bit, floor -91 dB)."""

    mean_volume_db: float
    max_volume_db: float
    samples: int


def parse_version(text: str) -> str:
    """Return the version word of `ffmpeg -version`, e.g. `7.1` or `n9.0.2-17-g2a571b6068`."""
    match = re.search(r"^ffmpeg version (\S+)", text, re.MULTILINE)
    if match is None:
        raise ToolError(
            "the program does not look like ffmpeg (no version line)", hint=INSTALL_HINT
        )
    return match.group(1)


def version_number(version: str) -> tuple[int, int] | None:
    """Return (major, minor) of a release such as `6.1.1-3ubuntu5`; None for git builds."""
    match = re.match(r"n?(\d+)\.(\d+)", version)
    return (int(match.group(1)), int(match.group(2))) if match else None


def parse_listing(text: str) -> frozenset[str]:
    """Return the names listed by `ffmpeg -encoders` or `-filters` (flags, then the name).

    The legend above the list ("T.. = Timeline support") has "=" where a name would be; ffmpeg
    5.x draws no `------` rule under the legend of `-filters`.
    """
    _, rule, body = text.partition("------")
    rows = (line.split() for line in (body if rule else text).splitlines())
    return frozenset(fields[1] for fields in rows if len(fields) > 1 and fields[1] != "=")


def parse_stats_line(line: str) -> float | None:
    """Return the media seconds done in a stats line (`size=… time=00:01:02.50 …`), or None."""
    match = re.match(r"(?:size|frame)=.*?\btime=(-?)(\d+):(\d\d):(\d\d(?:\.\d+)?)\b", line)
    if match is None:
        return None
    sign, hours, minutes, seconds = match.groups()
    return 0.0 if sign else int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def last_message(stderr: str) -> str:
    """Return ffmpeg's last telling log line without its `[filter @ 0x…]` prefix."""
    for line in reversed(stderr.splitlines()):
        text = re.sub(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*", "", line).strip()
        if text and text not in GENERIC_MESSAGES and not text.startswith(GENERIC_PREFIXES):
            return text
    return "no message"


_DURATION_RE = re.compile(r"^\s+Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?),")
_STREAM_RE = re.compile(
    r"^\s+Stream #0:\d+\S*: Audio: (?P<codec>[^\s,]+).*?, (?P<rate>\d+) Hz, (?P<layout>[^,]+)"
)


def parse_audio_streams(stderr: str) -> list[AudioStream]:
    """Return the audio streams of the first input (`Input #0`) in ffmpeg's listing order."""
    streams: list[AudioStream] = []
    inside = False
    duration_s: float | None = None
    container = ""
    for line in stderr.splitlines():
        if line.startswith("Input #0,"):
            inside = True
            container = line.removeprefix("Input #0,").strip().partition(", from ")[0]
        elif inside and line and not line[0].isspace():
            break  # "Stream mapping:" or "Output #0" ends the input block
        elif inside and (match := _DURATION_RE.match(line)):
            hours, minutes, seconds = match.groups()
            duration_s = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        elif inside and (match := _STREAM_RE.match(line)):
            layout = match.group("layout").strip()
            streams.append(
                AudioStream(
                    codec=match.group("codec"),
                    sample_rate_hz=int(match.group("rate")),
                    channels=layout_channels(layout),
                    layout=layout,
                    header_duration_s=duration_s,
                    container=container,
                )
            )
    return streams


def layout_channels(layout: str) -> int:
    """Return the number of channels of an ffmpeg layout name such as `5.1` or `3 channels`."""
    match = re.match(r"(\d+) channels", layout)
    if match:
        return int(match.group(1))
    return LAYOUT_CHANNELS.get(layout, 0)


def parse_input_problem(stderr: str) -> InputProblem | None:
    """Say why ffmpeg could not open or map the input, if that is why it failed."""
    if re.search(r"^Stream map '.*' matches no streams", stderr, re.MULTILINE):
        return InputProblem("no-audio-stream", "it has no audio stream")
    if "Output file does not contain any stream" in stderr:
        return InputProblem("no-audio-stream", "it has no audio stream")
    match = re.search(r"Error opening input(?: file)?: (.+)$", stderr, re.MULTILINE)
    # ffmpeg 5.x says it as "<input URL>: <reason>"; our inputs are file: URLs (file_url).
    match = match or re.search(r"^file:.*: ([^:\n]+)$", stderr, re.MULTILINE)
    if match:
        return InputProblem("unreadable", match.group(1).strip())
    return None


_SUMMARY_RE = re.compile(r"\[(?P<instance>[^\[\]\s]+) @ 0x[0-9a-f]+\] Summary:")


def parse_ebur128(stderr: str, name: str | None = None) -> Ebur128Summary | None:
    """Return the last summary of the ebur128 filter `ebur128@name` (of any, if no name), or None.

    A meter with two named instances prints one summary after the other; each is read up to
    the next one.
    """
    found = [
        match
        for match in _SUMMARY_RE.finditer(stderr)
        if name is None or match.group("instance") == f"ebur128@{name}"
    ]
    if not found:
        return None
    begin = found[-1].end()
    following = _SUMMARY_RE.search(stderr, begin)
    summary = stderr[begin : following.start() if following else len(stderr)]
    # Other threads may log between the summary's lines; its own lines have no `[` prefix.
    own = "\n".join(line for line in summary.splitlines() if not line.startswith("["))
    integrated = re.search(r"^\s+I:\s+(\S+) LUFS", own, re.MULTILINE)
    lra = re.search(r"^\s+LRA:\s+(\S+) LU", own, re.MULTILINE)
    if integrated is None or lra is None:
        return None
    return Ebur128Summary(
        integrated_lufs=float(integrated.group(1)),
        lra_lu=float(lra.group(1)),
        true_peak_dbtp=_section_peak(own, "True peak"),
        sample_peak_dbfs=_section_peak(own, "Sample peak"),
    )


_FRAME_RE = re.compile(r"\] t: (\S+)\s+TARGET:\S+ LUFS\s+M:\s*(\S+) S:\s*(\S+)")


def parse_ebur128_frame(line: str) -> tuple[float, float, float] | None:
    """Return (momentary, short-term, time) of an ebur128 frame-log line (`framelog=info`).

    The time is the stream's at the block's end: it jumps where frames were left out.
    """
    match = _FRAME_RE.search(line)
    if match is None:
        return None
    return float(match.group(2)), float(match.group(3)), float(match.group(1))


def _section_peak(summary: str, section: str) -> float | None:
    match = re.search(rf"^\s+{section}:\s*\n\s+Peak:\s+(\S+) dBFS", summary, re.MULTILINE)
    return float(match.group(1)) if match else None


_VOLUME_RE = re.compile(
    r"^\[(?P<name>[^\s\]]+) @ 0x[0-9a-f]+\] (?P<key>n_samples|mean_volume|max_volume): "
    r"(?P<value>\S+)",
    re.MULTILINE,
)


def parse_volumedetect(stderr: str) -> dict[str, VolumeStats]:
    """Return each volumedetect filter's final figures, keyed by its instance name."""
    values: dict[str, dict[str, str]] = {}
    for match in _VOLUME_RE.finditer(stderr):
        name = match.group("name").removeprefix("volumedetect@")
        if match.group("key") == "n_samples":
            values[name] = {}  # a new report starts; graphs configured twice print twice
        values.setdefault(name, {})[match.group("key")] = match.group("value")
    return {
        name: VolumeStats(
            mean_volume_db=float(found["mean_volume"]),
            max_volume_db=float(found["max_volume"]),
            samples=int(found["n_samples"]),
        )
        for name, found in values.items()
        if {"n_samples", "mean_volume", "max_volume"} <= found.keys()
    }


_SILENCE_RE = re.compile(
    r"\] silence_(?P<edge>start|end): (?P<time>-?[0-9.]+(?:e-?\d+)?)", re.MULTILINE
)


def parse_silencedetect(stderr: str) -> list[tuple[float, float | None]]:
    """Return the silences silencedetect printed as (start, end) seconds; end None: to the end."""
    spans: list[tuple[float, float | None]] = []
    for match in _SILENCE_RE.finditer(stderr):
        time_s = max(float(match.group("time")), 0.0)
        if match.group("edge") == "start":
            spans.append((time_s, None))
        elif spans and spans[-1][1] is None:
            spans[-1] = (spans[-1][0], time_s)
    return spans
