"""A show's time zone: dates typed without one are taken in it, and the producer is told so."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import feedparser
import pytest

from clirun import run
from conftest import make_cover
from media import make_recording
from showfiles import snapshot

URL = "https://radio.example.org/podcast"
NO_ZONE = (
    "radiodesk: error: --date '2025-12-08T09:00' has no time zone and the show has none set\n"
    'radiodesk: hint: add time_zone = "Europe/Moscow" under [show] in radiodesk.toml, '
    "or give the offset: 2025-12-08T09:00+03:00\n"
)


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_recording(tmp_path_factory.mktemp("rec") / "выступление.wav", seconds=2, lufs=-23)


def new_show(parent: Path, *options: str) -> Path:
    """`radiodesk init` a publishable show with Cyrillic settings."""
    root = parent / "Новости Минска"
    cover = make_cover(parent / "обложка.jpg")
    argv = ["init", root, "--title", "Новости: Минск", "--base-url", URL]
    done = run(*argv, "--email", "radio@example.org", "--image", cover, *options)
    assert done.status == 0, done.err
    return root


def episode_date(root: Path) -> datetime:
    (path,) = (root / "episodes").glob("*/episode.toml")
    value = tomllib.loads(path.read_text(encoding="utf-8"))["date"]
    assert isinstance(value, datetime)
    return value


@pytest.mark.parametrize("typed", ["2025-12-08T09:00", "2025-12-08 09:00", "2025-12-08 09:00:00"])
def test_a_date_without_zone_is_taken_in_the_show_zone_and_said(
    tmp_path: Path, recording: Path, typed: str
) -> None:
    root = new_show(tmp_path, "--time-zone", "Europe/Minsk")
    done = run("-C", root, "add", recording, "--title", "Выступление", "--date", typed)
    assert done.status == 0, done.err
    assert done.err.splitlines()[0] == (
        "radiodesk: note: 2025-12-08 09:00 taken as Europe/Minsk (+03:00)"
    )
    assert episode_date(root) == datetime(2025, 12, 8, 9, 0, tzinfo=timezone(timedelta(hours=3)))
    assert run("-C", root, "publish", "-q").status == 0
    feed = feedparser.parse((root / "public" / "feed.xml").read_bytes())
    assert feed.entries[0].published.endswith("09:00:00 +0300")


def test_an_edit_date_without_zone_is_taken_in_the_show_zone(
    tmp_path: Path, recording: Path
) -> None:
    root = new_show(tmp_path, "--time-zone", "Europe/Kaliningrad")
    assert (
        run("-C", root, "add", recording, "--title", "Т", "--date", "2025-01-01T10:00Z").status == 0
    )
    (slug,) = (p.name for p in (root / "episodes").iterdir())
    done = run("-C", root, "edit", slug, "--date", "2025-07-01 18:30")
    assert done.status == 0, done.err
    assert "radiodesk: note: 2025-07-01 18:30 taken as Europe/Kaliningrad (+02:00)" in done.err
    assert episode_date(root) == datetime(2025, 7, 1, 18, 30, tzinfo=timezone(timedelta(hours=2)))


@pytest.mark.parametrize("zone", [(), ("--time-zone", "Europe/Minsk")])
def test_a_date_with_its_own_zone_keeps_it_and_says_nothing(
    tmp_path: Path, recording: Path, zone: tuple[str, ...]
) -> None:
    root = new_show(tmp_path, *zone)
    typed = "2025-12-08T09:00:00+01:00"
    done = run("-C", root, "add", recording, "--title", "Т", "--date", typed)
    assert done.status == 0, done.err
    assert "note" not in done.err
    assert episode_date(root) == datetime.fromisoformat(typed)


def test_quiet_leaves_the_note_out(tmp_path: Path, recording: Path) -> None:
    root = new_show(tmp_path, "--time-zone", "Europe/Minsk")
    done = run("-q", "-C", root, "add", recording, "--title", "Т", "--date", "2025-12-08 09:00")
    assert done.status == 0, done.err
    assert "note" not in done.err


def test_a_date_without_zone_in_a_show_without_one_is_refused(
    tmp_path: Path, recording: Path
) -> None:
    root = new_show(tmp_path)
    toml = root / "radiodesk.toml"
    lines = toml.read_text(encoding="utf-8").splitlines(keepends=True)
    toml.write_text("".join(x for x in lines if not x.startswith("time_zone")), encoding="utf-8")
    before = snapshot(root)
    done = run("-C", root, "add", recording, "--title", "Т", "--date", "2025-12-08T09:00")
    assert (done.status, done.err) == (1, NO_ZONE)
    assert snapshot(root) == before


@pytest.mark.parametrize("typed", ["завтра", "2025-13-45 09:00", "08.12.2025", "9:00"])
def test_a_nonsense_date_is_one_line(tmp_path: Path, recording: Path, typed: str) -> None:
    root = new_show(tmp_path)
    before = snapshot(root)
    done = run("-C", root, "add", recording, "--title", "Т", "--date", typed)
    assert (done.status, done.err) == (
        1,
        f"radiodesk: error: --date {typed!r} is not a date\n"
        'radiodesk: hint: write it like "2026-12-08 09:00" or 2026-12-08T09:00+03:00\n',
    )
    assert snapshot(root) == before


@pytest.mark.parametrize(
    ("zone", "hint"),
    [
        ("Europe/Minks", 'did you mean "Europe/Minsk"?'),
        ("europe/minsk", 'did you mean "Europe/Minsk"?'),
        ("Minsk", 'did you mean "Europe/Minsk"?'),
        ("MSK+3", 'use an IANA name such as "Europe/Moscow"'),
        ("../../etc/passwd", 'use an IANA name such as "Europe/Moscow"'),
    ],
)
def test_a_wrong_time_zone_setting_says_what_was_meant(
    tmp_path: Path, zone: str, hint: str
) -> None:
    root = new_show(tmp_path, "--time-zone", "Europe/Minsk")
    toml = root / "radiodesk.toml"
    text = toml.read_text(encoding="utf-8").replace('"Europe/Minsk"', f'"{zone}"')
    toml.write_text(text, encoding="utf-8")
    done = run("-C", root, "list")
    assert (done.status, done.err) == (
        1,
        f"radiodesk: error: {toml}: [show] time_zone {zone!r} is not a time zone\n"
        f"radiodesk: hint: {hint}\n",
    )


def test_init_refuses_a_wrong_time_zone_and_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "шоу"
    done = run("init", root, "--title", "Т", "--base-url", URL, "--time-zone", "Europe/Minks")
    assert (done.status, done.err) == (
        1,
        "radiodesk: error: 'Europe/Minks' is not a time zone\n"
        'radiodesk: hint: did you mean "Europe/Minsk"?\n',
    )
    assert not root.exists()


def test_init_writes_the_time_zone_given(tmp_path: Path) -> None:
    root = new_show(tmp_path, "--time-zone", "Europe/Minsk")
    settings = tomllib.loads((root / "radiodesk.toml").read_text(encoding="utf-8"))
    assert settings["show"]["time_zone"] == "Europe/Minsk"


def init_in_a_fresh_process(
    root: Path, environment: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run init as the console script would, in a process with its own TZ."""
    code = "import sys; from radiodesk.cli import main; sys.exit(main(sys.argv[1:]))"
    argv = ["init", str(root), "--title", "Т", "--base-url", URL, "--email", "a@example.org"]
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **environment},
    )


