"""Measure a master, decide its channels, normalize with one gain and a limiter, encode, verify.

ffmpeg streams file to file: a recording is never loaded into Python (pydub stays off this path).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from radiodesk import ffmpeg
from radiodesk.config import AudioSettings, ChannelMode
from radiodesk.errors import AudioError, ToolError

log = logging.getLogger(__name__)

ChannelPlan = Literal[
    "mono", "stereo", "downmix-stereo", "mono-identical", "mono-left", "mono-right", "downmix-mono"
]

# Bump when processing changes the output for the same input: derived MP3s are then rebuilt.
PIPELINE_VERSION = 1
MIN_DURATION_S = 1.0
SILENT_LUFS = -70.0  # BS.1770 absolute gate: nothing above it means nothing to normalize
DEAD_CHANNEL_DB = 30.0  # a channel this far below the other carries no programme
IDENTICAL_DB = 40.0  # L-R this far below the louder channel: the same signal twice
MAX_ATTEMPTS = 4
LIMITER_FLOOR_DBFS = -24.0  # alimiter's smallest `limit` is 0.0625
PEAK_SAFETY_DB = 0.3  # extra ceiling cut when a retry corrects a true-peak overshoot
# First-encode prediction, measured on speech-like test signals: the MP3 encode reads
# 0.1-0.4 LU quieter than its input, and the limiter costs ~0.05 LU per dB it takes off the
# top peak while it only touches plosives (more once it reaches the body of the speech).
CODEC_LOSS_LU = 0.2
LIMITER_LOSS_PER_DB = 0.05
LIMITER_LOSS_MAX_LU = 1.0  # one lone click far above the speech costs nothing: don't overreach
MIN_SLOPE = 0.2  # retries: never assume a dB of gain buys less than this much loudness
# The limiter works on sample peaks before the encoder; lossy coding adds overshoot, more at
# low bit rates (EBU Tech 3344 §6; loudness.md: 1.6 dB measured at 128 kbit/s).
LIMITER_MARGINS_DB = ((128, 2.0), (96, 2.5), (0, 3.0))  # (bit rate at least, margin)
LIMITER_ATTACK_MS, LIMITER_RELEASE_MS = 5.0, 80.0  # quick on plosives, no pumping between words
PROBE_TIMEOUT_S = 60.0
MEASURE_TIMEOUT_S = 2 * 3600.0  # decoding runs far faster than real time; this only stops hangs
# Per-frame lines go to the verbose level, hidden at -loglevel info (`quiet` is newer ffmpeg).
METER = "ebur128=peak=true:framelog=verbose"
DOWNMIX = "aformat=sample_fmts=dbl:channel_layouts=stereo,"  # swresample's standard matrix
MONO_AVERAGE = "pan=mono|c0=0.5*c0+0.5*c1"
SPLIT = "pan=3.0|c0=c0|c1=c1|c2=c0-c1,channelsplit=channel_layout=3.0"  # L, R, L-R
# How each plan forms the published channels from the (downmixed) source.
PLAN_FILTERS: dict[ChannelPlan, str] = {
    "mono": "pan=mono|c0=c0",
    "stereo": "pan=stereo|c0=c0|c1=c1",
    "downmix-stereo": "pan=stereo|c0=c0|c1=c1",
    "mono-identical": MONO_AVERAGE,
    "mono-left": "pan=mono|c0=c0",
    "mono-right": "pan=mono|c0=c1",
    "downmix-mono": MONO_AVERAGE,
}
# BS.1770 sums channel powers: two identical channels read 3.01 dB above either one alone.
PLAN_OFFSET_DB: dict[ChannelPlan, float] = {"mono-identical": -10 * math.log10(2)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Loudness:
    """One BS.1770-4 measurement."""

    integrated_lufs: float
    true_peak_dbtp: float
    lra_lu: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceInfo:
    """The master's first audio stream; `duration_s` counts decoded samples, not the header."""

    codec: str
    sample_rate_hz: int
    channels: int
    layout: str
    duration_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Analysis:
    """The measuring pass: the source, and the loudness of what will be published."""

    source: SourceInfo
    loudness: Loudness
    channel_plan: ChannelPlan
    mono: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Rendered:
    """The published MP3, verified by an independent ebur128 pass on the encoded bytes."""

    path: Path
    duration_s: float
    size_bytes: int
    sha256: str
    before: Loudness
    after: Loudness
    gain_db: float
    limiter_ceiling_dbfs: float
    channel_plan: ChannelPlan
    mono: bool
    bitrate_kbps: int
    sample_rate_hz: int
    target_lufs: float
    attempts: int


