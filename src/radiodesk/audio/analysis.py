"""What the measuring pass found (Analysis), and the pure rules that read its output.

Block loudness counts, channel levels, the channel plan. Runs nothing: measuring.py runs the pass.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from radiodesk.audio.ffmpeg_output import VolumeStats, parse_ebur128_frame
from radiodesk.audio.profiles import ChannelMode

ChannelPlan = Literal[
    "mono", "stereo", "downmix-stereo", "mono-identical", "mono-left", "mono-right", "downmix-mono"
]

DEAD_CHANNEL_DB = 30.0  # a channel this far below the other carries no programme
IDENTICAL_DB = 40.0  # L-R this far below the louder channel: the same signal twice
MONO_PLANS = frozenset({"mono", "mono-identical", "mono-left", "mono-right", "downmix-mono"})
# BS.1770 sums channel powers: two identical channels read 3.01 dB above either one alone.
PLAN_OFFSET_DB: dict[ChannelPlan, float] = {"mono-identical": -10 * math.log10(2)}
# A long recording's gain is planned from a sample: SAMPLE_KEEP_S of every SAMPLE_PERIOD_S, at a
# point the golden-ratio sequence picks (a quarter of the audio, spread evenly, in step with no
# rhythm of the programme). Only 400 ms blocks that lie whole inside one kept stretch count: a
# block across a join mixes speech with another moment's pause and loosens the gate. The MP3 is
# still verified whole (and corrected), and the master is metered whole beside the encode, so
# what is recorded is exact. Every sample is still decoded (the length and the sample peak count
# them all).
SAMPLE_PERIOD_S, SAMPLE_KEEP_S = 6.0, 1.5
GOLDEN = 0.6180339887
LOG_STEP_S = 0.1  # ebur128 logs a block every 100 ms of audio


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceLoudness:
    """The master's loudness as it will be published (channels planned), with its sample peak."""

    integrated_lufs: float
    lra_lu: float
    sample_peak_dbfs: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceInfo:
    """The master's first audio stream; `duration_s` counts decoded samples, not the header."""

    codec: str
    sample_rate_hz: int
    channels: int
    layout: str
    duration_s: float
    container: str = ""  # the demuxer: its options can make reading cheaper


@dataclass(frozen=True, slots=True, kw_only=True)
class Analysis:
    """The measuring pass: the source, and the loudness and sample peak of what is published."""

    source: SourceInfo
    loudness: SourceLoudness  # its sample peak is what the limiter sees: the gain plan uses it
    channel_plan: ChannelPlan
    mono: bool
    # The loudness is an estimate from a sample (its LRA unknown); the encode meters it whole.
    sampled: bool = False


@dataclass(slots=True)
class BlockLog:
    """Counts of the block loudness values (0.1 LU steps) that one meter printed.

    A count per printed value, not a list: memory stays flat however long the recording.
    `whole_only` (a sampled pass) counts only 400 ms blocks inside one stretch of the recording:
    the log's time jumps where the sample skips, and a block is whole 400 ms after a jump.
    """

    whole_only: bool = False
    momentary: Counter[float] = field(default_factory=Counter)  # 400 ms blocks
    short_term: Counter[float] = field(default_factory=Counter)  # 3 s blocks (whole passes)
    _last_s: float = -math.inf
    _stretch_s: float = 0.0  # where the stretch being logged began

    def feed(self, line: str) -> bool:
        """Count the blocks of one frame-log line; return whether it was one."""
        frame = parse_ebur128_frame(line)
        if frame is None:
            return False
        if not self.whole_only:
            self.momentary[frame[0]] += 1
            self.short_term[frame[1]] += 1
            return True
        time_s = frame[2]
        if time_s - self._last_s > 1.5 * LOG_STEP_S:
            self._stretch_s = time_s - LOG_STEP_S
        self._last_s = time_s
        # Blocks ending 0.4-1.4 s into a stretch: as many from each (a stretch may run longer).
        into = time_s - self._stretch_s
        if 4 * LOG_STEP_S - 0.01 < into < SAMPLE_KEEP_S - 0.05:
            self.momentary[frame[0]] += 1
        return True


def merge_levels(parts: Sequence[Mapping[str, VolumeStats]]) -> dict[str, VolumeStats]:
    """Combine the channel levels of consecutive stretches (powers weighted by samples)."""
    merged = {}
    for name in parts[0]:
        stats = [part[name] for part in parts if name in part]
        samples = sum(s.samples for s in stats)
        power = sum(s.samples * 10 ** (s.mean_volume_db / 10) for s in stats) / max(samples, 1)
        merged[name] = VolumeStats(
            mean_volume_db=round(10 * math.log10(power), 1) if power > 0 else -91.0,
            max_volume_db=max(s.max_volume_db for s in stats),
            samples=samples,
        )
    return merged


def decide_channels(
    channels: int, mode: ChannelMode, levels: dict[str, VolumeStats]
) -> ChannelPlan:
    """Pick the published channels: a dead or duplicated channel makes a stereo file mono."""
    if channels == 1:
        return "mono"
    if mode == "mono":
        return "downmix-mono"
    both: ChannelPlan = "downmix-stereo" if channels > 2 else "stereo"
    if mode == "stereo":
        return both
    left, right = levels["left"].mean_volume_db, levels["right"].mean_volume_db
    louder = max(left, right)
    if min(left, right) <= louder - DEAD_CHANNEL_DB:
        return "mono-left" if left >= right else "mono-right"
    if levels["diff"].mean_volume_db <= louder - IDENTICAL_DB:
        return "mono-identical"
    return both
