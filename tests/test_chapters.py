"""Tests for radiodesk.chapters: the producer's list, Podcasting 2.0 JSON, fitting and output."""

from __future__ import annotations

import json
import logging
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from radiodesk.errors import CatalogError
from radiodesk.show.chapters import (
    Chapter,
    chapters_json,
    fit_chapters,
    format_time,
    parse_chapters,
)
from radiodesk.spec import CHAPTERS_TYPE

SOURCE = "главы.txt"
PRODUCER_LIST = """\ufeff# Алиханов, эфир 5 марта
00:00 Вступление

01:30 - Вопрос о бюджете
1:02:03.5 — Звонок слушателя <https://radio.example/call>
01:02:10,25\tИтоги
"""
EXPECTED = (
    Chapter(start_s=0, title="Вступление"),
    Chapter(start_s=90, title="Вопрос о бюджете"),
    Chapter(start_s=3723.5, title="Звонок слушателя", url="https://radio.example/call"),
    Chapter(start_s=3730.25, title="Итоги"),
)
SPEC_EXAMPLE = {  # the "more complex example" of jsonChapters.md, less its silent chapter
    "version": "1.2.0",
    "author": "John Doe",
    "title": "Episode 7 - Making Progress",
    "podcastName": "John's Awesome Podcast",
    "chapters": [
        {"startTime": 0, "title": "Intro"},
        {"startTime": 168, "title": "Hearing Aids"},
        {
            "startTime": 410,
            "title": "Namespace",
            "img": "https://example.com/images/namepsace_example.jpg",
            "url": "https://github.com/Podcastindex-org/podcast-namespace",
        },
        {"startTime": 6089.5, "title": "Outro", "endTime": 6100, "toc": True},
    ],
}


def parse(text: str) -> tuple[Chapter, ...]:
    """Parse text as the chapter file SOURCE."""
    return parse_chapters(text, source=SOURCE)


def test_producer_list_is_parsed() -> None:
    assert parse(PRODUCER_LIST) == EXPECTED


@pytest.mark.parametrize(
    ("line", "start_s", "title"),
    [
        ("00:00 Вступление", 0, "Вступление"),
        ("0:05 Вступление", 5, "Вступление"),
        ("75:00 Полтора часа спустя", 4500, "Полтора часа спустя"),
        ("01:02:03 Вопрос", 3723, "Вопрос"),
        ("1:02:03.250 Вопрос", 3723.25, "Вопрос"),
        ("00:01.5 Вопрос", 1.5, "Вопрос"),
        ("00:00 - Вступление", 0, "Вступление"),
        ("00:00 – Вступление", 0, "Вступление"),
        ("00:00 — Вступление", 0, "Вступление"),
        ("00:00: Вступление", 0, "Вступление"),
        ("00:00 | Вступление", 0, "Вступление"),
        ("00:00—Вступление", 0, "Вступление"),
        ("  00:00   Вступление  ", 0, "Вступление"),
        ("00:00 -5 градусов на улице", 0, "-5 градусов на улице"),
        ("00:00 Вопрос — ответ", 0, "Вопрос — ответ"),
        ("00:00 # не комментарий", 0, "# не комментарий"),
    ],
)
def test_every_accepted_line_form(line: str, start_s: float, title: str) -> None:
    assert parse(line) == (Chapter(start_s=start_s, title=title),)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings_and_blank_lines(newline: str) -> None:
    text = newline.join(["", "# comment", "00:00 Один", "   ", "\t", "00:10 Два", ""])
    assert [c.title for c in parse(text)] == ["Один", "Два"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "chapters главы.txt: has no chapters"),
        ("# only a comment\n\n", "chapters главы.txt: has no chapters"),
        (
            "00:00 Один\nВторой без времени",
            "line 2: 'Второй без времени' does not start with a time",
        ),
        ("00:00 Один\n0:75 Два", "line 2: '0:75' is not a time"),
        ("1:60:00 Два", "line 1: '1:60:00' is not a time"),
        ("00:00:5 Два", "line 1: '00:00:5' is not a time"),
        ("00:00.1234 Два", "line 1: '00:00.1234' is not a time"),
        ("00:00Вступление", "line 1: put a space between the time and the title"),
        ("00:00", "line 1: has no title"),
        ("00:00 -  ", "line 1: has no title"),
        ("00:00 <https://radio.example>", "line 1: has no title"),
        ("00:00 Один\n\n00:00 Два", "line 3: starts at 00:00, as line 1 does"),
        (
            "00:00 Один\n05:00 Два\n04:59 Три",
            "line 3: starts at 04:59, before line 2 (05:00); list chapters in time order",
        ),
        ("00:00 До\x07звон", "line 1: title contains the control character U+0007"),
        ("00:00 До\x00звон", "line 1: title contains the control character U+0000"),
        ("00:00 До\x85звон", "line 1: title contains the control character U+0085"),
        ("00:00 Один <ftp://radio.example>", "line 1: link 'ftp://radio.example' is not"),
        ("00:00 Один <https://радио.рф>", "line 1: link 'https://радио.рф' is not an ASCII"),
    ],
)
def test_malformed_list_names_file_and_line(text: str, message: str) -> None:
    with pytest.raises(CatalogError, match=re.escape(message)) as caught:
        parse(text)
    assert caught.value.message.startswith(f"chapters {SOURCE}")
    assert caught.value.hint


