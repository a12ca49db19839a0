"""Tests for radiodesk.transcripts: WebVTT and SRT files, good and broken."""

from __future__ import annotations

import contextlib
import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from radiodesk.errors import CatalogError
from radiodesk.show.transcripts import TRANSCRIPT_TYPES, Cue, parse_transcript

VTT = """WEBVTT - Алиханов, эфир 5 марта
Kind: captions
Language: ru

STYLE
::cue { color: yellow }

NOTE Расшифровка сделана вручную,
проверена редактором

intro
00:01.000 --> 00:04.500 align:start position:10%
<v Ведущий>Добрый вечер, в эфире «Радио».

00:00:04.500 --> 00:00:09.000
<v Алиханов>Спасибо.
Рад быть здесь.

NOTE перерыв

1:00:00.000 --> 1:00:02.250
Конец
"""
VTT_CUES = (
    Cue(start_s=1, end_s=4.5, text="<v Ведущий>Добрый вечер, в эфире «Радио»."),
    Cue(start_s=4.5, end_s=9, text="<v Алиханов>Спасибо.\nРад быть здесь."),
    Cue(start_s=3600, end_s=3602.25, text="Конец"),
)
SRT = """1
00:00:01,000 --> 00:00:04,500
Добрый вечер, в эфире «Радио».

2
00:00:04,500 --> 00:00:09,000 X1:40 X2:600 Y1:20 Y2:50
Спасибо.
Рад быть здесь.


3
01:00:00,000 --> 01:00:02,250
Конец
"""
SRT_CUES = (
    Cue(start_s=1, end_s=4.5, text="Добрый вечер, в эфире «Радио»."),
    Cue(start_s=4.5, end_s=9, text="Спасибо.\nРад быть здесь."),
    Cue(start_s=3600, end_s=3602.25, text="Конец"),
)
SOURCE = "расшифровка.vtt"


