"""Publishing only what was asked: `publish SLUG`, `remove SLUG`, drafts, `--due`, the record.

Every other episode stays exactly as it was last published (issue 15, points 2, 4 and 9).
Through the CLI, on a real local store and on the S3 test server; feeds read back by
podcastparser and feedparser.
"""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import time
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import podcastparser
import pytest

from clirun import Run, run
from faultproxy import FaultProxy
from media import make_recording
from radiodesk.publish.storage import show_storage
from radiodesk.show.settings import Settings
from s3server import PREFIX, Bucket
from showfiles import snapshot

BACKENDS = ["local", "s3"]


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("live-clips")
    make_recording(folder / "a.wav", seconds=2, lufs=-24)
    make_recording(folder / "b.wav", seconds=2, lufs=-20)
    return folder


@pytest.fixture(params=BACKENDS)
def any_show(request: pytest.FixtureRequest) -> Settings:
    """The show, publishing to the local store or to its own bucket on the S3 test server."""
    return request.getfixturevalue("s3_show" if request.param == "s3" else "show")  # type: ignore[no-any-return]


def stored(show: Settings, request: pytest.FixtureRequest) -> dict[str, bytes]:
    """Every object in the show's store, read directly (not through radiodesk)."""
    if show.storage.backend == "s3":
        bucket: Bucket = request.getfixturevalue("s3_bucket")
        pages = bucket.client.get_paginator("list_objects_v2").paginate(Bucket=bucket.name)
        keys = [item["Key"] for page in pages for item in page.get("Contents", ())]
        return {
            key.removeprefix(f"{PREFIX}/"): bucket.client.get_object(Bucket=bucket.name, Key=key)[
                "Body"
            ].read()
            for key in keys
        }
    root = show.local_store
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def titles(feed: bytes) -> dict[str, str]:
    """Return guid -> title of the feed's episodes, as two independent parsers read them."""
    parsed = podcastparser.parse("https://radio.example.org/podcast/feed.xml", io.BytesIO(feed))
    found = {e["guid"]: e["title"] for e in parsed["episodes"]}
    other = feedparser.parse(feed)
    assert not other.bozo, other.bozo_exception
    assert {e.id: e.title for e in other.entries} == found
    return found


def ok(*argv: str | Path) -> Run:
    result = run(*argv)
    assert result.status == 0, result.err
    return result


def add(show: Settings, recording: Path, title: str, *extra: str) -> str:
    day = 1 + len(list((show.root / "episodes").iterdir()))
    date = f"2026-01-{day:02d}T09:00:00+03:00"
    result = ok("-C", show.root, "add", recording, "--title", title, "--date", date, *extra)
    return result.out.strip().splitlines()[-1]


def guid(show: Settings, slug: str) -> str:
    text = (show.root / "episodes" / slug / "episode.toml").read_text("utf-8")
    return str(tomllib.loads(text)["guid"])


def error_lines(result: Run) -> tuple[str, str]:
    assert "Traceback" not in result.err
    lines = result.err.splitlines()
    assert len(lines) == 2, result.err
    assert lines[0].startswith("radiodesk: error: ")
    assert lines[1].startswith("radiodesk: hint: ")
    return lines[0], lines[1]


# ----------------------------------------------------------------------------- the case


def test_remove_takes_out_only_that_episode_and_keeps_the_others_as_published(
    any_show: Settings, clips: Path, request: pytest.FixtureRequest
) -> None:
    show = any_show
    a = add(show, clips / "a.wav", "Старое название")
    b = add(show, clips / "b.wav", "Второй выпуск")
    ok("-C", show.root, "publish")
    before = stored(show, request)
    ok("-C", show.root, "edit", a, "--title", "Новое название, не проверенное")

    result = ok("-C", show.root, "remove", b, "--yes")

    after = stored(show, request)
    assert titles(after["feed.xml"]) == {guid(show, a): "Старое название"}
    assert not [k for k in after if b in k]  # its audio and page are gone
    # A is exactly as it was: its MP3, its page and its artwork, byte for byte.
    for key in [k for k in before if a in k]:
        assert after[key] == before[key], key
    assert "Старое название" in after["index.html"].decode()
    assert "Новое название" not in after["index.html"].decode()
    assert "1 episode(s) in the feed" in result.out

    ok("-C", show.root, "publish", a)
    final = stored(show, request)
    assert titles(final["feed.xml"]) == {guid(show, a): "Новое название, не проверенное"}
    old_audio = [k for k in before if k.startswith(f"audio/{a}-") and k.endswith(".mp3")]
    assert old_audio
    assert not [k for k in old_audio if k in final]  # replaced, then pruned


