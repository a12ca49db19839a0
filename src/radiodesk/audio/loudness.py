"""Loudness maths (BS.1770 gating, EBU loudness range, gain plans) and the one converge loop.

Every output radiodesk levels (the podcast MP3, the on-air WAV, soundbite clips) reaches its
target through `converge`: encode, meter, correct. Runs nothing itself: callers hand it the encode.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from radiodesk.audio.ffmpeg import Completed
from radiodesk.audio.ffmpeg_output import parse_ebur128
from radiodesk.errors import AudioError, ToolError

SILENT_LUFS = -70.0  # BS.1770 absolute gate: nothing above it means nothing to normalize
RELATIVE_GATE_LU = -10.0  # BS.1770-4: integrated loudness ignores blocks 10 LU below the mean
LRA_GATE_LU, LRA_PERCENTILES = -20.0, (0.10, 0.95)  # EBU Tech 3342
MAX_ATTEMPTS = 4  # encodes of one output before it is given up on
LIMITER_FLOOR_DBFS = -24.0  # alimiter's smallest `limit` is 0.0625
PEAK_SAFETY_DB = 0.3  # extra cut when a retry corrects a true-peak overshoot
# The limiter costs ~0.05 LU per dB it takes off the top sample peak while it only touches
# plosives (more once it reaches the body of the speech), measured on speech-like test signals.
LIMITER_LOSS_PER_DB = 0.05
LIMITER_LOSS_MAX_LU = 1.0  # one lone click far above the speech costs nothing: don't overreach
MIN_SLOPE = 0.2  # retries: never assume a dB of gain buys less than this much loudness

Plan = TypeVar("Plan")
Measured = TypeVar("Measured")


@dataclass(frozen=True, slots=True, kw_only=True)
class Loudness:
    """One BS.1770-4 measurement of an encoded file."""

    integrated_lufs: float
    true_peak_dbtp: float
    lra_lu: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """Where an output must land: integrated loudness near `lufs`, true peak under a ceiling."""

    lufs: float
    tolerance_lu: float
    ceiling_dbtp: float

    def met_by(self, after: Loudness) -> bool:
        """Tell whether a measurement is near the target and its true peak under the ceiling."""
        near = abs(after.integrated_lufs - self.lufs) <= self.tolerance_lu
        return near and after.true_peak_dbtp <= self.ceiling_dbtp


@dataclass(frozen=True, slots=True)
class GainPlan:
    """One encode's linear gain and the limiter's sample-peak ceiling."""

    gain_db: float
    ceiling_dbfs: float


@dataclass(frozen=True, slots=True)
class Converged(Generic[Plan, Measured]):
    """The last encode of a converge loop: its plan, what it measured, and whether it met."""

    plan: Plan
    measured: Measured
    attempts: int
    met: bool


def converge(
    encode: Callable[[Plan], Measured],
    first: Plan,
    *,
    met: Callable[[Measured], bool],
    correct: Callable[[Sequence[tuple[Plan, Measured]]], Plan],
) -> Converged[Plan, Measured]:
    """Encode, meter and correct until an encode meets the target or MAX_ATTEMPTS are spent.

    `encode` writes the output with a plan and returns its measurement; `correct` plans the
    next encode from those tried. The caller decides what a last encode that missed is worth.
    """
    tried: list[tuple[Plan, Measured]] = []
    plan = first
    for attempt in range(1, MAX_ATTEMPTS + 1):
        measured = encode(plan)
        tried.append((plan, measured))
        if met(measured):
            return Converged(plan, measured, attempt, met=True)
        if attempt < MAX_ATTEMPTS:
            plan = correct(tried)
    return Converged(plan, tried[-1][1], MAX_ATTEMPTS, met=False)


def converge_gain(
    encode: Callable[[GainPlan], Loudness],
    integrated_lufs: float,
    sample_peak_dbfs: float,
    target: Target,
    *,
    what: str,
    limiter_margin_db: float,
    codec_loss_lu: float = 0.0,
) -> Converged[GainPlan, Loudness]:
    """Level an output by gain and limiter: predict the first encode, correct the next ones.

    `integrated_lufs` and `sample_peak_dbfs` are the source's; raise AudioError naming `what`
    if no encode meets the target.
    """
    first = predict_gain(
        integrated_lufs,
        sample_peak_dbfs,
        target_lufs=target.lufs,
        ceiling_dbtp=target.ceiling_dbtp,
        limiter_margin_db=limiter_margin_db,
        codec_loss_lu=codec_loss_lu,
    )
    done = converge(
        encode,
        first,
        met=target.met_by,
        correct=lambda tried: correct_gain(tried, target.lufs, target.ceiling_dbtp),
    )
    if not done.met:
        after = done.measured
        raise AudioError(
            f"could not bring {what} to {target.lufs:.1f} LUFS and {target.ceiling_dbtp:.1f} "
            f"dBTP in {done.attempts} encodes (last: {after.integrated_lufs:.1f} LUFS, "
            f"{after.true_peak_dbtp:.1f} dBTP)"
        )
    return done


def predict_gain(
    integrated_lufs: float,
    sample_peak_dbfs: float,
    *,
    target_lufs: float,
    ceiling_dbtp: float,
    limiter_margin_db: float,
    codec_loss_lu: float = 0.0,
) -> GainPlan:
    """Predict the gain and limiter ceiling that reach the target in one encode.

    The limiter stops `limiter_margin_db` below the true-peak ceiling (what the encoding adds
    to the peaks); `codec_loss_lu` is how much quieter the encoding reads than its input.
    """
    ceiling = max(ceiling_dbtp - limiter_margin_db, LIMITER_FLOOR_DBFS)
    gain = target_lufs - integrated_lufs + codec_loss_lu
    # The limiter works on sample peaks: the sample peak says how much it takes off the top.
    excess = sample_peak_dbfs + gain - ceiling
    return GainPlan(gain + limiter_loss_lu(excess), ceiling)


def limiter_loss_lu(reduction_db: float) -> float:
    """Predict the loudness the limiter costs when it takes `reduction_db` off the top peak."""
    return min(LIMITER_LOSS_PER_DB * max(reduction_db, 0.0), LIMITER_LOSS_MAX_LU)


def correct_gain(
    tried: Sequence[tuple[GainPlan, Loudness]], target: float, ceiling_dbtp: float
) -> GainPlan:
    """Plan the next encode from the ones tried: secant on the gain, ceiling below overshoot."""
    level, after = tried[-1]
    overshoot = after.true_peak_dbtp - ceiling_dbtp
    ceiling = level.ceiling_dbfs - (overshoot + PEAK_SAFETY_DB if overshoot > 0 else 0.0)
    slope = 1.0  # LU out per dB of gain; less once the limiter works hard
    if len(tried) > 1:
        (old, old_after), change = tried[-2], level.gain_db - tried[-2][0].gain_db
        if old.ceiling_dbfs == level.ceiling_dbfs and abs(change) > 0.05:
            slope = (after.integrated_lufs - old_after.integrated_lufs) / change
            slope = min(max(slope, MIN_SLOPE), 1.0)
    gain = level.gain_db + (target - after.integrated_lufs) / slope
    return GainPlan(gain, max(ceiling, LIMITER_FLOOR_DBFS))


def integrated_lufs(momentary: Mapping[float, int]) -> float:
    """Gate 400 ms block loudness values as BS.1770-4 does; SILENT_LUFS if none passes the gate."""
    counted = {value: count for value, count in momentary.items() if value >= SILENT_LUFS}
    if not counted:
        return SILENT_LUFS
    threshold = _mean_loudness(counted) + RELATIVE_GATE_LU
    return _mean_loudness({v: c for v, c in counted.items() if v >= threshold})


def loudness_range_lu(short_term: Mapping[float, int]) -> float:
    """Return the loudness range of 3 s block values as EBU Tech 3342 (and ffmpeg) count it."""
    counted = {value: count for value, count in short_term.items() if value >= SILENT_LUFS}
    if not counted:
        return 0.0
    threshold = _mean_loudness(counted) + LRA_GATE_LU
    kept = sorted((v, c) for v, c in counted.items() if v >= threshold)
    total = sum(count for _, count in kept)
    low_rank, high_rank = (int(share * total + 0.5) for share in LRA_PERCENTILES)
    seen, low, high = 0, None, kept[0][0]
    for value, count in kept:  # ffmpeg's walk over its histogram, in 0.1 LU steps
        if low is None and seen + count >= low_rank:
            low = value
        if seen < high_rank:
            high = value
        seen += count
    return high - (low if low is not None else kept[0][0])


def _mean_loudness(values: Mapping[float, int]) -> float:
    """Average block powers (not decibels): -0.691 + 10 log10(mean of 10^((L+0.691)/10))."""
    total = sum(values.values())
    power = sum(count * 10 ** ((value + 0.691) / 10) for value, count in values.items())
    return -0.691 + 10 * math.log10(power / total) if total else SILENT_LUFS


def metered(
    meter: Completed, name: str, what: str, *, true_peak_dbtp: float | None = None
) -> Loudness:
    """Read what the ebur128 meter `name` printed at its end.

    The true peak is the meter's own (run with `peak=true`) unless measured apart and given.
    """
    summary = parse_ebur128(meter.stderr, name)
    own = summary.true_peak_dbtp if summary is not None else None
    peak = true_peak_dbtp if true_peak_dbtp is not None else own
    if summary is None or peak is None:
        raise ToolError(
            f"ffmpeg's meter printed no loudness summary for {what}",
            argv=meter.argv,
            stderr_tail=meter.stderr[-2000:],
        )
    return Loudness(
        integrated_lufs=summary.integrated_lufs, true_peak_dbtp=peak, lra_lu=summary.lra_lu
    )
