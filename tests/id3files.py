"""MP3s and tag values for the tagging tests (tags.py, id3_fields.py), and readers of the result.

A pytest plugin (conftest.py lists it): its fixtures `source_mp3` and `mp3` serve every test
module. Test code only: it runs ffmpeg itself with subprocess, never through radiodesk's runner.
"""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import pytest
from PIL import Image

from radiodesk.audio.tag_values import Cover, TagChapter, Tags

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


def chap_order(path: Path) -> list[tuple[str, int]]:
    """Return (element id, start ms) of each CHAP frame in the order the file holds them."""
    found = []
    for name, body in tag_frames(path):
        if name == "CHAP":
            element_id, _, rest = body.partition(b"\x00")
            found.append((element_id.decode("latin-1"), int.from_bytes(rest[:4], "big")))
    return found
