"""tags.py: real MP3s from ffmpeg, tags written in place and read back by mutagen and ffmpeg."""

from __future__ import annotations

import contextlib
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
from datetime import UTC
from pathlib import Path
from typing import Any

import mutagen.id3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from id3files import (
    ALBUM,
    ARTIST,
    BOMS,
    CHAPTERS,
    DESCRIPTION,
    FFMPEG,
    TITLE,
    audio_bytes,
    chap_order,
    ffmetadata,
    full_tags,
    image_bytes,
    pcm_md5,
    render_mp3,
    run_ffmpeg,
    tag_frames,
)
from radiodesk.audio.tag_values import Cover, TagChapter
from radiodesk.audio.tags import read_tags, write_tags
from radiodesk.errors import TaggingError


def test_every_field_round_trips(mp3: Path) -> None:
    tags = full_tags()
    write_tags(mp3, tags)
    back = read_tags(mp3)
    assert back == tags
    assert back.date is not None
    assert back.date.tzinfo is UTC


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


def ffmpeg_listing(path: Path) -> str:
    """Return what ffmpeg prints about an input file (its streams, tags and chapters)."""
    return subprocess.run(
        [FFMPEG, "-hide_banner", "-nostdin", "-i", str(path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,  # "-i" alone has no output file, so ffmpeg exits 1 after the listing
        timeout=60,
    ).stderr.decode("utf-8")


def test_ffmpeg_reads_the_chapters(mp3: Path) -> None:
    write_tags(mp3, full_tags())
    listing = ffmpeg_listing(mp3)
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


def ffmpeg_chapters(path: Path) -> list[tuple[int, int, str]]:
    """Return the chapters ffmpeg reads from path (ffprobe -show_chapters lists the same), in ms.

    Read from the input listing: an output's chapters are shifted by the MP3 encoder delay.
    """
    listing = ffmpeg_listing(path)
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
