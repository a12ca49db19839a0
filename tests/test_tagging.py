"""Tests for radiodesk.tagging: real MP3s from ffmpeg, tags read back by mutagen and ffmpeg."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import mutagen.id3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from radiodesk.audio import tags as tagging
from radiodesk.audio.tags import Cover, TagChapter, Tags, read_tags, write_tags
from radiodesk.errors import TaggingError

MSK = timezone(timedelta(hours=3))
TITLE = "Алиханов — фрагмент выступления"
ALBUM = "Радио: актуальные комментарии"
ARTIST = "Редакция «Радио»"
DESCRIPTION = "Запись эфира: вопросы слушателей и ответы гостя"
FFMPEG = shutil.which("ffmpeg") or imageio_ffmpeg.get_ffmpeg_exe()
BOMS = (b"\xff\xfe", b"\xfe\xff")
CHAPTERS = (
    TagChapter(start_s=0.0, end_s=0.75, title="Вступление"),
    TagChapter(start_s=0.75, end_s=1.5, title="Вопросы слушателей", url="https://radio.example/q"),
    TagChapter(start_s=1.5, end_s=2.0, title="Итоги — «коротко»"),
)


def run_ffmpeg(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg quietly with args and return the finished process."""
    argv = [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", *map(str, args)]
    return subprocess.run(
        argv, stdin=subprocess.DEVNULL, capture_output=True, check=True, timeout=60
    )


def render_mp3(path: Path, *tag_args: str) -> Path:
    """Render two seconds of a 440 Hz sine to path as a 64 kbit/s MP3."""
    source = ("-f", "lavfi", "-i", "sine=frequency=440:duration=2")
    run_ffmpeg("-y", *source, "-c:a", "libmp3lame", "-b:a", "64k", *tag_args, path)
    return path


@pytest.fixture(scope="module")
def source_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MP3 as an encoder leaves it: ID3v2.4 with old frames, and an ID3v1 tag at the end."""
    path = tmp_path_factory.mktemp("tagging") / "source.mp3"
    old = ("-metadata", "title=old title", "-metadata", "comment=old comment")
    return render_mp3(path, "-id3v2_version", "4", "-write_id3v1", "1", *old)


@pytest.fixture
def mp3(source_mp3: Path, tmp_path: Path) -> Path:
    """A fresh copy of the source MP3 for one test."""
    return Path(shutil.copy(source_mp3, tmp_path / "episode.mp3"))


def image_bytes(image_format: str) -> bytes:
    """Return a small generated image in image_format ("JPEG" or "PNG")."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buffer, format=image_format)
    return buffer.getvalue()


def full_tags(**changes: Any) -> Tags:
    """Return Tags with every field set, Cyrillic where it is text, changed by changes."""
    tags = Tags(
        title=TITLE,
        artist=ARTIST,
        album=ALBUM,
        date=datetime(2024, 3, 5, 18, 30, tzinfo=MSK),
        genre="Podcast",
        description=DESCRIPTION,
        language="ru",
        track=12,
        disc=2,
        podcast=True,
        feed_url="https://radio.example/feed.xml",
        episode_guid="radio.example/alikhanov-2024-03-05",
        category="News & Politics",
        url="https://radio.example/episodes/alikhanov",
        cover=Cover(data=image_bytes("JPEG"), mime="image/jpeg"),
        extra={"loudness_lufs": "-16.1", "true_peak_dbtp": "-1.4", "источник": "эфир"},
        chapters=CHAPTERS,
    )
    return dataclasses.replace(tags, **changes)


def tag_frames(path: Path) -> list[tuple[str, bytes]]:
    """Walk the raw ID3v2.3 tag at the head of path and return (frame id, body) pairs."""
    data = path.read_bytes()
    end = 10 + sum(byte << (7 * (3 - i)) for i, byte in enumerate(data[6:10]))
    frames, offset = [], 10
    while offset + 10 <= end and data[offset : offset + 4] != b"\x00\x00\x00\x00":
        size = int.from_bytes(data[offset + 4 : offset + 8], "big")  # v2.3: not syncsafe
        body = data[offset + 10 : offset + 10 + size]
        frames.append((data[offset : offset + 4].decode("ascii"), body))
        offset += 10 + size
    return frames


def audio_bytes(path: Path) -> bytes:
    """Return the bytes of path between its ID3v2 tag and any ID3v1 tag."""
    data = path.read_bytes()
    start = 10 + sum(byte << (7 * (3 - i)) for i, byte in enumerate(data[6:10]))
    return data[start : -128 if data[-128:-125] == b"TAG" else None]


def ffmetadata_sections(path: Path) -> list[dict[str, str]]:
    """Return the global metadata ffmpeg reads from path, then one dict per [CHAPTER]."""
    text = run_ffmpeg("-i", path, "-f", "ffmetadata", "-").stdout.decode("utf-8")
    sections: list[dict[str, str]] = [{}]
    for line in text.splitlines()[1:]:  # the first line is ";FFMETADATA1"
        if line == "[CHAPTER]":
            sections.append({})
        else:  # values here hold no escaped characters
            key, _, value = line.partition("=")
            sections[-1][key] = value
    return sections


def ffmetadata(path: Path) -> dict[str, str]:
    """Return the global metadata ffmpeg reads from path."""
    return ffmetadata_sections(path)[0]


def pcm_md5(path: Path) -> str:
    """Return the MD5 of the PCM that ffmpeg decodes from path's audio stream."""
    return run_ffmpeg("-i", path, "-map", "0:a", "-f", "md5", "-").stdout.decode().strip()


def test_every_field_round_trips(mp3: Path) -> None:
    tags = full_tags()
    write_tags(mp3, tags)
    back = read_tags(mp3)
    assert back == tags
    assert back.date is not None
    assert back.date.tzinfo is UTC


def test_field_table_has_one_row_per_tags_field() -> None:
    rows = [row.name for row in tagging._FIELDS]
    assert sorted(rows) == sorted(field.name for field in dataclasses.fields(Tags))


def test_file_is_id3v23_with_utf16_text_and_no_id3v1(mp3: Path) -> None:
    assert mp3.read_bytes()[-128:-125] == b"TAG"  # the encoder's ID3v1 is there before
    write_tags(mp3, full_tags())
    assert mutagen.id3.ID3(mp3).version == (2, 3, 0)
    assert mp3.read_bytes()[:4] == b"ID3\x03"
    texts = [(name, body) for name, body in tag_frames(mp3) if name[0] == "T" or name == "COMM"]
    assert len(texts) > 10
    for name, body in texts:
        bom_at = 4 if name == "COMM" else 1  # COMM: encoding, 3-byte language, then text
        assert body[0] == 1, name
        assert body[bom_at : bom_at + 2] in BOMS, name
    assert mp3.read_bytes()[-128:-125] != b"TAG"


def test_cyrillic_reads_back_in_ffmpeg(mp3: Path) -> None:
    write_tags(mp3, full_tags())
    metadata = ffmetadata(mp3)
    assert metadata["title"] == TITLE
    assert metadata["artist"] == ARTIST
    assert metadata["album"] == ALBUM
    assert metadata["comment"] == DESCRIPTION
    assert metadata["TDES"] == DESCRIPTION
    assert metadata["language"] == "rus"
    assert metadata["date"] == "2024-03-05 15:30"  # 18:30 in Moscow, stored in UTC


def test_audio_stream_is_untouched(mp3: Path) -> None:
    audio, md5 = audio_bytes(mp3), pcm_md5(mp3)
    write_tags(mp3, full_tags(cover=Cover(data=image_bytes("PNG"), mime="image/png")))
    assert audio_bytes(mp3) == audio
    assert pcm_md5(mp3) == md5


def test_rewriting_leaves_one_set_of_frames(mp3: Path) -> None:
    write_tags(mp3, full_tags())
    second = full_tags(
        title="Второй", cover=None, extra={"only": "this"}, url=None, chapters=CHAPTERS[:1]
    )
    write_tags(mp3, second)
    assert read_tags(mp3) == second
    counts = Counter(name for name, _ in tag_frames(mp3))
    assert max(counts.values()) == 1
    assert {"APIC", "WOAF", "TSSE"}.isdisjoint(counts)  # old frames, the encoder's included
    assert counts["TIT2"] == counts["TXXX"] == counts["CHAP"] == counts["CTOC"] == 1


@pytest.mark.parametrize(("image_format", "mime"), [("JPEG", "image/jpeg"), ("PNG", "image/png")])
def test_cover_reads_back_byte_identical(mp3: Path, image_format: str, mime: str) -> None:
    cover = Cover(data=image_bytes(image_format), mime=mime)
    write_tags(mp3, full_tags(cover=cover))
    assert read_tags(mp3).cover == cover
    assert mutagen.id3.ID3(mp3).getall("APIC")[0].type == mutagen.id3.PictureType.COVER_FRONT


@pytest.mark.parametrize(
    ("cover", "message"),
    [
        (Cover(data=image_bytes("PNG"), mime="image/jpeg"), "cover bytes are not image/jpeg"),
        (Cover(data=b"GIF89a", mime="image/gif"), "cover has MIME type 'image/gif'"),
    ],
)
def test_bad_cover_is_refused(mp3: Path, cover: Cover, message: str) -> None:
    with pytest.raises(TaggingError, match=message):
        write_tags(mp3, full_tags(cover=cover))


ACTIONS: dict[str, Callable[[Path], object]] = {
    "read": read_tags,
    "write": lambda path: write_tags(path, full_tags()),
}


def unreadable_files(folder: Path) -> dict[str, Path]:
    """Write files that are not MP3s into folder and return them by kind."""
    made = {kind: folder / f"{kind}.mp3" for kind in ("text", "empty", "garbage", "png")}
    made["text"].write_text("not audio at all\n")
    made["empty"].write_bytes(b"")
    made["garbage"].write_bytes(random.Random(7).randbytes(20_000))
    made["png"].write_bytes(image_bytes("PNG"))
    made["wav"] = folder / "speech.wav"
    run_ffmpeg("-y", "-f", "lavfi", "-i", "sine=duration=1", made["wav"])
    made["missing"], made["folder"] = folder / "missing.mp3", folder
    return made


@pytest.mark.parametrize("kind", ["text", "empty", "garbage", "png", "wav", "missing", "folder"])
@pytest.mark.parametrize("action", ["read", "write"])
def test_unreadable_file_raises_tagging_error(tmp_path: Path, kind: str, action: str) -> None:
    path = unreadable_files(tmp_path)[kind]
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(TaggingError) as caught:
        ACTIONS[action](path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value.__cause__, mutagen.MutagenError | OSError)
    assert (path.read_bytes() if path.is_file() else None) == before
    assert path.exists() == (kind != "missing")


def test_mp3_without_id3_tag_cannot_be_read(tmp_path: Path) -> None:
    bare = render_mp3(tmp_path / "bare.mp3", "-id3v2_version", "0", "-write_id3v1", "0")
    with pytest.raises(TaggingError, match="has no ID3v2 tag"):
        read_tags(bare)
    write_tags(bare, full_tags())
    assert read_tags(bare) == full_tags()


@settings(max_examples=40, deadline=None)
@given(cut=st.floats(min_value=0, max_value=1))
def test_file_cut_short_raises_only_tagging_error(source_mp3: Path, cut: float) -> None:
    folder = source_mp3.parent / "cut"
    folder.mkdir(exist_ok=True)
    tagged = folder / "tagged.mp3"
    if not tagged.exists():
        write_tags(Path(shutil.copy(source_mp3, tagged)), full_tags())
    data = tagged.read_bytes()
    short = folder / "short.mp3"
    for action in ACTIONS.values():
        short.write_bytes(data[: int(cut * len(data))])
        with contextlib.suppress(TaggingError):  # anything else fails the test
            action(short)


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "before\x00after"},
        {"description": "NUL\x00in a description"},
        {"category": "\x00"},
        {"extra": {"key\x00": "value"}},
        {"extra": {"key": "va\x00lue"}},
        {"title": "lone \ud800 surrogate"},
        {"chapters": (TagChapter(start_s=0, end_s=1, title="a\x00b"),)},
    ],
)
def test_nul_and_unencodable_text_are_refused(mp3: Path, changes: dict[str, Any]) -> None:
    before = mp3.read_bytes()
    with pytest.raises(TaggingError, match=re.escape(f"cannot tag {mp3}: {next(iter(changes))} ")):
        write_tags(mp3, full_tags(**changes))
    assert mp3.read_bytes() == before


