"""-C, --show, -v and -q work after the command name too, as before it, for every command."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from clirun import Run, run
from conftest import make_cover
from media import make_recording
from radiodesk.cli import COMMANDS

URL = "https://radio.example.org/podcast"
SLUG = "pervyi-vypusk"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A show with one processed episode, made once; each run works on its own copy."""
    work = tmp_path_factory.mktemp("shared-options")
    root = work / "Новости"
    cover = make_cover(work / "обложка.jpg")
    options = ["--email", "radio@example.org", "--image", cover]
    assert run("init", root, "--title", "Новости: утро", "--base-url", URL, *options).status == 0
    recording = make_recording(work / "интервью.wav", seconds=2, lufs=-23)
    date = "2025-03-01T09:00+03:00"
    done = run("-C", root, "add", recording, "--title", "Первый выпуск", "--date", date)
    assert done.status == 0, done.err
    assert (root / "episodes" / SLUG).is_dir()
    return root


# What each command is given besides the shared options: something that reaches the show.
ARGUMENTS: dict[str, list[str]] = {
    "init": ["--title", "Вечер", "--base-url", URL],
    "add": ["{recording}", "--title", "Второй выпуск", "--date", "2025-03-02T10:00+03:00"],
    "edit": [SLUG, "--title", "Исправленный выпуск"],
    "export": [SLUG],
    "list": ["--json"],
    "show": [SLUG],
    "publish": [],
    "remove": [SLUG],
    "check": [],
    "verify": [],
    "serve": [],  # nothing published: refused at once, naming the show's store folder
}


def test_every_command_is_tested() -> None:
    assert set(ARGUMENTS) == set(COMMANDS)


def run_in_copy(built: Path, where: Path, argv: list[str], command: str) -> Run:
    """Run argv on a private copy of the built show (`init`: on a new folder beside it)."""
    where.mkdir()
    show = (
        where / "Вечер" if command == "init" else Path(shutil.copytree(built, where / built.name))
    )
    recording = make_recording(where / "запись.wav", seconds=2, lufs=-20)
    values = {"{show}": str(show), "{recording}": str(recording)}
    done = run(*(values.get(a, a) for a in argv))
    return Run(done.status, done.out.replace(str(where), "…"), done.err.replace(str(where), "…"))


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_shared_options_after_the_command_mean_what_they_mean_before(
    built: Path, tmp_path: Path, command: str
) -> None:
    before = ["-C", "{show}", "-q", command, *ARGUMENTS[command]]
    after = [command, *ARGUMENTS[command], "-q", "-C", "{show}"]
    done_before = run_in_copy(built, tmp_path / "before", before, command)
    done_after = run_in_copy(built, tmp_path / "after", after, command)
    assert "No such option" not in done_after.err
    assert "no radiodesk.toml" not in done_before.err + done_after.err  # -C took effect
    assert "LUFS" not in done_before.err + done_after.err  # -q took effect: no audio line
    assert done_after == done_before


def test_verbose_after_the_command_says_more(built: Path, tmp_path: Path) -> None:
    show = Path(shutil.copytree(built, tmp_path / built.name))
    done = run("publish", "-C", show, "-v")
    assert done.status == 0, done.err
    assert "radiodesk: uploaded feed.xml" in done.err.splitlines()


def test_show_after_the_command_picks_the_programme(tmp_path: Path) -> None:
    station = tmp_path / "Станция"
    assert run("init", station, "--station", "--title", "Радио", "--base-url", URL).status == 0
    for name, title in (("utro", "Утро"), ("vecher", "Вечер")):
        assert run("init", station / name, "--title", title).status == 0
    recording = make_recording(tmp_path / "запись.wav", seconds=2, lufs=-20)
    assert run("add", recording, "--title", "Эфир", "-C", station, "--show", "vecher").status == 0
    assert [p.name for p in (station / "vecher" / "episodes").iterdir()] == ["efir"]
    assert not any((station / "utro" / "episodes").iterdir())
    listed = run("list", "--json", "--show", "utro", "-C", station)
    assert listed == run("-C", station, "--show", "utro", "list", "--json")
    assert listed.status == 0


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_s_help_lists_the_shared_options(command: str) -> None:
    done = run(command, "--help")
    assert done.status == 0
    for line in (
        "-C DIR ",
        "--show NAME ",
        "-v, --verbose ",
        "-q, --quiet ",
    ):
        assert f"\n  {line}" in done.out, (command, line)
