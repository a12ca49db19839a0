"""ffmpeg_cache.py with ffmpeg.py: a binary checked once is not checked again, until it changes.

The binary on PATH is a script that logs each run and then execs the tests' real ffmpeg.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from media import ffmpeg_exe
from radiodesk.audio import ffmpeg, ffmpeg_cache
from radiodesk.errors import ToolError

CHECKS = ["-version", "-encoders", "-filters"]


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A cache folder of the test's own, and find_ffmpeg forgetting its answer before and after."""
    home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    ffmpeg.find_ffmpeg.cache_clear()
    yield home / "radiodesk" / ffmpeg_cache.FILE_NAME
    ffmpeg.find_ffmpeg.cache_clear()


def logging_ffmpeg(folder: Path, log: Path, *, pad: int = 0) -> Path:
    """Write an `ffmpeg` that appends its flag to `log`, then runs the real one."""
    folder.mkdir(exist_ok=True)
    script = folder / "ffmpeg"
    script.write_text(
        f'#!/bin/sh\necho "$2" >> "{log}"\nexec "{ffmpeg_exe()}" "$@"\n' + "#" * pad + "\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture
def on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The logging ffmpeg, first on PATH; returns it and its log."""
    log = tmp_path / "runs.log"
    script = logging_ffmpeg(tmp_path / "bin", log, pad=200)  # room for a same-size stand-in
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ['PATH']}")
    return script, log


def runs(log: Path) -> list[str]:
    """Return the flags the logging ffmpeg was run with, and forget them."""
    seen = log.read_text().split() if log.exists() else []
    log.unlink(missing_ok=True)
    return seen


def find_afresh() -> ffmpeg.Ffmpeg:
    """Find ffmpeg as a new radiodesk process would (the in-process answer forgotten)."""
    ffmpeg.find_ffmpeg.cache_clear()
    return ffmpeg.find_ffmpeg()


def warm(script: Path, log: Path) -> ffmpeg.Ffmpeg:
    """Check the binary once, then see that a second search runs nothing."""
    first = find_afresh()
    assert first.path == script
    assert runs(log) == CHECKS
    assert find_afresh() == first
    assert runs(log) == []  # the answer came from the cache
    return first


def test_a_checked_ffmpeg_is_not_checked_again(
    cache_home: Path, on_path: tuple[Path, Path]
) -> None:
    found = warm(*on_path)
    data = json.loads(cache_home.read_text())
    assert data["binaries"][str(found.path)]["version"] == found.version


def test_a_touched_ffmpeg_is_checked_again(cache_home: Path, on_path: tuple[Path, Path]) -> None:
    script, log = on_path
    warm(script, log)
    later = script.stat().st_mtime_ns + 2_000_000_000
    os.utime(script, ns=(later, later))
    assert find_afresh().path == script
    assert runs(log) == CHECKS
    assert find_afresh().path == script
    assert runs(log) == []  # the new answer was kept


@pytest.mark.parametrize("how", ["replaced", "rewritten in place"])
def test_a_changed_ffmpeg_of_the_same_size_and_time_is_checked_again(
    cache_home: Path, on_path: tuple[Path, Path], tmp_path: Path, how: str
) -> None:
    script, log = on_path
    warm(script, log)
    before = script.stat()
    # A build without libmp3lame, padded to the same size and given the same modification time:
    # only the change time (and, replaced, the inode) tells it from the binary checked before.
    thin = (
        "#!/bin/sh\n"
        f'echo "thin$2" >> "{log}"\n'
        'case "$2" in\n'
        "  -version) echo 'ffmpeg version 7.1 Copyright' ;;\n"
        "  -encoders) printf ' ------\\n A..... aac AAC\\n' ;;\n"
        "  -filters) printf ' ------\\n .. ebur128 A->N x\\n' ;;\n"
        "esac\n"
    )
    thin += "#" * (before.st_size - len(thin.encode()) - 1) + "\n"
    assert len(thin.encode()) == before.st_size
    if how == "replaced":
        new = tmp_path / "new-ffmpeg"
        new.write_text(thin)
        new.chmod(before.st_mode)
        os.replace(new, script)
    else:
        with script.open("r+") as out:
            out.write(thin)
    os.utime(script, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert script.stat().st_size == before.st_size
    assert script.stat().st_mtime_ns == before.st_mtime_ns

    found = find_afresh()
    assert found.path != script  # refused: the wheel's ffmpeg is the next candidate
    assert "thin-encoders" in runs(log)


def test_a_corrupt_cache_is_ignored_and_rewritten(
    cache_home: Path, on_path: tuple[Path, Path]
) -> None:
    script, log = on_path
    found = warm(script, log)
    cache_home.write_bytes(b'{"format": 1, "binaries": [tru\x00\xff')
    assert find_afresh() == found
    assert runs(log) == CHECKS
    data = json.loads(cache_home.read_text())  # rewritten whole
    assert data["binaries"][str(script)]["version"] == found.version
    assert find_afresh() == found
    assert runs(log) == []


def test_a_cache_entry_of_the_wrong_shape_is_ignored(
    cache_home: Path, on_path: tuple[Path, Path]
) -> None:
    script, log = on_path
    found = warm(script, log)
    data = json.loads(cache_home.read_text())
    data["binaries"][str(script)]["version"] = 7
    cache_home.write_text(json.dumps(data))
    assert find_afresh() == found
    assert runs(log) == CHECKS


def test_an_answer_given_under_other_requirements_is_not_used(
    cache_home: Path, on_path: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    script, log = on_path
    warm(script, log)
    monkeypatch.setattr(ffmpeg, "REQUIRED_FILTERS", ffmpeg.REQUIRED_FILTERS | {"nosuchfilter"})
    with pytest.raises(ToolError, match="lacks nosuchfilter"):
        find_afresh()
    assert runs(log) == CHECKS


def test_an_unwritable_cache_folder_costs_only_the_checks(
    cache_home: Path, on_path: tuple[Path, Path]
) -> None:
    script, log = on_path
    cache_home.parent.parent.mkdir(parents=True)
    cache_home.parent.write_text("a file where the folder would be")
    assert find_afresh().path == script
    assert runs(log) == CHECKS
    assert find_afresh().path == script
    assert runs(log) == CHECKS


COUNT_PROCESSES = """
import subprocess, sys
from radiodesk.audio import ffmpeg
started = []
real = subprocess.Popen
def spy(argv, *args, **kwargs):
    started.append(argv)
    return real(argv, *args, **kwargs)
subprocess.Popen = spy
found = ffmpeg.find_ffmpeg()
print(len(started), found.path)
"""


def test_a_new_process_finds_the_wheels_ffmpeg_without_running_it(
    cache_home: Path, tmp_path: Path
) -> None:
    """With no ffmpeg on PATH, imageio-ffmpeg's own check run is spared too."""
    env = {**os.environ, "PATH": str(tmp_path / "empty")}

    def started() -> tuple[int, str]:
        done = subprocess.run(
            [sys.executable, "-c", COUNT_PROCESSES],
            env=env, capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
        count, path = done.stdout.split(maxsplit=1)
        return int(count), path.strip()

    first_count, first_path = started()
    assert first_count >= len(CHECKS)
    assert started() == (0, first_path)
