"""A show that cannot be published yet says so: `init` asks or lists what is missing, and
`publish` and every command report all of a show's settings problems at once, each with its hint.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import tomllib
from pathlib import Path

from clirun import run
from conftest import make_cover
from showfiles import snapshot

URL = "https://radio.example.org/podcast"
EMAIL_MISSING = (
    "[show] email: no owner e-mail (itunes:owner; Spotify and YouTube send their ownership code "
    "to it)"
)
EMAIL_FIX = 'add email = "radio@example.org" under [show] in radiodesk.toml'
IMAGE_MISSING = (
    "[show] image: no show artwork (Apple needs a square JPEG or PNG of 1400-3000 px, RGB)"
)
IMAGE_FIX = (
    'copy it into the show folder and add image = "cover.jpg" under [show] in radiodesk.toml'
)


def init(root: Path, *options: str | Path) -> tuple[int, str, str]:
    done = run("init", root, "--title", "Новости: вечер", *options)
    return done.status, done.out, done.err


def test_init_without_a_terminal_creates_the_show_and_lists_what_is_missing(
    tmp_path: Path,
) -> None:
    root = tmp_path / "Новости"
    status, out, err = init(root, "--base-url", URL, "--time-zone", "Europe/Minsk")
    assert status == 0
    assert out == f"created {root / 'radiodesk.toml'} (time zone Europe/Minsk)\n"
    assert err == (
        f"radiodesk: not publishable yet: {EMAIL_MISSING}; {EMAIL_FIX}\n"
        f"radiodesk: not publishable yet: {IMAGE_MISSING}; {IMAGE_FIX}\n"
    )


def test_init_names_artwork_that_breaks_apple_s_rules(tmp_path: Path) -> None:
    small = make_cover(tmp_path / "обложка.jpg", size=600)
    root = tmp_path / "Новости"
    status, _, err = init(
        root, "--base-url", URL, "--time-zone", "UTC", "--email", "a@example.org", "--image", small
    )
    assert status == 0
    assert err == (
        "radiodesk: not publishable yet: [show] image: artwork cover.jpg is 600×600 px; Apple "
        "needs 1400-3000 px square; export it again as a square RGB JPEG or PNG of 1400-3000 px\n"
    )


def test_a_complete_show_is_created_without_complaint(tmp_path: Path) -> None:
    cover = make_cover(tmp_path / "обложка.jpg")
    root = tmp_path / "Новости"
    options = ("--email", "radio@example.org", "--image", cover, "--time-zone", "Europe/Minsk")
    assert init(root, "--base-url", URL, *options) == (
        0,
        f"created {root / 'radiodesk.toml'} (time zone Europe/Minsk)\n",
        "",
    )


def test_publish_lists_every_missing_setting_at_once_and_touches_nothing(tmp_path: Path) -> None:
    root = tmp_path / "Новости"
    assert init(root, "--base-url", URL)[0] == 0
    before = snapshot(root)
    done = run("-C", root, "publish")
    toml = root / "radiodesk.toml"
    assert (done.status, done.out, done.err) == (
        1,
        "",
        f"radiodesk: error: {toml}: {EMAIL_MISSING}\n"
        f"radiodesk: hint: {EMAIL_FIX}\n"
        f"radiodesk: error: {toml}: {IMAGE_MISSING}\n"
        f"radiodesk: hint: {IMAGE_FIX}\n",
    )
    assert snapshot(root) == before
    assert not (root / "public").exists()
    # Fixing one leaves the other, with its hint.
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('email = ""', 'email = "radio@example.org"'),
        encoding="utf-8",
    )
    done = run("-C", root, "publish", "--dry-run")
    assert (done.status, done.err) == (
        1,
        f"radiodesk: error: {toml}: {IMAGE_MISSING}\nradiodesk: hint: {IMAGE_FIX}\n",
    )


def test_artwork_named_but_not_there_is_said(tmp_path: Path) -> None:
    cover = make_cover(tmp_path / "обложка.jpg")
    root = tmp_path / "Новости"
    options = ("--email", "radio@example.org", "--image", cover)
    assert init(root, "--base-url", URL, *options)[0] == 0
    (root / "cover.jpg").unlink()
    done = run("-C", root, "publish")
    assert (done.status, done.err) == (
        1,
        f"radiodesk: error: {root / 'radiodesk.toml'}: [show] image: the artwork cover.jpg is "
        "not in the show folder\n"
        "radiodesk: hint: copy it there, or correct image under [show] in radiodesk.toml\n",
    )


def test_every_settings_problem_is_reported_at_once(tmp_path: Path) -> None:
    root = tmp_path / "Новости"
    root.mkdir()
    toml = root / "radiodesk.toml"
    toml.write_text(
        "[show]\n"
        'title = "Новости"\n'
        'base_url = "radio.example.org"\n'
        'email = "нет"\n'
        'time_zone = "Europe/Minks"\n'
        'langauge = "ru"\n'
        'explicit = "no"\n'
        'hosts = ["Анна:ведущая", "Пётр:эксперт"]\n'
        "[audio]\n"
        "target_lufs = -60\n"
        "[sound]\n",
        encoding="utf-8",
    )
    done = run("-C", root, "list")
    assert done.status == 1
    assert done.err.splitlines() == [
        f"radiodesk: error: {toml}: unknown section [sound]",
        f"radiodesk: error: {toml}: [show] has an unknown setting 'langauge'",
        "radiodesk: hint: did you mean 'language'?",
        f"radiodesk: error: {toml}: [show] explicit must be true or false, not 'no'",
        f"radiodesk: error: {toml}: [show] base_url must be an absolute http(s) URL",
        'radiodesk: hint: e.g. base_url = "https://radio.example.org/podcast"',
        f"radiodesk: error: {toml}: [show] email is not an e-mail",
        'radiodesk: hint: e.g. email = "radio@example.org"',
        f"radiodesk: error: {toml}: [show] time_zone 'Europe/Minks' is not a time zone",
        'radiodesk: hint: did you mean "Europe/Minsk"?',
        f"radiodesk: error: {toml}: [show] hosts: 'Пётр:эксперт': 'эксперт' is not a podcast "
        "role; use host, co-host, guest, reporter, producer, editor, audio engineer (or "
        "ведущий, гость, репортёр, продюсер, редактор, звукорежиссёр, ...)",
        "radiodesk: hint: every role: "
        "https://github.com/Podcastindex-org/podcast-namespace/blob/main/taxonomy.json",
        f"radiodesk: error: {toml}: [audio] loudness targets must lie between -40 and -5 LUFS",
    ]


def test_one_settings_problem_is_still_one_line(tmp_path: Path) -> None:
    root = tmp_path / "Новости"
    root.mkdir()
    (root / "radiodesk.toml").write_text(
        f'[show]\ntitle = "Новости"\nbase_url = "{URL}"\nfeed_page_size = -1\n', encoding="utf-8"
    )
    done = run("-C", root, "list")
    assert (done.status, done.err) == (
        1,
        f"radiodesk: error: {root / 'radiodesk.toml'}: [show] feed_page_size must be 0 or more\n",
    )


def answer_prompts(argv: list[str], answers: list[tuple[str, str]], cwd: Path) -> str:
    """Run radiodesk on a pseudo-terminal, answer its prompts in turn, return all it printed."""
    main, child = os.openpty()
    code = "import sys; from radiodesk.cli import main; sys.exit(main(sys.argv[1:]))"
    process = subprocess.Popen(
        [sys.executable, "-c", code, *argv],
        stdin=child,
        stdout=child,
        stderr=child,
        cwd=cwd,
        env={**os.environ, "TZ": "Europe/Minsk", "COLUMNS": "200"},
    )
    os.close(child)
    seen, unanswered, pending = b"", b"", list(answers)
    try:
        while True:
            ready, _, _ = select.select([main], [], [], 60)
            assert ready, f"no prompt within 60 s; printed so far: {seen.decode()}"
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the child closed the terminal: it has finished
                break
            if not chunk:
                break
            seen, unanswered = seen + chunk, unanswered + chunk
            if pending and unanswered.decode("utf-8", "replace").rstrip().endswith(pending[0][0]):
                os.write(main, pending.pop(0)[1].encode() + b"\n")
                unanswered = b""
    finally:
        os.close(main)
        assert process.wait(timeout=60) == 0, seen.decode()
    assert not pending, seen.decode()
    return seen.decode().replace("\r\n", "\n")


def test_init_on_a_terminal_asks_for_what_publishing_needs(tmp_path: Path) -> None:
    cover = make_cover(tmp_path / "обложка.jpg")
    small = make_cover(tmp_path / "маленькая.jpg", size=600)
    artwork = "of 1400-3000 px (a file; empty: later):"
    printed = answer_prompts(
        ["init", "Новости", "--title", "Новости: вечер"],
        [
            ("(e.g. https://radio.example.org/podcast):", "radio.example.org"),
            ("(e.g. https://radio.example.org/podcast):", URL),
            ("verify ownership with it; empty: later):", "radio@example.org"),
            (artwork, str(small)),
            (artwork, str(cover)),
            ("Author shown in apps [Новости: вечер]:", "Редакция новостей"),
        ],
        tmp_path,
    )
    # A bad answer is refused and asked again.
    assert "Error: 'radio.example.org' is not an absolute http(s) URL" in printed
    assert "Error: artwork маленькая.jpg is 600×600 px; Apple needs 1400-3000 px square" in printed
    assert printed.endswith(
        "created Новости/radiodesk.toml (time zone Europe/Minsk, this machine's)\n"
    )
    settings = tomllib.loads((tmp_path / "Новости" / "radiodesk.toml").read_text("utf-8"))
    assert {k: settings["show"][k] for k in ("base_url", "email", "image", "author")} == {
        "base_url": URL,
        "email": "radio@example.org",
        "image": "cover.jpg",
        "author": "Редакция новостей",
    }
    assert (tmp_path / "Новости" / "cover.jpg").read_bytes() == cover.read_bytes()


def test_init_on_a_terminal_takes_empty_answers_and_says_what_is_missing(tmp_path: Path) -> None:
    printed = answer_prompts(
        ["init", "Утро", "--title", "Утро", "--base-url", URL],
        [
            ("verify ownership with it; empty: later):", ""),
            ("of 1400-3000 px (a file; empty: later):", ""),
            ("Author shown in apps [Утро]:", ""),
        ],
        tmp_path,
    )
    assert printed.endswith(
        "created Утро/radiodesk.toml (time zone Europe/Minsk, this machine's)\n"
        f"radiodesk: not publishable yet: {EMAIL_MISSING}; {EMAIL_FIX}\n"
        f"radiodesk: not publishable yet: {IMAGE_MISSING}; {IMAGE_FIX}\n"
    )
    settings = tomllib.loads((tmp_path / "Утро" / "radiodesk.toml").read_text("utf-8"))
    assert settings["show"]["author"] == "Утро"


def test_a_station_publish_names_the_programme_on_each_problem(tmp_path: Path) -> None:
    station = tmp_path / "Радио"
    assert run("init", station, "--station", "--title", "Радио", "--base-url", URL).status == 0
    assert init(station / "utro")[0] == 0
    done = run("-C", station, "publish")
    toml = station / "utro" / "radiodesk.toml"
    assert done.status == 1
    assert done.err == (
        f"radiodesk: error: utro: {toml}: {EMAIL_MISSING}\n"
        f"radiodesk: hint: {EMAIL_FIX}\n"
        f"radiodesk: error: utro: {toml}: {IMAGE_MISSING}\n"
        f"radiodesk: hint: {IMAGE_FIX}\n"
    )
