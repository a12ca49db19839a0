"""`edit` end to end: all or nothing, the producer's names, the on-air copy, crashes repaired.

A newsroom show (intro jingle, trimming, the on-air copy) with one published episode; every
edit runs through the CLI on real audio, and the whole show folder is hashed before and after.
"""

from __future__ import annotations

import os
import shutil
import signal
import tomllib
from pathlib import Path

import pytest

from clirun import Run, run
from conftest import make_cover
from killswitch import killed_at
from media import make_recording
from newsroom_show import configure, jingles, padded, samples_s
from radiodesk.audio import mp3
from radiodesk.ingest import derived, on_air
from radiodesk.show import episode_file, folders, staging
from radiodesk.show.scaffold import create_show
from radiodesk.show.settings import Settings
from radiodesk.show.settings_file import load_settings
from showfiles import snapshot, snapshot_with_times
from test_add import read_back, spy_reads
from test_broadcast import chunks, text

NEWSROOM = 'intro = "джинглы/интро.wav"\ncrossfade_ms = 0\ntrim_silence = true'
TITLE = "Губернатор — о заводах"
CHAPTERS = "00:00 Начало\n00:05 Вопросы\n"
VTT = "WEBVTT\n\n00:00.500 --> 00:02.000\nДобрый день\n\n00:05.000 --> 00:07.000\nВопрос\n"


def one_error(result: Run) -> str:
    """Return the one error line of a failed run (a hint line may follow)."""
    assert result.status == 1, result
    assert "Traceback" not in result.err
    lines = [line for line in result.err.splitlines() if line.startswith("radiodesk: error: ")]
    assert len(lines) == 1, result.err
    return lines[0].removeprefix("radiodesk: error: ")


@pytest.fixture(scope="module")
def takes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The producer's files: a 16 s interview, an 8 s corrected take, side files good and bad."""
    folder = tmp_path_factory.mktemp("takes")
    make_recording(folder / "Интервью.wav", seconds=16, lufs=-22)
    make_recording(folder / "fix.wav", seconds=8, lufs=-22)
    make_recording(folder / "short.wav", seconds=4, lufs=-22)
    (folder / "другая").mkdir()
    make_recording(folder / "другая" / "fix.wav", seconds=9, lufs=-21)
    speech = make_recording(folder / "speech.wav", seconds=6, lufs=-22, signal="noise")
    padded(folder / "С тишиной.wav", speech, 3.0, 0.0)  # speech from 3 s on
    (folder / "главы.txt").write_text(CHAPTERS, encoding="utf-8")
    (folder / "главы-длинные.txt").write_text("00:00 Начало\n00:09 Хвост\n", encoding="utf-8")
    (folder / "расшифровка.vtt").write_text(VTT, encoding="utf-8")
    (folder / "поздняя.vtt").write_text(
        VTT + "\n00:20.000 --> 00:22.000\nПосле конца\n", encoding="utf-8"
    )
    (folder / "кривая.vtt").write_text("WEBVTT\n\n00:01.000 -> 00:02.000\nтекст\n", "utf-8")
    make_cover(folder / "мелкая.jpg", size=600)
    return folder


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, takes: Path) -> Path:
    """A newsroom show with one episode (chapters, transcript, soundbite), published."""
    folder = tmp_path_factory.mktemp("newsroom")
    cover = make_cover(folder / "cover.jpg")
    create_show(folder / "шоу", title="Радио", base_url="https://radio.example.org/podcast",
                description="", language="ru", author="Редакция", email="radio@example.org",
                category="News", explicit=False, image=cover)  # fmt: skip
    show = load_settings(folder / "шоу")
    jingles(show.root)
    configure(show, NEWSROOM, broadcast='enabled = true\noriginator = "Радио"')
    added = run(
        "-C", show.root, "add", takes / "Интервью.wav", "--title", TITLE,
        "--chapters", takes / "главы.txt", "--transcript", takes / "расшифровка.vtt",
        "--soundbite", "0:09-0:15 Главное", "--date", "2026-01-05T09:00:00+03:00",
    )  # fmt: skip
    assert added.status == 0, added.err
    assert run("-C", show.root, "publish").status == 0
    return show.root


@pytest.fixture
def newsroom(published: Path, tmp_path: Path) -> Settings:
    shutil.copytree(published, tmp_path / "шоу", symlinks=True)
    return load_settings(tmp_path / "шоу")


SLUG = "gubernator-o-zavodakh"


