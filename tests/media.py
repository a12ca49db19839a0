"""Test recordings made from ffmpeg's lavfi sources, and an independent loudness meter.

Test code only: it runs ffmpeg itself with subprocess, never through radiodesk's runner.
Import it as `from media import make_recording, measure` (pytest's pythonpath holds tests/).
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

import imageio_ffmpeg

Signal = Literal["speech", "peaky", "sine", "noise", "silence"]

# aevalsrc expressions of one channel `n`. Speech-like: noise in the telephone band with
# syllables at ~3 Hz, a pause every ~2 s and a plosive burst every ~1.4 s (peak to loudness
# ratio ~19 dB, like real speech, so the limiter has work to do).
CHANNEL_EXPRS: dict[str, str] = {
    "speech": "(random({n})*2-1)*pow(abs(sin(2*PI*3.1*t)),2)*gt(sin(2*PI*0.45*t)+0.4,0)"
    "*(1+gt(sin(2*PI*0.7*t),0.998))",
    # Speech with sharp plosives: 14 ms bursts at ten times the syllables' level every 1.4 s
    # (peak to loudness ratio ~29 dB: at -32 LUFS the peaks reach about -3 dBTP).
    "peaky": "(random({n})*2-1)*pow(abs(sin(2*PI*3.1*t)),2)*gt(sin(2*PI*0.45*t)+0.4,0)"
    "*(1+9*gt(sin(2*PI*0.7*t),0.9995))",
    "sine": "0.5*sin(2*PI*(997+200*{n})*t)",
    "noise": "random({n})*2-1",
    "silence": "0",
}
LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1"}
# Encoder arguments by file suffix; `{bits}` picks the WAV/FLAC sample format.
CODECS: dict[str, list[str]] = {
    ".wav": ["-c:a", "pcm_s{bits}le"],
    ".flac": ["-c:a", "flac", "-sample_fmt", "s{flac_bits}"],
    ".mp3": ["-c:a", "libmp3lame", "-b:a", "160k"],
    ".m4a": ["-c:a", "aac", "-b:a", "128k"],
    ".ogg": ["-c:a", "libvorbis", "-q:a", "4"],
    ".opus": ["-c:a", "libopus", "-b:a", "64k", "-ar", "48000"],
    ".amr": ["-c:a", "libopencore_amrnb", "-ar", "8000", "-ac", "1", "-b:a", "12.2k"],
    ".mp4": ["-c:a", "aac", "-b:a", "128k", "-c:v", "libx264", "-preset", "ultrafast"],
}


@functools.cache
def ffmpeg_exe() -> str:
    """Return the ffmpeg the tests use: PATH first, then the imageio-ffmpeg wheel's."""
    return shutil.which("ffmpeg") or str(imageio_ffmpeg.get_ffmpeg_exe())