def test_first_chapter_after_zero_is_allowed_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="radiodesk.show.chapters"):
        chapters = parse("00:05 После джингла\n01:00 Вопрос")
    assert chapters[0].start_s == 5
    assert "first chapter starts at 00:05, not 00:00" in caplog.text


def test_json_spec_example_is_parsed() -> None:
    chapters = parse(json.dumps(SPEC_EXAMPLE))
    assert chapters == (
        Chapter(start_s=0, title="Intro"),
        Chapter(start_s=168, title="Hearing Aids"),
        Chapter(
            start_s=410,
            title="Namespace",
            url="https://github.com/Podcastindex-org/podcast-namespace",
            image_url="https://example.com/images/namepsace_example.jpg",
        ),
        Chapter(start_s=6089.5, title="Outro", end_s=6100),
    )


def test_json_with_bom_cyrillic_and_unknown_keys() -> None:
    document = {
        "version": "1.1.0",
        "chapters": [{"startTime": 0, "title": "Вступление", "rssblue:remoteEntity": {}}],
    }
    text = "\ufeff\n  " + json.dumps(document, ensure_ascii=False)
    assert parse(text) == (Chapter(start_s=0, title="Вступление"),)


def chapters_document(*chapters: object, version: object = "1.2.0") -> str:
    """Return a JSON chapters file holding chapters."""
    return json.dumps({"version": version, "chapters": list(chapters)})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"version": "1.2.0", "chapters": [', "line 1: not valid JSON"),
        ('{\n"version": "1.2.0",\n"chapters": [}\n', "line 3: not valid JSON"),
        ("[]", 'needs a "chapters" list'),
        ('{"version": "1.2.0"}', 'needs a "chapters" list'),
        ('{"version": "1.2.0", "chapters": {}}', 'needs a "chapters" list'),
        (chapters_document(version=None), "version None is not 1.x"),
        (chapters_document(version=1.2), "version 1.2 is not 1.x"),
        (chapters_document(version="2.0.0"), "version '2.0.0' is not 1.x"),
        (chapters_document(), "has no chapters"),
        (chapters_document(5), "chapter 1: is not a JSON object"),
        (chapters_document({"title": "Один"}), "chapter 1: has no 'startTime'"),
        (chapters_document({"startTime": 0}), "chapter 1: has no 'title'"),
        (chapters_document({"startTime": "0", "title": "x"}), "chapter 1: 'startTime' must be"),
        (chapters_document({"startTime": True, "title": "x"}), "'startTime' must be a number"),
        (chapters_document({"startTime": -1, "title": "x"}), "'startTime' must be a number"),
        (chapters_document({"startTime": 0, "title": 5}), "chapter 1: 'title' must be a string"),
        (chapters_document({"startTime": 0, "title": " "}), "chapter 1: has no title"),
        (
            chapters_document({"startTime": 0, "title": "x", "endTime": 0}),
            "chapter 1: endTime is not after startTime",
        ),
        (chapters_document({"startTime": 0, "title": "x", "url": 1}), "'url' must be a string"),
        (chapters_document({"startTime": 0, "title": "x", "img": "a.jpg"}), "link 'a.jpg'"),
        (
            chapters_document({"startTime": 0, "title": "x", "toc": False}),
            'chapter 1: silent chapters ("toc": false) are not supported',
        ),
        (
            chapters_document({"startTime": 0, "title": "x", "location": {}}),
            "chapter 1: 'location': chapter locations are not supported",
        ),
        (
            chapters_document({"startTime": 0, "title": "a"}, {"startTime": 0, "title": "b"}),
            "chapter 2: starts at 00:00, as chapter 1 does",
        ),
        (
            chapters_document({"startTime": 9, "title": "a"}, {"startTime": 3, "title": "b"}),
            "chapter 2: starts at 00:03, before chapter 1 (00:09)",
        ),
        (
            '{"version": "1.2.0", "chapters": [{"startTime": NaN, "title": "x"}]}',
            "NaN is not a JSON number",
        ),
        (
            '{"version": "1.2.0", "chapters": [{"startTime": 0, "title": "\\ud800"}]}',
            "chapter 1: title contains the lone surrogate U+D800",
        ),
        (
            '{"version": "1.2.0", "chapters": [{"startTime": 0, "title": "a\\u0000b"}]}',
            "chapter 1: title contains the control character U+0000",
        ),
    ],
)
def test_json_not_matching_the_spec_is_refused(text: str, message: str) -> None:
    with pytest.raises(CatalogError, match=re.escape(message)) as caught:
        parse(text)
    assert caught.value.message.startswith(f"chapters {SOURCE}")