def test_publish_one_episode_leaves_another_with_pending_edits_as_it_was(
    any_show: Settings, clips: Path, request: pytest.FixtureRequest
) -> None:
    show = any_show
    a = add(show, clips / "a.wav", "Первый как был")
    b = add(show, clips / "b.wav", "Второй как был")
    ok("-C", show.root, "publish")
    before = stored(show, request)
    ok("-C", show.root, "edit", a, "--title", "Первый исправлен")
    ok("-C", show.root, "edit", b, "--title", "Второй исправлен")
    a_derived = sorted((show.root / "episodes" / a / "derived").iterdir())

    ok("-C", show.root, "publish", b)

    after = stored(show, request)
    assert titles(after["feed.xml"]) == {
        guid(show, a): "Первый как был",
        guid(show, b): "Второй исправлен",
    }
    assert after[f"episodes/{a}/index.html"] == before[f"episodes/{a}/index.html"]
    assert sorted((show.root / "episodes" / a / "derived").iterdir()) == a_derived
    listed = {e["slug"]: e["status"] for e in _listed(show)}
    assert listed == {a: "changed", b: "live"}


def _record_file(show: Settings) -> Path:
    from radiodesk.publish import live  # here: the tests run against older code too, to fail there

    return live.record_file(show.root, show_storage(show).identity)


def _listed(show: Settings) -> list[dict[str, object]]:
    return list(json.loads(ok("-C", show.root, "list", "--json").out))


def test_a_store_published_without_a_record_refuses_naming_episodes(
    show: Settings, clips: Path
) -> None:
    a = add(show, clips / "a.wav", "Выпуск А")
    b = add(show, clips / "b.wav", "Выпуск Б")
    ok("-C", show.root, "publish")
    record = _record_file(show)
    record.unlink()  # as an older radiodesk left it
    ok("-C", show.root, "edit", a, "--title", "Правка, которую никто не смотрел")
    store, folder = snapshot(show.local_store), snapshot(show.root)

    for argv in (["publish", b], ["remove", b, "--yes"], ["publish", "--due"]):
        result = run("-C", show.root, *argv)
        assert result.status == 1
        error, hint = error_lines(result)
        assert "published by an older radiodesk" in error
        assert "publish --dry-run" in hint
        assert snapshot(show.local_store) == store
        assert snapshot(show.root) == folder  # b is not marked removed either

    # One whole publish (even one with nothing else to do) records what is live.
    ok("-C", show.root, "edit", a, "--title", "Выпуск А")
    ok("-C", show.root, "publish")
    assert record.is_file()
    ok("-C", show.root, "publish", b)


def test_nothing_to_do_still_records_an_edit_listeners_do_not_see(
    show: Settings, clips: Path
) -> None:
    a = add(show, clips / "a.wav", "Выпуск")
    ok("-C", show.root, "publish")
    ok("-C", show.root, "edit", a, "--note", "внутренняя пометка")  # not public: no change live
    assert _listed(show)[0]["status"] == "changed"
    time.sleep(2.1)  # let the edit settle, as the stat caches need
    assert "nothing to do" in ok("-C", show.root, "publish").out
    assert _listed(show)[0]["status"] == "live"
    record = _record_file(show)
    written = record.stat().st_mtime_ns
    assert "nothing to do" in ok("-C", show.root, "publish").out
    assert record.stat().st_mtime_ns == written  # a publish with nothing to do writes nothing


# ----------------------------------------------------------------------------- asking first


def _on_terminal(argv: list[str | Path], answer: str) -> tuple[int, str]:
    """Run the installed console script on a pseudo-terminal, answer its question."""
    script = Path(sys.executable).with_name("radiodesk")
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [str(script), *map(str, argv)],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "TERM": "dumb"},
    )
    os.close(follower)
    seen = b""
    answered = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if not answered and b"Go ahead?" in seen:
            os.write(leader, answer.encode() + b"\r")
            answered = True
        if process.poll() is not None and not ready:
            break
    os.close(leader)
    return process.wait(timeout=30), seen.decode("utf-8", "replace")


