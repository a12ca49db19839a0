"""The producer's path end to end: init, add, publish, list, through `radiodesk.cli.main`.

Real ffmpeg on generated recordings, a real local store, feeds parsed back by real parsers.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import feedparser
import podcastparser
import pytest
from lxml import etree

from media import make_recording, measure
from radiodesk.audio.tags import read_tags
from radiodesk.cli import COMMANDS, cli, main
from radiodesk.show.settings import Settings
from showfiles import snapshot_with_times as snapshot

NS = {"itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd"}
HOSTILE = "<b>Срочно</b> & ]]> \"кавычки\" 'одинарные' 😀"


@pytest.fixture(scope="session")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few short recordings, as a producer would hand them over."""
    folder = tmp_path_factory.mktemp("recordings")
    make_recording(folder / "Алиханов — фрагмент выступления.wav", seconds=4, lufs=-30)
    make_recording(folder / "studio.flac", seconds=4, lufs=-20, channels=2)
    make_recording(folder / "silence.wav", seconds=3, lufs=None, signal="silence")
    make_recording(folder / "short.wav", seconds=0.5, lufs=-20)
    (folder / "empty.wav").write_bytes(b"")
    (folder / "text.wav").write_text("это не звук, а текст\n" * 50, encoding="utf-8")
    whole = make_recording(folder / "whole.mp3", seconds=6, lufs=-20)
    data = whole.read_bytes()
    (folder / "cut-mid.mp3").write_bytes(data[: len(data) // 2])  # decodes: half the audio
    (folder / "cut-header.m4a").write_bytes(
        make_recording(folder / "whole.m4a", seconds=4, lufs=-20).read_bytes()[:300]
    )
    return folder


def run(*argv: str | Path) -> int:
    return main([str(a) for a in argv])


def add(show: Settings, recording: Path, *extra: str, title: str = "Выпуск") -> int:
    return run("-C", show.root, "add", recording, "--title", title, *extra)


def feed_of(show: Settings) -> bytes:
    return (show.local_store / "feed.xml").read_bytes()


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if not line.startswith("radiodesk: hint:")]
    assert len(lines) == 1, err
    assert lines[0].startswith("radiodesk: error: ")
    return lines[0]


def test_add_publish_list(
    show: Settings, recordings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = recordings / "Алиханов — фрагмент выступления.wav"
    notes = show.root.parent / "notes.txt"
    notes.write_text("Губернатор — о заводах.\n\nВторой абзац.", encoding="utf-8")
    status = add(
        show, recording, "--description-file", str(notes), "--person", "Антон Алиханов:guest",
        "--date", "2026-11-20T10:00:00+03:00", "--season", "1", "--episode", "3",
        title="Алиханов — фрагмент выступления",
    )  # fmt: skip
    assert status == 0
    slug = capsys.readouterr().out.strip()
    assert slug == "alikhanov-fragment-vystupleniia"

    folder = show.root / "episodes" / slug
    meta = tomllib.loads((folder / "episode.toml").read_text(encoding="utf-8"))
    master = folder / "master" / recording.name
    assert master.read_bytes() == recording.read_bytes()  # the master is a byte-exact copy
    assert meta["master"]["sha256"] == hashlib.sha256(recording.read_bytes()).hexdigest()
    assert meta["master"]["original_name"] == "Алиханов — фрагмент выступления.wav"
    assert meta["person"] == [{"name": "Антон Алиханов", "role": "guest"}]
    audio = meta["audio"]
    assert audio["mono"] is True
    assert audio["target_lufs"] == -19.0
    assert audio["before"]["integrated_lufs"] == pytest.approx(-30, abs=0.5)

    mp3 = folder / audio["file"]
    lufs, peak = measure(mp3)  # independent meter on the file that is published
    assert lufs == pytest.approx(-19.0, abs=0.5)
    assert peak <= -1.0
    tags = read_tags(mp3)
    assert tags.title == "Алиханов — фрагмент выступления"
    assert tags.album == "Радио: актуальные комментарии"
    assert tags.cover is not None

    assert run("-C", show.root, "publish") == 0
    out = capsys.readouterr().out
    assert "1 episode(s) in the feed" in out
    xml = feed_of(show)
    tree = etree.fromstring(xml)
    enclosure = tree.find("channel/item/enclosure")
    assert enclosure is not None
    key = enclosure.get("url", "").removeprefix("https://radio.example.org/podcast/")
    published = show.local_store / key
    assert int(enclosure.get("length", "0")) == published.stat().st_size
    assert published.read_bytes() == mp3.read_bytes()
    assert tree.findtext("channel/item/guid") == meta["guid"]
    assert tree.find("channel/itunes:image", NS) is not None
    assert tree.findtext("channel/item/itunes:duration", namespaces=NS) == "4"

    parsed = podcastparser.parse("https://radio.example.org/podcast/feed.xml", io.BytesIO(xml))
    assert parsed["episodes"][0]["title"] == "Алиханов — фрагмент выступления"
    assert parsed["episodes"][0]["guid"] == meta["guid"]
    assert parsed["episodes"][0]["enclosures"][0]["file_size"] == published.stat().st_size
    assert not feedparser.parse(xml).bozo

    assert run("-C", show.root, "list") == 0
    listing = capsys.readouterr().out
    assert slug in listing
    assert re.search(r"-(29|30)\.\d → -1[89]\.\d", listing), listing
    assert run("-C", show.root, "list", "--json") == 0
    assert '"channel_plan": "mono"' in capsys.readouterr().out


def test_second_publish_changes_nothing(show: Settings, recordings: Path) -> None:
    assert add(show, recordings / "studio.flac", "--date", "2026-01-01T09:00:00+03:00") == 0
    assert run("-C", show.root, "publish") == 0
    before = snapshot(show.root)
    assert run("-C", show.root, "publish") == 0
    assert snapshot(show.root) == before


def test_stereo_studio_recording_stays_stereo(
    show: Settings, recordings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(show, recordings / "studio.flac") == 0
    slug = capsys.readouterr().out.strip()
    meta = tomllib.loads((show.root / "episodes" / slug / "episode.toml").read_text("utf-8"))
    assert (meta["audio"]["mono"], meta["audio"]["bitrate_kbps"]) == (False, 128)
    lufs, peak = measure(show.root / "episodes" / slug / meta["audio"]["file"])
    assert lufs == pytest.approx(-16.0, abs=0.5)
    assert peak <= -1.0


def test_hostile_text_survives_to_the_feed(show: Settings, recordings: Path) -> None:
    assert (
        add(
            show,
            recordings / "studio.flac",
            "--description",
            HOSTILE,
            "--person",
            f"{HOSTILE}:guest",
            title=HOSTILE,
        )
        == 0
    )
    assert run("-C", show.root, "publish") == 0
    xml = feed_of(show)
    parsed = podcastparser.parse("https://radio.example.org/podcast/feed.xml", io.BytesIO(xml))
    assert parsed["episodes"][0]["title"] == HOSTILE
    assert (
        HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        in parsed["episodes"][0]["description_html"]
    )
    result = feedparser.parse(xml)
    assert not result.bozo
    assert result.entries[0].title == HOSTILE


def test_drafts_and_future_episodes_stay_off_the_feed(
    show: Settings, recordings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(show, recordings / "studio.flac", "--draft", title="Черновик") == 0
    assert (
        add(
            show, recordings / "studio.flac", "--date", "2999-01-01T00:00:00+00:00", title="Будущее"
        )
        == 0
    )
    assert add(show, recordings / "studio.flac", title="Сейчас") == 0
    capsys.readouterr()
    assert run("-C", show.root, "publish") == 0
    titles = [e.findtext("title") for e in etree.fromstring(feed_of(show)).iter("item")]
    assert titles == ["Сейчас"]
    assert len(list((show.local_store / "audio").iterdir())) == 1
    assert run("-C", show.root, "list") == 0
    out = capsys.readouterr().out
    assert "draft" in out
    assert "scheduled" in out


def test_edited_title_retags_and_keeps_the_guid(
    show: Settings, recordings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(show, recordings / "studio.flac", title="Старое название") == 0
    slug = capsys.readouterr().out.strip()
    assert run("-C", show.root, "publish") == 0
    tree = etree.fromstring(feed_of(show))
    guid, old_url = (
        tree.findtext("channel/item/guid"),
        tree.find("channel/item/enclosure").get("url"),
    )
    path = show.root / "episodes" / slug / "episode.toml"
    path.write_text(path.read_text("utf-8").replace("Старое название", "Новое название"), "utf-8")
    assert run("-C", show.root, "publish") == 0
    tree = etree.fromstring(feed_of(show))
    assert tree.findtext("channel/item/title") == "Новое название"
    assert tree.findtext("channel/item/guid") == guid
    new_url = tree.find("channel/item/enclosure").get("url")
    assert new_url != old_url  # new bytes, new content-addressed key
    assert [p.name for p in (show.local_store / "audio").iterdir()] == [new_url.rsplit("/", 1)[1]]
    assert (
        read_tags(show.local_store / "audio" / new_url.rsplit("/", 1)[1]).title == "Новое название"
    )


def test_fresh_clone_rebuilds_derived_audio(
    show: Settings, recordings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(show, recordings / "studio.flac") == 0
    slug = capsys.readouterr().out.strip()
    derived = show.root / "episodes" / slug / "derived"
    (mp3,) = derived.glob("*.mp3")
    first = mp3.read_bytes()
    for p in derived.iterdir():
        p.unlink()
    assert run("-C", show.root, "publish") == 0
    (rebuilt,) = derived.glob("*.mp3")
    assert rebuilt.read_bytes() == first  # deterministic rebuild, under the same content name
    assert rebuilt.name == mp3.name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.wav", r"recording .*missing\.wav does not exist"),
        ("empty.wav", r"recording empty\.wav is empty"),
        ("text.wav", r"text\.wav"),
        ("cut-header.m4a", r"cut-header\.m4a"),
        ("silence.wav", r"silent"),
        ("short.wav", r"too short"),
    ],
)
def test_bad_recordings_are_refused_cleanly(
    show: Settings, recordings: Path, capsys: pytest.CaptureFixture[str], name: str, message: str
) -> None:
    before = snapshot(show.root)
    assert add(show, recordings / name) == 1
    assert re.search(message, one_line_error(capsys))
    assert snapshot(show.root) == before
    assert list((show.root / "episodes").iterdir()) == []


def test_cut_mid_stream_is_published_with_its_real_duration(
    show: Settings, recordings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(show, recordings / "cut-mid.mp3") == 0
    slug = capsys.readouterr().out.strip()
    meta = tomllib.loads((show.root / "episodes" / slug / "episode.toml").read_text("utf-8"))
    assert meta["audio"]["duration_s"] == pytest.approx(3.0, abs=0.3)


def test_duplicate_slug_is_refused(
    show: Settings, recordings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(show, recordings / "studio.flac", "--slug", "vypusk") == 0
    capsys.readouterr()
    before = snapshot(show.root)
    assert add(show, recordings / "studio.flac", "--slug", "vypusk") == 1
    assert "already exists" in one_line_error(capsys)
    assert snapshot(show.root) == before
    # Same title without --slug: a unique slug is made instead.
    assert add(show, recordings / "studio.flac", title="Vypusk") == 0
    assert capsys.readouterr().out.strip() == "vypusk-2"


@pytest.mark.parametrize("slug", ["../../escape", "a/b", "..", "/tmp/x"])
def test_slugs_cannot_escape_the_show(
    show: Settings, recordings: Path, capsys: pytest.CaptureFixture[str], slug: str
) -> None:
    before = snapshot(show.root.parent)
    assert add(show, recordings / "studio.flac", "--slug", slug) == 1
    assert "is not allowed" in one_line_error(capsys)
    assert snapshot(show.root.parent) == before


def test_missing_and_malformed_config(
    tmp_path: Path, recordings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("-C", tmp_path, "add", recordings / "studio.flac", "--title", "x") == 1
    assert "no radiodesk.toml" in one_line_error(capsys)
    (tmp_path / "radiodesk.toml").write_text("[show]\ntitle = 'x\n", encoding="utf-8")
    assert run("-C", tmp_path, "publish") == 1
    assert "malformed TOML" in one_line_error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["radiodesk.toml"]


def test_init_refuses_bad_values_and_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "show"
    assert run("init", target, "--title", "Т", "--base-url", "radio.example.org") == 1
    assert "base_url" in one_line_error(capsys)
    assert not target.exists()
    assert (
        run(
            "init", target, "--title", "Т", "--base-url", "https://x.org", "--category", "News/Golf"
        )
        == 1
    )
    assert "not a subcategory" in one_line_error(capsys)
    assert run("init", target, "--title", "Т", "--base-url", "https://x.org") == 0
    capsys.readouterr()
    assert run("init", target, "--title", "Т", "--base-url", "https://x.org") == 1
    assert "already exists" in one_line_error(capsys)


@pytest.mark.parametrize("command", [[], *([name] for name in sorted(COMMANDS))])
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(*command, "--help") == 0
    assert f"Usage: radiodesk {' '.join(command)}".rstrip() in capsys.readouterr().out


def test_help_lists_every_lazily_loaded_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--help") == 0
    listed = capsys.readouterr().out.split("Commands:\n")[1].splitlines()
    assert [line.split()[0] for line in listed] == sorted(COMMANDS)
    assert all(len(line.split(maxsplit=1)) == 2 for line in listed)  # each with its short help
    with click.Context(cli) as ctx:
        assert {name: getattr(cli.get_command(ctx, name), "name", None) for name in COMMANDS} == {
            name: name for name in COMMANDS
        }


def test_add_loads_no_publishing_code(show: Settings, recordings: Path) -> None:
    """A real `add` imports the audio side only: no store, feed, page, check or preview code."""
    code = (
        "import sys; from radiodesk.cli import main; rc = main(sys.argv[1:]); "
        "print(rc, *sys.modules, file=sys.stderr)"
    )
    recording = recordings / "Алиханов — фрагмент выступления.wav"
    argv = ["-q", "-C", show.root, "add", recording, "--title", "Лёгкий старт"]
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True
    )
    rc, *loaded = done.stderr.splitlines()[-1].split()  # the line the code above printed
    assert rc == "0", done.stderr
    assert {"radiodesk.cli.episodes", "radiodesk.ingest.add"} <= set(loaded)
    publishing = {"publish", "bundle", "feed", "site", "station", "storage", "audit", "check"}
    heavy = {f"radiodesk.{name}" for name in (*publishing, "serve")} | {"boto3", "jinja2"}
    assert heavy.isdisjoint(loaded)


def test_installed_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "radiodesk"
    done = subprocess.run([script, "--version"], capture_output=True, text=True, check=True)
    assert "radiodesk" in done.stdout
    failed = subprocess.run(
        [script, "-C", tmp_path, "list"], capture_output=True, text=True, check=False
    )
    assert failed.returncode == 1
    assert failed.stderr.startswith("radiodesk: error: no radiodesk.toml")
    assert "Traceback" not in failed.stderr


def test_batch_add_of_a_folder(
    show: Settings, recordings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "пачка"
    folder.mkdir()
    for name in ("Первое интервью.flac", "Второе интервью.flac"):
        (folder / name).write_bytes((recordings / "studio.flac").read_bytes())
    (folder / "Пустой.wav").write_bytes(b"")
    (folder / "notes.txt").write_text("not a recording", encoding="utf-8")
    assert run("-C", show.root, "add", folder, "--jobs", "2") == 1
    captured = capsys.readouterr()
    assert captured.out.split() == ["vtoroe-interviu", "pervoe-interviu"]
    assert "radiodesk: error: Пустой.wav: recording Пустой.wav is empty" in captured.err
    titles = sorted(
        tomllib.loads((show.root / "episodes" / s / "episode.toml").read_text("utf-8"))["title"]
        for s in captured.out.split()
    )
    assert titles == ["Второе интервью", "Первое интервью"]
    assert not [p for p in (show.root / "episodes").iterdir() if p.name.startswith(".")]


def test_batch_add_refuses_one_title_for_many(
    show: Settings, recordings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    studio = recordings / "studio.flac"
    assert run("-C", show.root, "add", studio, studio, "--title", "Одно") == 2
    assert "--title, --slug and --episode apply to one recording only" in capsys.readouterr().err
    assert run("-C", show.root, "add", studio) == 2
    assert "give the episode a --title" in capsys.readouterr().err


def test_chapters_transcript_and_podcast_tags_reach_feed_mp3_and_page(
    show: Settings, recordings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chapters = tmp_path / "главы.txt"
    chapters.write_text("00:00 Вступление\n00:02 О заводах в Барановичах\n", encoding="utf-8")
    transcript = tmp_path / "текст.vtt"
    transcript.write_text("WEBVTT\n\n00:00.000 --> 00:02.000\nДобрый день.\n", encoding="utf-8")
    toml = show.root / "radiodesk.toml"
    toml.write_text(
        toml.read_text("utf-8").replace(
            "[audio]", 'hosts = ["Ведущая Анна:host"]\nlocation_name = "Калининград"\n\n[audio]'
        ),
        encoding="utf-8",
    )
    assert add(
        show, recordings / "studio.flac", "--chapters", str(chapters), "--transcript",
        str(transcript), "--person", "Антон Алиханов:guest", "--type", "bonus", title="Главы",
    ) == 0  # fmt: skip
    slug = capsys.readouterr().out.strip()
    assert run("-C", show.root, "publish") == 0
    tree = etree.fromstring(feed_of(show))
    pod = {"podcast": "https://podcastindex.org/namespace/1.0", **NS}
    item = tree.find("channel/item")
    assert item is not None
    chapters_url = item.find("podcast:chapters", pod).get("url")
    chapters_file = show.local_store / chapters_url.split("/podcast/", 1)[1]
    data = json.loads(chapters_file.read_text("utf-8"))
    assert [c["title"] for c in data["chapters"]] == ["Вступление", "О заводах в Барановичах"]
    vtt = item.find("podcast:transcript", pod)
    assert (vtt.get("type"), vtt.get("language")) == ("text/vtt", "ru")
    assert (show.local_store / vtt.get("url").split("/podcast/", 1)[1]).read_bytes() == (
        transcript.read_bytes()
    )
    assert item.findtext("itunes:episodeType", namespaces=NS) == "bonus"
    people = [(p.text, p.get("role")) for p in item.findall("podcast:person", pod)]
    assert ("Антон Алиханов", "guest") in people
    assert ("Ведущая Анна", "host") in people  # the item's list restates the show's hosts
    assert tree.find("channel/podcast:location", pod).text == "Калининград"
    assert tree.find("channel/podcast:guid", pod) is not None
    mp3 = next((show.local_store / "audio").iterdir())
    assert [c.title for c in read_tags(mp3).chapters] == [
        "Вступление",
        "О заводах в Барановичах",
    ]
    page = (show.local_store / "episodes" / slug / "index.html").read_text("utf-8")
    assert "О заводах в Барановичах" in page
    assert "Добрый день." in page


def test_check_passes_on_a_fresh_publish_and_finds_a_broken_object(
    show: Settings, recordings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(show, recordings / "Алиханов — фрагмент выступления.wav", title="Проверка") == 0
    assert run("-C", show.root, "publish") == 0
    capsys.readouterr()
    assert run("-C", show.root, "check") == 0, capsys.readouterr().out
    assert capsys.readouterr().out == "no problems\n"
    mp3 = next((show.local_store / "audio").iterdir())
    mp3.write_bytes(mp3.read_bytes()[:-1000])  # the length in the feed is now wrong
    assert run("-C", show.root, "check") == 1
    out = capsys.readouterr().out
    assert re.search(r"^error .* bytes, but the feed says \d+$", out, re.MULTILINE), out


def test_edit_corrects_text_and_audio_and_keeps_the_guid(
    show: Settings, recordings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(show, recordings / "studio.flac", title="Губернатор: 350 млн") == 0
    slug = capsys.readouterr().out.strip()
    assert run("-C", show.root, "publish") == 0
    old = etree.fromstring(feed_of(show)).find("channel/item")
    assert old is not None
    folder = show.root / "episodes" / slug
    old_master = next((folder / "master").iterdir())

    assert run(
        "-C", show.root, "edit", slug, "--title", "Губернатор: 360 млн",
        "--replace-audio", str(recordings / "Алиханов — фрагмент выступления.wav"),
        "--note", "цифра товарооборота исправлена", "--public-note",
    ) == 0  # fmt: skip
    assert run("-C", show.root, "publish") == 0
    capsys.readouterr()
    item = etree.fromstring(feed_of(show)).find("channel/item")
    assert item is not None
    assert item.findtext("guid") == old.findtext("guid")
    assert item.findtext("pubDate") == old.findtext("pubDate")
    assert item.findtext("title") == "Губернатор: 360 млн"
    assert item.find("enclosure").get("url") != old.find("enclosure").get("url")
    assert "цифра товарооборота исправлена" in item.findtext("description")
    assert old_master.read_bytes() == (recordings / "studio.flac").read_bytes()  # kept
    assert len(list((show.local_store / "audio").iterdir())) == 1  # the old MP3 was pruned

    assert run("-C", show.root, "show", slug, "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["guid"] == old.findtext("guid")
    assert shown["previous_masters"] == ["master/studio.flac"]
    assert shown["corrections"][0]["note"] == "цифра товарооборота исправлена"
    assert shown["audio"]["channel_plan"] == "mono"  # the replacement is a mono recording
    assert shown["audio"]["gain_db"] != 0


def test_publish_after_add_does_not_retag_an_episode_with_chapters(
    show: Settings, recordings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chapters = tmp_path / "главы.txt"
    chapters.write_text("00:00 Начало\n00:01 Конец\n", encoding="utf-8")
    # A decoded duration with more than 3 decimals (a cut MP3), rounded in the record.
    assert add(show, recordings / "cut-mid.mp3", "--chapters", str(chapters), title="Главы") == 0
    slug = capsys.readouterr().out.strip()
    toml = show.root / "episodes" / slug / "episode.toml"
    before = toml.read_bytes()
    (mp3,) = (show.root / "episodes" / slug / "derived").glob("*.mp3")
    assert run("-C", show.root, "publish") == 0
    assert toml.read_bytes() == before  # the last chapter ends where the record says the audio does
    assert list((show.root / "episodes" / slug / "derived").glob("*.mp3")) == [mp3]
