"""The producer's text files in the encodings Russian newsrooms use: read right, or refused.

Real Windows-1251, KOI8-R and UTF-16 bytes of realistic Russian text, decoded by the one helper
every text input goes through, and end to end through `add` (notes, chapters, transcript).
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from media import make_recording
from radiodesk.cli import main
from radiodesk.errors import CatalogError
from radiodesk.show import episode_file, folders, textfile
from radiodesk.show.settings import Settings
from radiodesk.show.transcripts import parse_transcript
from showfiles import snapshot

NOTES = (
    "Губернатор Калужской области Владислав Шапша рассказал о планах строительства новых "
    "заводов в регионе. Гость студии — экономист Иван Петров.\n\nВедущая: Анна Смирнова.\n"
)
CHAPTERS = "00:00 Вступление\n00:45 Заводы и рабочие места\n02:10 Вопросы слушателей\n"
SRT = (
    "1\n00:00:00,500 --> 00:00:02,000\nДобрый день, в эфире «Актуальные комментарии».\n\n"
    "2\n00:00:02,500 --> 00:00:04,000\nСегодня в студии губернатор.\n"
)
SHORT_LISTS = [
    "00:00 Мэр\n",  # one word: the two code pages differ only in letter case here
    "00:00 Начало\n00:10 Итоги\n",
    "00:00 ВСТУПЛЕНИЕ\n00:10 ИТОГИ ГОДА\n",  # all capitals: case tells nothing
    "0:00 Київ і Львів\n0:30 Мінськ\n",  # Ukrainian and Belarusian letters
]


def run(*argv: str | Path) -> int:
    return main([str(a) for a in argv])


@pytest.mark.parametrize("text", [NOTES, CHAPTERS, SRT, *SHORT_LISTS])
@pytest.mark.parametrize("page", ["cp1251", "koi8_r"])
def test_cyrillic_code_pages_are_read_right(text: str, page: str) -> None:
    if page == "koi8_r" and any(c in text for c in "«»—іїєў"):  # KOI8-R has none of them
        text = text.translate(str.maketrans("«»—", '""-')).replace("Київ і Львів", "Киев и Львов")
        text = text.replace("Мінськ", "Минск")
    decoded = textfile.decode(text.encode(page), name="главы.txt", what="chapters")
    assert (decoded.text, decoded.encoding) == (text, page)
    assert decoded.utf8() == text.encode("utf-8")


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CHAPTERS.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + CHAPTERS.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF16_LE + CHAPTERS.encode("utf-16-le"), "utf-16"),
        (codecs.BOM_UTF16_BE + CHAPTERS.encode("utf-16-be"), "utf-16"),
    ],
    ids=["utf-8", "utf-8 with BOM", "utf-16 LE", "utf-16 BE"],
)
def test_unicode_is_read_first(data: bytes, encoding: str) -> None:
    decoded = textfile.decode(data, name="главы.txt", what="chapters")
    assert (decoded.text, decoded.encoding) == (CHAPTERS, encoding)
    if encoding == "utf-8":
        assert decoded.utf8() is data  # kept byte for byte, BOM and all


@pytest.mark.parametrize(
    "data",
    [
        "Café crème à la carte, déjà vu\n".encode("cp1252"),  # a Western page: not Cyrillic
        "Ελληνικά: κεφάλαιο πρώτο\n".encode("cp1253"),
        "第一章 はじめに\n".encode("shift_jis"),
        bytes(range(128, 256)),
        b"00:00 \x00\xff\xfe binary",
    ],
    ids=["cp1252", "greek", "shift-jis", "every high byte", "binary"],
)
def test_other_encodings_are_refused_with_a_hint(data: bytes) -> None:
    with pytest.raises(CatalogError) as caught:
        textfile.decode(data, name="главы.txt", what="chapters")
    assert caught.value.message == (
        "the chapters file главы.txt is not UTF-8 text, nor Windows-1251 or KOI8-R"
    )
    assert caught.value.hint is not None
    assert caught.value.hint.startswith("save it as UTF-8")


def test_a_line_too_short_to_tell_is_refused_not_guessed() -> None:
    # Two words in small letters, saved in KOI8-R: read as Windows-1251 they are "ВАДЦЕФ" and
    # "ЧУФХРМЕОЙЕ", no less like words (in case, letters and vowels) than the real ones.
    data = "00:00 бюджет\n01:00 вступление\n".encode("koi8_r")
    with pytest.raises(CatalogError, match="too short to tell whether it is") as caught:
        textfile.decode(data, name="г.txt", what="chapters")
    assert caught.value.hint is not None
    assert caught.value.hint.startswith("save it as UTF-8")


WORDS = [
    "вступление", "итоги", "вопросы", "слушателей", "губернатор", "завод", "бюджет", "город",
    "новости", "погода", "спорт", "экономика", "интервью", "гость", "студии", "регион",
    "строительство", "дороги", "школа", "больница", "цены", "выборы", "депутат", "закон",
    "налог", "область", "площадь", "транспорт", "тарифы", "урожай",
]  # fmt: skip
LINE = st.tuples(
    st.lists(st.sampled_from(WORDS), min_size=2, max_size=4),
    st.sampled_from([str.capitalize, str.title, str.lower, str.upper]),
)


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(LINE, min_size=2, max_size=6), page=st.sampled_from(["cp1251", "koi8_r"]))
def test_generated_chapter_lists_are_read_right_or_refused(
    lines: list[tuple[list[str], object]], page: str
) -> None:
    text = "".join(
        f"{n:02d}:00 {style(' '.join(words))}\n"  # type: ignore[operator]
        for n, (words, style) in enumerate(lines)
    )
    try:
        decoded = textfile.decode(text.encode(page), name="главы.txt", what="chapters")
    except CatalogError as exc:  # allowed: too little text to tell; never a wrong reading
        message = exc.message
    else:
        assert (decoded.text, decoded.encoding) == (text, page)
        return
    assert "too short to tell" in message


def test_add_reads_notes_chapters_and_transcript_in_code_pages(
    show: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = make_recording(tmp_path / "Интервью.wav", seconds=5, lufs=-20)
    notes = tmp_path / "notes.txt"
    notes.write_bytes(NOTES.encode("cp1251"))
    chapters = tmp_path / "главы.txt"
    chapters.write_bytes("00:00 Вступление\n00:02 Вопросы слушателей\n".encode("koi8_r"))
    srt = tmp_path / "субтитры.srt"
    srt.write_bytes(SRT.encode("cp1251"))
    status = run(
        "-C", show.root, "add", recording, "--title", "Интервью",
        "--description-file", notes, "--chapters", chapters, "--transcript", srt,
    )  # fmt: skip
    out = capsys.readouterr()
    assert status == 0, out.err
    assert "radiodesk: warning: notes.txt read as Windows-1251" in out.err.splitlines()
    assert "radiodesk: warning: главы.txt read as KOI8-R" in out.err.splitlines()
    assert "radiodesk: warning: субтитры.srt read as Windows-1251" in out.err.splitlines()
    folder = folders.episode_dir(show.root, out.out.strip())
    episode = episode_file.load_episode(folder)
    assert episode.description == NOTES.strip()
    titles = [c["title"] for c in json.loads((folder / "chapters.json").read_bytes())["chapters"]]
    assert titles == ["Вступление", "Вопросы слушателей"]
    stored = (folder / "transcript.srt").read_bytes()
    assert stored == SRT.encode("utf-8")  # kept as UTF-8, as WebVTT and players need
    assert parse_transcript(stored, source="t").cues[0].text == (
        "Добрый день, в эфире «Актуальные комментарии»."
    )


@pytest.mark.parametrize("option", ["--description-file", "--chapters", "--transcript"])
def test_unreadable_text_is_refused_in_one_line_for_every_input(
    show: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    recording = make_recording(tmp_path / "Интервью.wav", seconds=2, lufs=-20)
    bad = tmp_path / "заметки.txt"
    bad.write_bytes("Ελληνικά: κεφάλαιο πρώτο\n".encode("cp1253"))
    what = {"--description-file": "notes", "--chapters": "chapters", "--transcript": "transcript"}
    before = snapshot(show.root)
    assert run("-C", show.root, "add", recording, "--title", "Т", option, bad) == 1
    assert capsys.readouterr().err == (
        f"radiodesk: error: the {what[option]} file заметки.txt is not UTF-8 text, nor "
        "Windows-1251 or KOI8-R\nradiodesk: hint: save it as UTF-8 (in Notepad: Save as, "
        "Encoding: UTF-8) and try again\n"
    )
    assert snapshot(show.root) == before