def test_remove_asks_on_a_terminal_and_no_leaves_everything(show: Settings, clips: Path) -> None:
    a = add(show, clips / "a.wav", "Остаётся")
    b = add(show, clips / "b.wav", "Под вопросом")
    ok("-C", show.root, "publish")
    store, folder = snapshot(show.local_store), snapshot(show.root)

    status, screen = _on_terminal(["-C", show.root, "remove", b, "--purge"], "n")
    assert status == 1, screen
    assert "out of the live feed" in screen
    assert f"episodes/{b}/master/b.wav" in screen  # --purge names the master it deletes
    assert snapshot(show.local_store) == store
    assert snapshot(show.root) == folder

    status, screen = _on_terminal(["-C", show.root, "remove", b], "y")
    assert status == 0, screen
    assert titles((show.local_store / "feed.xml").read_bytes()) == {guid(show, a): "Остаётся"}


def test_remove_without_a_terminal_refuses_unless_told_yes(show: Settings, clips: Path) -> None:
    a = add(show, clips / "a.wav", "Выпуск")
    ok("-C", show.root, "publish")
    store, folder = snapshot(show.local_store), snapshot(show.root)
    for argv in (["remove", a], ["remove", a, "--purge"]):
        result = run("-C", show.root, *argv)
        assert result.status == 1
        error, hint = error_lines(result)
        assert "no terminal to ask on" in error
        assert "--yes" in hint
    assert "would delete" in ok("-C", show.root, "remove", a, "--dry-run").out  # never asks
    assert snapshot(show.local_store) == store
    assert snapshot(show.root) == folder
    ok("-C", show.root, "remove", a, "--purge", "--yes")
    assert not (show.root / "episodes" / a).exists()


# ----------------------------------------------------------------------------- drafts


def _date(show: Settings, slug: str) -> datetime:
    text = (show.root / "episodes" / slug / "episode.toml").read_text("utf-8")
    value = tomllib.loads(text)["date"]
    assert isinstance(value, datetime)
    return value


def test_publish_names_a_draft_to_release_it_dated_now(show: Settings, clips: Path) -> None:
    a = add(show, clips / "a.wav", "Уже в ленте")
    ok("-C", show.root, "publish")
    draft = add(show, clips / "b.wav", "Черновик", "--draft")
    start = datetime.now(UTC).replace(microsecond=0)

    result = ok("-C", show.root, "publish", draft)

    assert f"released {draft}, dated " in result.out
    assert start <= _date(show, draft) <= datetime.now(UTC)
    feed = (show.local_store / "feed.xml").read_bytes()
    assert titles(feed) == {guid(show, a): "Уже в ленте", guid(show, draft): "Черновик"}
    parsed = feedparser.parse(feed)
    newest = parsed.entries[0]
    assert newest.title == "Черновик"
    assert datetime(*newest.published_parsed[:6], tzinfo=UTC) >= start


def test_edit_no_draft_releases_dated_now_or_as_given(show: Settings, clips: Path) -> None:
    first = add(show, clips / "a.wav", "Черновик один", "--draft")
    second = add(show, clips / "b.wav", "Черновик два", "--draft")
    start = datetime.now(UTC).replace(microsecond=0)

    result = ok("-C", show.root, "edit", first, "--no-draft")
    assert f"released {first}, dated " in result.out
    assert start <= _date(show, first) <= datetime.now(UTC)
    result = ok(
        "-C", show.root, "edit", second, "--no-draft", "--date", "2026-11-30T10:00:00+03:00"
    )
    assert "dated 2026-11-30 10:00 (UTC+03:00)" in result.out
    assert _date(show, second) == datetime(2026, 11, 30, 7, tzinfo=UTC)
    assert {e["slug"]: e["status"] for e in _listed(show)} == {first: "ready", second: "ready"}

    ok("-C", show.root, "edit", second, "--draft")
    assert {e["slug"]: e["status"] for e in _listed(show)}[second] == "draft"


# ----------------------------------------------------------------------------- scheduling


def test_publish_says_what_it_holds_back_and_due_publishes_only_what_came_due(
    show: Settings, clips: Path
) -> None:
    a = add(show, clips / "a.wav", "В ленте")
    ok("-C", show.root, "publish")
    # An hour ahead, however slow this machine is; brought forward below to come due.
    hour = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    due = ok("-C", show.root, "add", clips / "b.wav", "--title", "По расписанию",
             "--date", hour.isoformat()).out.strip()  # fmt: skip
    later = ok("-C", show.root, "add", clips / "b.wav", "--title", "Потом",
               "--date", "2999-01-01T09:00:00+03:00").out.strip()  # fmt: skip
    waiting = add(show, clips / "b.wav", "Готов, но не проверен")
    ok("-C", show.root, "edit", a, "--title", "Правка без проверки")

    held = ok("-C", show.root, "publish", "--dry-run").out
    assert f"held back: {due} until {hour:%Y-%m-%d %H:%M} (UTC+00:00)" in held
    assert f"held back: {later} until 2999-01-01 09:00 (UTC+03:00)" in held

    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    ok("-C", show.root, "edit", due, "--date", soon.isoformat())  # still after it was added
    while datetime.now(UTC) <= soon:
        time.sleep(0.2)
    result = ok("-C", show.root, "publish", "--due")

    assert f"held back: {later} until" in result.out
    feed = (show.local_store / "feed.xml").read_bytes()
    assert titles(feed) == {guid(show, a): "В ленте", guid(show, due): "По расписанию"}
    assert waiting not in feed.decode()
    again = ok("-C", show.root, "publish", "--due").out
    assert "nothing to do" in again


