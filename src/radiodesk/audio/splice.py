"""The newsroom's edits of a recording: silence trimmed at its ends, jingles joined to it.

Finds the trims (silencedetect on the ends only) and builds the filter graph that joins the
prepared jingles to the streamed recording in the one encode. Never loads audio into Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from radiodesk.audio import ffmpeg
from radiodesk.audio.ffmpeg_args import file_url
from radiodesk.audio.ffmpeg_output import parse_silencedetect

SCAN_S = 60.0  # silence is looked for in this much of each end: trims are at most this long
SCAN_TIMEOUT_S = 600.0
MIN_KEPT_S = 1.0  # a trim never leaves less than this of the recording
EDGE_SLACK_S = 0.1  # a silence ending this close to the end of the scan runs to the end


@dataclass(frozen=True, slots=True, kw_only=True)
class Insert:
    """A prepared jingle: a WAV at the episode's rate and channels, near the target loudness."""

    path: Path
    duration_s: float
    gain_db: float = 0.0  # still to apply (in floating point, before the limiter)


@dataclass(frozen=True, slots=True, kw_only=True)
class Edit:
    """Trims of the recording and the jingles around it; the default changes nothing."""

    lead_trim_s: float = 0.0
    tail_trim_s: float = 0.0
    intro: Insert | None = None
    outro: Insert | None = None
    crossfade_s: float = 0.0

    @property
    def is_empty(self) -> bool:
        """Tell whether the edit leaves the recording as it is."""
        return not (self.lead_trim_s or self.tail_trim_s or self.intro or self.outro)

    def kept_s(self, duration_s: float) -> float:
        """Return how much of a recording of `duration_s` the trims keep."""
        return duration_s - self.lead_trim_s - self.tail_trim_s

    def offset_s(self) -> float:
        """Return where the recording's time 0 lands in the output (negative: trimmed away)."""
        intro = self.intro.duration_s - self.crossfade_s if self.intro else 0.0
        return round(intro - self.lead_trim_s, 3)

    def output_duration_s(self, duration_s: float) -> float:
        """Return the length of the output: jingles overlap the recording by the crossfade."""
        jingles = sum(j.duration_s - self.crossfade_s for j in (self.intro, self.outro) if j)
        return self.kept_s(duration_s) + jingles


def edited_source(
    master: Path, chain: str, *, sample_rate_hz: int, mono: bool, duration_s: float, edit: Edit
) -> list[str]:
    """Build the inputs and filter graph that feed the encoder: jingles, trimmed recording.

    `chain` is the recording's own processing (channels, gain, resampling, limiter); the limiter
    at its end is moved after the joins, so it also catches a jingle's peaks.
    """
    head, _, limiter = chain.rpartition(",alimiter=")
    layout = "mono" if mono else "stereo"
    inputs: list[str] = []
    labels: list[str] = []
    branches: list[str] = []
    for role, insert in (("intro", edit.intro), ("main", None), ("outro", edit.outro)):
        index = sum(1 for arg in inputs if arg == "-i")
        if role == "main":
            inputs += [*_trim_args(edit, duration_s), "-i", file_url(master)]
            branches.append(f"[{index}:a:0]{head}[main]")
        elif insert is not None:
            inputs += ["-i", file_url(insert.path)]
            branches.append(
                f"[{index}:a:0]aformat=sample_fmts=flt:sample_rates={sample_rate_hz}:"
                f"channel_layouts={layout},volume={insert.gain_db:.2f}dB[{role}]"
            )
        else:
            continue
        labels.append(role)
    joined = labels[0]
    for step, label in enumerate(labels[1:], start=1):
        branches.append(f"[{joined}][{label}]{_join(edit.crossfade_s)}[j{step}]")
        joined = f"j{step}"
    branches.append(f"[{joined}]alimiter={limiter}[out]")
    return [*inputs, "-filter_complex", ";".join(branches), "-map", "[out]"]


def _join(crossfade_s: float) -> str:
    # acrossfade overlaps the two ends; a zero crossfade is a plain butt join.
    if crossfade_s <= 0:
        return "concat=n=2:v=0:a=1"
    return f"acrossfade=d={crossfade_s:.3f}:c1=tri:c2=tri"


def _trim_args(edit: Edit, duration_s: float) -> list[str]:
    # Input options: ffmpeg seeks (accurately: it decodes up to the point) instead of decoding
    # and dropping in the graph; -t counts from the seek point.
    seek = ["-ss", f"{edit.lead_trim_s:.3f}"] if edit.lead_trim_s else []
    return [*seek, "-t", f"{edit.kept_s(duration_s):.3f}"] if edit.tail_trim_s else seek


def find_trims(
    master: Path,
    channels_filter: str,
    duration_s: float,
    *,
    threshold_db: float,
    kept_pause_s: float,
) -> tuple[float, float]:
    """Return (leading, trailing) silence to cut, keeping `kept_pause_s` of each.

    Only the first and last SCAN_S seconds are decoded: a three-hour recording costs two minutes.
    """
    spans = (
        [(0.0, None)] if duration_s <= 2 * SCAN_S else [(0.0, SCAN_S), (duration_s - SCAN_S, None)]
    )
    detector = f"{channels_filter},silencedetect=n={threshold_db:.1f}dB:d={kept_pause_s:.3f}"
    runs = [
        [*(["-ss", f"{start:.3f}"] if start else []), *(["-t", f"{length:.3f}"] if length else []),
         "-i", file_url(master), "-map", "0:a:0", "-af", detector,
         "-f", "null", "-"]
        for start, length in spans
    ]  # fmt: skip
    done = ffmpeg.run_parallel(runs, timeout_s=SCAN_TIMEOUT_S)
    head = parse_silencedetect(done[0].stderr)
    tail_start = spans[-1][0]
    tail = [
        (tail_start + start, None if end is None else tail_start + end)
        for start, end in parse_silencedetect(done[-1].stderr)
    ]
    return trims_from_silences(head, tail, duration_s, kept_pause_s)


def trims_from_silences(
    head: list[tuple[float, float | None]],
    tail: list[tuple[float, float | None]],
    duration_s: float,
    kept_pause_s: float,
) -> tuple[float, float]:
    """Turn silences (absolute times) into trims; none when they would leave too little."""
    lead = 0.0
    if head and head[0][0] <= EDGE_SLACK_S:
        first_end = head[0][1]
        lead = max(0.0, (duration_s if first_end is None else first_end) - kept_pause_s)
    trail = 0.0
    if tail:
        start, end = tail[-1]
        if end is None or end >= duration_s - EDGE_SLACK_S:
            trail = max(0.0, duration_s - start - kept_pause_s)
    if duration_s - lead - trail < MIN_KEPT_S:
        return 0.0, 0.0
    return round(lead, 3), round(trail, 3)