def test_other_control_characters_are_kept(mp3: Path) -> None:
    tags = full_tags(description="Первая строка\nвторая\tс табуляцией\r\n\x07", title="a\x1fb")
    write_tags(mp3, tags)
    assert read_tags(mp3) == tags


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"feed_url": "https://радио.example/feed.xml"}, "feed_url is not ASCII"),
        ({"url": "https://radio.example/эфир"}, "url is not ASCII"),
        ({"date": datetime(2024, 3, 5, 18, 30)}, "date has no timezone"),
        (
            {"chapters": (TagChapter(start_s=0, end_s=1, title="a", url="https://р.example"),)},
            r"chapters \[0\] url is not ASCII",
        ),
        (
            {"chapters": (TagChapter(start_s=1, end_s=1, title="a"),)},
            r"chapters \[0\] runs from 1 s to 1 s; it must start at 0 s or later, end after it",
        ),
        (
            {"chapters": (TagChapter(start_s=-1, end_s=1, title="a"),)},
            r"chapters \[0\] runs from -1 s",
        ),
        (
            {"chapters": (TagChapter(start_s=0, end_s=5e6, title="a"),)},
            r"chapters \[0\] runs from 0 s to 5000000.0 s",
        ),
        ({"chapters": CHAPTERS[::-1]}, "chapters are not in time order"),
    ],
)
def test_values_id3_cannot_hold_are_refused(
    mp3: Path, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(TaggingError, match=message):
        write_tags(mp3, full_tags(**changes))


@pytest.mark.parametrize(
    ("language", "tlan", "comment_lang", "read_back"),
    [
        ("ru", "rus", "rus", "ru"),
        ("RU-ru", "rus", "rus", "ru"),
        ("uk_UA", "ukr", "ukr", "uk"),
        ("rus", "rus", "rus", "ru"),
        ("ain", "ain", "ain", "ain"),  # a 639-2 code outside the table passes through
        ("xx", None, "XXX", None),  # unknown: no TLAN, and COMM says "unknown"
        (None, None, "XXX", None),
    ],
)
def test_language_is_written_as_iso_639_2(
    mp3: Path, language: str | None, tlan: str | None, comment_lang: str, read_back: str | None
) -> None:
    write_tags(mp3, full_tags(language=language))
    id3 = mutagen.id3.ID3(mp3)
    assert (id3["TLAN"].text[0] if "TLAN" in id3 else None) == tlan
    assert id3.getall("COMM")[0].lang == comment_lang
    assert read_tags(mp3).language == read_back


@pytest.mark.parametrize(
    ("date", "frames", "read_back"),
    [
        (
            datetime(2024, 3, 5, 0, 30, tzinfo=MSK),
            ("2024", "0403", "2130"),
            datetime(2024, 3, 4, 21, 30, tzinfo=UTC),
        ),
        (  # mutagen's own v2.3 conversion would drop this TIME (hour 0, minute 0)
            datetime(2024, 1, 1, 3, 0, tzinfo=MSK),
            ("2024", "0101", "0000"),
            datetime(2024, 1, 1, 0, 0, tzinfo=UTC),
        ),
        (  # ID3v2.3 keeps minutes, not seconds
            datetime(2023, 12, 31, 23, 59, 59, tzinfo=UTC),
            ("2023", "3112", "2359"),
            datetime(2023, 12, 31, 23, 59, tzinfo=UTC),
        ),
    ],
)
def test_date_is_split_into_v23_frames_in_utc(
    mp3: Path, date: datetime, frames: tuple[str, str, str], read_back: datetime
) -> None:
    write_tags(mp3, full_tags(date=date))
    raw = dict(tag_frames(mp3))
    stored = tuple(
        raw[name][1:].decode("utf-16").rstrip("\x00") for name in ("TYER", "TDAT", "TIME")
    )
    assert stored == frames
    assert "TDRC" not in raw
    assert read_tags(mp3).date == read_back


def test_empty_fields_write_no_frames(mp3: Path) -> None:
    bare = Tags(title="", artist="", album="", date=None, genre="", podcast=False)
    write_tags(mp3, bare)
    assert tag_frames(mp3) == []
    assert read_tags(mp3) == bare


def test_foreign_v24_tag_is_read(mp3: Path) -> None:
    id3 = mutagen.id3.ID3()
    id3.add(mutagen.id3.TRCK(encoding=3, text=["3/12"]))
    id3.add(mutagen.id3.TPOS(encoding=3, text=["first"]))
    id3.add(mutagen.id3.TDRC(encoding=3, text=["2020"]))
    id3.add(mutagen.id3.COMM(encoding=3, lang="eng", desc="", text=["from COMM"]))
    id3.add(mutagen.id3.TLAN(encoding=3, text=["und"]))
    id3.add(mutagen.id3.PCST(value=0))
    for kind, image_format in ((0, "PNG"), (3, "JPEG")):
        mime = f"image/{image_format.lower()}"
        id3.add(
            mutagen.id3.APIC(type=kind, mime=mime, desc=str(kind), data=image_bytes(image_format))
        )
    id3.save(mp3, v2_version=4)
    tags = read_tags(mp3)
    assert (tags.track, tags.disc, tags.description) == (3, None, "from COMM")
    assert (tags.date, tags.language, tags.podcast) == (
        datetime(2020, 1, 1, tzinfo=UTC),
        None,
        False,
    )
    assert tags.cover == Cover(data=image_bytes("JPEG"), mime="image/jpeg")


def test_bad_stored_date_reads_as_none(mp3: Path) -> None:
    id3 = mutagen.id3.ID3()
    id3.add(mutagen.id3.TDRC(encoding=3, text=["2021-02-30"]))
    id3.save(mp3, v2_version=4)
    assert read_tags(mp3).date is None


def test_empty_extra_values_are_not_written(mp3: Path) -> None:
    write_tags(mp3, full_tags(extra={"kept": "1", "dropped": ""}))
    assert read_tags(mp3).extra == {"kept": "1"}


def test_ctrl_c_waits_for_the_write_to_finish(mp3: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save: Callable[..., None] = mutagen.id3.ID3.save

    def interrupted_save(self: mutagen.id3.ID3, *args: Any, **kwargs: Any) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C arrives as the write starts
        save(self, *args, **kwargs)

    monkeypatch.setattr(mutagen.id3.ID3, "save", interrupted_save)
    with pytest.raises(KeyboardInterrupt):
        write_tags(mp3, full_tags())
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert read_tags(mp3) == full_tags()


def test_writes_from_a_worker_thread(mp3: Path) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            write_tags(mp3, full_tags())
        except BaseException as exc:  # handed to the main thread to fail the test
            errors.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(timeout=30)
    assert errors == []
    assert read_tags(mp3) == full_tags()


TEXT = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=300)


@settings(max_examples=60, deadline=None)
@given(title=TEXT, description=TEXT)
def test_text_without_control_characters_reads_back_unchanged(
    source_mp3: Path, title: str, description: str
) -> None:
    path = source_mp3.parent / "property.mp3"
    if not path.exists():
        shutil.copy(source_mp3, path)
    tags = full_tags(title=title, description=description, cover=None)
    write_tags(path, tags)
    assert read_tags(path) == tags


def test_chapters_are_chap_frames_under_one_ctoc(mp3: Path) -> None:
    write_tags(mp3, full_tags())
    id3 = mutagen.id3.ID3(mp3)
    assert id3.version == (2, 3, 0)
    (toc,) = id3.getall("CTOC")
    assert toc.element_id == "toc"
    assert toc.flags == mutagen.id3.CTOCFlags.TOP_LEVEL | mutagen.id3.CTOCFlags.ORDERED
    assert toc.child_element_ids == ["chp0", "chp1", "chp2"]
    chapters = sorted(id3.getall("CHAP"), key=lambda frame: frame.element_id)
    assert [(c.element_id, c.start_time, c.end_time) for c in chapters] == [
        ("chp0", 0, 750),
        ("chp1", 750, 1500),
        ("chp2", 1500, 2000),
    ]
    assert [c.sub_frames["TIT2"].text[0] for c in chapters] == [c.title for c in CHAPTERS]
    assert {c.sub_frames["TIT2"].encoding for c in chapters} == {mutagen.id3.Encoding.UTF16}
    assert chapters[1].sub_frames.getall("WXXX")[0].url == "https://radio.example/q"
    assert {(c.start_offset, c.end_offset) for c in chapters} == {(0xFFFFFFFF, 0xFFFFFFFF)}


def test_ffmpeg_reads_the_chapters(mp3: Path) -> None:
    write_tags(mp3, full_tags())
    listing = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-i", str(mp3)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,  # "-i" alone has no output file, so ffmpeg exits 1 after the listing
        timeout=60,
    ).stderr.decode("utf-8")
    assert "Chapters:" in listing
    found = re.findall(
        r"Chapter #0:\d+: start ([\d.]+), end ([\d.]+)\n.*\n\s+title\s+: (.*)", listing
    )
    # ffmpeg lists CHAP frames in file order, which must be time order.
    assert found == [
        ("0.000000", "0.750000", "Вступление"),
        ("0.750000", "1.500000", "Вопросы слушателей"),
        ("1.500000", "2.000000", "Итоги — «коротко»"),
    ]