@dataclass(frozen=True, slots=True)
class GainPlan:
    """One encode's linear gain and the limiter's sample-peak ceiling."""

    gain_db: float
    ceiling_dbfs: float


# ---------------------------------------------------------------- measuring


def analyse(
    master: Path, settings: AudioSettings, *, on_progress: ffmpeg.ProgressFn | None = None
) -> Analysis:
    """Measure the master in one decoding pass and decide which channels to publish."""
    stream = probe(master)
    try:
        done = ffmpeg.run(
            measure_args(master, stream, settings),
            timeout_s=MEASURE_TIMEOUT_S,
            on_progress=on_progress,
        )
    except ToolError as exc:
        error = _input_error(master, exc.stderr_tail)
        if error is None:
            raise
        raise error from exc
    summary = ffmpeg.parse_ebur128(done.stderr)
    levels = ffmpeg.parse_volumedetect(done.stderr)
    if summary is None or not levels:
        raise AudioError(
            f"no audio could be decoded from {master.name}; the file may be damaged or cut short"
        )
    source = SourceInfo(
        codec=stream.codec,
        sample_rate_hz=stream.sample_rate_hz,
        channels=stream.channels,
        layout=stream.layout,
        duration_s=next(iter(levels.values())).samples / stream.sample_rate_hz,
    )
    _check_usable(master, source, summary)
    plan = decide_channels(stream.channels, settings.channels, levels)
    loudness = Loudness(
        integrated_lufs=summary.integrated_lufs + PLAN_OFFSET_DB.get(plan, 0.0),
        true_peak_dbtp=summary.true_peak_dbtp if summary.true_peak_dbtp is not None else 0.0,
        lra_lu=summary.lra_lu,
    )
    log.info(
        "%s: %.1f LUFS, %s, %.1f s", master.name, loudness.integrated_lufs, plan, source.duration_s
    )
    return Analysis(source=source, loudness=loudness, channel_plan=plan, mono=_is_mono(plan))


def probe(master: Path) -> ffmpeg.AudioStream:
    """Return the master's first audio stream, or raise AudioError if it has none."""
    if not master.is_file():
        raise AudioError(f"recording not found: {master}")
    done = ffmpeg.run(["-i", ffmpeg.file_url(master)], timeout_s=PROBE_TIMEOUT_S, check=False)
    streams = ffmpeg.parse_audio_streams(done.stderr)
    if not streams:
        error = _input_error(master, done.stderr)
        raise error or AudioError(f"the file {master.name} has no audio stream")
    if streams[0].channels == 0:
        raise AudioError(f"cannot tell how many channels {master.name} has ({streams[0].layout})")
    return streams[0]


def measure_args(master: Path, stream: ffmpeg.AudioStream, settings: AudioSettings) -> list[str]:
    """Build the measuring pass: a loudness meter and per-channel levels in one filter graph.

    The meter hears what will be published: downmixed, and at the output sample rate (the K
    filter reads an 8 kHz phone file ~0.4 LU louder at 8 kHz than at 44.1 kHz). One graph, not
    two: ffmpeg runs each graph in its own thread, and the ebur128 summary (several log calls)
    would then interleave with volumedetect's lines.
    """
    downmix = DOWNMIX if stream.channels > 2 else ""
    to_mono = MONO_AVERAGE + "," if settings.channels == "mono" and stream.channels > 1 else ""
    rate = settings.sample_rate_hz
    resample = f"aresample={rate}," if stream.sample_rate_hz != rate else ""
    if stream.channels == 1:
        names: tuple[str, ...] = ("all",)
        levels = "[s]volumedetect@all[all]"
    else:
        names = ("left", "right", "diff")
        levels = f"[s]{SPLIT}[l][r][d];" + ";".join(
            f"[{name[0]}]volumedetect@{name}[{name}]" for name in names
        )
    graph = f"[0:a:0]{downmix}asplit[m][s];[m]{to_mono}{resample}{METER}[meter];{levels}"
    args = ["-i", ffmpeg.file_url(master), "-filter_complex", graph]
    for name in ("meter", *names):
        args += ["-map", f"[{name}]", "-f", "null", "-"]
    return args


