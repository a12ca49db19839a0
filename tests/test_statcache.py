"""Stat caches of a big show: unchanged files are not parsed or re-checked again, changed ones are.

Files count as settled only some seconds after their last change, so tests age them with utime.
Real ffmpeg on generated recordings and a real local store, through `radiodesk.cli.main`.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import tomlkit

from conftest import make_cover
from media import make_recording
from radiodesk.audio.tag_values import Tags
from radiodesk.audio.tags import read_tags
from radiodesk.cli import main
from radiodesk.errors import CatalogError
from radiodesk.show import episode_file, folders, statcache
from radiodesk.show.episode import (
    AudioRecord,
    Correction,
    MasterFile,
    Measurement,
    Person,
    Soundbite,
)
from radiodesk.show.settings import CONFIG_FILE, Settings
from test_catalog import episode

HOUR_NS = 3600 * 10**9


def age(root: Path) -> None:
    """Make every file under root an hour old: settled, so the caches may keep it."""
    past = time.time_ns() - HOUR_NS
    for path in [root, *root.rglob("*")]:
        os.utime(path, ns=(past, past))


def cached(root: Path, name: str) -> dict[str, list[object]]:
    data = json.loads((root / statcache.CACHE_DIR / f"{name}.json").read_text(encoding="utf-8"))
    entries: dict[str, list[object]] = data["entries"]
    return entries


def write(root: Path, slug: str, **changes: object) -> Path:
    folder = root / folders.EPISODES_DIR / slug
    folder.mkdir(parents=True, exist_ok=True)
    episode_file.write_episode(folder, episode(slug=slug, **changes))
    return folder / folders.EPISODE_FILE


def test_settled_episodes_come_from_the_cache_until_they_change(tmp_path: Path) -> None:
    path = write(tmp_path, "one", title="Первое название")
    age(tmp_path)
    first = episode_file.load_episodes(tmp_path)
    assert list(cached(tmp_path, "catalog")) == ["one"]
    assert episode_file.load_episodes(tmp_path) == first  # datetimes and tuples survive the JSON

    # Proof that the cache is read: a doctored entry with the file's own stamp is believed.
    cache = tmp_path / statcache.CACHE_DIR / "catalog.json"
    cache.write_text(cache.read_text("utf-8").replace("Первое", "Кэш"), "utf-8")
    assert episode_file.load_episodes(tmp_path)[0].title == "Кэш название"

    path.write_text(path.read_text("utf-8").replace("Первое", "Второе"), "utf-8")
    assert episode_file.load_episodes(tmp_path)[0].title == "Второе название"


def test_every_kind_of_record_comes_back_from_the_cache_as_it_was_read(tmp_path: Path) -> None:
    level = Measurement(integrated_lufs=-16.0, true_peak_dbtp=-1.5, lra_lu=3.0)
    audio = AudioRecord(
        file="derived/a.mp3", sha256="0" * 64, size_bytes=1, duration_s=60.0,
        before=Measurement(integrated_lufs=-23.5, lra_lu=7.25, sample_peak_dbfs=-0.1),
        after=level, gain_db=7.5, limiter_ceiling_dbfs=-1.0, channel_plan="mono", mono=True,
        bitrate_kbps=64, sample_rate_hz=44100, target_lufs=-19.0, attempts=2, recipe="r",
        tags="t", offset_s=2.5, provenance="derived/a.json", recording_s=58.0,
    )  # fmt: skip
    bites = (
        Soundbite(start_s=1.0, duration_s=5.0, title="Фраза"),
        Soundbite(start_s=9.0, duration_s=2.0),
    )
    fixed = Correction(at=datetime(2026, 11, 22, 9, tzinfo=UTC), note="Имя", public=True)
    master = MasterFile(file="master/б.wav", original_name="б.wav", sha256="1" * 64, size_bytes=9)
    write(
        tmp_path,
        "full",
        audio=audio,
        image="обложка.jpg",
        chapters="chapters.json",
        soundbites=bites,
        corrections=(fixed,),
        previous_masters=(master,),
        persons=(Person("Анна"), Person("Борис", "guest")),
        episode_type="bonus",
    )
    age(tmp_path)
    read = episode_file.load_episodes(tmp_path)
    assert list(cached(tmp_path, "catalog")) == ["full"]
    again = episode_file.load_episodes(tmp_path)
    assert again == read == [episode_file.load_episode(tmp_path / folders.EPISODES_DIR / "full")]
    assert repr(again) == repr(read)  # pages and feeds are fingerprinted by repr


def test_a_file_that_just_changed_is_not_cached(tmp_path: Path) -> None:
    write(tmp_path, "settled")
    age(tmp_path)
    write(tmp_path, "fresh")
    assert {e.slug for e in episode_file.load_episodes(tmp_path)} == {"settled", "fresh"}
    assert list(cached(tmp_path, "catalog")) == ["settled"]


def test_a_file_rewritten_within_its_mtime_tick_is_read_again(tmp_path: Path) -> None:
    path = write(tmp_path, "one", title="Первое название")
    age(tmp_path)
    episode_file.load_episodes(tmp_path)
    stat = path.stat()
    # Same size, same mtime: only the inode tells (write_atomic renames a new file in).
    write(tmp_path, "one", title="Второе название")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    assert episode_file.load_episodes(tmp_path)[0].title == "Второе название"


def test_a_broken_file_fails_as_it_would_without_a_cache(tmp_path: Path) -> None:
    path = write(tmp_path, "one")
    age(tmp_path)
    episode_file.load_episodes(tmp_path)
    path.write_text(path.read_text("utf-8").replace("number = 7", "number = 'семь'"), "utf-8")
    with pytest.raises(CatalogError) as uncached:
        episode_file.load_episode(path.parent)
    with pytest.raises(CatalogError) as through_cache:
        episode_file.load_episodes(tmp_path)
    assert str(through_cache.value) == str(uncached.value)
    assert "number" in str(uncached.value)


def test_a_cache_from_other_code_or_garbage_is_ignored(tmp_path: Path) -> None:
    write(tmp_path, "one", title="Настоящее")
    age(tmp_path)
    cache = tmp_path / statcache.CACHE_DIR / "catalog.json"
    cache.parent.mkdir(parents=True)
    for text in ("{not json", json.dumps({"version": "old", "entries": {"one": [[], {}]}})):
        cache.write_text(text, "utf-8")
        assert episode_file.load_episodes(tmp_path)[0].title == "Настоящее"


# ---------------------------------------------------------------- publish of a settled show


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_recording(tmp_path_factory.mktemp("rec") / "запись.wav", seconds=3, lufs=-22)


@pytest.fixture
def settled(show: Settings, recording: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """One published episode whose files have settled and been found up to date once."""
    assert main(["-C", str(show.root), "add", str(recording), "--title", "Выпуск"]) == 0
    slug = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["-C", str(show.root), "publish"]) == 0  # draws the waveform: a fresh file
    age(show.root)
    assert main(["-C", str(show.root), "publish"]) == 0
    assert list(cached(show.root, "up-to-date")) == [slug]
    capsys.readouterr()
    return slug


def published_tags(show: Settings, slug: str) -> Tags:
    record = episode_file.load_episode(folders.episode_dir(show.root, slug)).audio
    assert record is not None
    return read_tags(folders.episode_dir(show.root, slug) / record.file)


def test_nothing_changed_uploads_nothing(
    show: Settings, settled: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-C", str(show.root), "publish"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_a_hand_edited_title_is_still_retagged(show: Settings, settled: str) -> None:
    path = folders.episode_dir(show.root, settled) / folders.EPISODE_FILE
    path.write_text(path.read_text("utf-8").replace('"Выпуск"', '"Новый выпуск"'), "utf-8")
    assert main(["-C", str(show.root), "publish"]) == 0
    assert published_tags(show, settled).title == "Новый выпуск"


def test_a_replaced_show_cover_is_still_retagged(show: Settings, settled: str) -> None:
    before = published_tags(show, settled).cover
    cover = show.root / show.show.image
    make_cover(cover.with_name("new.jpg"), size=1500)
    os.replace(cover.with_name("new.jpg"), cover)
    assert main(["-C", str(show.root), "publish"]) == 0
    after = published_tags(show, settled).cover
    assert before is not None
    assert after is not None
    assert after.data != before.data


def test_a_changed_setting_is_still_retagged(show: Settings, settled: str) -> None:
    path = show.root / CONFIG_FILE
    doc = tomlkit.parse(path.read_text("utf-8"))
    doc["show"]["author"] = "Новая редакция"  # type: ignore[index]
    path.write_text(tomlkit.dumps(doc), "utf-8")
    assert main(["-C", str(show.root), "publish"]) == 0
    assert published_tags(show, settled).artist == "Новая редакция"


def test_lost_derived_files_are_still_rebuilt(show: Settings, settled: str) -> None:
    folder = folders.episode_dir(show.root, settled)
    episode = episode_file.load_episode(folder)
    assert episode.audio is not None
    (folder / episode.audio.file).unlink()
    folders.peaks_file(folder, episode).unlink()
    folders.wave_file(folder, episode).unlink()
    stray = folder / folders.DERIVED_DIR / "stray.mp3"
    stray.write_bytes(b"old")
    assert main(["-C", str(show.root), "publish"]) == 0
    assert (folder / episode.audio.file).is_file()
    assert folders.peaks_file(folder, episode).is_file()
    assert folders.wave_file(folder, episode).is_file()
    assert not stray.exists()
    page = (show.local_store / "episodes" / settled / "index.html").read_text("utf-8")
    assert 'class="waveform"' in page


def test_settled_stamps_are_kept_only_for_files_old_enough(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.write_text("x")
    new.write_text("y")
    past = time.time_ns() - HOUR_NS
    os.utime(old, ns=(past, past))
    cache = statcache.StatCache(tmp_path, "test")
    cache.put("old", [statcache.stamp(old)], 1)
    cache.put("new", [statcache.stamp(old), statcache.stamp(new)], 2)
    cache.put("missing", [statcache.stamp(tmp_path / "nothing")], 3)
    cache.save()
    again = statcache.StatCache(tmp_path, "test")
    assert again.get("old", [statcache.stamp(old)]) == 1
    assert again.get("new", [statcache.stamp(old), statcache.stamp(new)]) is None
    assert again.get("missing", [None]) == 3


def test_unchanged_feed_and_pages_lost_from_the_store_are_rendered_again(
    show: Settings, settled: str
) -> None:
    store = show.local_store
    lost = ["feed.xml", "index.html", f"episodes/{settled}/index.html"]
    before = {key: (store / key).read_bytes() for key in lost}
    for key in lost:
        (store / key).unlink()
    assert main(["-C", str(show.root), "publish"]) == 0
    assert {key: (store / key).read_bytes() for key in lost} == before
    state = json.loads((show.root / ".radiodesk" / "published.json").read_text("utf-8"))
    (hashes,) = state.values()
    assert hashes["feed.xml"] == hashlib.sha256(before["feed.xml"]).hexdigest()


def test_a_changed_title_renders_the_feed_and_pages_again(show: Settings, settled: str) -> None:
    path = folders.episode_dir(show.root, settled) / folders.EPISODE_FILE
    path.write_text(path.read_text("utf-8").replace('"Выпуск"', '"Другой выпуск"'), "utf-8")
    assert main(["-C", str(show.root), "publish"]) == 0
    for key in ("feed.xml", "index.html", f"episodes/{settled}/index.html"):
        assert "Другой выпуск" in (show.local_store / key).read_text("utf-8")