# ----------------------------------------------------------------------------- verify --repair


def corrupt(show: Settings, request: pytest.FixtureRequest, key: str, data: bytes) -> None:
    """Flip the object's bytes in the store, keeping its size (what publish cannot see)."""
    damaged = bytes(b ^ 0x5A for b in data[:64]) + data[64:]
    if show.storage.backend == "s3":
        bucket: Bucket = request.getfixturevalue("s3_bucket")
        bucket.client.put_object(Bucket=bucket.name, Key=f"{PREFIX}/{key}", Body=damaged)
    else:
        (show.local_store / key).write_bytes(damaged)


def test_verify_repair_uploads_again_exactly_the_damaged_objects(
    any_show: Settings, clips: Path, request: pytest.FixtureRequest
) -> None:
    show = any_show
    a = add(show, clips / "a.wav", "Первый")
    b = add(show, clips / "b.wav", "Второй")
    ok("-C", show.root, "publish")
    good = stored(show, request)
    (audio,) = (k for k in good if k.startswith(f"audio/{a}-") and k.endswith(".mp3"))
    broken = [audio, "feed.xml", "index.html", f"episodes/{a}/index.html"]
    for key in broken:
        corrupt(show, request, key, good[key])

    found = run("-C", show.root, "verify")
    assert found.status == 1
    assert {k for k in broken if f"published object {k} has changed" in found.err} == set(broken)
    assert "radiodesk verify --repair" in found.err
    assert "nothing to do" in ok("-C", show.root, "publish").out  # same sizes: publish cannot tell
    ok("-C", show.root, "edit", b, "--title", "Второй, правка не опубликована")

    result = ok("-C", show.root, "verify", "--repair")
    assert sorted(line.removeprefix("repaired ") for line in result.out.splitlines()
                  if line.startswith("repaired ")) == sorted(broken)  # fmt: skip
    assert "all intact" in result.out
    assert stored(show, request) == good  # B's unpublished edit stayed unpublished


def test_verify_repair_names_what_no_local_file_can_replace(
    any_show: Settings, clips: Path, request: pytest.FixtureRequest
) -> None:
    show = any_show
    a = add(show, clips / "a.wav", "Первый")
    ok("-C", show.root, "publish")
    ok("-C", show.root, "edit", a, "--title", "Новое название")  # the live MP3 is re-tagged away
    good = stored(show, request)
    (audio,) = (k for k in good if k.startswith(f"audio/{a}-") and k.endswith(".mp3"))
    corrupt(show, request, audio, good[audio])
    corrupt(show, request, "feed.xml", good["feed.xml"])

    result = run("-C", show.root, "verify", "--repair")

    assert result.status == 1
    assert "repaired feed.xml" in result.out
    assert f"cannot repair {audio}: no file on this computer" in result.err
    assert stored(show, request)["feed.xml"] == good["feed.xml"]


# ----------------------------------------------------------------------------- list and show