# Titles whose lengths order the frames otherwise than their times: by size (mutagen's own
# order) the chapter at 0 s would come last and the one at 0.5 s first.
UNEVEN = (
    TagChapter(start_s=0.0, end_s=0.5, title="Локализация производства: что изменилось за год"),
    TagChapter(start_s=0.5, end_s=1.2, title="Итоги"),
    TagChapter(start_s=1.2, end_s=2.0, title="Товарооборот с соседями"),
)


def chap_order(path: Path) -> list[tuple[str, int]]:
    """Return (element id, start ms) of each CHAP frame in the order the file holds them."""
    found = []
    for name, body in tag_frames(path):
        if name == "CHAP":
            element_id, _, rest = body.partition(b"\x00")
            found.append((element_id.decode("latin-1"), int.from_bytes(rest[:4], "big")))
    return found


def ffmpeg_chapters(path: Path) -> list[tuple[int, int, str]]:
    """Return the chapters ffmpeg reads from path (ffprobe -show_chapters lists the same), in ms.

    Read from the input listing: an output's chapters are shifted by the MP3 encoder delay.
    """
    listing = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-i", str(path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,  # "-i" alone has no output file, so ffmpeg exits 1 after the listing
        timeout=60,
    ).stderr.decode("utf-8")
    found = re.findall(
        r"Chapter #0:\d+: start ([\d.]+), end ([\d.]+)\n\s+Metadata:\n\s+title\s+: (.*)",
        listing,
    )
    return [(round(float(start) * 1000), round(float(end) * 1000), t) for start, end, t in found]


