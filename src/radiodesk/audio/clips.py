"""Short audio with pydub: cut, fade, gain and export clips (soundbites, jingles, previews).

Never whole episodes: pydub holds a clip in memory. ffmpeg (through ffmpeg.py, the only module
that starts processes) cuts the span from a long file and encodes the MP3; pydub works between.
"""

from __future__ import annotations

import logging
import math
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from radiodesk.audio import ffmpeg
from radiodesk.audio.ffmpeg_args import file_url
from radiodesk.audio.ffmpeg_output import (
    last_message,
    parse_audio_streams,
    parse_ebur128,
    parse_volumedetect,
)
from radiodesk.audio.loudness import (
    PEAK_SAFETY_DB,
    SILENT_LUFS,
    Loudness,
    Target,
    converge,
    metered,
)
from radiodesk.errors import AudioError
from radiodesk.files import file_sha256

with warnings.catch_warnings():
    # pydub imports audioop (deprecated in Python 3.11-3.12) and warns at import when no ffmpeg
    # is on PATH; it gets radiodesk's own ffmpeg below (`_segment_class`).
    warnings.simplefilter("ignore")
    from pydub import AudioSegment

log = logging.getLogger(__name__)

PEAK_MARGIN_DB = 0.5  # MP3 re-encoding adds a little overshoot to the measured true peak
MAX_CLIP_S = 600.0  # only sets the metering timeout: clips are far shorter
METER = "ebur128@{name}=peak=true:framelog=verbose"  # summary only; no per-frame lines
# Same bytes for the same input: no encoder tag, no metadata; mutagen writes the tags later.
BITEXACT = ("-map_metadata", "-1", "-flags", "+bitexact", "-fflags", "+bitexact")

# Jingles: prepared as WAVs at the episode's rate, channels and loudness for the encode to join.
MAX_JINGLE_S = 120.0  # a jingle is a few seconds: anything longer is a mistake in the config
# pydub stores whole-number samples: gain that would push the peak past this stays for ffmpeg
# to apply in floating point, before the limiter.
PREPARED_PEAK_DBFS = -1.0
JINGLE_METER = "ebur128=peak=true+sample"


@dataclass(frozen=True, slots=True, kw_only=True)
class Excerpt:
    """A finished clip: its length, the gain it got, and its level measured on the MP3."""

    path: Path
    duration_s: float
    gain_db: float
    level: Loudness  # measured on the MP3


def _segment_class() -> type[AudioSegment]:
    """Return pydub's AudioSegment, pointed at the ffmpeg radiodesk checked (PATH or wheel)."""
    AudioSegment.converter = str(ffmpeg.find_ffmpeg().path)
    return AudioSegment  # type: ignore[no-any-return]


def extract(source: Path, wav: Path, start_s: float, duration_s: float) -> Loudness:
    """Cut a span of any recording into a 16-bit WAV with ffmpeg, metering it on the way."""
    args = [
        "-y", "-ss", f"{start_s:.3f}", "-t", f"{duration_s:.3f}",
        "-i", file_url(source), "-map", "0:a:0", "-af", METER.format(name="span"),
        "-c:a", "pcm_s16le", *BITEXACT, "-f", "wav", file_url(wav),
    ]  # fmt: skip
    return _level(ffmpeg.run(args, timeout_s=_timeout(duration_s)), "span")


def measure(path: Path) -> Loudness:
    """Meter a short file's integrated loudness and true peak."""
    args = ["-i", file_url(path), "-map", "0:a:0", "-af", METER.format(name="clip"),
            "-f", "null", "-"]  # fmt: skip
    return _level(ffmpeg.run(args, timeout_s=_timeout(MAX_CLIP_S)), "clip")


def load_wav(path: Path) -> AudioSegment:
    """Read a WAV into memory (pydub parses WAV itself, without starting ffmpeg)."""
    with path.open("rb") as stream:  # pydub leaves files it opened itself unclosed
        return _segment_class().from_wav(stream)


def cut(segment: AudioSegment, start_s: float, duration_s: float) -> AudioSegment:
    """Return a span of a clip that is already in memory."""
    begin = round(start_s * 1000)
    return segment[begin : begin + round(duration_s * 1000)]


def fade(segment: AudioSegment, in_ms: int, out_ms: int) -> AudioSegment:
    """Fade a clip in from silence and out to silence (never longer than half the clip)."""
    half = len(segment) // 2
    return segment.fade_in(min(in_ms, half)).fade_out(min(out_ms, half))


