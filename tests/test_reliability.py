"""Faults on the producer's machine: a second process, a killed run, a read-only show."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import filelock
import pytest

from media import make_recording
from radiodesk.cli import main
from radiodesk.show import episode_file, folders
from radiodesk.show.settings import Settings

SCRIPT = Path(sys.executable).parent / "radiodesk"


def test_a_second_process_fails_clearly_while_the_show_is_locked(
    show: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = make_recording(tmp_path / "a.wav", seconds=2, lufs=-20)
    with filelock.FileLock(show.root / folders.LOCK_FILE):
        assert main(["-C", str(show.root), "add", str(recording), "--title", "x"]) == 1
        assert main(["-C", str(show.root), "publish"]) == 1
    err = capsys.readouterr().err
    assert err.count("radiodesk: error: another radiodesk is working on this show") == 2
    assert folders.list_slugs(show.root) == []
    assert not show.local_store.exists()


def test_killed_add_leaves_no_episode_and_the_next_run_completes(
    show: Settings, tmp_path: Path
) -> None:
    recording = make_recording(tmp_path / "long.wav", seconds=240, lufs=-20, channels=2)
    argv = [SCRIPT, "-C", show.root, "add", recording, "--title", "Долгое интервью"]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    staging_seen = False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not staging_seen:
        staging_seen = any((show.root / "episodes").glob(".staging-*"))
        time.sleep(0.02)
    assert staging_seen, "add never started writing"
    time.sleep(0.3)  # well inside the processing of a 4-minute recording
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert folders.list_slugs(show.root) == []  # nothing half-made is visible as an episode
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "dolgoe-interviu"
    assert not list((show.root / "episodes").glob(".staging-*"))  # the leftover is cleared


def test_full_or_unwritable_episodes_folder_is_a_clear_error(
    show: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As root, permissions don't stop writes: make `episodes` a file instead of a folder.
    recording = make_recording(tmp_path / "a.wav", seconds=2, lufs=-20)
    episodes = show.root / "episodes"
    episodes.rmdir()
    episodes.write_text("not a folder")
    assert main(["-C", str(show.root), "add", str(recording), "--title", "x"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith("radiodesk: error: ")
    assert episodes.read_text() == "not a folder"


def test_verify_finds_a_changed_master_and_a_changed_published_object(
    show: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = make_recording(tmp_path / "a.wav", seconds=2, lufs=-20)
    assert main(["-C", str(show.root), "add", str(recording), "--title", "Проверка"]) == 0
    assert main(["-C", str(show.root), "publish"]) == 0
    capsys.readouterr()
    assert main(["-C", str(show.root), "verify"]) == 0
    assert "all intact" in capsys.readouterr().out

    master = next((show.root / "episodes" / "proverka" / "master").iterdir())
    master.chmod(0o644)
    master.write_bytes(flip_last_byte(master.read_bytes()))
    published = next((show.local_store / "audio").iterdir())
    published.write_bytes(flip_last_byte(published.read_bytes()))
    assert main(["-C", str(show.root), "verify"]) == 1
    err = capsys.readouterr().err
    assert f"master {master} has changed" in err
    assert f"published object audio/{published.name} has changed" in err


def flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0xFF])


def test_derived_mp3s_are_content_addressed_and_stale_ones_pruned(
    show: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = make_recording(tmp_path / "a.wav", seconds=2, lufs=-20)
    assert main(["-C", str(show.root), "add", str(recording), "--title", "Старое"]) == 0
    derived = show.root / "episodes" / "staroe" / "derived"
    (old,) = derived.glob("*.mp3")
    episode = episode_file.load_episode(show.root / "episodes" / "staroe")
    assert episode.audio is not None
    assert old.name == f"staroe-{episode.audio.sha256[:12]}.mp3"
    toml = show.root / "episodes" / "staroe" / "episode.toml"
    toml.write_text(toml.read_text("utf-8").replace('"Старое"', '"Новое"'), "utf-8")
    assert main(["-C", str(show.root), "publish"]) == 0
    (new,) = derived.glob("*.mp3")  # the re-tagged copy replaced the old one only after the switch
    assert new != old
    assert episode_file.load_episode(show.root / "episodes" / "staroe").audio.file == (  # type: ignore[union-attr]
        f"derived/{new.name}"
    )
