"""Bad and hostile input: broken recordings, hostile file names and text, malformed files.

Every input is either processed correctly or refused with one `radiodesk: error:` line, exit
status 1 and the show left as it was: never a traceback, never a half-made episode. Text of any
kind reaches the feed, the ID3 tag and the web page as text (property tests with hypothesis).
Empty, plain-text and silent recordings are in test_cli; `../` slugs in test_cli too.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import shutil
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import lxml.html
import podcastparser
import pytest
import tomlkit
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from lxml import etree
from mutagen.mp3 import MP3
from PIL import Image

from clirun import Run, run
from conftest import make_cover
from media import ffmpeg_run, make_recording, measure
from radiodesk.audio.tags import read_tags
from radiodesk.errors import ConfigError
from radiodesk.publish import site, site_model
from radiodesk.show.scaffold import create_show
from radiodesk.show.settings import CONFIG_FILE, Settings
from radiodesk.show.settings_file import load_settings
from showfiles import snapshot

BASE_URL = "https://radio.example.org/podcast"
MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)> & ]]> \"кавычки\" 'апостроф'"
RTL = "\u202eעברית والعربية\u202c"
LONG = "Длинное слово " * 720  # 10,080 characters
# C0 and C1 controls but tab and line breaks: refused in every field, transcripts too.
CUE_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


# ----------------------------------------------------------------------------- helpers


def one_error_line(result: Run) -> str:
    """Return the one error line of a refused run; fail on a traceback or anything more."""
    assert result.status == 1, result
    assert "Traceback" not in result.err
    lines = [line for line in result.err.splitlines() if not line.startswith("radiodesk: hint:")]
    assert len(lines) == 1, result.err
    assert lines[0].startswith("radiodesk: error: ")
    assert lines[0].isprintable(), lines[0]  # no raw control character reaches the terminal
    return lines[0]


def new_show(root: Path, cover: Path) -> Settings:
    create_show(
        root,
        title="Радио: актуальные комментарии",
        base_url=BASE_URL,
        description="Интервью и выступления.",
        language="ru",
        author="Редакция радио",
        email="radio@example.org",
        category="News/Politics",
        image=cover,
        explicit=False,
    )
    return load_settings(root)


def squash(text: str) -> str:
    return " ".join(text.split())


def store_path(settings: Settings, url: str) -> Path:
    return settings.local_store / url.removeprefix(BASE_URL + "/")


def assert_feed_is_served(settings: Settings) -> None:
    """Every enclosure of the live local feed is in the store at the length the feed states."""
    tree = etree.fromstring((settings.local_store / "feed.xml").read_bytes())
    for enclosure in tree.iter("enclosure"):
        path = store_path(settings, enclosure.get("url"))
        assert path.stat().st_size == int(enclosure.get("length")), path


# ----------------------------------------------------------------------------- bad recordings


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Broken, odd and extreme recordings, as producers really hand them over."""
    folder = tmp_path_factory.mktemp("corpus")
    data = make_recording(folder / "whole.wav", seconds=3, lufs=-20).read_bytes()
    (folder / "truncated-header.wav").write_bytes(data[:30])
    (folder / "truncated.wav").write_bytes(data[: len(data) // 2])  # the header promises 3 s
    (folder / "notes.mp3").write_text("это не звук, а заметки\n" * 50, encoding="utf-8")
    Image.new("RGB", (64, 64), "red").save(folder / "photo.wav", "PNG")
    Image.new("RGB", (64, 64), "red").save(folder / "photo.mp3", "JPEG")
    make_recording(folder / "blip.wav", seconds=0.2, lufs=-20)
    make_recording(
        folder / "hi-res.wav", seconds=3, lufs=-20, channels=2, sample_rate=192000, bits=24
    )
    make_recording(folder / "surround.wav", seconds=3, lufs=-20, channels=6)
    return folder


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("truncated-header.wav", r"truncated-header\.wav"),
        ("notes.mp3", r"notes\.mp3"),
        ("photo.wav", r"photo\.wav has no audio"),
        ("photo.mp3", r"photo\.mp3 has no audio"),
        ("blip.wav", r"blip\.wav is too short"),
    ],
)
def test_broken_recordings_are_refused_in_one_line(
    show: Settings, corpus: Path, name: str, message: str
) -> None:
    before = snapshot(show.root)
    line = one_error_line(run("-C", show.root, "add", corpus / name, "--title", "Выпуск"))
    assert re.search(message, line), line
    assert snapshot(show.root) == before
    assert list((show.root / "episodes").iterdir()) == []  # not even a staging folder


