"""The one mapping from the recording's time to the published episode's time; pure arithmetic.

Chapters, transcript cues and soundbites are timed on the recording; jingles and trims move it in
the MP3. Each of them is placed through this, so they agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeline:
    """Where the recording is heard in the MP3, and which part of it the MP3 keeps."""

    offset_s: float = 0.0  # where the recording's time 0 lands in the MP3 (negative: trimmed)
    kept_from_s: float = 0.0  # the kept part, in the recording's time
    kept_to_s: float = math.inf

    def at(self, recording_s: float) -> float:
        """Return where a moment of the recording is heard in the MP3 (to the millisecond)."""
        return round(recording_s + self.offset_s, 3)

    def clamp(self, start_s: float, end_s: float) -> tuple[float, float]:
        """Cut a span of the recording to the kept part; it comes out empty where none is kept."""
        start = min(max(start_s, self.kept_from_s), self.kept_to_s)
        return start, max(min(end_s, self.kept_to_s), start)

    def kept(self, start_s: float, end_s: float) -> tuple[float, float] | None:
        """Return a span cut to the kept part, in the MP3's time; None when nothing is kept."""
        start, end = self.clamp(start_s, end_s)
        return (self.at(start), self.at(end)) if end - start >= 0.001 else None


def of_record(
    *,
    duration_s: float,
    offset_s: float = 0.0,
    recording_s: float | None = None,
    lead_trim_s: float = 0.0,
    tail_trim_s: float = 0.0,
) -> Timeline:
    """Return the timeline an audio record describes (no recording_s: the MP3 is the recording)."""
    if recording_s is None:
        return Timeline(offset_s=offset_s, kept_to_s=round(duration_s - offset_s, 3))
    return Timeline(
        offset_s=offset_s, kept_from_s=lead_trim_s, kept_to_s=round(recording_s - tail_trim_s, 3)
    )


def clock(seconds: float) -> str:
    """Write a time as MM:SS.mmm, or H:MM:SS.mmm from an hour on (for messages)."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    text = f"{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"
    return f"{hours}:{text}" if hours else text