def decide_channels(
    channels: int, mode: ChannelMode, levels: dict[str, ffmpeg.VolumeStats]
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


def _is_mono(plan: ChannelPlan) -> bool:
    return PLAN_FILTERS[plan].startswith("pan=mono")


def _check_usable(master: Path, source: SourceInfo, summary: ffmpeg.Ebur128Summary) -> None:
    if source.duration_s < MIN_DURATION_S:
        raise AudioError(
            f"the recording {master.name} is too short: {source.duration_s:.2f} s decoded, "
            f"at least {MIN_DURATION_S:.0f} s needed"
        )
    if not summary.integrated_lufs > SILENT_LUFS:
        raise AudioError(f"the recording {master.name} is silent (nothing above -70 LUFS)")


def _input_error(master: Path, stderr: str) -> AudioError | None:
    problem = ffmpeg.parse_input_problem(stderr)
    if problem is None:
        return None
    if problem.kind == "no-audio-stream":
        return AudioError(f"the file {master.name} has no audio stream")
    return AudioError(
        f"cannot decode {master.name}: {problem.reason}",
        hint="check that it is an audio or video recording and that it plays",
    )


# ---------------------------------------------------------------- rendering


def render(
    master: Path,
    out: Path,
    settings: AudioSettings,
    analysis: Analysis,
    *,
    on_progress: ffmpeg.ProgressFn | None = None,
) -> Rendered:
    """Encode the published MP3 at the target loudness, verified on the encoded bytes."""
    if not out.parent.is_dir():
        raise AudioError(f"cannot write {out.name}: the folder {out.parent} does not exist")
    fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(name)
    try:
        level, after, attempts = _encode_verified(master, tmp, settings, analysis, on_progress)
        tmp.chmod(0o644)  # mkstemp makes it private; the episode file is meant to be served
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return Rendered(
        path=out,
        duration_s=analysis.source.duration_s,
        size_bytes=out.stat().st_size,
        sha256=file_sha256(out),
        before=analysis.loudness,
        after=after,
        gain_db=level.gain_db,
        limiter_ceiling_dbfs=level.ceiling_dbfs,
        channel_plan=analysis.channel_plan,
        mono=analysis.mono,
        bitrate_kbps=settings.bitrate_for(analysis.mono),
        sample_rate_hz=settings.sample_rate_hz,
        target_lufs=settings.target_for(analysis.mono),
        attempts=attempts,
    )


def _encode_verified(
    master: Path,
    tmp: Path,
    settings: AudioSettings,
    analysis: Analysis,
    on_progress: ffmpeg.ProgressFn | None,
) -> tuple[GainPlan, Loudness, int]:
    """Encode, meter the MP3, correct and encode again until it meets the target."""
    target = settings.target_for(analysis.mono)
    bitrate = settings.bitrate_for(analysis.mono)
    level = first_gain(analysis.loudness, target, settings.true_peak_dbtp, bitrate)
    tried: list[tuple[GainPlan, Loudness]] = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        after = _encode(master, tmp, settings, analysis, level, on_progress)
        tried.append((level, after))
        log.info("%s: encode %d gave %.1f LUFS, %.1f dBTP", master.name, attempt,
                 after.integrated_lufs, after.true_peak_dbtp)  # fmt: skip
        if meets_target(after, target, settings):
            return level, after, attempt
        level = correct_gain(tried, target, settings.true_peak_dbtp)
    raise AudioError(
        f"could not bring {master.name} to {target:.1f} LUFS and "
        f"{settings.true_peak_dbtp:.1f} dBTP in {MAX_ATTEMPTS} encodes (last: "
        f"{after.integrated_lufs:.1f} LUFS, {after.true_peak_dbtp:.1f} dBTP)"
    )


def first_gain(before: Loudness, target: float, ceiling_dbtp: float, bitrate_kbps: int) -> GainPlan:
    """Predict the gain and limiter ceiling that reach the target in one encode."""
    margin = next(m for floor, m in LIMITER_MARGINS_DB if bitrate_kbps >= floor)
    ceiling = max(ceiling_dbtp - margin, LIMITER_FLOOR_DBFS)
    gain = target - before.integrated_lufs + CODEC_LOSS_LU
    excess = before.true_peak_dbtp + gain - ceiling  # dB the limiter takes off the top peak
    limiter_loss = min(LIMITER_LOSS_PER_DB * max(excess, 0.0), LIMITER_LOSS_MAX_LU)
    return GainPlan(gain + limiter_loss, ceiling)


def meets_target(after: Loudness, target: float, settings: AudioSettings) -> bool:
    """Tell whether an encoded file is within tolerance of the target and under the ceiling."""
    near = abs(after.integrated_lufs - target) <= settings.tolerance_lu
    return near and after.true_peak_dbtp <= settings.true_peak_dbtp


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


def encode_args(
    master: Path, tmp: Path, settings: AudioSettings, analysis: Analysis, level: GainPlan
) -> list[str]:
    """Build the encoder: gain, resample, limit, MP3, written to `tmp` and to stdout at once."""
    downmix = DOWNMIX if analysis.source.channels > 2 else ""
    limit = 10 ** (level.ceiling_dbfs / 20)
    chain = (
        f"{downmix}{PLAN_FILTERS[analysis.channel_plan]},volume={level.gain_db:.2f}dB,"
        f"aresample={settings.sample_rate_hz},alimiter=limit={limit:.5f}:level=false:"
        f"latency=true:attack={LIMITER_ATTACK_MS}:release={LIMITER_RELEASE_MS}"
    )
    # bitexact and no metadata: the same master gives the same bytes; tags come later.
    mp3 = "f=mp3:id3v2_version=0:fflags=+bitexact"
    target = ffmpeg.tee_spec((mp3 + ":write_xing=1", ffmpeg.file_url(tmp)), (mp3, "pipe:1"))
    return [
        "-y", "-i", ffmpeg.file_url(master), "-map", "0:a:0", "-af", chain,
        "-c:a", "libmp3lame", "-b:a", f"{settings.bitrate_for(analysis.mono)}k",
        "-map_metadata", "-1", "-map_chapters", "-1",
        "-flags", "+bitexact", "-fflags", "+bitexact", "-f", "tee", target,
    ]  # fmt: skip


def meter_args() -> list[str]:
    """Build the independent meter that reads the encoded MP3 from stdin."""
    return ["-f", "mp3", "-i", "pipe:0", "-map", "0:a:0", "-af", METER, "-f", "null", "-"]


def _encode(
    master: Path,
    tmp: Path,
    settings: AudioSettings,
    analysis: Analysis,
    level: GainPlan,
    on_progress: ffmpeg.ProgressFn | None,
) -> Loudness:
    timeout_s = 120.0 + 2.0 * analysis.source.duration_s
    args = encode_args(master, tmp, settings, analysis, level)
    _, meter = ffmpeg.run_pipeline(args, meter_args(), timeout_s=timeout_s, on_progress=on_progress)
    summary = ffmpeg.parse_ebur128(meter.stderr)
    if summary is None or summary.true_peak_dbtp is None:
        raise ToolError(
            "ffmpeg's meter printed no loudness summary for the encoded MP3",
            argv=meter.argv,
            stderr_tail=meter.stderr[-2000:],
        )
    return Loudness(
        integrated_lufs=summary.integrated_lufs,
        true_peak_dbtp=summary.true_peak_dbtp,
        lra_lu=summary.lra_lu,
    )


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