@pytest.mark.parametrize(
    ("name", "channels", "target_lufs", "duration_s"),
    [
        ("truncated.wav", 1, -19.0, 1.5),  # what is there is published, at its real length
        ("hi-res.wav", 2, -16.0, 3.0),  # 192 kHz, 24 bit: resampled to 44.1 kHz
        ("surround.wav", 2, -16.0, 3.0),  # 5.1: downmixed to stereo
    ],
)
def test_odd_recordings_are_processed_correctly(
    show: Settings, corpus: Path, name: str, channels: int, target_lufs: float, duration_s: float
) -> None:
    result = run("-C", show.root, "add", corpus / name, "--title", "Выпуск")
    assert result.status == 0, result.err
    folder = show.root / "episodes" / result.out.strip()
    meta = tomllib.loads((folder / "episode.toml").read_text("utf-8"))
    assert (folder / "master" / name).read_bytes() == (corpus / name).read_bytes()
    mp3 = folder / meta["audio"]["file"]
    info = MP3(mp3).info
    assert (info.sample_rate, info.channels) == (44100, channels)
    assert info.length == pytest.approx(duration_s, abs=0.15)
    lufs, peak = measure(mp3)
    assert lufs == pytest.approx(target_lufs, abs=0.5)
    assert peak <= -1.0
    assert [p.name for p in (show.root / "episodes").iterdir()] == [folder.name]


