"""The on-air copy: an EBU R128 Broadcast WAV, measured and its bext chunk read back."""

from __future__ import annotations

import re
import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest

from media import ffmpeg_run, make_recording, measure
from newsroom_show import configure
from radiodesk.cli import main
from radiodesk.ingest.add import AddRequest, add_episode
from radiodesk.show.settings import Settings

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
BROADCAST = 'enabled = true\noriginator = "Радио «Тест»"'


def chunks(path: Path) -> dict[bytes, bytes]:
    """Return the RIFF chunks of a WAV file by id."""
    data = path.read_bytes()
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WAVE"
    found, at = {}, 12
    while at + 8 <= len(data):
        name, size = data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])[0]
        found[name] = data[at + 8 : at + 8 + size]
        at += 8 + size + (size & 1)
    return found


def text(field: bytes) -> str:
    return field.rstrip(b"\0").decode("utf-8")


def ebur128_levels(path: Path) -> tuple[float, float, float, float, float]:
    """Meter a file apart: (integrated, LRA, true peak, max momentary, max short-term)."""
    stderr = ffmpeg_run(
        "-i", f"file:{path}", "-map", "0:a:0", "-af", "ebur128=peak=true:framelog=info",
        "-f", "null", "-",
    )  # fmt: skip
    body, _, summary = stderr.rpartition("Summary:")
    blocks = [(float(m), float(s)) for m, s in re.findall(r"M:\s*(\S+) S:\s*(\S+)", body)]
    found = [
        re.search(pattern, summary)
        for pattern in (r"I:\s+(\S+) LUFS", r"LRA:\s+(\S+) LU", r"Peak:\s+(\S+) dBFS")
    ]
    integrated, lra, peak = (float(match.group(1)) for match in found if match)
    return integrated, lra, peak, max(m for m, _ in blocks), max(s for _, s in blocks)


def assert_bext_version_2(wav: Path) -> None:
    """Read the bext chunk's version 2 fields (EBU Tech 3285 v2) and check them against a meter."""
    bext = chunks(wav)[b"bext"]
    version, umid, *loudness = struct.unpack("<H64s5h", bext[346:422])
    assert version == 2
    assert umid == bytes(64)  # no UMID
    assert bext[422:602] == bytes(180)  # reserved, zero in version 2
    expected = ebur128_levels(wav)
    assert [value / 100 for value in loudness] == pytest.approx(expected, abs=0.051)


def test_add_writes_the_on_air_copy(show: Settings, tmp_path: Path) -> None:
    settings = configure(show, broadcast=BROADCAST)
    master = make_recording(tmp_path / "Речь.wav", seconds=6, lufs=-35, channels=2,
                            sample_rate=44100)  # fmt: skip
    episode = add_episode(settings, AddRequest(recording=master, title="Речь мэра"), now=NOW)
    wav = show.root / "export" / "broadcast" / f"{episode.slug}.wav"
    integrated, peak = measure(wav)
    assert integrated == pytest.approx(-23.0, abs=0.5)
    assert peak <= -1.0
    found = chunks(wav)
    fmt, bext = found[b"fmt "], found[b"bext"]
    _, channels, rate, _, _, bits = struct.unpack("<HHIIHH", fmt[:16])
    assert (channels, rate, bits) == (2, 48000, 24)
    description, originator, reference = struct.unpack("<256s32s32s", bext[:320])
    assert text(description) == "Речь мэра"
    assert text(originator) == "Радио «Тест»"
    assert text(reference) == episode.guid.replace("-", "")
    assert bext[320:338] == b"2025-03-0112:00:00"  # origination date and time
    assert text(bext[602:]).startswith("A=PCM,F=48000,W=24,M=stereo,T=radiodesk")
    assert_bext_version_2(wav)
    # never published: the store holds no WAV
    assert main(["-C", str(show.root), "publish"]) == 0
    assert not list(settings.local_store.rglob("*.wav"))


def test_export_command_uses_the_recorded_analysis(
    show: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    master = make_recording(tmp_path / "m.wav", seconds=4, lufs=-14)
    assert main(["-C", str(show.root), "add", str(master), "--title", "Громко"]) == 0
    assert not (show.root / "export").exists()  # not enabled: nothing at add
    capsys.readouterr()
    assert main(["-C", str(show.root), "export", "gromko"]) == 0
    wav = show.root / "export" / "broadcast" / "gromko.wav"
    (line,) = capsys.readouterr().out.splitlines()
    assert re.fullmatch(
        rf"{re.escape(str(wav))}: -2[23]\.\d LUFS, -\d+\.\d dBTP, 48000 Hz, 24-bit", line
    )
    assert measure(wav)[0] == pytest.approx(-23.0, abs=0.5)
    assert_bext_version_2(wav)
    assert main(["-C", str(show.root), "export"]) == 1
    assert capsys.readouterr().err == (
        "radiodesk: error: name the episodes to export, or pass --all\n"
    )
