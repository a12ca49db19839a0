"""Measure a master, decide its channels, normalize with one gain and a limiter, encode, verify.

ffmpeg streams file to file: a recording is never loaded into Python (pydub stays off this path).
Two passes: a measuring pass split across the cores (of a long recording, a quarter of it, for
the gain plan), then the encode, metered as it is written (and the master metered whole beside
it, for the record, when the plan came from a sample).
"""

from __future__ import annotations

import logging
import math
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from radiodesk.audio import ffmpeg
from radiodesk.audio.splice import Edit, edited_source
from radiodesk.errors import AudioError, ToolError
from radiodesk.files import atomic_output, file_sha256
from radiodesk.show.settings import AudioSettings, ChannelMode

log = logging.getLogger(__name__)

ChannelPlan = Literal[
    "mono", "stereo", "downmix-stereo", "mono-identical", "mono-left", "mono-right", "downmix-mono"
]

# Bump when processing changes the output for the same input: derived MP3s are then rebuilt.
PIPELINE_VERSION = 2
MIN_DURATION_S = 1.0
SILENT_LUFS = -70.0  # BS.1770 absolute gate: nothing above it means nothing to normalize
RELATIVE_GATE_LU = -10.0  # BS.1770-4: integrated loudness ignores blocks 10 LU below the mean
LRA_GATE_LU, LRA_PERCENTILES = -20.0, (0.10, 0.95)  # EBU Tech 3342
DEAD_CHANNEL_DB = 30.0  # a channel this far below the other carries no programme
IDENTICAL_DB = 40.0  # L-R this far below the louder channel: the same signal twice
MAX_ATTEMPTS = 4
LIMITER_FLOOR_DBFS = -24.0  # alimiter's smallest `limit` is 0.0625
PEAK_SAFETY_DB = 0.3  # extra ceiling cut when a retry corrects a true-peak overshoot
# First-encode prediction, measured on speech-like test signals: the MP3 encode reads
# 0.1-0.4 LU quieter than its input, and the limiter costs ~0.05 LU per dB it takes off the
# top sample peak while it only touches plosives (more once it reaches the body of the speech).
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
# The measuring pass runs as one ffmpeg per core, each on a stretch of the master, and adds up
# their frame logs (each 400 ms block's loudness, every 100 ms) as one meter would.
MAX_MEASURE_PARTS = 4
MIN_PART_S = 60.0  # shorter stretches are not worth a process
# A long recording's gain is planned from a sample: SAMPLE_KEEP_S of every SAMPLE_PERIOD_S, at a
# point the golden-ratio sequence picks (a quarter of the audio, spread evenly, in step with no
# rhythm of the programme). Only 400 ms blocks that lie whole inside one kept stretch count: a
# block across a join mixes speech with another moment's pause and loosens the gate (-0.4 LU on
# speech). On a 60-minute programme of voices, phone inserts and noise it came within 0.15 LU of
# the whole; the MP3 is still verified whole (and corrected), and the master is metered whole
# beside the encode (MASTER_METER), so what is recorded is exact. Every sample is still decoded
# (the length and the sample peak count them all).
SAMPLE_MIN_S = 600.0
SAMPLE_PERIOD_S, SAMPLE_KEEP_S = 6.0, 1.5
GOLDEN = 0.6180339887
MIN_SAMPLED_BLOCKS = 500  # fewer loud enough to count (mostly silence): measure it whole
LOG_STEP_S = 0.1  # ebur128 logs a block every 100 ms of audio
# framelog=info prints every block for the split measurement; the meter of the encoded MP3 only
# needs its summary, so its per-frame lines go to the verbose level, hidden at -loglevel info.
# The master gets the sample peak only: the gain plan works from it, the limiter stands between
# it and the output, and the true peak that counts is metered on the encoded MP3. A true-peak
# meter (4x oversampling) would cost more than the rest of the measuring pass together.
MEASURE_METER = "ebur128=peak=sample:framelog=info"
# The encoded MP3's loudness comes from ebur128; its true peak from truepeak.py, fed the same
# decoded samples: ebur128's own true peak oversamples every sample, truepeak.py only the
# loud stretches (a third of the meter's CPU saved, the encoder's core left to the encoder).
ENCODED_METER = "ebur128@encoded=framelog=verbose"
# ffmpeg's threads hand each other every frame: an MP3 frame is 1,152 samples, ~300,000
# context switches an hour between the filter, the PCM encoder and the muxer alone. Gathered
# into frames of 32,768 after the meter, its CPU for an hour fell from 15.5-17.5 s to 11.1-11.7 s.
REBATCH = "asetnsamples=n=32768:p=0"
# After a sampled measuring pass, a third ffmpeg meters the master whole beside the first
# encode, for the record: the channels as published, before the gain. In the background it
# takes the core the encoder leaves (+0.1 s a 10-minute encode; in the encoder's own graph,
# +0.7 s).
MASTER_METER = "ebur128@master=peak=sample:framelog=verbose"
# ebur128 passes doubles on; a PCM double codec spares the null muxer a conversion to s16.
NULL_OUTPUT = ("-c:a", "pcm_f64le", "-f", "null", "-")
# ebur128 derives its K filter for the stream's rate; below 32 kHz (phone audio) the shelf
# crowds Nyquist and reads ~0.4 LU loud, so such masters are metered at the output rate.
MIN_METER_RATE_HZ = 32000
DOWNMIX = "aformat=sample_fmts=dbl:channel_layouts=stereo,"  # swresample's standard matrix
MONO_AVERAGE = "pan=mono|c0=0.5*c0+0.5*c1"
SPLIT = "pan=3.0|c0=c0|c1=c1|c2=c0-c1,channelsplit=channel_layout=3.0"  # L, R, L-R
LEVEL_NAMES = ("left", "right", "diff")
# How each plan forms the published channels from the (downmixed) source. Keeping the channels
# as they are is only a format constraint (no copy), not a `pan` that rebuilds every frame.
PLAN_FILTERS: dict[ChannelPlan, str] = {
    "mono": "aformat=channel_layouts=mono",
    "stereo": "aformat=channel_layouts=stereo",
    "downmix-stereo": "aformat=channel_layouts=stereo",
    "mono-identical": MONO_AVERAGE,
    "mono-left": "pan=mono|c0=c0",
    "mono-right": "pan=mono|c0=c1",
    "downmix-mono": MONO_AVERAGE,
}
MONO_PLANS = frozenset({"mono", "mono-identical", "mono-left", "mono-right", "downmix-mono"})
# BS.1770 sums channel powers: two identical channels read 3.01 dB above either one alone.
PLAN_OFFSET_DB: dict[ChannelPlan, float] = {"mono-identical": -10 * math.log10(2)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Loudness:
    """One BS.1770-4 measurement of an encoded file."""

    integrated_lufs: float
    true_peak_dbtp: float
    lra_lu: float


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
    # The loudness is an estimate from a sample (its LRA unknown); `render` meters it whole.
    sampled: bool = False


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


@dataclass(frozen=True, slots=True)
class GainPlan:
    """One encode's linear gain and the limiter's sample-peak ceiling."""

    gain_db: float
    ceiling_dbfs: float


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
        frame = ffmpeg.parse_ebur128_frame(line)
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


# ---------------------------------------------------------------- measuring


def analyse(
    master: Path,
    settings: AudioSettings,
    *,
    stream: ffmpeg.AudioStream | None = None,
    on_progress: ffmpeg.ProgressFn | None = None,
    sample: bool = False,
) -> Analysis:
    """Measure the master (one ffmpeg per core, each on a stretch) and decide its channels.

    `stream` is the master's `probe()`, if the caller already made it (to size a progress bar).
    `sample` lets a long recording's loudness be estimated from a sample (see SAMPLE_MIN_S):
    `render` then meters the whole master beside the encode, for the record.
    """
    stream = stream or probe(master)
    sample = sample and (stream.header_duration_s or 0.0) >= SAMPLE_MIN_S
    spans = measure_spans(stream.header_duration_s, os.cpu_count() or 1)
    blocks = [BlockLog(whole_only=sample) for _ in spans]
    try:
        done = ffmpeg.run_parallel(
            [measure_args(master, stream, settings, span, sample=sample) for span in spans],
            timeout_s=MEASURE_TIMEOUT_S,
            on_progress=on_progress,
            on_line=[block.feed for block in blocks],
        )
    except ToolError as exc:
        error = _input_error(master, exc.stderr_tail)
        if error is None:
            raise
        raise error from exc
    counted = sum((b.momentary for b in blocks), Counter())
    if sample and sum(n for v, n in counted.items() if v >= SILENT_LUFS) < MIN_SAMPLED_BLOCKS:
        log.info("%s: too little sound in the sample; measuring it whole", master.name)
        return analyse(master, settings, stream=stream, on_progress=on_progress)
    analysis = _combine(master, stream, settings, done, blocks, sampled=sample)
    log.info(
        "%s: %.1f LUFS%s, %s, %.1f s",
        master.name,
        analysis.loudness.integrated_lufs,
        " (sampled)" if sample else "",
        analysis.channel_plan,
        analysis.source.duration_s,
    )
    return analysis


def _combine(
    master: Path,
    stream: ffmpeg.AudioStream,
    settings: AudioSettings,
    done: Sequence[ffmpeg.Completed],
    blocks: Sequence[BlockLog],
    *,
    sampled: bool = False,
) -> Analysis:
    """Add up the stretches' readings (a stretch past the real end of the file has none).

    A sampled pass's levels and loudness come from the sample; its length and sample peak
    from `volumedetect@all`, which hears every sample before the sample is taken.
    """
    sample_peaks: list[float] = []
    heard: list[dict[str, ffmpeg.VolumeStats]] = []
    for run in done:
        summary, levels = ffmpeg.parse_ebur128(run.stderr), ffmpeg.parse_volumedetect(run.stderr)
        # A stretch that decoded nothing has no levels (and ebur128 says 0.0 dBFS): skip it.
        if not levels or summary is None:
            continue
        if summary.sample_peak_dbfs is None:
            continue  # not printed: never with MEASURE_METER's peak mode
        sample_peaks.append(summary.sample_peak_dbfs)
        heard.append(levels)
    if not heard:
        raise AudioError(
            f"no audio could be decoded from {master.name}; the file may be damaged or cut short"
        )
    levels = merge_levels(heard)
    # volumedetect counts the samples of every channel it hears: one, or the (downmixed) pair.
    counter = levels.get("all") or next(iter(levels.values()))
    per_frame = 1 if "all" not in levels else min(stream.channels, 2)
    source = SourceInfo(
        codec=stream.codec,
        sample_rate_hz=stream.sample_rate_hz,
        channels=stream.channels,
        layout=stream.layout,
        duration_s=counter.samples / per_frame / stream.sample_rate_hz,
        container=stream.container,
    )
    integrated = integrated_lufs(sum((b.momentary for b in blocks), Counter()))
    _check_usable(master, source, integrated)
    plan = decide_channels(stream.channels, settings.channels, levels)
    peak = max(sample_peaks)
    if sampled:  # and every sample's peak, in 16 bits (a float master's overs read 0.0)
        peak = max(peak, levels["all"].max_volume_db)
    loudness = SourceLoudness(
        integrated_lufs=round(integrated + PLAN_OFFSET_DB.get(plan, 0.0), 2),
        lra_lu=round(loudness_range_lu(sum((b.short_term for b in blocks), Counter())), 1),
        sample_peak_dbfs=peak,
    )
    return Analysis(
        source=source,
        loudness=loudness,
        channel_plan=plan,
        mono=plan in MONO_PLANS,
        sampled=sampled,
    )


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


def measure_spans(header_s: float | None, cores: int) -> list[tuple[float, float | None]]:
    """Cut a recording into stretches, one per core: (start, length; None: to the end).

    The last stretch always runs to the end, so a header that understates the length loses
    nothing; one that overstates it leaves the last stretches empty.
    """
    count = (
        1 if not header_s else max(1, min(cores, MAX_MEASURE_PARTS, int(header_s // MIN_PART_S)))
    )
    starts = [round(index * (header_s or 0.0) / count, 3) for index in range(count)]
    ends: list[float | None] = [*starts[1:], None]
    return [
        (start, None if end is None else end - start)
        for start, end in zip(starts, ends, strict=True)
    ]


def measure_args(
    master: Path,
    stream: ffmpeg.AudioStream,
    settings: AudioSettings,
    span: tuple[float, float | None] = (0.0, None),
    *,
    sample: bool = False,
) -> list[str]:
    """Build one measuring ffmpeg: a loudness meter and the channel levels in one filter graph.

    The meter hears what will be published (downmixed; mono if forced). One graph, not two:
    ffmpeg runs each graph in its own thread, and the ebur128 summary (several log calls)
    would then interleave with volumedetect's lines. Level branches end in `anullsink`, not
    in outputs that the null muxer would have to encode. With `sample`, `volumedetect@all`
    counts every sample (length, sample peak) on a branch of its own and the rest hears the
    sample only. volumedetect works in 16 bits: `aresample` converts for it alone, or the
    split would hand the meter clipped samples too.
    """
    downmix = DOWNMIX if stream.channels > 2 else ""
    to_mono = MONO_AVERAGE + "," if settings.channels == "mono" and stream.channels > 1 else ""
    resample = _meter_resample(stream.sample_rate_hz, settings)
    meter = f"{to_mono}{resample}{MEASURE_METER}[meter]"
    start_s, length_s = span
    head = "[0:a:0]" + downmix
    if sample:
        head += "asplit[c][x];[c]aresample,volumedetect@all,anullsink;[x]"
        head += sample_filter(start_s, stream.sample_rate_hz) + ","
    if stream.channels > 1 and settings.channels == "auto":
        levels = ";".join(f"[{name[0]}]volumedetect@{name},anullsink" for name in LEVEL_NAMES)
        graph = f"{head}asplit[m][s];[m]{meter};[s]{SPLIT}[l][r][d];{levels}"
    else:  # only the decoded length is needed: count it in line, no second branch
        graph = f"{head}{'' if sample else 'volumedetect@all,'}{meter}"
    seek = ["-ss", f"{start_s:.3f}"] if start_s > 0 else []
    limit = ["-t", f"{length_s:.3f}"] if length_s is not None else []
    return [
        *seek, *limit, *ffmpeg.demuxer_options(stream.container), "-i", ffmpeg.file_url(master),
        "-filter_complex", graph, "-map", "[meter]", *NULL_OUTPUT,
    ]  # fmt: skip


def sample_filter(start_s: float, rate_hz: int) -> str:
    """Keep SAMPLE_KEEP_S of each SAMPLE_PERIOD_S of the recording (`start_s`: the span's start).

    The place in each period comes from the period's number in the whole recording, so the
    sample is the same however the recording is cut into spans. aselect keeps whole frames:
    they are cut to 100 ms first (a WAV packet can hold 0.7 s), so each stretch is as long.
    """
    period, keep = SAMPLE_PERIOD_S, SAMPLE_KEEP_S
    expr = (
        f"st(1,t+{start_s:.3f});st(2,floor(ld(1)/{period}));"
        f"st(3,{period}*ld(2)+{period - keep}*mod(ld(2)*{GOLDEN},1));"
        f"gte(ld(1),ld(3))*lt(ld(1),ld(3)+{keep})"
    )
    return f"asetnsamples=n={max(rate_hz // 10, 1)},aselect='{expr}'"


def _meter_resample(rate_hz: int, settings: AudioSettings) -> str:
    return f"aresample={settings.sample_rate_hz}," if rate_hz < MIN_METER_RATE_HZ else ""


def integrated_lufs(momentary: Mapping[float, int]) -> float:
    """Gate 400 ms block loudness values as BS.1770-4 does; -70.0 if none passes the gate."""
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


def merge_levels(
    parts: Sequence[Mapping[str, ffmpeg.VolumeStats]],
) -> dict[str, ffmpeg.VolumeStats]:
    """Combine the channel levels of consecutive stretches (powers weighted by samples)."""
    merged = {}
    for name in parts[0]:
        stats = [part[name] for part in parts if name in part]
        samples = sum(s.samples for s in stats)
        power = sum(s.samples * 10 ** (s.mean_volume_db / 10) for s in stats) / max(samples, 1)
        merged[name] = ffmpeg.VolumeStats(
            mean_volume_db=round(10 * math.log10(power), 1) if power > 0 else -91.0,
            max_volume_db=max(s.max_volume_db for s in stats),
            samples=samples,
        )
    return merged


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


def _check_usable(master: Path, source: SourceInfo, integrated_lufs: float) -> None:
    if source.duration_s < MIN_DURATION_S:
        raise AudioError(
            f"the recording {master.name} is too short: {source.duration_s:.2f} s decoded, "
            f"at least {MIN_DURATION_S:.0f} s needed"
        )
    if not integrated_lufs > SILENT_LUFS:
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
    edit: Edit | None = None,
) -> Rendered:
    """Encode the published MP3 at the target loudness, verified on the encoded bytes.

    `edit` trims the recording and joins jingles to it in the same streaming encode.
    """
    if not out.parent.is_dir():
        raise AudioError(f"cannot write {out.name}: the folder {out.parent} does not exist")
    with atomic_output(out, suffix=".part", mode=0o644) as tmp:  # the MP3 is meant to be served
        level, after, attempts, before = _encode_verified(
            master, tmp, settings, analysis, on_progress, edit
        )
    return Rendered(
        path=out,
        duration_s=(edit or Edit()).output_duration_s(analysis.source.duration_s),
        size_bytes=out.stat().st_size,
        sha256=file_sha256(out),
        before=before or analysis.loudness,
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
    edit: Edit | None = None,
) -> tuple[GainPlan, Loudness, int, SourceLoudness | None]:
    """Encode, meter the MP3, correct and encode again until it meets the target.

    Also returns the master's loudness as the encode metered it (after a sampled pass).
    """
    target = settings.target_for(analysis.mono)
    level = first_gain(
        analysis.loudness.integrated_lufs,
        analysis.loudness.sample_peak_dbfs,
        target_lufs=target,
        ceiling_dbtp=settings.true_peak_dbtp,
        bitrate_kbps=settings.bitrate_for(analysis.mono),
    )
    tried: list[tuple[GainPlan, Loudness]] = []
    before: SourceLoudness | None = None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        meter_master = analysis.sampled and before is None
        after, metered_master = _encode(
            master, tmp, settings, analysis, level, on_progress, edit, meter_master=meter_master
        )
        before = before or metered_master
        tried.append((level, after))
        log.info("%s: encode %d gave %.1f LUFS, %.1f dBTP", master.name, attempt,
                 after.integrated_lufs, after.true_peak_dbtp)  # fmt: skip
        if meets_target(after, target, settings):
            return level, after, attempt, before
        level = correct_gain(tried, target, settings.true_peak_dbtp)
    raise AudioError(
        f"could not bring {master.name} to {target:.1f} LUFS and "
        f"{settings.true_peak_dbtp:.1f} dBTP in {MAX_ATTEMPTS} encodes (last: "
        f"{after.integrated_lufs:.1f} LUFS, {after.true_peak_dbtp:.1f} dBTP)"
    )


def first_gain(
    integrated_lufs: float,
    sample_peak_dbfs: float,
    *,
    target_lufs: float,
    ceiling_dbtp: float,
    bitrate_kbps: int,
) -> GainPlan:
    """Predict the gain and limiter ceiling that reach the target in one encode."""
    margin = next(m for floor, m in LIMITER_MARGINS_DB if bitrate_kbps >= floor)
    ceiling = max(ceiling_dbtp - margin, LIMITER_FLOOR_DBFS)
    gain = target_lufs - integrated_lufs + CODEC_LOSS_LU
    # The limiter works on sample peaks: the sample peak says how much it takes off the top.
    excess = sample_peak_dbfs + gain - ceiling
    limiter_loss = min(LIMITER_LOSS_PER_DB * max(excess, 0.0), LIMITER_LOSS_MAX_LU)
    return GainPlan(gain + limiter_loss, ceiling)


def meets_target(after: Loudness, target: float, settings: AudioSettings) -> bool:
    """Tell whether an encoded file is within tolerance of the target and under the ceiling."""
    return within(after, target, settings.tolerance_lu, settings.true_peak_dbtp)


def within(after: Loudness, target_lufs: float, tolerance_lu: float, ceiling_dbtp: float) -> bool:
    """Tell whether a measurement is near the target and its true peak under the ceiling."""
    near = abs(after.integrated_lufs - target_lufs) <= tolerance_lu
    return near and after.true_peak_dbtp <= ceiling_dbtp


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
    master: Path,
    tmp: Path,
    settings: AudioSettings,
    analysis: Analysis,
    level: GainPlan,
    edit: Edit | None = None,
) -> list[str]:
    """Build the encoder: gain, resample, limit, MP3, written to `tmp` and to stdout at once."""
    source = processed_source(master, analysis, level, settings.sample_rate_hz, edit)
    # bitexact and no metadata: the same master gives the same bytes; tags come later.
    mp3 = "f=mp3:id3v2_version=0:fflags=+bitexact"
    target = ffmpeg.tee_spec((mp3 + ":write_xing=1", ffmpeg.file_url(tmp)), (mp3, "pipe:1"))
    return [
        "-y", *source,
        "-c:a", "libmp3lame", "-b:a", f"{settings.bitrate_for(analysis.mono)}k",
        "-map_metadata", "-1", "-map_chapters", "-1",
        "-flags", "+bitexact", "-fflags", "+bitexact", "-f", "tee", target,
    ]  # fmt: skip


def processed_source(
    master: Path, analysis: Analysis, level: GainPlan, rate_hz: int, edit: Edit | None
) -> list[str]:
    """Input and filter arguments of an encode: channels, gain, resampling, the limiter last.

    With an `edit`, the recording is trimmed and joined to the jingles in the same graph.
    """
    limit = 10 ** (level.ceiling_dbfs / 20)
    chain = (
        f"{_published_channels(analysis)},volume={level.gain_db:.2f}dB,"
        f"aresample={rate_hz},alimiter=limit={limit:.5f}:level=false:"
        f"latency=true:attack={LIMITER_ATTACK_MS}:release={LIMITER_RELEASE_MS}"
    )
    if edit is not None and not edit.is_empty:
        return edited_source(
            master, chain, sample_rate_hz=rate_hz, mono=analysis.mono,
            duration_s=analysis.source.duration_s, edit=edit,
        )  # fmt: skip
    demux = ffmpeg.demuxer_options(analysis.source.container)
    return [*demux, "-i", ffmpeg.file_url(master), "-map", "0:a:0", "-af", chain]


def master_meter_args(master: Path, analysis: Analysis, settings: AudioSettings) -> list[str]:
    """Build the meter of the whole master as published (channels planned, no gain)."""
    resample = _meter_resample(analysis.source.sample_rate_hz, settings)
    chain = f"{_published_channels(analysis)},{resample}{MASTER_METER}"
    return [
        *ffmpeg.demuxer_options(analysis.source.container), "-i", ffmpeg.file_url(master),
        "-map", "0:a:0", "-af", chain, *NULL_OUTPUT,
    ]  # fmt: skip


def meter_args(channels: int) -> list[str]:
    """Build the independent meter: the encoded MP3 from stdin, float samples to stdout."""
    return [
        "-f", "mp3", "-i", "pipe:0", "-map", "0:a:0", "-af", f"{ENCODED_METER},{REBATCH}",
        "-ac", str(channels), "-c:a", "pcm_f32le", "-f", "f32le", "pipe:1",
    ]  # fmt: skip


def published_channels(analysis: Analysis) -> str:
    """Return the filters that form the published channels (for passes besides the encode)."""
    return _published_channels(analysis)


def _published_channels(analysis: Analysis) -> str:
    downmix = DOWNMIX if analysis.source.channels > 2 else ""
    return downmix + PLAN_FILTERS[analysis.channel_plan]


def _encode(
    master: Path,
    tmp: Path,
    settings: AudioSettings,
    analysis: Analysis,
    level: GainPlan,
    on_progress: ffmpeg.ProgressFn | None,
    edit: Edit | None = None,
    *,
    meter_master: bool = False,
) -> tuple[Loudness, SourceLoudness | None]:
    """Encode once; return the MP3's loudness and, if `meter_master`, the master's."""
    from radiodesk.audio.truepeak import TruePeakMeter  # numpy's import is only worth it here

    timeout_s = 120.0 + 2.0 * analysis.source.duration_s
    args = encode_args(master, tmp, settings, analysis, level, edit)
    channels = 1 if analysis.mono else 2
    peak = TruePeakMeter(channels)
    beside = master_meter_args(master, analysis, settings) if meter_master else None
    _, meter, master_run = ffmpeg.run_pipeline(
        args, meter_args(channels), timeout_s=timeout_s, on_progress=on_progress,
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
    return after, (None if master_run is None else _master_loudness(master_run))


def _master_loudness(run: ffmpeg.Completed) -> SourceLoudness:
    """Read MASTER_METER's summary."""
    summary = ffmpeg.parse_ebur128(run.stderr, "master")
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


def metered(
    meter: ffmpeg.Completed, name: str, what: str, *, true_peak_dbtp: float | None = None
) -> Loudness:
    """Read what the ebur128 meter `name` printed at its end.

    The true peak is the meter's own (run with `peak=true`) unless measured apart and given.
    """
    summary = ffmpeg.parse_ebur128(meter.stderr, name)
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
