"""Helpers for the newsroom tests: a show with jingles, trimming and a broadcast copy configured."""

from __future__ import annotations

import re
from pathlib import Path

from media import ffmpeg_run, make_recording
from radiodesk.show.settings import Settings
from radiodesk.show.settings_file import load_settings


def configure(show: Settings, audio: str = "", broadcast: str = "") -> Settings:
    """Add lines to the show's [audio] table and a [broadcast] table; return the new settings."""
    path = show.root / "radiodesk.toml"
    text = path.read_text(encoding="utf-8").replace("[audio]\n", f"[audio]\n{audio}\n", 1)
    if broadcast:
        text += f"\n[broadcast]\n{broadcast}\n"
    path.write_text(text, encoding="utf-8")
    return load_settings(show.root)


def jingles(root: Path) -> tuple[Path, Path]:
    """Write a 3 s intro (loud, stereo) and a 2 s outro (quiet, mono) under root/джинглы."""
    folder = root / "джинглы"
    folder.mkdir()
    intro = make_recording(folder / "интро.wav", seconds=3, lufs=-12, signal="sine", channels=2)
    outro = make_recording(folder / "outro.wav", seconds=2, lufs=-30, signal="noise")
    return intro, outro


def padded(path: Path, source: Path, lead_s: float, tail_s: float) -> Path:
    """Write source with digital silence before and after it (mono, 48 kHz)."""
    ffmpeg_run(
        "-f", "lavfi", "-i", f"anullsrc=r=48000:cl=mono:d={lead_s}", "-i", str(source),
        "-f", "lavfi", "-i", f"anullsrc=r=48000:cl=mono:d={tail_s}",
        "-filter_complex", "[0][1][2]concat=n=3:v=0:a=1", "-c:a", "pcm_s16le", str(path),
    )  # fmt: skip
    return path


def samples_s(path: Path) -> float:
    """Return the decoded length of a file in seconds, counted in samples (volumedetect)."""
    stderr = ffmpeg_run("-i", str(path), "-af", "aformat=channel_layouts=mono,volumedetect",
                        "-f", "null", "-")  # fmt: skip
    found = re.findall(r"n_samples: (\d+)", stderr)
    rate = re.findall(r"Audio: \w+, (\d+) Hz", stderr)
    return int(found[-1]) / int(rate[0])


def part_lufs(path: Path, start_s: float, length_s: float) -> float:
    """Return the integrated loudness of one stretch of a file (an independent ebur128 pass)."""
    stderr = ffmpeg_run("-ss", f"{start_s}", "-t", f"{length_s}", "-i", str(path),
                        "-af", "ebur128", "-f", "null", "-")  # fmt: skip
    return float(re.findall(r"I:\s+(\S+) LUFS", stderr.rpartition("Summary:")[2])[0])
