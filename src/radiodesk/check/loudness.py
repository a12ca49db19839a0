"""Judge measured episode loudness against the show's target; measuring is audio/'s job."""

from __future__ import annotations

import math
from collections.abc import Sequence

from radiodesk.check.base import Findings, Problem

_ROUNDING = 0.005  # ffmpeg reports one or two decimals


def check_loudness(
    measured: Sequence[tuple[str, float, float]],
    *,
    target_lufs: float,
    tolerance_lu: float,
    ceiling_dbtp: float,
) -> list[Problem]:
    """Check each episode's (slug, integrated LUFS, true peak dBTP) against the show's target."""
    found = Findings()
    for slug, integrated, peak in measured:
        where = f"audio {slug}"
        if not math.isfinite(integrated) or not math.isfinite(peak):
            found.error(where, "loudness cannot be measured; is the file silent?")
            continue
        off = integrated - target_lufs
        if abs(off) > tolerance_lu + _ROUNDING:
            found.error(
                where,
                f"integrated loudness {integrated:.1f} LUFS is {off:+.1f} LU from the target "
                f"{target_lufs:.1f} LUFS (tolerance {tolerance_lu:.1f} LU)",
            )
        if peak > ceiling_dbtp + _ROUNDING:
            found.error(where, f"true peak {peak:.1f} dBTP is above the ceiling {ceiling_dbtp:.1f}")
    return found.problems