def gain(segment: AudioSegment, gain_db: float) -> AudioSegment:
    """Change a clip's level by a linear gain (16-bit samples saturate: mind the headroom)."""
    return segment.apply_gain(gain_db)


def export_mp3(segment: AudioSegment, out: Path, bitrate_kbps: int) -> None:
    """Encode a clip as CBR MP3 without tags: pydub writes the WAV, ffmpeg.py encodes it."""
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".clip-") as scratch:
        wav = Path(scratch) / "clip.wav"
        with wav.open("wb") as stream:  # plain WAV: pydub writes it without ffmpeg
            segment.export(stream, format="wav")
        args = [
            "-y", "-i", file_url(wav), "-map", "0:a:0", "-c:a", "libmp3lame",
            "-b:a", f"{bitrate_kbps}k", *BITEXACT, "-id3v2_version", "0",
            "-write_xing", "1", "-f", "mp3", file_url(out),
        ]  # fmt: skip
        ffmpeg.run(args, timeout_s=_timeout(len(segment) / 1000))


def make_excerpt(
    source: Path,
    out: Path,
    *,
    start_s: float,
    duration_s: float,
    target: Target,
    bitrate_kbps: int,
    fade_in_ms: int,
    fade_out_ms: int,
) -> Excerpt:
    """Cut a span, bring it to the target loudness under the ceiling, fade it and encode it.

    One linear gain and no limiter: if the span's peaks leave too little headroom, the clip
    stays quieter than the target rather than louder than the ceiling.
    """
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".clip-") as scratch:
        wav = Path(scratch) / "span.wav"
        span = extract(source, wav, start_s, duration_s)
        if not span.integrated_lufs > SILENT_LUFS:
            raise AudioError(
                f"the soundbite at {start_s:.1f} s is silent "
                f"(nothing above {SILENT_LUFS:.0f} LUFS)",
                hint="check its start and end times",
            )
        clip = fade(load_wav(wav), fade_in_ms, fade_out_ms)

    def encode(gain_db: float) -> Loudness:
        export_mp3(gain(clip, gain_db), out, bitrate_kbps)
        level = measure(out)
        log.info("%s: gain %.1f dB gave %.1f LUFS, %.1f dBTP", out.name, gain_db,
                 level.integrated_lufs, level.true_peak_dbtp)  # fmt: skip
        return level

    first = min(
        target.lufs - span.integrated_lufs,
        target.ceiling_dbtp - PEAK_MARGIN_DB - span.true_peak_dbtp,
    )
    done = converge(
        encode,
        first,
        met=lambda level: next_gain_step(level, target) is None,
        correct=lambda tried: _next_gain(tried, target),
    )
    # Out of encodes: a clip under the ceiling is kept, if not quite as loud as the target.
    if not done.met and done.measured.true_peak_dbtp > target.ceiling_dbtp:
        raise AudioError(
            f"could not keep the soundbite at {start_s:.1f} s under {target.ceiling_dbtp:.1f} "
            f"dBTP (last: {done.measured.true_peak_dbtp:.1f} dBTP)"
        )
    return Excerpt(path=out, duration_s=len(clip) / 1000, gain_db=done.plan, level=done.measured)


def next_gain_step(level: Loudness, target: Target) -> float | None:
    """Return the gain change the next encode needs, or None when this one will do."""
    over = level.true_peak_dbtp - target.ceiling_dbtp
    if over > 0:
        return -(over + PEAK_SAFETY_DB)
    short = target.lufs - level.integrated_lufs
    room = target.ceiling_dbtp - PEAK_MARGIN_DB - level.true_peak_dbtp
    if abs(short) <= target.tolerance_lu or (short > 0 and room < 0.1):
        return None  # on target, or as loud as the peaks allow
    return min(short, room) if short > 0 else short


def _next_gain(tried: Sequence[tuple[float, Loudness]], target: Target) -> float:
    gain_db, level = tried[-1]
    return gain_db + (next_gain_step(level, target) or 0.0)


def _level(done: ffmpeg.Completed, name: str) -> Loudness:
    level = metered(done, name, "the clip")
    if math.isfinite(level.true_peak_dbtp):
        return level
    return replace(level, true_peak_dbtp=-math.inf)


def _timeout(duration_s: float) -> float:
    return 60.0 + 2.0 * duration_s


