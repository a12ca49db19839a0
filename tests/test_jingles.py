"""Jingles and trimming with real audio: crossfade lengths, loudness and chapter times measured."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from media import make_recording, measure
from newsroom_show import configure, jingles, padded, part_lufs, samples_s
from radiodesk.audio.ffmpeg_output import parse_silencedetect
from radiodesk.audio.splice import trims_from_silences
from radiodesk.audio.tags import read_tags
from radiodesk.cli import main
from radiodesk.errors import ConfigError
from radiodesk.ingest.add import AddRequest, add_episode
from radiodesk.show import chapters, folders
from radiodesk.show.settings import Settings
from radiodesk.show.settings_file import settings_from_dict
from radiodesk.show.timeline import Timeline

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
JINGLES = 'intro = "джинглы/интро.wav"\noutro = "джинглы/outro.wav"\ncrossfade_ms = 500'


def test_jingles_join_with_crossfades_at_the_target(show: Settings, tmp_path: Path) -> None:
    jingles(show.root)
    settings = configure(show, JINGLES)
    master = make_recording(tmp_path / "Интервью.wav", seconds=12, lufs=-24)
    marks = tmp_path / "главы.txt"
    marks.write_text("00:00 Начало\n00:10 Вопросы\n", encoding="utf-8")
    episode = add_episode(
        settings, AddRequest(recording=master, title="Выпуск", chapters=marks), now=NOW
    )
    assert episode.audio is not None
    mp3 = folders.episode_dir(show.root, episode.slug) / episode.audio.file
    # intro 3 s + episode 12 s + outro 2 s, each join overlapping by 0.5 s
    assert samples_s(mp3) == pytest.approx(3 + 12 + 2 - 2 * 0.5, abs=0.05)
    assert episode.audio.duration_s == pytest.approx(16.0, abs=0.05)
    integrated, peak = measure(mp3)
    target = settings.audio.mono_target_lufs  # a mono recording: the jingles follow it
    assert integrated == pytest.approx(target, abs=0.5)
    assert peak <= settings.audio.true_peak_dbtp
    assert part_lufs(mp3, 0.0, 2.5) == pytest.approx(target, abs=1.0)  # the intro alone
    assert part_lufs(mp3, 14.5, 1.5) == pytest.approx(target, abs=1.0)  # the outro alone
    tagged = read_tags(mp3).chapters
    assert [c.start_s for c in tagged] == pytest.approx([2.5, 10 + 3 - 0.5], abs=0.002)
    assert [c.title for c in tagged] == ["Начало", "Вопросы"]


def test_trimming_cuts_leading_and_trailing_silence(show: Settings, tmp_path: Path) -> None:
    settings = configure(show, "trim_silence = true\nkept_pause_ms = 500")
    speech = make_recording(tmp_path / "noise.wav", seconds=6, lufs=-20, signal="noise")
    master = padded(tmp_path / "С тишиной.wav", speech, 2.0, 2.0)
    marks = tmp_path / "главы.txt"
    marks.write_text("00:00 Вступление\n00:05 Главное\n", encoding="utf-8")
    episode = add_episode(
        settings, AddRequest(recording=master, title="Тишина", chapters=marks), now=NOW
    )
    assert episode.audio is not None
    folder = folders.episode_dir(show.root, episode.slug)
    mp3 = folder / episode.audio.file
    assert samples_s(mp3) == pytest.approx(10 - 2 * 1.5, abs=0.05)  # 0.5 s kept each side
    assert episode.audio.offset_s == pytest.approx(-1.5, abs=0.02)
    assert [c.start_s for c in read_tags(mp3).chapters] == pytest.approx([0.0, 3.5], abs=0.02)
    assert measure(mp3)[0] == pytest.approx(settings.audio.mono_target_lufs, abs=0.5)


def test_jingle_shorter_than_the_crossfade_is_one_line(
    show: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (show.root / "j").mkdir()
    make_recording(show.root / "j" / "short.wav", seconds=1.2, lufs=-20)
    configure(show, 'intro = "j/short.wav"\ncrossfade_ms = 2000')
    master = make_recording(tmp_path / "m.wav", seconds=3, lufs=-20)
    assert main(["-C", str(show.root), "add", str(master), "--title", "x"]) == 1
    message = capsys.readouterr().err.splitlines()[0]
    assert message == (
        "radiodesk: error: the intro jingle j/short.wav lasts 1.20 s; it must be longer than "
        "the crossfade (2.00 s) and at most 120 s"
    )
    (show.root / "j" / "short.wav").unlink()
    assert main(["-C", str(show.root), "add", str(master), "--title", "x"]) == 1
    assert "the intro jingle j/short.wav does not exist" in capsys.readouterr().err
    assert not any(folders.episodes_dir(show.root).iterdir())  # no episode, no leftovers


@pytest.mark.parametrize(
    ("table", "key", "value", "message"),
    [
        ("audio", "crossfade_ms", 9000, "[audio] crossfade_ms must be 0 to 5000"),
        ("audio", "intro", "../x.wav", "[audio] intro must be a file inside the show folder"),
        ("audio", "kept_pause_ms", 10, "[audio] kept_pause_ms must be 100 to 10000"),
        ("audio", "trim_silence", "yes", "[audio] trim_silence must be true or false"),
        ("broadcast", "bits", 20, "[broadcast] bits must be 16, 24 or 32"),
        ("broadcast", "target_lufs", -60, "[broadcast] target_lufs must lie between"),
    ],
)
def test_settings_are_checked(table: str, key: str, value: object, message: str) -> None:
    data = {"show": {"title": "t", "base_url": "https://x.example"}, table: {key: value}}
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        settings_from_dict(Path("."), data, source=Path("radiodesk.toml"))


def test_silences_become_trims() -> None:
    log = (
        "[silencedetect @ 0x1] silence_start: 0\n[silencedetect @ 0x1] silence_end: 2.0004 | x\n"
        "[silencedetect @ 0x1] silence_start: 5\n[silencedetect @ 0x1] silence_end: 6.5 | x\n"
    )
    spans = parse_silencedetect(log)
    assert spans == [(0.0, 2.0004), (5.0, 6.5)]
    assert trims_from_silences(spans, spans, 6.5, 0.5) == (1.5, 1.0)
    assert trims_from_silences(spans[1:], [(5.0, 6.0)], 6.5, 0.5) == (0.0, 0.0)
    assert trims_from_silences([(0.0, None)], [(0.0, None)], 6.5, 0.5) == (0.0, 0.0)


def test_chapters_trimmed_away_are_dropped() -> None:
    marks = tuple(chapters.Chapter(start_s=s, title=t) for s, t in [(0, "a"), (1, "b"), (4, "c"),
                                                                     (9, "d")])  # fmt: skip
    trimmed = Timeline(offset_s=-2.0, kept_from_s=2.0, kept_to_s=8.0)  # 2 s cut from each end
    moved = chapters.place(marks, trimmed)
    # a lies wholly in the leading trim, b begins in it, d lies wholly in the trailing trim
    assert [(c.title, c.start_s) for c in moved] == [("b", 0.0), ("c", 2.0)]