NAMES = [
    "Интервью Алиханова — фрагмент.wav",
    "\"Кавычки\" и 'апострофы' `обратные`.wav",
    "  пробелы  по краям .wav",
    "-начинается с дефиса.wav",
    "--title.wav",
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("spelling", ["after --", "as ./name"])
def test_odd_file_names_survive_byte_for_byte(
    show: Settings,
    corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    spelling: str,
) -> None:
    folder = tmp_path / "от продюсера"
    folder.mkdir()
    shutil.copy(corpus / "whole.wav", folder / name)
    monkeypatch.chdir(folder)  # a relative name that starts with a dash, as typed in a shell
    given_name = ["--", name] if spelling == "after --" else [f"./{name}"]
    result = run("-C", show.root, "add", "--title", "Выпуск", *given_name)
    assert result.status == 0, result.err
    episode = show.root / "episodes" / result.out.strip()
    assert os.listdir(episode / "master") == [name]
    assert (episode / "master" / name).read_bytes() == (folder / name).read_bytes()
    meta = tomllib.loads((episode / "episode.toml").read_text("utf-8"))
    assert meta["master"]["original_name"] == name


@pytest.mark.parametrize(
    "name", ["перевод\nстроки.wav", os.fsdecode(b"latin1-\xe9t\xe9.wav"), "escape-\x1b[31m.wav"]
)
def test_file_names_no_message_can_carry_are_refused(
    show: Settings, corpus: Path, tmp_path: Path, name: str
) -> None:
    recording = tmp_path / name
    shutil.copy(corpus / "whole.wav", recording)
    before = snapshot(show.root)
    line = one_error_line(run("-C", show.root, "add", recording, "--title", "Выпуск"))
    assert "control characters or bytes that are not UTF-8" in line
    assert snapshot(show.root) == before
    assert list((show.root / "episodes").iterdir()) == []


@pytest.mark.slow
def test_six_hour_recording_is_published_whole(show: Settings, tmp_path: Path) -> None:
    # Cheap to make: one minute of 8 kHz, 8 kbit/s MP3, stream-copied 360 times (~22 MB).
    minute = tmp_path / "minute.mp3"
    ffmpeg_run("-f", "lavfi", "-i", "sine=f=440:sample_rate=8000:d=60", "-af", "volume=-25dB",
               "-c:a", "libmp3lame", "-b:a", "8k", str(minute))  # fmt: skip
    recording = tmp_path / "шесть часов.mp3"
    ffmpeg_run("-stream_loop", "359", "-i", str(minute), "-c", "copy", str(recording))
    result = run("-C", show.root, "add", recording, "--title", "Шесть часов")
    assert result.status == 0, result.err
    assert run("-C", show.root, "publish").status == 0
    item = etree.fromstring((show.local_store / "feed.xml").read_bytes()).find("channel/item")
    duration = int(item.findtext("{http://www.itunes.com/dtds/podcast-1.0.dtd}duration"))
    assert 21_500 < duration < 21_700
    assert_feed_is_served(show)


# ----------------------------------------------------------------------------- hostile text


def test_hostile_text_in_every_field_stays_text_in_feed_tags_and_page(
    show: Settings, corpus: Path, tmp_path: Path
) -> None:
    title = f"{MARKUP} {RTL} 😀 {LONG}"
    description = f"{MARKUP}\n\n{RTL}\nвторая строка\n\n{LONG}"
    persons = [f"{MARKUP}:guest", f"{RTL}:host", f"{'Я' * 10_000}:guest"]
    chapter_titles = [MARKUP, RTL, "Г" * 10_000]
    chapters = tmp_path / "главы.txt"
    chapters.write_text(
        "".join(f"00:0{i} {t}\n" for i, t in enumerate(chapter_titles)), encoding="utf-8"
    )
    cues = [MARKUP, RTL, LONG.strip()]
    transcript = tmp_path / "текст.vtt"
    transcript.write_text(
        "WEBVTT\n\n"
        + "".join(
            f"00:0{i}.000 --> 00:0{i + 1}.000\n{vtt_escape(c)}\n\n" for i, c in enumerate(cues)
        ),
        encoding="utf-8",
    )
    notes = tmp_path / "notes.txt"
    notes.write_text(description, encoding="utf-8")
    argv = ["--description-file", notes, "--chapters", chapters, "--transcript", transcript]
    for person in persons:
        argv += ["--person", person]
    result = run("-C", show.root, "add", corpus / "whole.wav", "--title", title, *argv)
    assert result.status == 0, result.err
    slug = result.out.strip()
    assert run("-C", show.root, "publish").status == 0

    xml = (show.local_store / "feed.xml").read_bytes()
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.entries[0].title == title.strip()
    episode = podcastparser.parse(f"{BASE_URL}/feed.xml", io.BytesIO(xml))["episodes"][0]
    assert episode["title"] == podcastparser.squash_whitespace(title)
    item = etree.fromstring(xml).find("channel/item")
    notes_html = lxml.html.fragment_fromstring(item.findtext("description"), create_parent="div")
    assert {e.tag for e in notes_html.iter()} == {"div", "p", "br"}  # markup stayed text
    assert squash(" ".join(notes_html.itertext())) == squash(description)
    names = item.xpath(
        "p:person/text()", namespaces={"p": "https://podcastindex.org/namespace/1.0"}
    )
    assert names == [p.rpartition(":")[0] for p in persons]

    mp3 = next((show.local_store / "audio").iterdir())
    tags = read_tags(mp3)
    assert (tags.title, tags.description) == (title.strip(), description.strip())
    assert [c.title for c in tags.chapters] == chapter_titles

    page = lxml.html.document_fromstring(
        (show.local_store / "episodes" / slug / "index.html").read_bytes().decode("utf-8")
    )
    assert_no_injected_markup(page)
    assert page.findtext(".//h1") == title.strip()
    assert [squash(e.text_content()) for e in page.xpath("//dd")] == [
        squash(", ".join([MARKUP, "Я" * 10_000])),
        squash(RTL),
    ]
    assert page.xpath("//ol[@class='chapters']//span[@class='title']/text()") == chapter_titles
    shown = [squash(p.text_content()) for p in page.xpath("//div[@class='transcript']/p")]
    assert shown == [squash(f"{site.format_position(i)} {c}") for i, c in enumerate(cues)]


def vtt_escape(text: str) -> str:
    """Write text as WebVTT cue text: `&`, `<` and `>` as entities, so `-->` cannot occur."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def assert_no_injected_markup(page: lxml.html.HtmlElement) -> None:
    scripts = page.xpath("//script")
    assert all(s.get("src", "").endswith("site.js") and not s.text for s in scripts)
    assert not page.xpath("//*[@*[starts-with(name(), 'on')]]")
    assert not page.xpath("//img[@src='x']")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--title", "Заголовок\x1b[31m", "the title contains control characters"),
        ("--title", "Заголовок\x85", "the title contains control characters"),  # C1 NEL
        ("--title", os.fsdecode(b"Latin-1 \xe9t\xe9"), "bytes that are not UTF-8"),
        ("--description", "строка\x0bстрока", "the description contains control characters"),
        ("--person", "Гость\x07:guest", "contains control characters"),
        ("--person", "Гость\x9b31m", "contains control characters"),
        ("--description-file", "заметки\x00", "the description contains control characters"),
        ("--chapters", "00:00 Глава\x00\n", r"chapters главы\.txt line 1: .*U\+0000"),
        ("--transcript", "WEBVTT\n\n00:00.000 --> 00:01.000\nДа\x00\n", r"текст\.vtt: is binary"),
        ("--transcript", "WEBVTT\n\n00:00.000 --> 00:01.000\nДа\x1b\n", r"текст\.vtt line 4"),
    ],
)
def test_control_characters_are_refused_before_anything_is_made(
    show: Settings, corpus: Path, tmp_path: Path, option: str, value: str, message: str
) -> None:
    files = {
        "--description-file": "notes.txt",
        "--chapters": "главы.txt",
        "--transcript": "текст.vtt",
    }
    if option in files:  # the value is the file's content
        path = tmp_path / files[option]
        path.write_text(value, encoding="utf-8")
        value = str(path)
    before = snapshot(show.root)
    line = one_error_line(
        run("-C", show.root, "add", corpus / "whole.wav", "--title", "Выпуск", option, value)
    )
    assert re.search(message, line), line
    assert snapshot(show.root) == before
    assert list((show.root / "episodes").iterdir()) == []


# ----------------------------------------------------------------------------- property tests

PIECES = st.sampled_from(
    [
        "<script>alert(1)</script>", "<b>", "</p>", "<![CDATA[", "]]>", "&amp;", "&", "<", ">",
        '"', "'", "\\", "\u202e", "\u200f", "\u2028", "😀", "Ж", " ", "  ", "\t", "\n", "\n\n",
        "\r\n", "\u00a0", "Ю" * 10_000,
    ]
)  # fmt: skip
CONTROLS = st.sampled_from(["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\ufffe"])
CLEAN = st.lists(
    st.one_of(
        PIECES,
        st.text(st.characters(exclude_categories=("Cc", "Cs"), exclude_characters="\ufffe\uffff")),
    ),
    max_size=6,
).map("".join)


def benign(text: str) -> str:
    """The same text with every visible character replaced: the same page structure, no markup."""
    return "".join(c if c.isspace() else "x" for c in text)


@settings(max_examples=40, deadline=None)
@given(title=CLEAN, description=CLEAN, person=CLEAN, chapter=CLEAN, cue=CLEAN, show_title=CLEAN)
def test_page_structure_does_not_depend_on_the_text(
    title: str, description: str, person: str, chapter: str, cue: str, show_title: str
) -> None:
    def pages(transform: object) -> dict[str, lxml.html.HtmlElement]:
        t = transform if callable(transform) else (lambda text: text)
        show = site_model.SiteShow(
            title=t(show_title), description=t(description), language="ru", author=t(person),
            image_key=None, feed_key="feed.xml", feed_url=f"{BASE_URL}/feed.xml",
        )  # fmt: skip
        episode = site_model.SiteEpisode(
            slug="vypusk", title=t(title), description=t(description),
            published=datetime(2026, 3, 5, tzinfo=UTC), duration_s=65.0,
            audio_key="audio/vypusk-0123456789ab.mp3", audio_size=1_000_000, image_key=None,
            persons=(site_model.SitePerson(name=t(person), role="guest"),),
            chapters=(site_model.SiteChapter(start_s=0.0, title=t(chapter)),),
            transcript=(site_model.SiteCue(start_s=0.0, end_s=1.0, text=vtt_escape(t(cue))),),
        )  # fmt: skip
        rendered = site.render_site(show, [episode])
        return {
            key: lxml.html.document_fromstring(data.decode("utf-8"))
            for key, data in rendered.items()
            if key.endswith(".html")
        }

    hostile, plain = pages(None), pages(benign)
    for key, page in hostile.items():
        assert [e.tag for e in page.iter()] == [e.tag for e in plain[key].iter()], key
        assert [sorted(e.attrib) for e in page.iter()] == [
            sorted(e.attrib) for e in plain[key].iter()
        ]
        assert_no_injected_markup(page)
    page = hostile["episodes/vypusk/index.html"]
    assert squash(page.findtext(".//h1") or "") == squash(title)
    assert squash(page.xpath("//span[@class='title']")[0].text_content()) == squash(chapter)
    assert squash(page.xpath("//dd")[0].text_content()) == squash(person)
    cue_text = page.xpath("//div[@class='transcript']/p")[0].text_content()
    assert squash(cue_text) == squash(f"0:00:00 {cue}")


def publish_one(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Make a published show whose one episode has chapters and a transcript, to edit by hand."""
    folder = tmp_path_factory.mktemp("published")
    settings = new_show(folder / "шоу", make_cover(folder / "cover.jpg"))
    recording = make_recording(folder / "a.wav", seconds=2, lufs=-20)
    chapters = folder / "chapters.txt"
    chapters.write_text("00:00 Начало\n00:01 Продолжение\n", encoding="utf-8")
    transcript = folder / "t.vtt"
    transcript.write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nДа.\n", encoding="utf-8")
    added = run("-C", settings.root, "add", recording, "--title", "Выпуск", "--slug", "vypusk",
                "--chapters", chapters, "--transcript", transcript,
                "--date", "2026-01-01T10:00:00+03:00")  # fmt: skip
    assert added.status == 0, added.err
    assert run("-C", settings.root, "publish").status == 0
    return settings


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A published show; each test that breaks its episode.toml puts the file back."""
    return publish_one(tmp_path_factory)


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A published show that the property test edits and republishes again and again."""
    return publish_one(tmp_path_factory)


def write_hostile_episode(
    settings: Settings, title: str, description: str, person: str, chapter: str, cue: str
) -> None:
    """Edit the episode's own files the way a producer's editor would."""
    folder = settings.root / "episodes" / "vypusk"
    path = folder / "episode.toml"
    doc = tomlkit.parse(path.read_text("utf-8"))
    doc["title"], doc["description"] = title, description
    people = tomlkit.aot()
    people.append(tomlkit.item({"name": person, "role": "guest"}))
    doc["person"] = people
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    chapter_list = [{"startTime": 0, "title": "Начало"}, {"startTime": 1, "title": chapter}]
    data = json.dumps({"version": "1.2.0", "chapters": chapter_list}, ensure_ascii=False)
    (folder / "chapters.json").write_text(data, encoding="utf-8")
    cue_line = vtt_escape(cue.replace("\r", " ").replace("\n", " "))
    (folder / "transcript.vtt").write_text(
        f"WEBVTT\n\n00:00.000 --> 00:01.000\n{cue_line}\n", encoding="utf-8"
    )


@settings(max_examples=30, deadline=None)
@given(
    title=CLEAN.filter(str.strip),
    description=CLEAN,
    person=CLEAN,
    chapter=CLEAN.map(lambda text: re.sub(r"[\t\n\r]", " ", text)),  # one line of a list
    cue=CLEAN,
)
def test_any_edited_text_is_published_as_text(
    edited: Settings, title: str, description: str, person: str, chapter: str, cue: str
) -> None:
    person, chapter, cue = f"Гость {person}", f"Глава {chapter}", f"Да {cue}"
    write_hostile_episode(edited, title, description, person, chapter, cue)

    result = run("-C", edited.root, "publish")

    assert result.status == 0, result.err
    assert_feed_is_served(edited)
    xml = (edited.local_store / "feed.xml").read_bytes()
    assert not feedparser.parse(xml).bozo
    episode = podcastparser.parse(f"{BASE_URL}/feed.xml", io.BytesIO(xml))["episodes"][0]
    assert episode["title"] == podcastparser.squash_whitespace(title)
    item = etree.fromstring(xml).find("channel/item")
    notes = item.findtext("description") or ""
    if notes:
        fragment = lxml.html.fragment_fromstring(notes, create_parent="div")
        assert {e.tag for e in fragment.iter()} <= {"div", "p", "br"}
        assert squash(" ".join(fragment.itertext())) == squash(description)
    else:
        assert not description.strip()
    url = item.find("enclosure").get("url")
    tags = read_tags(store_path(edited, url))
    assert (tags.title, tags.description) == (title, description)
    assert [c.title for c in tags.chapters] == ["Начало", chapter.strip()]
    page = lxml.html.document_fromstring(
        (edited.local_store / "episodes/vypusk/index.html").read_bytes().decode("utf-8")
    )
    assert_no_injected_markup(page)
    assert squash(page.findtext(".//h1") or "") == squash(title)
    assert squash(page.xpath("//span[@class='title']")[1].text_content()) == squash(chapter)
    cue_text = page.xpath("//div[@class='transcript']/p")[0].text_content()
    assert squash(cue_text) == squash(f"0:00:00 {html.unescape(vtt_escape(cue))}")


@settings(max_examples=20, deadline=None)
@given(
    field=st.sampled_from(["title", "description", "person", "chapter", "cue"]),
    char=CONTROLS,
    before=CLEAN,
    after=CLEAN,
)
def test_control_characters_in_edited_text_are_refused_in_one_line(
    edited: Settings, field: str, char: str, before: str, after: str
) -> None:
    # Chapter titles and transcripts go to ID3 and the page only: a non-character does no harm.
    assume(field in ("title", "description", "person") or CUE_CONTROL.match(char))
    texts = {
        "title": "Выпуск",
        "description": "",
        "person": "Гость",
        "chapter": "Глава",
        "cue": "Да",
    }
    texts[field] += f" {before}{char}{after}"
    write_hostile_episode(edited, **texts)
    live = (edited.local_store / "feed.xml").read_bytes()

    line = one_error_line(run("-C", edited.root, "publish"))

    file = {"chapter": "chapters.json", "cue": "transcript.vtt"}.get(field, "episode.toml")
    assert file in line, line
    assert (edited.local_store / "feed.xml").read_bytes() == live
    assert_feed_is_served(edited)


# ----------------------------------------------------------------------------- malformed files


@pytest.mark.parametrize(
    ("pattern", "new", "setting"),
    [
        (r'title = "Выпуск"', 'title = "Выпуск', "line 4"),  # TOML syntax: the line
        (r'title = "Выпуск"', "title = 5", "'title' (5 is not text)"),
        (r'title = "Выпуск"', 'title = "a\\u0000b"', "'title' (contains control characters)"),
        (r"explicit = false", 'explicit = false\nseason = "one"', "'season' ('one' is not a whole"),
        (r"explicit = false", "explicit = false\nnumber = 1.5", "'number' (1.5 is not a whole"),
        (r"explicit = false", 'explicit = "no"', "'explicit' ('no' is not true or false)"),
        (r"explicit = false", 'explicit = false\ncolour = "red"', "'colour' (no such setting)"),
        (r"explicit = false", 'explicit = false\nimage = "../../../c.jpg"', "'image' ('../"),
        (r"explicit = false", 'explicit = false\nperson = "Гость"', "'person' (a list of tables"),
        (r"duration_s = \S+", 'duration_s = "2"', "'audio.duration_s' ('2' is not a number)"),
        (r"duration_s = \S+", "duration_s = nan", "'audio.duration_s' (nan is not a number)"),
        (r'file = "derived/', 'file = "../../../../derived/', "'audio.file' ('../../../../"),
        (r"integrated_lufs = \S+", 'integrated_lufs = "loud"', "'audio.before.integrated_lufs'"),
        (r'sha256 = "', 'sha = "', "'master.sha' (no such setting)"),
        (r"\[master\].*", "[master]\nextra = 1", "'master.extra' (no such setting)"),
    ],
)
def test_malformed_episode_file_names_the_file_and_the_setting(
    published: Settings, pattern: str, new: str, setting: str
) -> None:
    path = published.root / "episodes" / "vypusk" / "episode.toml"
    original = path.read_text("utf-8")
    broken = re.sub(pattern, lambda _: new, original, count=1)
    assert broken != original
    live = snapshot(published.local_store)
    try:
        path.write_text(broken, encoding="utf-8")
        for command in (["publish"], ["publish", "--dry-run"], ["list"], ["verify"]):
            line = one_error_line(run("-C", published.root, *command))
            assert line.startswith(f"radiodesk: error: {path}: "), line
            assert setting in line, line
    finally:
        path.write_text(original, encoding="utf-8")
    assert snapshot(published.local_store) == live


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[show]\ntitle = 'x'\nbase_url =\n", r"radiodesk\.toml: malformed TOML: .*line 3"),
        ("[show]\ntitle = 5\nbase_url = 'https://x.org'\n", r"\[show\] title must be text"),
        ("[show]\ntitle = 'x'\nbase_url = 'https://x.org'\n[audio]\ntarget_lufs = 'loud'\n",
         r"\[audio\] target_lufs must be a number"),
        ("[show]\ntitle = 'x'\nbase_url = 'https://x.org'\ncolour = 'red'\n",
         r"\[show\] has an unknown setting 'colour'"),
    ],
)  # fmt: skip
def test_malformed_show_file_names_the_file_and_the_line_or_setting(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / CONFIG_FILE).write_text(text, encoding="utf-8")
    for command in (["publish"], ["list"], ["add", tmp_path / "x.wav", "--title", "x"]):
        line = one_error_line(run("-C", tmp_path, *command))
        assert line.startswith(f"radiodesk: error: {tmp_path / CONFIG_FILE}: "), line
        assert re.search(message, line), line
    assert os.listdir(tmp_path) == [CONFIG_FILE]


