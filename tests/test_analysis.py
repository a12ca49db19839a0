"""analysis.py: the pure rules that read the measuring pass's output."""

from __future__ import annotations

import math

import pytest

from radiodesk.audio.analysis import BlockLog, decide_channels, merge_levels
from radiodesk.audio.ffmpeg_output import VolumeStats


@pytest.mark.parametrize(
    ("left", "right", "diff", "plan"),
    [
        (-20.0, -20.0, -91.0, "mono-identical"),
        (-20.0, -21.0, -62.0, "mono-identical"),
        (-20.0, -21.0, -30.0, "stereo"),
        (-20.0, -91.0, -20.0, "mono-left"),
        (-75.0, -25.0, -25.0, "mono-right"),
        (-20.0, -45.0, -20.5, "stereo"),  # quiet but alive: 25 dB is not dead
    ],
)
def test_decide_channels(left: float, right: float, diff: float, plan: str) -> None:
    def level(mean: float) -> VolumeStats:
        return VolumeStats(mean_volume_db=mean, max_volume_db=mean + 12, samples=48000)

    levels = {"left": level(left), "right": level(right), "diff": level(diff)}
    assert decide_channels(2, "auto", levels) == plan
    assert decide_channels(6, "auto", levels) == plan.replace("stereo", "downmix-stereo")


def test_merge_levels_weights_power_by_samples() -> None:
    def stats(mean: float, peak: float, samples: int) -> VolumeStats:
        return VolumeStats(mean_volume_db=mean, max_volume_db=peak, samples=samples)

    merged = merge_levels([{"all": stats(-20.0, -3.0, 300)}, {"all": stats(-30.0, -9.0, 100)}])
    power = (300 * 10**-2 + 100 * 10**-3) / 400
    assert merged == {"all": stats(round(10 * math.log10(power), 1), -3.0, 400)}


def test_block_log_counts_only_blocks_inside_one_kept_stretch() -> None:
    log = BlockLog(whole_only=True)
    times = [0.1 * n for n in range(1, 16)] + [6.2 + 0.1 * n for n in range(8)]
    for t in times:
        log.feed(f"[Parsed_ebur128_0 @ 0x1] t: {t:.6f}  TARGET:-23 LUFS    M: -20.0 S: -21.0")
    # Blocks ending 0.4 ... 1.4 s into each stretch: 0.4 ... 1.4 (11), then 6.5 ... 6.9 (5).
    assert log.momentary == {-20.0: 16}
    assert not log.short_term