def test_init_takes_this_machine_s_zone_and_says_so(tmp_path: Path) -> None:
    done = init_in_a_fresh_process(tmp_path / "шоу", {"TZ": "Europe/Minsk"})
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"created {tmp_path / 'шоу' / 'radiodesk.toml'} (time zone Europe/Minsk, this machine's)\n"
    )
    settings = tomllib.loads((tmp_path / "шоу" / "radiodesk.toml").read_text(encoding="utf-8"))
    assert settings["show"]["time_zone"] == "Europe/Minsk"


def test_init_without_a_known_zone_says_dates_need_one(tmp_path: Path) -> None:
    # A POSIX TZ string names no IANA zone: the machine's zone cannot be told from it.
    done = init_in_a_fresh_process(tmp_path / "шоу", {"TZ": "MSK-3"})
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"created {tmp_path / 'шоу' / 'radiodesk.toml'} "
        "(no time zone: this machine's cannot be told)\n"
    )
    assert done.stderr.splitlines()[0] == (
        "radiodesk: no time zone set: a --date without an offset is refused until you add "
        'time_zone = "Europe/Moscow" under [show] in radiodesk.toml'
    )


def test_zones_work_without_the_system_zone_files(tmp_path: Path, recording: Path) -> None:
    """The tzdata package serves machines without /usr/share/zoneinfo (PYTHONTZPATH empty)."""
    root = new_show(tmp_path, "--time-zone", "Europe/Minsk")
    code = "import sys; from radiodesk.cli import main; sys.exit(main(sys.argv[1:]))"
    argv = ["-C", root, "add", recording, "--title", "Т", "--date", "2025-12-08 09:00"]
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, argv)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONTZPATH": str(tmp_path / "no-zone-files")},
    )
    assert done.returncode == 0, done.stderr
    assert "taken as Europe/Minsk (+03:00)" in done.stderr
