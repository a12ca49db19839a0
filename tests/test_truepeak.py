"""The streaming true-peak meter: exact against a full 4x oversampling, close to ffmpeg's meter."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import threadpoolctl

from media import ffmpeg_run, make_recording, measure
from radiodesk.audio import truepeak

# The published table of BS.1770-4 Annex 2, phase by phase: an independent copy for the test.
ANNEX_2 = [
    [0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000, -0.0594482421875,
     0.1373291015625, 0.9721679687500, -0.1022949218750, 0.0476074218750, -0.0266113281250,
     0.0148925781250, -0.0083007812500],
    [-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250, -0.1665039062500,
     0.4650878906250, 0.7797851562500, -0.2003173828125, 0.1015625000000, -0.0582275390625,
     0.0330810546875, -0.0189208984375],
    [-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625000000, -0.2003173828125,
     0.7797851562500, 0.4650878906250, -0.1665039062500, 0.0891113281250, -0.0517578125000,
     0.0292968750000, -0.0291748046875],
    [-0.0083007812500, 0.0148925781250, -0.0266113281250, 0.0476074218750, -0.1022949218750,
     0.9721679687500, 0.1373291015625, -0.0594482421875, 0.0332031250000, -0.0196533203125,
     0.0109863281250, 0.0017089843750],
]  # fmt: skip


def full_true_peak(frames: np.ndarray) -> float:
    """Textbook 4x oversampling: zero-stuff, convolve with the 48-tap filter, take the peak."""
    taps = np.array(ANNEX_2).T.ravel()  # coefficient 4k + p is phase p's k-th tap
    peak = float(np.abs(frames).max())
    for channel in frames.T.astype(np.float64):
        stuffed = np.zeros(4 * len(channel))
        stuffed[::4] = channel
        peak = max(peak, float(np.abs(np.convolve(stuffed, taps)).max()))
    return 20 * math.log10(peak)


def metered(frames: np.ndarray, chunk_sizes: list[int]) -> truepeak.TruePeakMeter:
    """Feed `frames` as float32 bytes cut into the given chunk sizes (cycled).

    Through one buffer overwritten for every chunk, as ffmpeg's reader hands them over: what
    the meter keeps of a chunk must be its own copy.
    """
    meter = truepeak.TruePeakMeter(frames.shape[1])
    data = frames.astype("<f4").tobytes()
    buffer = bytearray(max(chunk_sizes))
    start, turn = 0, 0
    while start < len(data):
        piece = data[start : start + chunk_sizes[turn % len(chunk_sizes)]]
        buffer[: len(piece)] = piece
        meter.feed(memoryview(buffer)[: len(piece)])
        start, turn = start + len(piece), turn + 1
    meter.close()
    return meter


@pytest.mark.parametrize("seed", range(12))
def test_pruned_meter_equals_full_oversampling(seed: int) -> None:
    rng = np.random.default_rng(seed)
    count, channels = int(rng.integers(1, 30_000)), int(rng.integers(1, 3))
    frames = (rng.standard_normal((count, channels)) * rng.uniform(0.01, 0.3)).astype(np.float32)
    for _ in range(4):  # loud bursts: the peak is somewhere, the rest is pruned
        at = int(rng.integers(0, count))
        frames[at : at + 50] *= rng.uniform(1.0, 5.0)
    # Odd chunk sizes cut frames and blocks anywhere, including mid-sample.
    meter = metered(frames, [int(n) for n in rng.integers(1, 40_000, size=7)])
    assert meter.frames == count
    assert meter.dbtp == pytest.approx(full_true_peak(frames), abs=1e-4)


def test_intersample_peak_is_found_above_the_samples() -> None:
    # fs/4 at a 45 degree phase: every sample at A/sqrt(2), the waveform reaches A between them.
    n = np.arange(48_000)
    wave = (0.5 * np.sin(np.pi / 2 * n + np.pi / 4)).astype(np.float32)
    meter = metered(np.stack([wave, wave * 0.1], axis=1), [65_536])
    sample_peak = 20 * math.log10(float(np.abs(wave).max()))
    assert sample_peak == pytest.approx(-9.03, abs=0.01)
    assert meter.dbtp == pytest.approx(20 * math.log10(0.5), abs=0.3)  # ~3 dB over the samples
    assert meter.dbtp > sample_peak + 2.5


def test_meter_keeps_numpys_blas_on_one_thread() -> None:
    """A BLAS thread per core would spin beside the ffmpegs the meter reads behind."""
    truepeak.TruePeakMeter(2)
    blas = [lib for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]
    assert blas  # numpy's wheels bring OpenBLAS: the limit must have something to hold
    assert {lib["num_threads"] for lib in blas} == {1}


def test_silence_reads_the_floor_and_nothing_reads_nothing() -> None:
    assert metered(np.zeros((10_000, 2), np.float32), [4096]).dbtp == truepeak.FLOOR_DBTP
    empty = truepeak.TruePeakMeter(1)
    assert empty.close() == truepeak.FLOOR_DBTP
    assert empty.frames == 0
    with pytest.raises(ValueError, match="at least one channel"):
        truepeak.TruePeakMeter(0)


@pytest.mark.parametrize(
    ("signal", "rate", "channels"), [("speech", 44_100, 2), ("sine", 48_000, 1)]
)
def test_meter_agrees_with_ffmpeg_ebur128_on_an_encoded_mp3(
    tmp_path: Path, signal: str, rate: int, channels: int
) -> None:
    """The independent meter (ffmpeg's ebur128, its own 192 kHz oversampling) reads the same."""
    source = make_recording(
        tmp_path / "in.wav", seconds=20, lufs=-12.0, channels=channels, sample_rate=rate,
        signal=signal,  # type: ignore[arg-type]
    )  # fmt: skip
    mp3 = tmp_path / "out.mp3"
    ffmpeg_run("-i", str(source), "-c:a", "libmp3lame", "-b:a", "128k", str(mp3))
    pcm = tmp_path / "out.f32"
    ffmpeg_run("-i", str(mp3), "-c:a", "pcm_f32le", "-f", "f32le", str(pcm))
    frames = np.fromfile(pcm, dtype="<f4").reshape(-1, channels)
    ours = metered(frames, [1 << 20]).dbtp
    _, theirs = measure(mp3)
    assert ours == pytest.approx(theirs, abs=0.15)
    assert ours == pytest.approx(full_true_peak(frames), abs=1e-4)