TOML_VALUES = st.recursive(
    st.one_of(
        st.text(max_size=20),
        st.integers(),
        st.floats(),
        st.booleans(),
        st.datetimes(timezones=st.none() | st.just(UTC)),
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None)
@given(section=st.sampled_from(["show", "audio", "storage", "other"]), key=st.text(max_size=20),
       value=TOML_VALUES, text=st.text(max_size=200))  # fmt: skip
def test_any_show_file_loads_or_is_one_config_error(
    tmp_path_factory: pytest.TempPathFactory, section: str, key: str, value: object, text: str
) -> None:
    root = tmp_path_factory.mktemp("config", numbered=True)
    doc = tomlkit.parse("[show]\ntitle = 'Шоу'\nbase_url = 'https://radio.example.org/p'\n")
    doc.setdefault(section, tomlkit.table())[key] = value
    for content in (tomlkit.dumps(doc), text):
        (root / CONFIG_FILE).write_text(content, encoding="utf-8")
        message = config_error(root)
        assert message is None or (str(root / CONFIG_FILE) in message and "\n" not in message)


def config_error(root: Path) -> str | None:
    """Load the show's settings; return the ConfigError's message, or None when they load."""
    try:
        load_settings(root)
    except ConfigError as exc:
        return exc.message
    return None


def episode_keys(doc: tomlkit.TOMLDocument) -> list[tuple[str, ...]]:
    """Every settable key path of an episode.toml, tables included."""
    paths: list[tuple[str, ...]] = []
    for key, value in doc.items():
        paths.append((key,))
        if isinstance(value, dict):
            for inner, sub in value.items():
                paths.append((key, inner))
                if isinstance(sub, dict):
                    paths += [(key, inner, leaf) for leaf in sub]
    return paths


@settings(max_examples=40, deadline=None)
@given(data=st.data(), value=TOML_VALUES)
def test_any_value_in_any_episode_setting_runs_or_is_one_error(
    published: Settings, data: st.DataObject, value: object
) -> None:
    path = published.root / "episodes" / "vypusk" / "episode.toml"
    original = path.read_text("utf-8")
    doc = tomlkit.parse(original)
    where = data.draw(st.sampled_from(episode_keys(doc)))
    table = doc
    for part in where[:-1]:
        table = table[part]
    table[where[-1]] = value
    live = snapshot(published.local_store)
    try:
        path.write_text(tomlkit.dumps(doc), encoding="utf-8")
        for command in (["list"], ["publish", "--dry-run"]):
            result = run("-C", published.root, *command)
            if result.status != 0:
                one_error_line(result)
    finally:
        path.write_text(original, encoding="utf-8")
    assert snapshot(published.local_store) == live
