"""Soundbites end to end: `add --soundbite`, the MP3 clips, podcast:soundbite, the web page.

Real ffmpeg on a generated recording; clips checked by an independent ebur128 pass, decoded
sample counts and mutagen; the feed read back with XPath; a real local store.
"""

from __future__ import annotations

import array
import dataclasses
import math
import wave
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree, html
from mutagen.id3 import ID3

from media import ffmpeg_run, make_recording, measure
from radiodesk.audio.tags import read_tags, write_tags
from radiodesk.check import podcasting
from radiodesk.check.base import NS, Findings
from radiodesk.cli import main
from radiodesk.errors import CatalogError, FeedError
from radiodesk.ingest.episode_tags import tag_values
from radiodesk.ingest.soundbite_clips import refresh_clips
from radiodesk.publish import feed_model
from radiodesk.publish.feed_writer import build_feeds
from radiodesk.show import soundbites
from radiodesk.show.episode import Soundbite
from radiodesk.show.episode_file import episode_from_dict, episode_to_toml, load_episode
from radiodesk.show.settings import Settings
from radiodesk.spec import ITUNES_NS, PODCAST_NS
from showfiles import snapshot

PODCAST = {"podcast": PODCAST_NS, "itunes": ITUNES_NS}
GOVERNOR = "Алиханов: локализация — это рабочие места"


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Thirty seconds of stereo speech, quieter than the target, under a Cyrillic name."""
    folder = tmp_path_factory.mktemp("soundbites")
    return make_recording(folder / "Губернатор — выступление.wav", seconds=30, lufs=-28, channels=2)


def run(*argv: str | Path) -> int:
    return main([str(a) for a in argv])


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("radiodesk: error")]
    assert len(lines) == 1, err
    return lines[0]


def decode(path: Path, scratch: Path) -> tuple[array.array[int], int]:
    """Decode to mono 16-bit samples with ffmpeg itself (not radiodesk): samples, rate."""
    wav = scratch / f"{path.stem}.decoded.wav"
    ffmpeg_run("-i", f"file:{path}", "-map", "0:a:0", "-ac", "1", "-c:a", "pcm_s16le", str(wav))
    with wave.open(str(wav), "rb") as reader:
        samples = array.array("h", reader.readframes(reader.getnframes()))
        return samples, reader.getframerate()


def correlation(a: array.array[int], b: array.array[int]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90.0), ("1:30", 90.0), ("1:30.5", 90.5), ("0:01:30", 90.0), ("01:02:03.25", 3723.25)],
)
def test_times_parse(text: str, seconds: float) -> None:
    assert soundbites.parse_time(text) == seconds


@pytest.mark.parametrize(
    "text", ["", "1:60", "1:75:00", "-5", "1,5", "1:2:3:4", "полторы", "1.5.2"]
)
def test_bad_times_are_refused(text: str) -> None:
    with pytest.raises(CatalogError):
        soundbites.parse_time(text)


def test_soundbite_spec_parses_with_cyrillic_title() -> None:
    sound = soundbites.parse_soundbite("1:13-1:28.5:Губернатор: главное")
    assert sound == Soundbite(start_s=73.0, duration_s=15.5, title="Губернатор: главное")
    assert soundbites.parse_soundbite("90-105") == Soundbite(start_s=90, duration_s=15)
    # A title may begin with digits: the end time is the longest time that leaves ":title".
    sound = soundbites.parse_soundbite("1:30-1:45:30 лет заводу")
    assert (sound.end_s, sound.title) == (105.0, "30 лет заводу")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("1:30", "is not START-END"),
        ("1:30-1:20", "ends before it starts"),
        ("10-10.5:коротко", "it must last 1 to 300 s"),
        ("0-6:00", "it must last 1 to 300 s"),
        ("10-20:" + "я" * 129, "at most 128"),
        ("10-20:строка\x07", "control characters"),
        ("1:61-2:00", "minutes and seconds run to 59"),
    ],
)
def test_bad_soundbites_are_refused(spec: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        soundbites.parse_soundbite(spec)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("00:05 - 00:25 Главное", (5.0, 25.0, "Главное")),
        ("00:05-00:25 Главное", (5.0, 25.0, "Главное")),
        ("0:05 – 0:25: Главное", (5.0, 25.0, "Главное")),
        ("0:05—0:25 — Главное", (5.0, 25.0, "Главное")),
        ("  1:13 -1:28   Губернатор: главное  ", (73.0, 88.0, "Губернатор: главное")),
        ("1:13-1:28:Главное", (73.0, 88.0, "Главное")),
        ("5 - 25", (5.0, 25.0, "")),
        ("55-1:10 Итоги", (55.0, 70.0, "Итоги")),  # END written longer than START
        ("1:30-1:45:30 лет заводу", (90.0, 105.0, "30 лет заводу")),  # END like START
        ("0:01:30 - 0:01:45 Итоги", (90.0, 105.0, "Итоги")),
        ("1:30.5 - 1:45.25 Итоги", (90.5, 105.25, "Итоги")),
    ],
)
def test_natural_soundbite_spellings_parse(spec: str, expected: tuple[float, float, str]) -> None:
    sound = soundbites.parse_soundbite(spec)
    assert (sound.start_s, sound.end_s, sound.title) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("Главное 0:05-0:25", "soundbite 'Главное 0:05-0:25' is not START-END [title]"),
        ("0:05-", "soundbite '0:05-' is not START-END [title]"),
        ("0:05-0:25Главное", "soundbite '0:05-0:25Главное' is not START-END [title]"),
        ("0:05 - 0:25 - 0:30", "soundbite '0:05 - 0:25 - 0:30' is not START-END [title]"),
        ("0:25 - 0:05 Главное", "soundbite '0:25 - 0:05 Главное' ends before it starts"),
        ("5-1:75 Итоги", "'1:75' is not a time: minutes and seconds run to 59"),
        ("5-25:30", "soundbite at 0:05 lasts 1525 s; it must last 1 to 300 s"),
    ],
)
def test_soundbite_nonsense_is_refused_clearly(spec: str, message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        soundbites.parse_soundbite(spec)
    assert caught.value.message == message


TIME_FORMS = [
    lambda s: f"{s:g}",  # seconds
    lambda s: f"{int(s // 60)}:{s % 60:02g}" if s % 60 >= 10 else f"{int(s // 60)}:0{s % 60:g}",
    lambda s: f"0:{int(s // 60):02d}:{int(s % 60):02d}" + (f"{s % 1:.1f}"[1:] if s % 1 else ""),
]
SEPARATORS = ["-", " - ", " – ", "—", " —  "]
TITLE_SEPARATORS = [" ", ":", ": ", " — ", "  "]


@settings(max_examples=200, deadline=None)
@given(
    start=st.integers(min_value=0, max_value=3000).map(lambda n: n / 2),
    length=st.integers(min_value=2, max_value=600).map(lambda n: n / 2),
    form=st.sampled_from(TIME_FORMS),
    dash=st.sampled_from(SEPARATORS),
    before_title=st.sampled_from(TITLE_SEPARATORS),
    title=st.text(
        st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), min_size=0, max_size=40
    ).filter(lambda t: not t.strip() or (t.strip()[0].isalpha() and t == t.strip())),
)
def test_any_natural_spelling_reads_back(
    start: float, length: float, form: object, dash: str, before_title: str, title: str
) -> None:
    write = form  # the same form for START and END, as producers write them
    end = start + length
    spec = f"{write(start)}{dash}{write(end)}"  # type: ignore[operator]
    if title.strip():
        spec += before_title + title
    sound = soundbites.parse_soundbite(spec)
    assert (sound.start_s, sound.end_s, sound.title) == (start, end, title.strip())


def test_soundbites_survive_episode_toml() -> None:
    data = {
        "slug": "s", "guid": "g", "title": "Т", "description": "", "date": datetime.now(UTC),
        "created": datetime.now(UTC),
        "master": {"file": "m/a.wav", "original_name": "a.wav", "sha256": "0", "size_bytes": 1},
        "soundbite": [{"start_s": 73.5, "duration_s": 15.0, "title": "Главное"}],
    }  # fmt: skip
    episode = episode_from_dict(data)
    assert episode.soundbites == (Soundbite(start_s=73.5, duration_s=15.0, title="Главное"),)
    assert "[[soundbite]]" in episode_to_toml(episode)
    data["soundbite"] = [{"start_s": -1.0, "duration_s": 15.0}]
    with pytest.raises(ValueError, match="soundbite"):
        episode_from_dict(data)


# ---------------------------------------------------------------- add, clips, feed, page


def test_add_with_soundbites_publishes_clips(
    show: Settings, recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = run(
        "-C", show.root, "add", recording, "--title", "Губернатор о заводах",
        "--soundbite", f"0:05-0:20:{GOVERNOR}", "--soundbite", "21.5-24",
    )  # fmt: skip
    assert status == 0
    out = capsys.readouterr()
    slug = out.out.strip()
    assert "soundbite at 0:21.5 lasts 2.5 s; apps expect 15-120 s" in out.err  # a warning
    folder = show.root / "episodes" / slug
    episode = load_episode(folder)
    assert episode.soundbites == (
        Soundbite(start_s=5.0, duration_s=15.0, title=GOVERNOR),
        Soundbite(start_s=21.5, duration_s=2.5, title=""),
    )
    assert episode.audio is not None
    mp3 = folder / episode.audio.file
    clips = soundbites.load_clips(mp3, slug)
    by_start = {
        s.start_s: mp3.parent / clips[soundbites.fingerprint(episode, s, show.audio)].file
        for s in episode.soundbites
    }
    whole, rate = decode(mp3, tmp_path)
    for sound in episode.soundbites:
        clip = by_start[sound.start_s]
        samples, clip_rate = decode(clip, tmp_path)
        assert clip_rate == rate
        # Length: within 50 ms of the span asked for; the fades lie inside it.
        assert abs(len(samples) / rate - sound.duration_s) <= 0.05
        head = max(abs(x) for x in samples[: rate // 200])  # first 5 ms: still fading in
        assert head < 0.1 * max(abs(x) for x in samples)
        # Position: past the fades, the clip is the episode's waveform at that time.
        begin, end = round(0.3 * rate), len(samples) - round(0.5 * rate)
        start = round(sound.start_s * rate)
        ours, theirs = samples[begin:end], whole[start + begin : start + end]
        assert correlation(ours, theirs) > 0.9
        # Loudness: an independent ebur128 pass on the clip (short clips: within 1 LU).
        lufs, peak = measure(clip)
        assert lufs == pytest.approx(-16.0, abs=1.0), (sound, lufs)
        assert peak <= -1.0

    tags = ID3(by_start[5.0])
    assert str(tags["TIT2"]) == GOVERNOR
    assert str(tags["TPE1"]) == "Редакция радио"
    assert str(tags["TALB"]) == "Радио: актуальные комментарии"
    assert tags.getall("APIC")[0].data.startswith(b"\xff\xd8")
    assert "PCST" not in tags
    assert str(ID3(by_start[21.5])["TIT2"]) == "Губернатор о заводах (фрагмент)"

    assert run("-C", show.root, "publish") == 0
    published = capsys.readouterr().out
    clip_keys = sorted(line.split()[1] for line in published.splitlines() if "clips/" in line)
    assert len(clip_keys) == 2
    for key in clip_keys:
        uploaded = (show.local_store / key).read_bytes()
        assert uploaded in {p.read_bytes() for p in by_start.values()}

    root = etree.fromstring((show.local_store / "feed.xml").read_bytes())
    bites = root.xpath("//item/podcast:soundbite", namespaces=PODCAST)
    assert [(b.get("startTime"), b.get("duration"), b.text) for b in bites] == [
        ("5.0", "15.0", GOVERNOR),
        ("21.5", "2.5", None),
    ]

    page = html.fromstring((show.local_store / "episodes" / slug / "index.html").read_bytes())
    items = page.xpath("//ul[@class='soundbites']/li")
    assert len(items) == 2
    first = items[0]
    assert first.xpath("string(.//span[@class='title'])") == GOVERNOR
    assert first.xpath("string(.//span[@class='at'])") == "0:00:05–0:00:20"
    player = first.xpath(".//audio/@src")[0]
    assert player.startswith("../../clips/")
    assert player.removeprefix("../../") in clip_keys
    assert first.xpath(".//a[@download]/@href") == [player]
    assert first.xpath(".//a[@data-t='5']/@href")[0].endswith(".mp3#t=5")
    assert items[1].xpath(".//a[@data-t='21.5']")

    assert run("-C", show.root, "publish") == 0
    assert "nothing to do: the store is up to date" in capsys.readouterr().out

    # Replace the soundbites: one new clip is cut, the old clips leave the store and the disk.
    assert run("-C", show.root, "edit", slug, "--soundbite", "10-25:Второй фрагмент") == 0
    assert run("-C", show.root, "publish") == 0
    out = capsys.readouterr().out
    assert sum(1 for line in out.splitlines() if line.startswith("uploaded clips/")) == 1
    assert sorted(line.split()[1] for line in out.splitlines() if "deleted clips/" in line) == (
        clip_keys
    )
    assert len(list((folder / "derived").glob("*.soundbite-*.mp3"))) == 1
    assert run("-C", show.root, "edit", slug, "--clear-soundbites") == 0
    assert run("-C", show.root, "publish") == 0
    assert not list((folder / "derived").glob("*.soundbite-*.mp3"))
    assert b"soundbite" not in (show.local_store / "feed.xml").read_bytes()
    assert not list((show.local_store / "clips").glob("*.mp3"))


def test_a_clip_is_tagged_from_the_episode_not_from_the_mp3s_tag(
    show: Settings, recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("-C", show.root, "add", recording, "--title", "Т", "--soundbite", "5-20") == 0
    slug = capsys.readouterr().out.strip()
    folder = show.root / "episodes" / slug
    episode = load_episode(folder)
    assert episode.audio is not None
    mp3 = folder / episode.audio.file
    for clip in soundbites.load_clips(mp3, slug).values():
        (mp3.parent / clip.file).unlink()
    # Another artist in the MP3's own tag: a clip cut now must still carry the show's.
    write_tags(mp3, dataclasses.replace(read_tags(mp3), artist="Чужой тег"))
    refresh_clips(
        show, folder, episode, tag_values(show, folder, episode, episode.audio.duration_s)
    )
    (clip,) = soundbites.load_clips(mp3, slug).values()
    assert str(ID3(mp3.parent / clip.file)["TPE1"]) == "Редакция радио"


def test_out_of_range_soundbite_is_refused(
    show: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    short = make_recording(tmp_path / "коротко.wav", seconds=4, lufs=-20)
    before = snapshot(show.root)
    status = run("-C", show.root, "add", short, "--title", "Т", "--soundbite", "0:02-0:06:Мимо")
    assert status == 1
    assert one_line_error(capsys) == (
        "radiodesk: error: soundbite 0:02-0:06 runs past the end of the recording (0:04)"
    )
    assert snapshot(show.root) == before

    status = run("-C", show.root, "add", short, "--title", "Т", "--soundbite", "0:02")
    assert status == 1
    assert "is not START-END [title]" in one_line_error(capsys)
    assert snapshot(show.root) == before

    assert run("-C", show.root, "add", short, short, "--soundbite", "1-3") == 2
    assert "--soundbite applies to one recording only" in capsys.readouterr().err
    assert snapshot(show.root) == before

    assert run("-C", show.root, "add", short, "--title", "Т", "--soundbite", "1-3") == 0
    slug = capsys.readouterr().out.strip()
    before = snapshot(show.root)
    assert run("-C", show.root, "edit", slug, "--soundbite", "3-5") == 1
    assert "runs past the end of the recording" in one_line_error(capsys)
    assert snapshot(show.root) == before


def test_dry_run_previews_missing_clips_without_touching_the_show(
    show: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = make_recording(tmp_path / "r.wav", seconds=5, lufs=-20)
    assert run("-C", show.root, "add", recording, "--title", "Т", "--soundbite", "1-3:Раз") == 0
    slug = capsys.readouterr().out.strip()
    derived = show.root / "episodes" / slug / "derived"
    for path in derived.glob(f"{slug}.soundbite*"):
        path.unlink()
    before = snapshot(show.root)
    assert run("-C", show.root, "publish", "--dry-run") == 0
    out = capsys.readouterr().out
    assert any(line.startswith("would upload clips/") for line in out.splitlines())
    assert snapshot(show.root) == before
    assert run("-C", show.root, "publish") == 0
    assert "uploaded clips/" in capsys.readouterr().out
    assert list(derived.glob(f"{slug}.soundbite-*.mp3"))


# ---------------------------------------------------------------- feed and check rules


def test_feed_refuses_a_soundbite_past_the_end() -> None:
    channel = feed_model.Channel(
        title="Т", description="О", language="ru", link="https://e.org/",
        feed_url="https://e.org/feed.xml", author="А", owner_name="В",
        owner_email="a@e.org", category="News", subcategory=None, explicit=False,
        image_url=None,
    )  # fmt: skip
    item = feed_model.Item(
        guid="g", title="Выпуск", description="", published=datetime(2026, 1, 1, tzinfo=UTC),
        link=None, enclosure_url="https://e.org/a.mp3", enclosure_length=10, duration_s=30.0,
        season=None, episode=None, explicit=False, image_url=None,
        soundbites=(feed_model.Soundbite(start_s=20.0, duration_s=10.0, title="Конец"),),
    )  # fmt: skip
    build_feeds(channel, [item], page_size=None)  # ends exactly at the end: fine
    late = feed_model.Soundbite(start_s=20.5, duration_s=10.0)
    with pytest.raises(FeedError, match=r"soundbite at 20\.5 s runs past the end"):
        build_feeds(channel, [dataclasses.replace(item, soundbites=(late,))], page_size=None)


@pytest.mark.parametrize(
    ("attrs", "level", "message"),
    [
        ('startTime="10" duration="20.5"', None, None),
        (
            'startTime="20" duration="15"',
            "error",
            "runs past the end of the episode (itunes:duration 0:00:30)",
        ),
        ('startTime="10" duration="5"', "warning", "lasts 5 s; apps expect 15-120 s"),
        ('startTime="ten" duration="5"', "error", "startTime and duration (has 'ten', '5')"),
        ('startTime="1" duration="0"', "error", "lasts no time"),
    ],
)
def test_check_soundbites_lie_within_the_episode(
    attrs: str, level: str | None, message: str | None
) -> None:
    item = ET.fromstring(
        f'<item xmlns:itunes="{NS["itunes"]}" xmlns:podcast="{NS["podcast"]}">'
        f"<itunes:duration>0:00:30</itunes:duration>"
        f"<podcast:soundbite {attrs}>Главное</podcast:soundbite></item>"
    )
    found = Findings()
    podcasting.check_item(item, "item", found)
    problems = [(p.level, p.message) for p in found.problems if "soundbite" in p.message]
    if level is None:
        assert problems == []
    else:
        assert len(problems) == 1
        assert problems[0][0] == level
        assert problems[0][1].endswith(message)
