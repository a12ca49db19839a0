"""The published MP3: one streaming encode (gain, resampling, limiter, LAME), metered whole.

A second ffmpeg meters the bytes as they are written; `loudness.converge` encodes again until
the MP3 meets its target. Never loads the recording into Python and never reads settings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from radiodesk.audio import ffmpeg
from radiodesk.audio.analysis import Analysis, ChannelPlan, SourceLoudness
from radiodesk.audio.ffmpeg_output import parse_ebur128
from radiodesk.audio.graphs import encode_args, master_meter_args, meter_args
from radiodesk.audio.loudness import GainPlan, Loudness, converge_gain, metered
from radiodesk.audio.profiles import Mp3Profile
from radiodesk.audio.splice import Edit
from radiodesk.errors import AudioError, ToolError
from radiodesk.files import atomic_output, file_sha256

log = logging.getLogger(__name__)

# Bump when processing changes the output for the same input: derived MP3s are then rebuilt.
PIPELINE_VERSION = 2
# First-encode prediction, measured on speech-like test signals: the MP3 encode reads
# 0.1-0.4 LU quieter than its input.
CODEC_LOSS_LU = 0.2
# The limiter works on sample peaks before the encoder; lossy coding adds overshoot, more at
# low bit rates (EBU Tech 3344 §6; loudness.md: 1.6 dB measured at 128 kbit/s).
LIMITER_MARGINS_DB = ((128, 2.0), (96, 2.5), (0, 3.0))  # (bit rate at least, margin)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rendered:
    """The published MP3, verified by an independent ebur128 pass on the encoded bytes."""

    path: Path
    duration_s: float
    size_bytes: int
    sha256: str
    before: SourceLoudness
    after: Loudness
    gain_db: float
    limiter_ceiling_dbfs: float
    channel_plan: ChannelPlan
    mono: bool
    bitrate_kbps: int
    sample_rate_hz: int
    target_lufs: float
    attempts: int


def render(
    master: Path,
    out: Path,
    profile: Mp3Profile,
    analysis: Analysis,
    *,
    on_progress: ffmpeg.ProgressFn | None = None,
    edit: Edit | None = None,
) -> Rendered:
    """Encode the published MP3 at the target loudness, verified on the encoded bytes.

    `edit` trims the recording and joins jingles to it in the same streaming encode.
    """
    if not out.parent.is_dir():
        raise AudioError(f"cannot write {out.name}: the folder {out.parent} does not exist")
    with atomic_output(out, suffix=".part", mode=0o644) as tmp:  # the MP3 is meant to be served
        encodes = _Encodes(master, tmp, profile, analysis, on_progress, edit)
        done = converge_gain(
            encodes.encode,
            analysis.loudness.integrated_lufs,
            analysis.loudness.sample_peak_dbfs,
            profile.target(analysis.mono),
            what=master.name,
            limiter_margin_db=limiter_margin_db(profile.bitrate_for(analysis.mono)),
            codec_loss_lu=CODEC_LOSS_LU,
        )
    return Rendered(
        path=out,
        duration_s=(edit or Edit()).output_duration_s(analysis.source.duration_s),
        size_bytes=out.stat().st_size,
        sha256=file_sha256(out),
        before=encodes.master_loudness or analysis.loudness,
        after=done.measured,
        gain_db=done.plan.gain_db,
        limiter_ceiling_dbfs=done.plan.ceiling_dbfs,
        channel_plan=analysis.channel_plan,
        mono=analysis.mono,
        bitrate_kbps=profile.bitrate_for(analysis.mono),
        sample_rate_hz=profile.sample_rate_hz,
        target_lufs=profile.target(analysis.mono).lufs,
        attempts=done.attempts,
    )


def limiter_margin_db(bitrate_kbps: int) -> float:
    """Return how far below the true-peak ceiling the limiter stops, for an MP3 bit rate."""
    return next(margin for floor, margin in LIMITER_MARGINS_DB if bitrate_kbps >= floor)


class _Encodes:
    """The encodes of one MP3; after a sampled pass the first also meters the master whole."""

    def __init__(
        self,
        master: Path,
        tmp: Path,
        profile: Mp3Profile,
        analysis: Analysis,
        on_progress: ffmpeg.ProgressFn | None,
        edit: Edit | None,
    ) -> None:
        self.master, self.tmp, self.edit = master, tmp, edit
        self.profile, self.analysis, self.on_progress = profile, analysis, on_progress
        self.count = 0
        self.master_loudness: SourceLoudness | None = None  # as the encode metered it

    def encode(self, level: GainPlan) -> Loudness:
        """Encode once with `level`; return the MP3's loudness."""
        from radiodesk.audio.truepeak import TruePeakMeter  # numpy's import is only worth it here

        self.count += 1
        analysis = self.analysis
        timeout_s = 120.0 + 2.0 * analysis.source.duration_s
        args = encode_args(self.master, self.tmp, self.profile, analysis, level, self.edit)
        channels = 1 if analysis.mono else 2
        peak = TruePeakMeter(channels)
        beside = None
        if analysis.sampled and self.master_loudness is None:
            beside = master_meter_args(self.master, analysis, self.profile)
        _, meter, master_run = ffmpeg.run_pipeline(
            args, meter_args(channels), timeout_s=timeout_s, on_progress=self.on_progress,
            on_output=peak.feed, alongside=beside,
        )  # fmt: skip
        if not peak.frames:
            raise ToolError(
                "ffmpeg's meter decoded no audio from the encoded MP3",
                argv=meter.argv,
                stderr_tail=meter.stderr[-2000:],
            )
        true_peak = round(peak.close(), 2)
        after = metered(meter, "encoded", "the encoded MP3", true_peak_dbtp=true_peak)
        if master_run is not None:
            self.master_loudness = _master_loudness(master_run)
        log.info("%s: encode %d gave %.1f LUFS, %.1f dBTP", self.master.name, self.count,
                 after.integrated_lufs, after.true_peak_dbtp)  # fmt: skip
        return after


def _master_loudness(run: ffmpeg.Completed) -> SourceLoudness:
    """Read graphs.MASTER_METER's summary."""
    summary = parse_ebur128(run.stderr, "master")
    if summary is None or summary.sample_peak_dbfs is None:
        raise ToolError(
            "ffmpeg's meter printed no loudness summary of the master",
            argv=run.argv,
            stderr_tail=run.stderr[-2000:],
        )
    return SourceLoudness(
        integrated_lufs=summary.integrated_lufs,
        lra_lu=summary.lra_lu,
        sample_peak_dbfs=summary.sample_peak_dbfs,
    )