@functools.cache
def encoders(exe: str) -> frozenset[str]:
    """Return the names of the encoders an ffmpeg binary was built with."""
    listing = subprocess.run(
        [exe, "-hide_banner", "-encoders"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    # Rows look like " A....D libopencore_amrnb  OpenCORE AMR-NB ..."; the legend has "=".
    rows = (line.split() for line in listing.splitlines())
    return frozenset(row[1] for row in rows if len(row) > 1 and "=" not in row[1])


def ffmpeg_with(*needed: str) -> str:
    """Return an ffmpeg that has the encoders: the tests' own, else the imageio-ffmpeg wheel's.

    Only for making fixtures: Debian's ffmpeg, for one, decodes AMR but cannot encode it, while
    the wheel (a runtime dependency, so always installed) can. radiodesk itself still decodes
    with the ffmpeg it finds, so a test proves that ffmpeg reads the format.
    """
    candidates = dict.fromkeys((ffmpeg_exe(), str(imageio_ffmpeg.get_ffmpeg_exe())))
    for exe in candidates:
        if set(needed) <= encoders(exe):
            return exe
    raise RuntimeError(f"no ffmpeg here has the encoders {needed}: tried {list(candidates)}")


def ffmpeg_run(*args: str, exe: str | None = None) -> str:
    """Run ffmpeg quietly and return its stderr; fail the test helper loudly on errors."""
    argv = [exe or ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}\n{done.stderr[-3000:]}")
    return done.stderr


def measure(path: Path) -> tuple[float, float]:
    """Return (integrated LUFS, true peak dBTP) of a file's first audio stream (ebur128)."""
    stderr = ffmpeg_run(
        "-i", f"file:{path}", "-map", "0:a:0", "-af", "ebur128=peak=true:framelog=verbose",
        "-f", "null", "-",
    )  # fmt: skip
    summary = stderr.rpartition("Summary:")[2]
    integrated = re.search(r"I:\s+(\S+) LUFS", summary)
    peak = re.search(r"Peak:\s+(\S+) dBFS", summary)
    assert integrated, stderr[-2000:]
    assert peak, stderr[-2000:]
    return float(integrated.group(1)), float(peak.group(1))


def make_recording(
    path: Path,
    *,
    seconds: float = 3.0,
    lufs: float | None = -23.0,
    channels: int = 1,
    sample_rate: int = 48000,
    signal: Signal = "speech",
    left_only: bool = False,
    identical: bool = False,
    clipped: bool = False,
    bits: int = 16,
) -> Path:
    """Write a test recording; the format follows the suffix (.wav .flac .mp3 .m4a .ogg .opus
    .amr, or .mp4 with a video track first). `lufs` sets the loudness (approximate when
    `clipped`, which hard-clips at 0 dBFS); `left_only` leaves the right channel silent and
    `identical` copies one signal to both channels."""
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        raw = Path(scratch) / "raw.wav"
        ffmpeg_run(*_source_args(seconds, channels, sample_rate, signal, left_only, identical),
                   "-c:a", "pcm_f32le", str(raw))  # fmt: skip
        level = lufs if signal != "silence" else None  # digital silence has no loudness
        gain = 0.0 if level is None else level - measure(raw)[0]
        if clipped:  # clipping loses loudness: correct once against the clipped result
            clip = Path(scratch) / "clip.wav"
            _encode(raw, clip, gain, clipped=True, seconds=seconds, bits=32)
            gain += 0.0 if level is None else level - measure(clip)[0]
        _encode(raw, path, gain, clipped=clipped, seconds=seconds, bits=bits)
    return path


def _source_args(
    seconds: float, channels: int, rate: int, signal: Signal, left_only: bool, identical: bool
) -> list[str]:
    count = 1 if left_only or identical else channels
    # random(k) keeps its state in variable k, which starts at 0: seed each channel differently.
    exprs = "|".join(
        f"if(eq(n,0),st({k},{1 + 7919 * k}),0);" + CHANNEL_EXPRS[signal].format(n=k)
        for k in range(count)
    )
    source = f"aevalsrc=exprs='{exprs}':s={rate}:d={seconds}:c={LAYOUTS[count]}"
    if signal in ("speech", "peaky"):
        source += ",lowpass=f=3400,highpass=f=150"
    if left_only:
        source += ",pan=stereo|c0=c0|c1=0*c0"
    elif identical:
        source += ",pan=stereo|c0=c0|c1=c0"
    return ["-f", "lavfi", "-i", source]


def _encode(
    raw: Path, path: Path, gain_db: float, *, clipped: bool, seconds: float, bits: int
) -> None:
    chain = f"volume={gain_db:.3f}dB"
    if clipped:
        chain += ",asoftclip=type=hard:threshold=1"
    codec = [a.format(bits=bits, flac_bits=16 if bits == 16 else 32) for a in CODECS[path.suffix]]
    if bits == 32 and path.suffix == ".wav":
        codec = ["-c:a", "pcm_f32le"]
    video: list[str] = []
    if path.suffix == ".mp4":
        video = ["-f", "lavfi", "-i", f"color=c=navy:s=64x64:r=5:d={seconds}", "-map", "1:v"]
    needed = [codec[i + 1] for i, arg in enumerate(codec) if arg in ("-c:a", "-c:v")]
    ffmpeg_run("-i", str(raw), *video, "-map", "0:a", "-af", chain, *codec, str(path),
               exe=ffmpeg_with(*needed))  # fmt: skip


def joined(path: Path, *parts: Path) -> Path:
    """Write the recordings one after the other into `path` (same rate and channels)."""
    inputs = [arg for part in parts for arg in ("-i", str(part))]
    links = "".join(f"[{index}:a]" for index in range(len(parts)))
    ffmpeg_run(*inputs, "-filter_complex", f"{links}concat=n={len(parts)}:v=0:a=1", str(path))
    return path
