"""id3_fields.py: each Tags field in its ID3v2.3 frames, refused where ID3 cannot hold it."""

from __future__ import annotations

import dataclasses
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mutagen.id3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from id3files import (
    CHAPTERS,
    MSK,
    chap_order,
    full_tags,
    image_bytes,
    tag_frames,
)
from radiodesk.audio import id3_fields
from radiodesk.audio.tag_values import Cover, TagChapter, Tags
from radiodesk.audio.tags import read_tags, write_tags
from radiodesk.errors import TaggingError


def test_field_table_has_one_row_per_tags_field() -> None:
    rows = [row.name for row in id3_fields.FIELDS]
    assert sorted(rows) == sorted(field.name for field in dataclasses.fields(Tags))


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
