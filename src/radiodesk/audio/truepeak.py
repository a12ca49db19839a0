"""True peak of a PCM stream (ITU-R BS.1770-4 Annex 2), metered as it streams by.

The exact maximum of the Annex's 4x interpolation, oversampling only near the running peak.
Numpy on the PCM bytes fed to it: reads no file and starts no process.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

# Why not ffmpeg's `ebur128=peak=true`: it oversamples every sample to 192 kHz, which costs
# more CPU than the rest of the meter together. An interpolated value can exceed its
# neighbourhood's largest sample by at most FILTER_GAIN, so only the stretches within that
# factor of the running peak are oversampled; everywhere else the bound proves the peak lies
# below. Tests check the result against a full computation and against ffmpeg's meter.
# BS.1770-4 Annex 2: 48-tap interpolator, as 4 phases of 12 taps (phase p: the point p/4 of a
# sample period on). Phases 2 and 3 are phases 1 and 0 reversed: the filter is symmetric.
_PHASES_01 = (
    (0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000, -0.0594482421875,
     0.1373291015625, 0.9721679687500, -0.1022949218750, 0.0476074218750, -0.0266113281250,
     0.0148925781250, -0.0083007812500),
    (-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250, -0.1665039062500,
     0.4650878906250, 0.7797851562500, -0.2003173828125, 0.1015625000000, -0.0582275390625,
     0.0330810546875, -0.0189208984375),
)  # fmt: skip
PHASES = np.array([*_PHASES_01, *(row[::-1] for row in reversed(_PHASES_01))])  # (4, 12)
TAPS = PHASES.shape[1]
HISTORY = TAPS - 1
# The taps in the order of a window of samples, oldest first.
PHASES_NEWEST_LAST = np.ascontiguousarray(PHASES[:, ::-1], dtype=np.float32)
# The largest value an interpolation can reach from samples no larger than 1.
FILTER_GAIN = float(np.abs(PHASES).sum(axis=1).max())
BLOCK = 32  # samples per block whose bound is checked (>= HISTORY: one block back suffices)
FIRST_BLOCKS = 8  # blocks oversampled first, to raise the running peak before pruning
FLOOR_DBTP = -150.0  # what digital silence reads as (a number the catalog can store)


def _block_filter() -> npt.NDArray[np.float32]:
    """A block's window of samples (HISTORY before it, then its own) times this matrix gives
    its outputs: column p * BLOCK + j is phase p of output j, which reads window[j : j + TAPS]."""
    matrix = np.zeros((BLOCK + HISTORY, len(PHASES) * BLOCK), np.float32)
    for phase, taps in enumerate(PHASES_NEWEST_LAST):
        for j in range(BLOCK):
            matrix[j : j + TAPS, phase * BLOCK + j] = taps
    return matrix


BLOCK_FILTER = _block_filter()


@functools.cache
def _one_blas_thread() -> None:
    """Keep numpy's BLAS on the calling thread: it would start a thread per core and spin
    them beside ffmpeg (21 s of CPU on a 10-minute encode), for products that take 0.1 ms."""
    threadpool_limits(limits=1, user_api="blas")  # process-wide; radiodesk uses BLAS only here


class TruePeakMeter:
    """Feed interleaved little-endian float32 PCM in chunks of any size; read `dbtp` at the end."""

    def __init__(self, channels: int) -> None:
        if channels < 1:
            raise ValueError("a true peak needs at least one channel")
        _one_blas_thread()
        self.channels = channels
        self._block_bytes = 4 * channels * BLOCK
        self._pending = b""  # the bytes after the last whole block
        self._history = np.zeros((HISTORY, channels), np.float32)
        self._ext = self._levels = np.empty((0, channels), np.float32)
        self.peak = 0.0  # linear; the largest of the sample peak and every interpolated value
        self.frames = 0

    def feed(self, data: bytes | memoryview) -> None:
        """Take the next bytes of the stream (not kept: the caller may reuse the buffer)."""
        data = self._pending + data if self._pending else data
        usable = len(data) - len(data) % self._block_bytes
        self._pending = bytes(data[usable:])
        if usable:
            samples = np.frombuffer(data, dtype="<f4", count=usable // 4)
            self._measure(samples.reshape(-1, self.channels))

    def close(self) -> float:
        """Flush the last samples and the interpolator's tail (silence follows); return `dbtp`."""
        tail = len(self._pending) // (4 * self.channels)
        if self.frames or tail:
            rest = np.zeros((-(-(tail + HISTORY) // BLOCK) * BLOCK, self.channels), np.float32)
            pending = np.frombuffer(self._pending, dtype="<f4", count=tail * self.channels)
            rest[:tail] = pending.reshape(tail, self.channels)
            self._pending = b""
            self._measure(rest, real=tail)
        return self.dbtp

    @property
    def dbtp(self) -> float:
        """The true peak so far, in dBTP."""
        return 20 * math.log10(self.peak) if self.peak > 0 else FLOOR_DBTP

    def _measure(self, frames: npt.NDArray[np.float32], real: int | None = None) -> None:
        """Measure whole blocks of frames (`real` of them signal, the rest trailing silence)."""
        count = len(frames)
        self.frames += count if real is None else real
        blocks = count // BLOCK
        # ext[i + HISTORY] is frames[i]; output i reads ext[i : i + TAPS]. The buffers are
        # kept from chunk to chunk: a fresh megabyte each time costs the kernel more (page
        # faults) than the arithmetic does.
        if len(self._ext) < HISTORY + count:
            self._ext = np.empty((HISTORY + count, self.channels), np.float32)
            self._levels = np.empty_like(self._ext)
        ext, levels = self._ext[: HISTORY + count], self._levels[: HISTORY + count]
        ext[:HISTORY] = self._history
        ext[HISTORY:] = frames
        self._history = ext[count:].copy()
        np.abs(ext, out=levels)
        own = levels[HISTORY:].reshape(blocks, BLOCK * self.channels).max(axis=1)
        self.peak = max(self.peak, float(own.max()))  # the sample peak
        before = np.empty_like(own)  # the samples before a block that its outputs also read
        before[0] = levels[:HISTORY].max()
        before[1:] = own[:-1]
        bound = np.maximum(own, before) * FILTER_GAIN
        if blocks > FIRST_BLOCKS:  # the likeliest peaks first: they prune the most
            self._oversample(ext, np.argpartition(bound, -FIRST_BLOCKS)[-FIRST_BLOCKS:])
        rest = np.flatnonzero(bound > self.peak)
        if len(rest):
            self._oversample(ext, rest)

    def _oversample(self, ext: npt.NDArray[np.float32], blocks: npt.NDArray[np.intp]) -> None:
        # Each block's outputs read its own samples and the HISTORY before them: one gather,
        # then one product gives all four phases of all its outputs.
        spans = blocks[:, None] * BLOCK + np.arange(BLOCK + HISTORY)[None, :]
        for channel in range(self.channels):
            samples = ext[:, channel][spans]  # (blocks, BLOCK + HISTORY)
            values = samples @ BLOCK_FILTER  # (blocks, 4 * BLOCK)
            self.peak = max(self.peak, float(np.abs(values, out=values).max()))