def test_list_tells_every_status_and_never_cuts_the_slug(
    show: Settings, clips: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_title = "Очень длинное название выпуска о заводах, портах и дорогах области " * 2
    live_one = add(show, clips / "a.wav", "Выпуск в ленте")
    changed = add(show, clips / "a.wav", long_title.strip())
    removed = add(show, clips / "b.wav", "Снятый")
    ok("-C", show.root, "publish")
    ok("-C", show.root, "remove", removed, "--yes")
    ok("-C", show.root, "edit", changed, "--description", "Новые заметки")
    ready = add(show, clips / "b.wav", "Готов, не опубликован")
    draft = add(show, clips / "b.wav", "Черновик", "--draft")
    later = ok("-C", show.root, "add", clips / "b.wav", "--title", "Потом",
               "--date", "2999-01-01T09:00:00+03:00").out.strip()  # fmt: skip
    expected = {live_one: "live", changed: "changed", removed: "removed", ready: "ready",
                draft: "draft", later: "scheduled"}  # fmt: skip

    data = {e["slug"]: e for e in _listed(show)}
    assert {slug: e["status"] for slug, e in data.items()} == expected
    page = f"https://radio.example.org/podcast/episodes/{live_one}/index.html"
    assert data[live_one]["url"] == page
    assert str(data[live_one]["audio_url"]).startswith(
        f"https://radio.example.org/podcast/audio/{live_one}-"
    )
    assert data[ready]["url"] is None  # not public

    for columns in ("100", "60"):
        monkeypatch.setenv("COLUMNS", columns)
        table = ok("-C", show.root, "list").out
        rows = {line.split()[0]: line.split()[1] for line in table.splitlines()
                if line.split() and line.split()[0] in expected}  # fmt: skip
        assert rows == expected, table  # every slug whole, with its status beside it
        assert "Очень длинное" in table  # the title folds instead


def test_show_prints_a_report_a_producer_can_read(show: Settings, clips: Path) -> None:
    slug = add(show, clips / "a.wav", "Выпуск", "--person", "Анна Петрова:guest")
    ok("-C", show.root, "publish")

    text = ok("-C", show.root, "show", slug).out

    assert "None" not in text
    assert "False" not in text
    assert "  status:" in text
    assert re.search(rf"page: +https://radio.example.org/podcast/episodes/{slug}/index.html", text)
    assert re.search(r"length:\s+0:02\n", text), text
    assert "Анна Петрова (guest)" in text
    assert re.search(r"loudness:\s+-\d+\.\d LUFS in, -1\d\.\d LUFS out", text), text
    data = json.loads(ok("-C", show.root, "show", slug, "--json").out)
    assert data["status"] == "live"
    assert data["season"] is None  # the machine-readable form stays complete
    assert data["url"] == f"https://radio.example.org/podcast/episodes/{slug}/index.html"


# ----------------------------------------------------------------------------- all or nothing

ACCESS_DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Access Denied</Message></Error>"
)


def test_a_removal_or_release_whose_feed_never_went_live_is_taken_back(
    s3_show: Settings, s3_proxy: FaultProxy, clips: Path, request: pytest.FixtureRequest
) -> None:
    show = s3_show
    a = add(show, clips / "a.wav", "Первый выпуск")
    b = add(show, clips / "b.wav", "Черновик", "--draft")
    ok("-C", show.root, "publish")
    live_before = stored(show, request)
    episodes = {
        slug: (show.root / "episodes" / slug / "episode.toml").read_bytes() for slug in (a, b)
    }
    s3_proxy.add_rule(method="PUT", path_part="/feed.xml", status=403, body=ACCESS_DENIED)

    for argv in (("remove", a, "--yes"), ("publish", b)):
        result = run("-C", show.root, *argv)

        assert result.status == 1, result.out
        assert "Traceback" not in result.err
        assert stored(show, request)["feed.xml"] == live_before["feed.xml"]
        for slug, data in episodes.items():  # still live / still a draft, as before
            assert (show.root / "episodes" / slug / "episode.toml").read_bytes() == data


def test_a_moved_show_folder_still_knows_what_is_live(show: Settings, clips: Path) -> None:
    a = add(show, clips / "a.wav", "Первый выпуск")
    b = add(show, clips / "b.wav", "Второй выпуск")
    ok("-C", show.root, "publish")
    moved = show.root.with_name("шоу, перенесённое")
    show.root.rename(moved)

    listed = {e["slug"]: e["status"] for e in json.loads(ok("-C", moved, "list", "--json").out)}
    ok("-C", moved, "remove", b, "--yes")

    assert listed == {a: "live", b: "live"}
    feed = (moved / "public" / "feed.xml").read_bytes()
    assert set(titles(feed).values()) == {"Первый выпуск"}


def test_list_fits_a_100_column_terminal_by_leaving_out_figures(
    show: Settings, clips: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slug = add(show, clips / "a.wav", "Алиханов — о сотрудничестве с белорусскими заводами")
    monkeypatch.setenv("COLUMNS", "100")

    table = ok("-C", show.root, "list").out

    lines = [line.rstrip() for line in table.splitlines()]
    assert max(len(line) for line in lines) <= 100, table  # no line wraps on the terminal
    row = next(line for line in lines if line.split()[:1] == [slug])
    assert row.split()[:2] == [slug, "ready"]  # the slug whole, its status beside it
    assert "LUFS" not in table  # left out first; `show SLUG` has it