def test_chap_frames_are_stored_in_time_order(mp3: Path, tmp_path: Path) -> None:
    write_tags(mp3, full_tags(chapters=UNEVEN))
    assert chap_order(mp3) == [("chp0", 0), ("chp1", 500), ("chp2", 1200)]
    expected = [(round(c.start_s * 1000), round(c.end_s * 1000), c.title) for c in UNEVEN]
    assert ffmpeg_chapters(mp3) == expected
    ffprobe = shutil.which("ffprobe")  # beside Debian's ffmpeg; the wheel ships none
    if ffprobe is not None:  # the same libavformat list, as JSON
        shown = subprocess.run(
            [ffprobe, "-v", "error", "-show_chapters", "-of", "json", str(mp3)],
            capture_output=True, check=True, timeout=60,
        ).stdout  # fmt: skip
        assert [
            (round(float(c["start_time"]) * 1000), round(float(c["end_time"]) * 1000),
             c["tags"]["title"])
            for c in json.loads(shown)["chapters"]
        ] == expected  # fmt: skip
    # What an ffmpeg-based tool makes of it: a Matroska copy keeps every chapter, 0 s too.
    mka = tmp_path / "episode.mka"
    run_ffmpeg("-i", mp3, "-map", "0:a", "-c", "copy", mka)
    copied = ffmpeg_chapters(mka)
    delay = expected[1][0] - copied[1][0]  # the copy starts after the MP3 encoder's delay
    assert 0 <= delay <= 50
    assert copied == [(max(start - delay, 0), end - delay, t) for start, end, t in expected]
    assert read_tags(mp3) == full_tags(chapters=UNEVEN)  # the rest of the tag is intact


