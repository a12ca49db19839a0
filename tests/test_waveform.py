"""Waveform peaks from real MP3s, and the streaming ffmpeg runner under them."""

from __future__ import annotations

from array import array
from pathlib import Path

import pytest

from media import ffmpeg_run, make_recording
from radiodesk.audio import ffmpeg, waveform
from radiodesk.errors import ToolError


@pytest.fixture(scope="module")
def loud_then_silent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seconds of tone, then two of digital silence, as a published MP3 would be."""
    path = tmp_path_factory.mktemp("wave") / "half.mp3"
    ffmpeg_run(
        "-f", "lavfi", "-i", "sine=f=440:d=4:sample_rate=44100",
        "-af", "volume='if(lt(t,2),0.8,0)':eval=frame", "-c:a", "libmp3lame", "-b:a", "64k",
        str(path),
    )  # fmt: skip
    return path


def test_peaks_follow_the_signal(loud_then_silent: Path) -> None:
    levels = waveform.peaks(loud_then_silent, bins=40)
    assert len(levels) == 40
    assert max(levels) == 1.0
    assert min(levels[2:18]) > 0.9  # the tone (its first and last bins meet encoder ramps)
    assert max(levels[22:]) < 0.02  # the silence
    assert all(0.0 <= level <= 1.0 for level in levels)
    assert waveform.peaks(loud_then_silent, bins=40) == levels  # deterministic


def test_peaks_of_silence_are_zero(tmp_path: Path) -> None:
    silent = make_recording(tmp_path / "silence.mp3", seconds=1, lufs=None, signal="silence")
    assert set(waveform.peaks(silent, bins=10)) == {0.0}


def test_peaks_of_a_short_file_are_stretched(tmp_path: Path) -> None:
    short = make_recording(tmp_path / "short.mp3", seconds=0.2, lufs=-16, signal="sine")
    levels = waveform.peaks(short, bins=2000)  # more bins than blocks of samples
    assert len(levels) == 2000
    assert max(levels) == 1.0


def test_peak_meter_keeps_memory_flat() -> None:
    meter = waveform.PeakMeter(max_blocks=16)
    for n in range(1000):
        meter.add(array("h", [n % 7] * 97))
    blocks = meter.finish()
    assert 8 <= len(blocks) <= 17
    assert max(blocks) == 6
    assert waveform.resample(blocks, 4) == [6, 6, 6, 6]
    assert waveform.resample([], 4) == []
    assert waveform.normalize([0, 5, 10]) == (0.0, 0.5, 1.0)


def test_bins_must_be_positive(loud_then_silent: Path) -> None:
    with pytest.raises(ValueError, match="bins"):
        waveform.peaks(loud_then_silent, bins=0)


def test_unreadable_file_is_a_tool_error(tmp_path: Path) -> None:
    text = tmp_path / "text.mp3"
    text.write_text("это не звук\n" * 100, encoding="utf-8")
    with pytest.raises(ToolError, match="ffmpeg failed") as info:
        waveform.peaks(text)
    assert info.value.returncode not in (0, None)


def test_stream_yields_all_output_in_chunks() -> None:
    args = ["-f", "lavfi", "-i", "sine=d=1:sample_rate=8000", "-f", "s16le", "pipe:1"]
    chunks = list(ffmpeg.stream(args, timeout_s=30, chunk_bytes=4096))
    assert sum(len(c) for c in chunks) == 16000
    assert max(len(c) for c in chunks) <= 4096


def test_closing_the_stream_early_stops_ffmpeg() -> None:
    args = ["-f", "lavfi", "-i", "sine=d=3600", "-f", "s16le", "pipe:1"]
    chunks = ffmpeg.stream(args, timeout_s=30)
    assert next(chunks)
    chunks.close()  # an hour of audio not read: the process is killed and reaped


def test_stream_times_out() -> None:
    args = ["-re", "-f", "lavfi", "-i", "sine=d=60", "-f", "s16le", "pipe:1"]  # real time
    with pytest.raises(ToolError, match="did not finish within"):
        for _ in ffmpeg.stream(args, timeout_s=0.5):
            pass