@dataclass(frozen=True, slots=True, kw_only=True)
class Jingle:
    """A jingle ready to join the recording: its prepared WAV and what was done to it."""

    role: str  # "intro" or "outro"
    source: str  # as the show's settings name it
    sha256: str  # of the source file
    path: Path  # the prepared WAV, at the episode's sample rate and channel count
    duration_s: float
    loudness_lufs: float  # of the source, as decoded
    gain_db: float  # brings it to the episode's target
    residual_gain_db: float  # the part of gain_db left for the encode (see PREPARED_PEAK_DBFS)


def check_jingle(role: str, source: Path, *, name: str, min_duration_s: float) -> None:
    """Refuse a missing, unreadable, silent, too short or too long jingle; decode it, keep nothing.

    The cheap check `add` makes before it copies a recording; prepare_jingle checks it again.
    """
    if not source.is_file():
        raise AudioError(f"the {role} jingle {name} does not exist", hint=f"fix [audio] {role}")
    done = ffmpeg.run(
        ["-i", file_url(source), "-map", "0:a:0", "-af", "volumedetect,ebur128",
         "-f", "null", "-"],
        timeout_s=_timeout(MAX_JINGLE_S), check=False,
    )  # fmt: skip
    streams = parse_audio_streams(done.stderr)
    counted = parse_volumedetect(done.stderr)
    summary = parse_ebur128(done.stderr)
    if not streams or not streams[0].channels or not counted or summary is None:
        raise AudioError(f"cannot decode the {role} jingle {name}: {last_message(done.stderr)}")
    stream, samples = streams[0], next(iter(counted.values())).samples  # of every channel
    duration_s = samples / stream.channels / stream.sample_rate_hz
    _check(role, name, duration_s, summary.integrated_lufs, min_duration_s)


def prepare_jingle(
    role: str,
    source: Path,
    scratch: Path,
    *,
    name: str,
    target_lufs: float,
    sample_rate_hz: int,
    channels: int,
    min_duration_s: float,
) -> Jingle:
    """Decode a jingle to the episode's format and level it to the target loudness."""
    if not source.is_file():
        raise AudioError(f"the {role} jingle {name} does not exist", hint=f"fix [audio] {role}")
    decoded = scratch / f"{role}-decoded.wav"
    # Converted before the meter: a stereo jingle mixed down to mono reads quieter than before.
    layout = "mono" if channels == 1 else "stereo"
    convert = f"aresample={sample_rate_hz},aformat=channel_layouts={layout},"
    done = ffmpeg.run(
        ["-y", "-i", file_url(source), "-map", "0:a:0", "-af", convert + JINGLE_METER,
         "-c:a", "pcm_s16le",
         "-f", "wav", file_url(decoded)],
        timeout_s=_timeout(MAX_JINGLE_S), check=False,
    )  # fmt: skip
    summary = parse_ebur128(done.stderr)
    if not decoded.is_file() or summary is None or summary.sample_peak_dbfs is None:
        raise AudioError(f"cannot decode the {role} jingle {name}: {last_message(done.stderr)}")
    clip = load_wav(decoded)
    duration_s = clip.frame_count() / clip.frame_rate
    _check(role, name, duration_s, summary.integrated_lufs, min_duration_s)
    gain_db = target_lufs - summary.integrated_lufs
    applied = min(gain_db, PREPARED_PEAK_DBFS - summary.sample_peak_dbfs)
    prepared = scratch / f"{role}.wav"
    with prepared.open("wb") as out:
        gain(clip, applied).export(out, format="wav")
    log.info("%s jingle %s: %.1f LUFS, gain %+.1f dB", role, name, summary.integrated_lufs, gain_db)
    return Jingle(
        role=role,
        source=name,
        sha256=file_sha256(source),
        path=prepared,
        duration_s=round(duration_s, 3),
        loudness_lufs=summary.integrated_lufs,
        gain_db=round(gain_db, 2),
        residual_gain_db=round(gain_db - applied, 2),
    )


def _check(role: str, name: str, duration_s: float, lufs: float, min_s: float) -> None:
    if not min_s < duration_s <= MAX_JINGLE_S:
        raise AudioError(
            f"the {role} jingle {name} lasts {duration_s:.2f} s; it must be longer than the "
            f"crossfade ({min_s:.2f} s) and at most {MAX_JINGLE_S:.0f} s",
            hint="shorten [audio] crossfade_ms or pick another jingle",
        )
    if lufs <= SILENT_LUFS:
        raise AudioError(
            f"the {role} jingle {name} is silent (nothing above {SILENT_LUFS:.0f} LUFS)"
        )