def test_no_chapters_write_no_chapter_frames(mp3: Path) -> None:
    write_tags(mp3, full_tags())
    write_tags(mp3, full_tags(chapters=()))
    assert {"CHAP", "CTOC"}.isdisjoint(name for name, _ in tag_frames(mp3))
    assert read_tags(mp3).chapters == ()


def test_foreign_chapters_are_read_in_time_order(mp3: Path) -> None:
    id3 = mutagen.id3.ID3()
    for element_id, start, title in (("b", 1000, "Второй"), ("a", 0, None)):
        sub_frames = [mutagen.id3.TIT2(encoding=3, text=[title])] if title else []
        id3.add(
            mutagen.id3.CHAP(
                element_id=element_id,
                start_time=start,
                end_time=start + 1000,
                sub_frames=sub_frames,
            )
        )
    id3.save(mp3, v2_version=4)  # no CTOC, UTF-8 titles, one chapter without a title
    assert read_tags(mp3).chapters == (
        TagChapter(start_s=0, end_s=1, title=""),
        TagChapter(start_s=1, end_s=2, title="Второй"),
    )


@settings(max_examples=30, deadline=None)
@given(
    titles=st.lists(TEXT.filter(str.strip), min_size=1, max_size=5),
    step_ms=st.integers(min_value=1, max_value=600_000),
)
def test_chapter_titles_and_times_read_back(
    source_mp3: Path, titles: list[str], step_ms: int
) -> None:
    path = source_mp3.parent / "chapters.mp3"
    if not path.exists():
        shutil.copy(source_mp3, path)
    chapters = tuple(
        TagChapter(start_s=i * step_ms / 1000, end_s=(i + 1) * step_ms / 1000, title=title)
        for i, title in enumerate(titles)
    )
    write_tags(path, full_tags(cover=None, chapters=chapters))
    assert read_tags(path).chapters == chapters
    assert [start for _, start in chap_order(path)] == [round(c.start_s * 1000) for c in chapters]