def parse(data: bytes | str) -> tuple[str, tuple[Cue, ...], str, str]:
    """Parse data and return its format, cues, MIME type and suffix."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    transcript = parse_transcript(raw, source=SOURCE)
    return transcript.format, transcript.cues, transcript.mime, transcript.suffix


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_webvtt_is_read(newline: str, bom: str) -> None:
    text = bom + VTT.replace("\n", newline)
    assert parse(text) == ("vtt", VTT_CUES, "text/vtt", ".vtt")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_srt_is_read(newline: str, bom: str) -> None:
    text = bom + SRT.replace("\n", newline)
    assert parse(text) == ("srt", SRT_CUES, "application/x-subrip", ".srt")


def test_mime_types_are_the_podcast_namespace_ones() -> None:
    assert TRANSCRIPT_TYPES == {"vtt": "text/vtt", "srt": "application/x-subrip"}


@pytest.mark.parametrize(
    "text",
    [
        "WEBVTT\n\n00:01.000 --> 00:02.000\n",  # a cue without text
        "WEBVTT\tкомментарий\n\n00:01.000-->00:02.000\nтекст\n",
        "WEBVTT\n\n00:01.000 --> 00:03.000\nодин\n\n00:02.000 --> 00:04.000\nдва\n",  # overlap
        "WEBVTT\n\n00:01.000 --> 00:03.000\nодин\n\n00:01.000 --> 00:04.000\nдва\n",  # same start
        "WEBVTT\n\nREGION\nid:fred width:40%\n\n00:01.000 --> 00:02.000\nтекст\n",
        "WEBVTT\n\n00:01.000 --> 00:02.000\nтекст\n\nNOTE в конце\n",
    ],
)
def test_valid_webvtt_variants(text: str) -> None:
    assert parse(text)[0] == "vtt"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "transcript расшифровка.vtt: is empty"),
        (b" \n\r\n\t\n", "transcript расшифровка.vtt: is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is binary, not a WebVTT or SRT text file"),
        ("WEBVTT\n\nпривет".encode("utf-16"), "transcript расшифровка.vtt: is UTF-16"),
        (b"WEBVTT\n\n00:01.000 --> 00:02.000\n\xcf\xf0\xe8\xe2\xe5\xf2\n", "line 4: is not UTF-8"),
        ("WEBVTT\n\nNOTE\n\nтекст\x07\n".encode(), "line 5: contains the control character U+0007"),
        (b"WEBVTT\n", "transcript расшифровка.vtt: has no cues"),
        (b"WEBVTT\n\nNOTE only a note\n", "has no cues"),
    ],
)
def test_unreadable_files_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(CatalogError, match=re.escape(message)):
        parse(data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("WEBVTTX\n\n00:01.000 --> 00:02.000\nx\n", "line 1: the WEBVTT header must be alone"),
        ("WEBVTT\n00:01.000 --> 00:02.000\nx\n", "line 2: put a blank line between the WEBVTT"),
        ("WEBVTT\n\n00:01.000 00:02.000\nx\n", "line 3: '-->' missing between the start and end"),
        ("WEBVTT\n\nid\n00:01.000 00:02.000\nx\n", "line 4: '-->' missing between the start"),
        ("WEBVTT\n\n00:02.000 --> 00:01.000\nx\n", "line 3: the cue ends at 00:01.000, not after"),
        ("WEBVTT\n\n00:02.000 --> 00:02.000\nx\n", "line 3: the cue ends at 00:02.000, not after"),
        ("WEBVTT\n\n00:01,000 --> 00:02.000\nx\n", "line 3: '00:01,000' is not a WebVTT time"),
        ("WEBVTT\n\n00:01.000 --> 00:60.000\nx\n", "line 3: '00:60.000' is not a WebVTT time"),
        ("WEBVTT\n\n00:01.00 --> 00:02.000\nx\n", "line 3: '00:01.00' is not a WebVTT time"),
        ("WEBVTT\n\n1:02.000 --> 1:03.000\nx\n", "line 3: '1:02.000' is not a WebVTT time"),
        ("WEBVTT\n\n00:01.000 -> 00:02.000\nx\n", "line 3: '-->' missing"),
        ("WEBVTT\n\n-->\nx\n", "line 3: is not a WebVTT timing line"),
        ("WEBVTT\n\nпросто текст\nещё текст\n", "line 3: expected 00:00:01.000 --> 00:00:04.000"),
        (
            "WEBVTT\n\n00:01.000 --> 00:02.000\nx\n00:03.000 --> 00:04.000\ny\n",
            "line 5: '-->' inside a cue's text; is a blank line missing before it?",
        ),
        (
            "WEBVTT\n\n00:05.000 --> 00:06.000\nx\n\n00:01.000 --> 00:02.000\ny\n",
            "line 6: the cue starts before the one above it",
        ),
        (
            "WEBVTT\n\n00:01.000 --> 00:02.000\nx\n\nSTYLE\n::cue { color: red }\n",
            "line 6: a STYLE block after the first cue",
        ),
        ("WEBVTT\n\nNOTE a --> b\n\n00:01.000 --> 00:02.000\nx\n", "line 3: a NOTE block has"),
    ],
)
def test_broken_webvtt_names_the_line(text: str, message: str) -> None:
    with pytest.raises(CatalogError, match=re.escape(message)) as caught:
        parse(text)
    assert caught.value.message.startswith(f"transcript {SOURCE} line ")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1\n00:00:01,000 00:00:02,000\nx\n", "line 2: '-->' missing between the start and end"),
        ("00:00:01,000 --> 00:00:02,000\nx\n", "line 1: the cue has no number before its timing"),
        ("один\n00:00:01,000 --> 00:00:02,000\nx\n", "line 1: expected a cue number, found 'один'"),
        ("1\n00:00:02,000 --> 00:00:01,000\nx\n", "line 2: the cue ends at 00:00:01,000, not"),
        ("1\n00:00:01.000 --> 00:00:02,000\nx\n", "line 2: '00:00:01.000' is not an SRT time"),
        ("1\n00:01,000 --> 00:02,000\nx\n", "line 2: '00:01,000' is not an SRT time"),
        (
            "1\n00:00:01,000 --> 00:00:02,000\nx\n2\n00:00:03,000 --> 00:00:04,000\ny\n",
            "line 5: '-->' inside a cue's text",
        ),
        (
            "1\n00:00:05,000 --> 00:00:06,000\nx\n\n2\n00:00:01,000 --> 00:00:02,000\ny\n",
            "line 6: the cue starts before the one above it",
        ),
        ("Hello, world!\nThis is not a transcript.\n", "line 1: expected a cue number, then"),
        ("1\n2\n3\n", "line 1: expected a cue number, then '00:00:01,000 --> 00:00:04,000'"),
    ],
)
def test_broken_srt_names_the_line(text: str, message: str) -> None:
    with pytest.raises(CatalogError, match=re.escape(message)) as caught:
        parse(text)
    assert caught.value.message.startswith(f"transcript {SOURCE} line ")


def test_wrong_decimal_mark_gets_a_hint() -> None:
    with pytest.raises(CatalogError) as caught:
        parse("1\n00:00:01.000 --> 00:00:02.000\nx\n")
    assert caught.value.hint == "write times like '00:00:01,000 --> 00:00:04,000'"


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_are_refused(seed: int) -> None:
    with pytest.raises(CatalogError, match=f"transcript {SOURCE}"):
        parse(random.Random(seed).randbytes(4000))


@given(data=st.binary(max_size=300))
def test_any_bytes_give_a_transcript_or_catalog_error(data: bytes) -> None:
    with contextlib.suppress(CatalogError):  # anything else fails the test
        parse(data)


CUE_TEXT = st.text(
    st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters="\x85"),
    min_size=1,
    max_size=40,
).filter(lambda text: text.strip() and "-->" not in text)


def vtt_clock(ms: int) -> str:
    """Return ms as a WebVTT timestamp."""
    seconds, millis = divmod(ms, 1000)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.{millis:03d}"


@given(
    texts=st.lists(CUE_TEXT, min_size=1, max_size=6),
    lengths_ms=st.lists(st.integers(min_value=1, max_value=9_000_000), min_size=6, max_size=6),
)
def test_generated_files_read_back(texts: list[str], lengths_ms: list[int]) -> None:
    starts = [sum(lengths_ms[:i]) for i in range(len(texts))]
    cues = tuple(
        Cue(start_s=start / 1000, end_s=(start + length) / 1000, text=text)
        for start, length, text in zip(starts, lengths_ms, texts, strict=False)
    )
    blocks = [
        f"{vtt_clock(round(c.start_s * 1000))} --> {vtt_clock(round(c.end_s * 1000))}" for c in cues
    ]
    vtt = "WEBVTT\n\n" + "\n\n".join(f"{b}\n{c.text}" for b, c in zip(blocks, cues, strict=True))
    assert parse(vtt)[1] == cues
    srt = "\n\n".join(
        f"{n}\n{b.replace('.', ',')}\n{c.text}"
        for n, (b, c) in enumerate(zip(blocks, cues, strict=True), start=1)
    )
    assert parse(srt)[1] == cues
