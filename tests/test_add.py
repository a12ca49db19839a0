"""add: what one run computed is handed on, not read back from the files it has just written."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from media import make_recording
from newsroom_show import configure, jingles
from radiodesk.audio import tags
from radiodesk.audio.tag_values import Tags
from radiodesk.ingest.add import AddRequest, add_episode
from radiodesk.show import folders, provenance, soundbites
from radiodesk.show.episode import Soundbite
from radiodesk.show.settings import Settings

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
NEWSROOM = 'intro = "джинглы/интро.wav"\ncrossfade_ms = 500\ntrim_silence = true'


def spy_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the name of every file opened for reading through pathlib; refuse reading tags."""
    names: list[str] = []
    real_open = io.open

    def spy(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | os.PathLike) and "r" in mode and "+" not in mode:
            names.append(Path(file).name)
        return real_open(file, mode, *args, **kwargs)

    def no_read_tags(path: Path) -> Tags:
        raise AssertionError(f"the tag of {path.name} was read back")

    monkeypatch.setattr(io, "open", spy)  # what Path.read_text and Path.read_bytes call
    monkeypatch.setattr(tags, "read_tags", no_read_tags)
    return names


def read_back(names: list[str]) -> list[str]:
    """Return the reads of files an add or edit writes: the provenance record, chapters.json."""
    return [n for n in names if n.endswith(provenance.SUFFIX) or n == folders.CHAPTERS_FILE]


def test_add_hands_on_chapters_provenance_and_tags(
    show: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jingles(show.root)
    settings = configure(show, NEWSROOM, broadcast="enabled = true")
    master = make_recording(tmp_path / "Интервью.wav", seconds=8, lufs=-22)
    chapters = tmp_path / "главы.txt"
    chapters.write_text("00:00 Начало\n00:04 Вопросы\n", encoding="utf-8")
    request = AddRequest(
        recording=master,
        title="Интервью",
        chapters=chapters,
        soundbites=(Soundbite(start_s=1.0, duration_s=5.0, title="Главное"),),
    )
    reads = spy_reads(monkeypatch)
    episode = add_episode(settings, request, now=NOW)
    assert read_back(reads) == []
    monkeypatch.undo()

    # Made with what was handed on: the same chapters, record, tags and on-air copy.
    assert episode.audio is not None
    assert episode.audio.provenance is not None
    folder = folders.episode_dir(show.root, episode.slug)
    mp3 = folder / episode.audio.file
    mp3_tags = tags.read_tags(mp3)
    assert [c.title for c in mp3_tags.chapters] == ["Начало", "Вопросы"]
    record = provenance.read(folder / episode.audio.provenance)
    assert mp3_tags.extra[provenance.TAG_DESCRIPTION] == provenance.compact(record)
    (clip,) = soundbites.load_clips(mp3, episode.slug).values()
    clip_tags = tags.read_tags(mp3.parent / clip.file)
    assert (clip_tags.title, clip_tags.album, clip_tags.cover) == (
        "Главное",
        mp3_tags.album,
        mp3_tags.cover,
    )
    assert clip_tags.extra == mp3_tags.extra
    assert (show.root / "export" / "broadcast" / f"{episode.slug}.wav").is_file()
