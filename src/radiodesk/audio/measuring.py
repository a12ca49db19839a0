"""The measuring pass: probe a master, meter it (one ffmpeg per core), decide its channels.

Reads the master and writes nothing. Long recordings can be measured from a sample; the encode
then meters the master whole beside it (mp3.py), so what is recorded stays exact.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from radiodesk.audio import ffmpeg
from radiodesk.audio.analysis import (
    MONO_PLANS,
    PLAN_OFFSET_DB,
    Analysis,
    BlockLog,
    SourceInfo,
    SourceLoudness,
    decide_channels,
    merge_levels,
)
from radiodesk.audio.ffmpeg_args import file_url
from radiodesk.audio.ffmpeg_output import (
    AudioStream,
    VolumeStats,
    parse_audio_streams,
    parse_ebur128,
    parse_input_problem,
    parse_volumedetect,
)
from radiodesk.audio.graphs import measure_args
from radiodesk.audio.loudness import SILENT_LUFS, integrated_lufs, loudness_range_lu
from radiodesk.audio.profiles import Mp3Profile
from radiodesk.errors import AudioError, ToolError

log = logging.getLogger(__name__)

MIN_DURATION_S = 1.0
PROBE_TIMEOUT_S = 60.0
MEASURE_TIMEOUT_S = 2 * 3600.0  # decoding runs far faster than real time; this only stops hangs
# The pass runs as one ffmpeg per core, each on a stretch of the master, and adds up their
# frame logs (each 400 ms block's loudness, every 100 ms) as one meter would.
MAX_MEASURE_PARTS = 4
MIN_PART_S = 60.0  # shorter stretches are not worth a process
SAMPLE_MIN_S = 600.0  # recordings this long may be measured from a sample (analysis.py)
MIN_SAMPLED_BLOCKS = 500  # fewer loud enough to count (mostly silence): measure it whole


def analyse(
    master: Path,
    profile: Mp3Profile,
    *,
    stream: AudioStream | None = None,
    on_progress: ffmpeg.ProgressFn | None = None,
    sample: bool = False,
) -> Analysis:
    """Measure the master (one ffmpeg per core, each on a stretch) and decide its channels.

    `stream` is the master's `probe()`, if the caller already made it (to size a progress bar).
    `sample` lets a long recording's loudness be estimated from a sample (see SAMPLE_MIN_S):
    the encode then meters the whole master beside it, for the record.
    """
    stream = stream or probe(master)
    sample = sample and (stream.header_duration_s or 0.0) >= SAMPLE_MIN_S
    spans = measure_spans(stream.header_duration_s, os.cpu_count() or 1)
    blocks = [BlockLog(whole_only=sample) for _ in spans]
    try:
        done = ffmpeg.run_parallel(
            [measure_args(master, stream, profile, span, sample=sample) for span in spans],
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
        return analyse(master, profile, stream=stream, on_progress=on_progress)
    analysis = _combine(master, stream, profile, done, blocks, sampled=sample)
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
    stream: AudioStream,
    profile: Mp3Profile,
    done: Sequence[ffmpeg.Completed],
    blocks: Sequence[BlockLog],
    *,
    sampled: bool = False,
) -> Analysis:
    """Add up the stretches' readings (a stretch past the real end of the file has none).

    A sampled pass's levels and loudness come from the sample; its length and sample peak
    from `volumedetect@all`, which hears every sample before the sample is taken.
    """
    sample_peaks, heard = _readings(master, done)
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
    plan = decide_channels(stream.channels, profile.channels, levels)
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


def _readings(
    master: Path, done: Sequence[ffmpeg.Completed]
) -> tuple[list[float], list[dict[str, VolumeStats]]]:
    """Return each stretch's sample peak and channel levels, leaving out those that read none."""
    sample_peaks: list[float] = []
    heard: list[dict[str, VolumeStats]] = []
    for run in done:
        summary, levels = parse_ebur128(run.stderr), parse_volumedetect(run.stderr)
        # A stretch that decoded nothing has no levels (and ebur128 says 0.0 dBFS): skip it.
        if not levels or summary is None:
            continue
        if summary.sample_peak_dbfs is None:
            continue  # not printed: never with graphs.MEASURE_METER's peak mode
        sample_peaks.append(summary.sample_peak_dbfs)
        heard.append(levels)
    if not heard:
        raise AudioError(
            f"no audio could be decoded from {master.name}; the file may be damaged or cut short"
        )
    return sample_peaks, heard


def probe(master: Path) -> AudioStream:
    """Return the master's first audio stream, or raise AudioError if it has none."""
    if not master.is_file():
        raise AudioError(f"recording not found: {master}")
    done = ffmpeg.run(["-i", file_url(master)], timeout_s=PROBE_TIMEOUT_S, check=False)
    streams = parse_audio_streams(done.stderr)
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


def _check_usable(master: Path, source: SourceInfo, integrated_lufs: float) -> None:
    if source.duration_s < MIN_DURATION_S:
        raise AudioError(
            f"the recording {master.name} is too short: {source.duration_s:.2f} s decoded, "
            f"at least {MIN_DURATION_S:.0f} s needed"
        )
    if not integrated_lufs > SILENT_LUFS:
        raise AudioError(
            f"the recording {master.name} is silent (nothing above {SILENT_LUFS:.0f} LUFS)"
        )


def _input_error(master: Path, stderr: str) -> AudioError | None:
    problem = parse_input_problem(stderr)
    if problem is None:
        return None
    if problem.kind == "no-audio-stream":
        return AudioError(f"the file {master.name} has no audio stream")
    return AudioError(
        f"cannot decode {master.name}: {problem.reason}",
        hint="check that it is an audio or video recording and that it plays",
    )
