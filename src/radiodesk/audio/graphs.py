"""The argv and filter graphs of the podcast MP3's passes: measuring, encoding, metering.

Pure: builds lists of strings from values and runs nothing. The channel plans' filters live
here, as do the meters' and the limiter's settings.
"""

from __future__ import annotations

from pathlib import Path

from radiodesk.audio.analysis import GOLDEN, SAMPLE_KEEP_S, SAMPLE_PERIOD_S, Analysis, ChannelPlan
from radiodesk.audio.ffmpeg_args import demuxer_options, file_url, tee_spec
from radiodesk.audio.ffmpeg_output import AudioStream
from radiodesk.audio.loudness import GainPlan
from radiodesk.audio.profiles import Mp3Profile
from radiodesk.audio.splice import Edit, edited_source

LIMITER_ATTACK_MS, LIMITER_RELEASE_MS = 5.0, 80.0  # quick on plosives, no pumping between words
# framelog=info prints every block for the split measurement; the meter of the encoded MP3 only
# needs its summary, so its per-frame lines go to the verbose level, hidden at -loglevel info.
# The master gets the sample peak only: the gain plan works from it, the limiter stands between
# it and the output, and the true peak that counts is metered on the encoded MP3. A true-peak
# meter (4x oversampling) would cost more than the rest of the measuring pass together.
MEASURE_METER = "ebur128=peak=sample:framelog=info"
# The encoded MP3's loudness comes from ebur128; its true peak from truepeak.py, fed the same
# decoded samples: ebur128's own true peak oversamples every sample, truepeak.py only the
# loud stretches (the encoder's core left to the encoder).
ENCODED_METER = "ebur128@encoded=framelog=verbose"
# ffmpeg's threads hand each other every frame: an MP3 frame is 1,152 samples, ~300,000
# context switches an hour between the filter, the PCM encoder and the muxer alone. Gathered
# into frames of 32,768 after the meter, they hand over far less.
REBATCH = "asetnsamples=n=32768:p=0"
# After a sampled measuring pass, a third ffmpeg meters the master whole beside the first
# encode, for the record: the channels as published, before the gain. In the background it
# takes the core the encoder leaves (in the encoder's own graph it would slow the encode).
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


def measure_args(
    master: Path,
    stream: AudioStream,
    profile: Mp3Profile,
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
    to_mono = MONO_AVERAGE + "," if profile.channels == "mono" and stream.channels > 1 else ""
    resample = _meter_resample(stream.sample_rate_hz, profile)
    meter = f"{to_mono}{resample}{MEASURE_METER}[meter]"
    start_s, length_s = span
    head = "[0:a:0]" + downmix
    if sample:
        head += "asplit[c][x];[c]aresample,volumedetect@all,anullsink;[x]"
        head += sample_filter(start_s, stream.sample_rate_hz) + ","
    if stream.channels > 1 and profile.channels == "auto":
        levels = ";".join(f"[{name[0]}]volumedetect@{name},anullsink" for name in LEVEL_NAMES)
        graph = f"{head}asplit[m][s];[m]{meter};[s]{SPLIT}[l][r][d];{levels}"
    else:  # only the decoded length is needed: count it in line, no second branch
        graph = f"{head}{'' if sample else 'volumedetect@all,'}{meter}"
    seek = ["-ss", f"{start_s:.3f}"] if start_s > 0 else []
    limit = ["-t", f"{length_s:.3f}"] if length_s is not None else []
    return [
        *seek, *limit, *demuxer_options(stream.container), "-i", file_url(master),
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


def _meter_resample(rate_hz: int, profile: Mp3Profile) -> str:
    return f"aresample={profile.sample_rate_hz}," if rate_hz < MIN_METER_RATE_HZ else ""


def published_channels(analysis: Analysis) -> str:
    """Return the filters that form the published channels from the master's stream."""
    downmix = DOWNMIX if analysis.source.channels > 2 else ""
    return downmix + PLAN_FILTERS[analysis.channel_plan]


def processed_source(
    master: Path, analysis: Analysis, level: GainPlan, rate_hz: int, edit: Edit | None
) -> list[str]:
    """Input and filter arguments of an encode: channels, gain, resampling, the limiter last.

    With an `edit`, the recording is trimmed and joined to the jingles in the same graph.
    """
    limit = 10 ** (level.ceiling_dbfs / 20)
    chain = (
        f"{published_channels(analysis)},volume={level.gain_db:.2f}dB,"
        f"aresample={rate_hz},alimiter=limit={limit:.5f}:level=false:"
        f"latency=true:attack={LIMITER_ATTACK_MS}:release={LIMITER_RELEASE_MS}"
    )
    if edit is not None and not edit.is_empty:
        return edited_source(
            master, chain, sample_rate_hz=rate_hz, mono=analysis.mono,
            duration_s=analysis.source.duration_s, edit=edit,
        )  # fmt: skip
    demux = demuxer_options(analysis.source.container)
    return [*demux, "-i", file_url(master), "-map", "0:a:0", "-af", chain]


def encode_args(
    master: Path,
    tmp: Path,
    profile: Mp3Profile,
    analysis: Analysis,
    level: GainPlan,
    edit: Edit | None = None,
) -> list[str]:
    """Build the MP3 encoder: gain, resample, limit, written to `tmp` and to stdout at once."""
    source = processed_source(master, analysis, level, profile.sample_rate_hz, edit)
    # bitexact and no metadata: the same master gives the same bytes; tags come later.
    mp3 = "f=mp3:id3v2_version=0:fflags=+bitexact"
    target = tee_spec((mp3 + ":write_xing=1", file_url(tmp)), (mp3, "pipe:1"))
    return [
        "-y", *source,
        "-c:a", "libmp3lame", "-b:a", f"{profile.bitrate_for(analysis.mono)}k",
        "-map_metadata", "-1", "-map_chapters", "-1",
        "-flags", "+bitexact", "-fflags", "+bitexact", "-f", "tee", target,
    ]  # fmt: skip


def master_meter_args(master: Path, analysis: Analysis, profile: Mp3Profile) -> list[str]:
    """Build the meter of the whole master as published (channels planned, no gain)."""
    resample = _meter_resample(analysis.source.sample_rate_hz, profile)
    chain = f"{published_channels(analysis)},{resample}{MASTER_METER}"
    return [
        *demuxer_options(analysis.source.container), "-i", file_url(master),
        "-map", "0:a:0", "-af", chain, *NULL_OUTPUT,
    ]  # fmt: skip


def meter_args(channels: int) -> list[str]:
    """Build the independent meter: the encoded MP3 from stdin, float samples to stdout."""
    return [
        "-f", "mp3", "-i", "pipe:0", "-map", "0:a:0", "-af", f"{ENCODED_METER},{REBATCH}",
        "-ac", str(channels), "-c:a", "pcm_f32le", "-f", "f32le", "pipe:1",
    ]  # fmt: skip