def edit(show: Settings, *argv: str | Path) -> Run:
    return run("-C", show.root, "edit", SLUG, *argv)


# ---------------------------------------------------------------- all or nothing


def test_a_failed_edit_changes_nothing_at_all(newsroom: Settings, takes: Path) -> None:
    show = newsroom
    before = snapshot(show.root)
    failures = [
        # point 1: the new take is shorter than a soundbite reaches
        (["--replace-audio", takes / "fix.wav", "--chapters", takes / "главы.txt"],
         "soundbite 0:09-0:15 runs past the end of the recording (0:08)"),
        (["--replace-audio", takes / "fix.wav", "--clear-soundbites",
          "--chapters", takes / "главы-длинные.txt"],
         "chapters главы-длинные.txt: 'Хвост' starts at 00:09.000, at or after the end of the "
         "recording (00:08.000)"),
        # the chapters it has, checked against the new take, named as the show folder has them
        (["--replace-audio", takes / "short.wav", "--clear-soundbites"],
         f"chapters episodes/{SLUG}/chapters.json: 'Вопросы' starts at 00:05.000, at or after "
         "the end of the recording (00:04.000)"),
        (["--transcript", takes / "поздняя.vtt"],
         "transcript поздняя.vtt line 9: the cue 00:20.000 --> 00:22.000 starts at or after "
         "the end of the recording (00:16.000)"),
        (["--transcript", takes / "кривая.vtt"],
         "transcript кривая.vtt line 3: '-->' missing between the start and end times"),
        (["--image", takes / "мелкая.jpg"], "artwork мелкая.jpg is 600×600 px"),
        # found only after the encode, in the staged folder: the soundbite is trimmed silence
        (["--replace-audio", takes / "С тишиной.wav", "--soundbite", "0:00-0:02"],
         "soundbite 0:00-0:02 lies in the silence trimmed from the recording"),
    ]  # fmt: skip
    for argv, message in failures:
        assert one_error(edit(show, *argv)).startswith(message), argv
        assert snapshot(show.root) == before, argv

    (show.root / "джинглы" / "интро.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 20)
    before = snapshot(show.root)
    error = one_error(edit(show, "--replace-audio", takes / "fix.wav", "--clear-soundbites"))
    assert error.startswith("cannot decode the intro jingle джинглы/интро.wav")
    assert snapshot(show.root) == before

    # a master changed behind radiodesk's back, found when a new recipe encodes it again
    master = show.root / "episodes" / SLUG / "master" / "Интервью.wav"
    master.chmod(0o644)
    master.write_bytes(master.read_bytes()[:-4800])
    configure(show, "kept_pause_ms = 400")
    before = snapshot(show.root)
    assert one_error(edit(show, "--title", "Новый")) == (
        f"the master episodes/{SLUG}/master/Интервью.wav has changed since it was added "
        "(SHA-256 mismatch)"
    )
    assert snapshot(show.root) == before


@pytest.mark.parametrize(
    "where",
    [(derived, "write_tags"), (on_air, "export_episode")],
    ids=["tagging the new MP3", "making the on-air copy"],
)
def test_ctrl_c_in_the_middle_of_an_edit_changes_nothing(
    newsroom: Settings, takes: Path, monkeypatch: pytest.MonkeyPatch, where: tuple[object, str]
) -> None:
    before = snapshot(newsroom.root)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(*where, interrupted)
    result = edit(newsroom, "--title", "Другой заголовок", "--replace-audio", takes / "fix.wav",
                  "--soundbite", "0:02-0:07")  # fmt: skip
    assert result.status == 130
    assert result.err.endswith("\nradiodesk: interrupted\n")
    assert snapshot(newsroom.root) == before
    assert os.listdir(newsroom.root / "episodes") == [SLUG]  # no staging folder left


def test_replaced_master_keeps_the_producers_name_and_the_on_air_copy_follows(
    newsroom: Settings, takes: Path
) -> None:
    show, folder = newsroom, newsroom.root / "episodes" / SLUG
    wav = show.root / "export" / "broadcast" / f"{SLUG}.wav"
    guid = episode_file.load_episode(folder).guid

    # point 14: refused, then accepted; the master is stored once, under the producer's name
    assert one_error(edit(show, "--replace-audio", takes / "fix.wav")).startswith("soundbite")
    assert not (folder / "master" / "fix.wav").exists()
    done = edit(show, "--replace-audio", takes / "fix.wav", "--soundbite", "0:02-0:07 Главное")
    assert done.status == 0, done.err
    assert done.out.splitlines()[-2:] == [
        f"{SLUG}: on-air copy made again: {wav}",
        f"{SLUG}: corrected (master, soundbites, corrections); run `radiodesk publish` to "
        "update listeners",
    ]
    episode = episode_file.load_episode(folder)
    assert (episode.master.file, episode.master.original_name) == ("master/fix.wav", "fix.wav")
    assert [m.file for m in episode.previous_masters] == ["master/Интервью.wav"]
    assert (folder / "master" / "fix.wav").read_bytes() == (takes / "fix.wav").read_bytes()
    assert (folder / "master" / "fix.wav").stat().st_mode & 0o777 == 0o444
    mp3s = {p.name for p in (folder / "derived").glob("*.mp3")}
    assert len(mp3s) == 2  # the episode and its one clip: the old take's MP3 went with it
    # the on-air copy holds the new take (no jingle on air) under the same guid
    assert samples_s(wav) == pytest.approx(8.0, abs=0.1)
    reference = chunks(wav)[b"bext"][288:320]
    assert text(reference) == guid.replace("-", "")

    # a second take under the same file name: stored beside the kept one, recorded as given
    assert edit(show, "--replace-audio", takes / "другая" / "fix.wav").status == 0
    episode = episode_file.load_episode(folder)
    assert (episode.master.file, episode.master.original_name) == ("master/2-fix.wav", "fix.wav")
    assert samples_s(wav) == pytest.approx(9.0, abs=0.1)

    # a new title reaches the on-air copy's bext description; the masters are not copied again
    inodes = {p.name: p.stat().st_ino for p in (folder / "master").iterdir()}
    assert edit(show, "--title", "Губернатор — о заводах и дорогах").status == 0
    assert {p.name: p.stat().st_ino for p in (folder / "master").iterdir()} == inodes
    assert text(chunks(wav)[b"bext"][:256]) == "Губернатор — о заводах и дорогах"
    on_air = wav.stat().st_mtime_ns, wav.read_bytes()
    assert edit(show, "--description", "Новое описание").status == 0  # not on air: kept
    assert (wav.stat().st_mtime_ns, wav.read_bytes()) == on_air


def test_an_on_air_copy_made_by_export_follows_an_edit(
    show: Settings, takes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("-C", show.root, "add", takes / "fix.wav", "--title", "Старый").status == 0
    wav = show.root / "export" / "broadcast" / "staryi.wav"
    assert run("-C", show.root, "edit", "staryi", "--title", "Без копии").status == 0
    assert not wav.exists()  # not enabled, none made: an edit makes none either
    assert run("-C", show.root, "export", "staryi").status == 0
    assert run("-C", show.root, "edit", "staryi", "--title", "Новый").status == 0
    assert text(chunks(wav)[b"bext"][:256]) == "Новый"


def test_an_edit_hands_on_what_it_computed(
    newsroom: Settings, takes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new take's record, chapters and tags reach the tags, clips and on-air copy in memory."""
    reads = spy_reads(monkeypatch)
    done = edit(newsroom, "--replace-audio", takes / "fix.wav", "--chapters", takes / "главы.txt",
                "--soundbite", "0:02-0:07 Главное")  # fmt: skip
    assert done.status == 0, done.err
    # chapters.json is read before and after storing the new one, to tell whether it changed;
    # the tags and the on-air copy take the chapters, record and tags as they were made
    assert read_back(reads) == [folders.CHAPTERS_FILE, folders.CHAPTERS_FILE]


# ---------------------------------------------------------------- no changes, removed


def test_an_edit_without_changes_writes_nothing(newsroom: Settings, takes: Path) -> None:
    before = snapshot_with_times(newsroom.root)
    result = edit(newsroom)
    assert result.status == 1
    assert result.err == (
        f"radiodesk: error: nothing to change in '{SLUG}'\nradiodesk: hint: give what to "
        "correct: --title, --description, --date, --person, --soundbite, --chapters, "
        "--transcript, --image, --replace-audio, --note or --draft/--no-draft\n"
    )
    same = edit(newsroom, "--title", TITLE, "--replace-audio", takes / "Интервью.wav",
                "--chapters", takes / "главы.txt", "--soundbite", "9-15:Главное")  # fmt: skip
    assert (same.status, same.out) == (
        0,
        f"{SLUG}: nothing to change: it already has what was given; nothing written\n",
    )
    assert "corrected" not in same.out
    assert snapshot_with_times(newsroom.root) == before


def test_a_removed_episode_is_not_edited(newsroom: Settings) -> None:
    assert run("-C", newsroom.root, "remove", SLUG, "--yes").status == 0
    before = snapshot(newsroom.root)
    result = edit(newsroom, "--title", "Исправлено")
    assert one_error(result) == (
        f"episode '{SLUG}' was removed from the feed; a removed episode is not edited"
    )
    assert "hint: to publish it again, add its recording as a new episode" in result.err
    assert snapshot(newsroom.root) == before


# ---------------------------------------------------------------- crashes, repaired


def killed(spec: dict[str, object], *argv: str | Path) -> None:
    module = "os" if spec["name"] == "rename" else "radiodesk.show.staging"
    done = killed_at({"module": module, **spec}, *argv)
    assert done.returncode == -signal.SIGKILL, done.stderr


@pytest.mark.parametrize(
    "spec",
    [
        {"name": "rename", "match": staging.OLD, "when": "after", "no_exchange": True},
        {"name": "_swap", "match": "", "when": "after", "no_exchange": False},
        {"name": "_swap", "match": "", "when": "after", "no_exchange": True},
    ],
    ids=["between the two renames", "after the exchange", "after the renames"],
)
def test_an_edit_killed_in_its_switch_is_finished_by_the_next_run(
    newsroom: Settings, spec: dict[str, object]
) -> None:
    killed(spec, "-C", newsroom.root, "edit", SLUG, "--title", "После сбоя")
    leftovers = [p.name for p in (newsroom.root / "episodes").iterdir() if p.name != SLUG]
    assert leftovers  # the kill left the switch unfinished
    assert run("-C", newsroom.root, "publish").status == 0  # any locked run repairs first
    assert os.listdir(newsroom.root / "episodes") == [SLUG]
    folder = newsroom.root / "episodes" / SLUG
    assert episode_file.load_episode(folder).title == "После сбоя"
    wav = newsroom.root / "export" / "broadcast" / f"{SLUG}.wav"
    assert text(chunks(wav)[b"bext"][:256]) == "После сбоя"  # the pending copy moved out
    assert not (folder / staging.PENDING_DIR).exists()
    toml = tomllib.loads((folder / "episode.toml").read_text(encoding="utf-8"))
    assert toml["master"]["file"] == "master/Интервью.wav"


def test_an_edit_killed_before_its_switch_leaves_the_episode_as_it_was(
    newsroom: Settings,
) -> None:
    folders = [newsroom.root / "episodes", newsroom.root / "export"]
    before = [snapshot(folder) for folder in folders]
    spec = {"name": "_swap", "match": "", "when": "before", "no_exchange": False}
    killed(spec, "-C", newsroom.root, "edit", SLUG, "--title", "Не дошло")
    assert run("-C", newsroom.root, "publish").status == 0
    assert os.listdir(newsroom.root / "episodes") == [SLUG]
    assert [snapshot(folder) for folder in folders] == before


# ---------------------------------------------------------------- the same recording twice


def test_the_same_recording_twice_warns_and_is_added(
    show: Settings, takes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = run("-C", show.root, "add", takes / "fix.wav", "--title", "Первый")
    assert first.status == 0, first.err
    hashed: list[Path] = []
    original = mp3.file_sha256

    def counted(path: Path) -> str:
        hashed.append(Path(path))
        return original(path)

    monkeypatch.setattr(mp3, "file_sha256", counted)
    copy = shutil.copy(takes / "fix.wav", show.root.parent / "повтор.wav")
    second = run("-C", show.root, "add", copy, "--title", "Второй")
    assert second.status == 0, second.err
    assert (
        "radiodesk: warning: повтор.wav is the same recording as episode pervyi (same SHA-256)"
        in (second.err.splitlines())
    )
    assert sorted(folders.list_slugs(show.root)) == ["pervyi", "vtoroi"]
    assert not [p for p in hashed if p.suffix == ".wav"]  # hashed while copied: one pass
    replaced = run("-C", show.root, "edit", "pervyi", "--replace-audio", takes / "Интервью.wav")
    assert replaced.status == 0
    assert "same recording" not in replaced.err
    back = run("-C", show.root, "edit", "vtoroi", "--replace-audio", takes / "Интервью.wav")
    assert "radiodesk: warning: Интервью.wav is the same recording as episode pervyi" in back.err