def test_fit_ends_each_chapter_at_the_next_one() -> None:
    fitted = fit_chapters(EXPECTED, 3800.0)
    assert [(c.start_s, c.end_s) for c in fitted] == [
        (0, 90),
        (90, 3723.5),
        (3723.5, 3730.25),
        (3730.25, 3800.0),
    ]
    assert [c.title for c in fitted] == [c.title for c in EXPECTED]


def test_fit_keeps_given_ends_within_the_audio() -> None:
    chapters = (
        Chapter(start_s=0, title="a", end_s=5),  # a gap before the next chapter stays
        Chapter(start_s=10, title="b", end_s=100),  # past the end: cut at the end
    )
    assert [c.end_s for c in fit_chapters(chapters, 60)] == [5, 60]


@pytest.mark.parametrize("duration_s", [3730.25, 3000.0])
def test_fit_refuses_a_chapter_at_or_after_the_end(duration_s: float) -> None:
    with pytest.raises(CatalogError, match="at or after the end of the audio") as caught:
        fit_chapters(EXPECTED, duration_s, source="главы.txt")
    assert caught.value.message.startswith("chapters главы.txt: ")
    assert format_time(duration_s) in caught.value.message


def test_json_output_has_the_spec_shape() -> None:
    data = chapters_json(fit_chapters(parse(PRODUCER_LIST), 3800))
    document = json.loads(data.decode("utf-8"))
    assert document["version"] == "1.2.0"
    assert set(document) == {"version", "chapters"}
    for chapter in document["chapters"]:
        assert set(chapter) <= {"startTime", "endTime", "title", "url", "img"}
        assert isinstance(chapter["startTime"], int | float)
        assert isinstance(chapter["endTime"], int | float)
        assert isinstance(chapter["title"], str)
    starts = [chapter["startTime"] for chapter in document["chapters"]]
    assert starts == sorted(starts) == [0, 90, 3723.5, 3730.25]
    assert "Вступление".encode() in data  # UTF-8, not \\u escapes
    assert data.endswith(b"}\n")
    assert CHAPTERS_TYPE == "application/json+chapters"


def test_json_output_is_deterministic_and_reads_back() -> None:
    chapters = parse(json.dumps(SPEC_EXAMPLE))
    data = chapters_json(chapters)
    assert data == chapters_json(chapters)
    assert parse(data.decode("utf-8")) == chapters
    assert b'"startTime": 0,' in data  # whole seconds as integers


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "00:00"),
        (59.5, "00:59.500"),
        (3599, "59:59"),
        (3600, "1:00:00"),
        (36000.25, "10:00:00.250"),
    ],
)
def test_format_time(seconds: float, text: str) -> None:
    assert format_time(seconds) == text


TITLE = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=60).filter(
    lambda text: text.strip() == text and text and not text.startswith(("-", "–", "—", ":", "|"))
)


@given(
    titles=st.lists(TITLE, min_size=1, max_size=8),
    gaps_ms=st.lists(st.integers(min_value=1, max_value=10_000_000), min_size=8, max_size=8),
)
def test_written_list_and_json_parse_back(titles: list[str], gaps_ms: list[int]) -> None:
    starts_ms = [sum(gaps_ms[:i]) - gaps_ms[0] for i in range(1, len(titles) + 1)]
    chapters = tuple(
        Chapter(start_s=ms / 1000, title=title) for ms, title in zip(starts_ms, titles, strict=True)
    )
    listing = "\n".join(f"{format_time(c.start_s)} {c.title}" for c in chapters)
    assert parse(listing) == chapters
    assert parse(chapters_json(chapters).decode("utf-8")) == chapters
