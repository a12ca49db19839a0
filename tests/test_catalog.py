"""Episodes on disk: slugs, people, episode.toml round trips and atomic writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from radiodesk.errors import CatalogError
from radiodesk.files import write_atomic
from radiodesk.show import episode_file, folders
from radiodesk.show.episode import Episode, MasterFile, Person, clean_text
from radiodesk.spec import SLUG_MAX

MSK = timezone(timedelta(hours=3))


def episode(**changes: object) -> Episode:
    values: dict[str, object] = {
        "slug": "alikhanov-fragment",
        "guid": "2f1c7d36-2b38-4d6c-9d0c-6a3a8f0e9b11",
        "title": "Алиханов — фрагмент выступления",
        "description": "Строка 1 <b>&amp;</b> ]]> \"\"\" ''' \\ 😀\n\nАбзац 2",
        "date": datetime(2026, 11, 20, 10, tzinfo=MSK),
        "created": datetime(2026, 11, 21, 8, tzinfo=UTC),
        "master": MasterFile(
            file="master/Алиханов — фрагмент.wav",
            original_name="Алиханов — фрагмент.wav",
            sha256="ab" * 32,
            size_bytes=1234,
        ),
        "persons": (Person("Антон Алиханов", "guest"),),
        "season": 2,
        "number": 7,
    }
    values.update(changes)
    return Episode(**values)  # type: ignore[arg-type]


def test_slug_is_transliterated_and_unique() -> None:
    assert folders.make_slug("Алиханов", []) == "alikhanov"
    title = "Алиханов — фрагмент выступления"
    assert folders.make_slug(title, []) == "alikhanov-fragment-vystupleniia"
    assert folders.make_slug(title, ["alikhanov-fragment-vystupleniia"]).endswith("-2")
    assert folders.make_slug("😀😀", []) == "episode"


@given(st.text(max_size=300))
def test_slugs_are_always_safe(title: str) -> None:
    slug = folders.make_slug(title, [])
    assert folders.check_slug(slug) == slug
    assert len(slug) <= SLUG_MAX


@pytest.mark.parametrize("bad", ["../etc", "a/b", "..", "", "UPPER", "-x", "x-", "a" * 81, "é"])
def test_unsafe_slugs_are_refused(bad: str, tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="is not allowed"):
        folders.episode_dir(tmp_path, bad)


def test_person_parsing() -> None:
    assert Person.parse("Антон Алиханов:guest") == Person("Антон Алиханов", "guest")
    assert Person.parse("Ведущая") == Person("Ведущая", "host")
    assert Person.parse("Д-р Ватсон: Co-Host") == Person("Д-р Ватсон", "co-host")
    with pytest.raises(CatalogError, match="has no name"):
        Person.parse(":guest")
    with pytest.raises(CatalogError, match="is not a podcast role"):
        Person.parse("Имя:<script>")


def test_episode_toml_round_trips_hostile_text(tmp_path: Path) -> None:
    original = episode()
    episode_file.write_episode(tmp_path, original)
    assert episode_file.load_episode(tmp_path) == original
    text = (tmp_path / "episode.toml").read_text(encoding="utf-8")
    assert "Алиханов — фрагмент выступления" in text  # readable, not escaped


def test_episodes_load_newest_first_and_skip_staging(tmp_path: Path) -> None:
    for slug, day in (("old", 1), ("new", 3), ("mid", 2)):
        folder = tmp_path / "episodes" / slug
        folder.mkdir(parents=True)
        episode_file.write_episode(
            folder, episode(slug=slug, date=datetime(2026, 1, day, tzinfo=UTC))
        )
    (tmp_path / "episodes" / ".staging-abc").mkdir()
    assert [e.slug for e in episode_file.load_episodes(tmp_path)] == ["new", "mid", "old"]


def test_broken_episode_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "episode.toml").write_text("slug = 'x'\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"episode\.toml"):
        episode_file.load_episode(tmp_path)
    (tmp_path / "episode.toml").write_text("slug = \n", encoding="utf-8")
    with pytest.raises(CatalogError, match="line 1"):
        episode_file.load_episode(tmp_path)


def test_status_follows_draft_and_date() -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    assert episode().status(now) == "ready"
    assert episode(draft=True).status(now) == "draft"
    assert episode(date=now + timedelta(minutes=1)).status(now) == "scheduled"


def test_control_characters_are_refused() -> None:
    assert clean_text("  Заголовок \n", "the title") == "Заголовок"
    with pytest.raises(CatalogError, match="control characters"):
        clean_text("a\x00b", "the title")


def test_atomic_write_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]
