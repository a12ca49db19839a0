"""Waveform peaks of a published episode and the SVG path of the web page's picture.

Decodes through `ffmpeg.stream` (mono, low rate, s16le) in chunks: memory stays flat for a 3 h file.
Starts no process itself. The picture is drawn once per MP3 and kept beside the peaks.
"""

from __future__ import annotations

import json
import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from radiodesk.audio import ffmpeg
from radiodesk.audio.ffmpeg_args import file_url
from radiodesk.files import write_atomic

SAMPLE_RATE_HZ = 8000  # enough for the shape of speech; keeps the Python loop cheap
TIMEOUT_S = 900.0
FIRST_BLOCK_SAMPLES = 8
DECIMALS = 3  # peaks are stored as a derived file: short and deterministic
WAVE_HEIGHT = 100  # SVG user units; the width is one unit per peak


@dataclass(frozen=True, slots=True)
class Wave:
    """The picture of an episode's peaks: an SVG path `width` units wide, WAVE_HEIGHT high."""

    width: int
    path: str


def peaks(path: Path, *, bins: int = 400, timeout_s: float = TIMEOUT_S) -> tuple[float, ...]:
    """Return `bins` peak levels of the file's first audio stream, the loudest one being 1.0."""
    if bins < 1:
        raise ValueError(f"bins must be at least 1, not {bins}")
    args = decode_args(path)
    meter = PeakMeter(max_blocks=4 * bins)
    carry = b""
    for chunk in ffmpeg.stream(args, timeout_s=timeout_s):
        data = carry + chunk
        usable = len(data) - len(data) % 2  # a chunk may end in the middle of a sample
        meter.add(_samples(data[:usable]))
        carry = data[usable:]
    return normalize(resample(meter.finish(), bins))


def decode_args(path: Path) -> list[str]:
    """Build the ffmpeg arguments that write the file as mono 16-bit PCM to stdout."""
    return [
        "-i", file_url(path), "-map", "0:a:0", "-vn", "-ac", "1",
        "-ar", str(SAMPLE_RATE_HZ), "-c:a", "pcm_s16le", "-f", "s16le", "pipe:1",
    ]  # fmt: skip


def _samples(data: bytes) -> array[int]:
    samples = array("h")
    samples.frombytes(data)
    if sys.byteorder == "big":
        samples.byteswap()  # s16le is little-endian
    return samples


class PeakMeter:
    """The peak of each block of samples; blocks double in size to keep at most `max_blocks`."""

    def __init__(self, *, max_blocks: int) -> None:
        self.max_blocks = max(2, max_blocks - max_blocks % 2)
        self.block = FIRST_BLOCK_SAMPLES
        self.blocks: list[int] = []
        self.current = 0
        self.filled = 0

    def add(self, samples: array[int]) -> None:
        """Take the next samples of the stream."""
        start = 0
        while start < len(samples):
            take = min(self.block - self.filled, len(samples) - start)
            part = samples[start : start + take]
            self.current = max(self.current, max(part), -min(part))
            self.filled += take
            start += take
            if self.filled == self.block:
                self._close_block()

    def _close_block(self) -> None:
        self.blocks.append(self.current)
        self.current = self.filled = 0
        if len(self.blocks) == self.max_blocks:  # merge pairs: same picture, half the blocks
            pairs = zip(self.blocks[::2], self.blocks[1::2], strict=True)
            self.blocks = [max(pair) for pair in pairs]
            self.block *= 2

    def finish(self) -> list[int]:
        """Return every block's peak, the last (partial) block included."""
        return [*self.blocks, self.current] if self.filled else list(self.blocks)


def resample(blocks: list[int], bins: int) -> list[int]:
    """Return `bins` values: the peak of the blocks under each bin (stretched if too few)."""
    count = len(blocks)
    if count == 0:
        return []
    if count < bins:
        return [blocks[i * count // bins] for i in range(bins)]
    return [max(blocks[i * count // bins : (i + 1) * count // bins]) for i in range(bins)]


def normalize(levels: list[int]) -> tuple[float, ...]:
    """Scale the levels so that the loudest is 1.0 (silence stays all zeros)."""
    top = max(levels, default=0)
    if top == 0:
        return tuple(0.0 for _ in levels)
    return tuple(round(level / top, DECIMALS) for level in levels)


def svg_path(peaks: Sequence[float]) -> str:
    """Draw the peaks as one SVG path of bars mirrored around the middle, one unit per peak."""
    middle = WAVE_HEIGHT / 2
    bars = []
    for i, peak in enumerate(peaks):
        half = max(min(peak, 1.0), 0.0) * (middle - 1) + 0.5  # a hairline even in silence
        bars.append(f"M{i} {middle - half:.1f}h0.8v{2 * half:.1f}h-0.8z")
    return "".join(bars)


def save_peaks(path: Path, values: Sequence[float], sha256: str) -> None:
    """Keep the peaks of the MP3 whose SHA-256 is given, as JSON beside it."""
    _write(path, {"sha256": sha256, "peaks": list(values)})


def save_wave(path: Path, values: Sequence[float], sha256: str) -> None:
    """Keep the drawing of the peaks, apart from them: a page needs only the drawing."""
    _write(path, {"sha256": sha256, "width": len(values), "path": svg_path(values)})


def load_peaks(path: Path, sha256: str) -> tuple[float, ...]:
    """Return stored peaks if they belong to the MP3 with this SHA-256, else nothing."""
    peaks = (_load(path, sha256) or {}).get("peaks")
    return tuple(float(p) for p in peaks) if isinstance(peaks, list) else ()


def load_wave(path: Path, sha256: str) -> Wave | None:
    """Return the stored drawing of the MP3 with this SHA-256 (None: not drawn yet)."""
    data = _load(path, sha256) or {}
    width, drawn = data.get("width"), data.get("path")
    if not isinstance(width, int) or not isinstance(drawn, str):
        return None
    return Wave(width=width, path=drawn)


def _write(path: Path, data: dict[str, object]) -> None:
    text = json.dumps(data, separators=(",", ":"))
    write_atomic(path, text.encode("utf-8"), mode=0o644)


def _load(path: Path, sha256: str) -> dict[str, object] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("sha256") == sha256 else None
