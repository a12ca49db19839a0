"""podcast:person roles: the Podcast Taxonomy, Russian names in, Russian labels on the page.

tests/data/podcast-taxonomy.json is podcastindex-org/podcast-namespace's taxonomy.json (CC0),
commit f593c5da3f6ef680cd80b92d96078795744dac0b, as published.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree

from clirun import run
from media import make_recording
from radiodesk.errors import CatalogError, ConfigError
from radiodesk.publish import site
from radiodesk.show import roles
from radiodesk.show.episode import Person
from radiodesk.show.settings import Settings
from radiodesk.show.settings_file import load_settings
from showfiles import snapshot

TAXONOMY = json.loads(
    (Path(__file__).parent / "data" / "podcast-taxonomy.json").read_text(encoding="utf-8")
)
PODCAST = {"podcast": "https://podcastindex.org/namespace/1.0"}
UNKNOWN = (
    "radiodesk: error: person 'Иван Петров:expert': 'expert' is not a podcast role; use host, "
    "co-host, guest, reporter, producer, editor, audio engineer (or ведущий, гость, репортёр, "
    "продюсер, редактор, звукорежиссёр, ...)\n"
    f"radiodesk: hint: every role: {roles.TAXONOMY_URL}\n"
)


def test_the_roles_are_the_taxonomy_s() -> None:
    published = {(entry["role"].lower(), entry["group"].lower()) for entry in TAXONOMY}
    assert {role for role, _ in published} == set(roles.TAXONOMY)
    assert all((role, roles.group_of(role)) in published for role in roles.TAXONOMY)


@pytest.mark.parametrize(
    ("typed", "role"),
    [
        ("ведущий", "host"),
        ("Ведущая", "host"),
        ("соведущий", "co-host"),
        ("соведущая", "co-host"),
        ("гость", "guest"),
        ("гостья", "guest"),
        ("продюсер", "producer"),
        ("репортёр", "reporter"),
        ("репортер", "reporter"),
        ("корреспондент", "reporter"),
        ("редактор", "editor"),
        ("звукорежиссёр", "audio engineer"),
        ("звукорежиссер", "audio engineer"),
        ("автор", "author"),
        ("саунд-дизайнер", "sound designer"),
        ("Co-Host", "co-host"),
        ("Sound Designer", "sound designer"),
        ("sound_designer", "sound designer"),
    ],
)
def test_russian_and_english_role_names_map_to_the_taxonomy(typed: str, role: str) -> None:
    assert Person.parse(f"Анна Смирнова:{typed}") == Person("Анна Смирнова", role)


def test_every_taxonomy_role_is_accepted_in_english_and_in_russian() -> None:
    for entry in TAXONOMY:
        role = entry["role"].lower()
        assert Person.parse(f"Имя:{entry['role']}").role == role
        assert Person.parse(f"Имя:{site.ROLES['ru'][role][0].lower()}").role == role


@pytest.mark.parametrize("role", ["expert", "эксперт", "hosts", "<script>", ""])
def test_an_unknown_role_is_refused_with_the_valid_ones(role: str) -> None:
    with pytest.raises(CatalogError, match=r"is not a podcast role; use host, co-host, guest"):
        Person.parse(f"Иван:{role}")


def test_a_russian_page_names_every_role_in_russian() -> None:
    for entry in TAXONOMY:
        role = entry["role"].lower()
        ((one, _),) = site.group_persons([site.SitePerson(name="Иван", role=role)], "ru")
        ((two, _),) = site.group_persons(
            [site.SitePerson(name="Иван", role=role), site.SitePerson(name="Анна", role=role)],
            "ru",
        )
        assert re.fullmatch(r"[А-ЯЁ][а-яё -]*|SMM-менеджеры?", one), (role, one)
        assert re.fullmatch(r"[А-ЯЁ][а-яё -]*|SMM-менеджеры?", two), (role, two)
        assert one != two, role  # singular and plural


def test_the_cli_maps_russian_roles_into_the_feed_and_page(show: Settings, tmp_path: Path) -> None:
    recording = make_recording(tmp_path / "интервью.wav", seconds=2, lufs=-23)
    people = ("Анна Смирнова:ведущая", "Пётр Иванов:гость", "Ольга:звукорежиссёр", "Марк:репортёр")
    argv = ["add", recording, "--title", "Интервью", "--date", "2026-01-05T10:00+02:00"]
    for person in people:
        argv += ["--person", person]
    settings = show.root / "radiodesk.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.replace("[show]\n", '[show]\nhosts = ["Ирина Белова:соведущая"]\n', 1),
        encoding="utf-8",
    )
    assert run("-C", show.root, *argv).status == 0
    assert run("-C", show.root, "-q", "publish").status == 0
    channel = etree.parse(show.local_store / "feed.xml").getroot().find("channel")
    assert channel is not None
    hosts = [(p.text, p.get("role")) for p in channel.findall("podcast:person", PODCAST)]
    assert hosts == [("Ирина Белова", "co-host")]
    item = channel.find("item")
    assert item is not None
    found = [
        (p.text, p.get("group", "cast"), p.get("role"))
        for p in item.findall("podcast:person", PODCAST)
    ]  # a missing group means "cast" (namespace 1.0, podcast:person)
    assert found == [
        ("Ирина Белова", "cast", "co-host"),
        ("Анна Смирнова", "cast", "host"),
        ("Пётр Иванов", "cast", "guest"),
        ("Ольга", "audio production", "audio engineer"),
        ("Марк", "cast", "reporter"),
    ]
    (slug,) = (p.name for p in (show.root / "episodes").iterdir())
    text = (show.local_store / site.episode_key(slug)).read_text(encoding="utf-8")
    for label in ("Ведущий", "Гость", "Звукорежиссёр", "Репортёр"):
        assert label in text
    assert "Reporter" not in text
    assert "Audio engineer" not in text


def test_the_cli_refuses_an_unknown_role_and_leaves_the_show(
    show: Settings, tmp_path: Path
) -> None:
    recording = make_recording(tmp_path / "интервью.wav", seconds=2, lufs=-23)
    before = snapshot(show.root)
    done = run("-C", show.root, "add", recording, "--title", "Т", "--person", "Иван Петров:expert")
    assert (done.status, done.err) == (1, UNKNOWN)
    assert snapshot(show.root) == before


def test_hosts_in_settings_take_russian_roles_and_refuse_unknown_ones(show: Settings) -> None:
    path = show.root / "radiodesk.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("[show]\n", '[show]\nhosts = ["Анна:ведущая", "Пётр:соведущий"]\n', 1),
        encoding="utf-8",
    )
    assert load_settings(show.root).show.hosts == ("Анна:ведущая", "Пётр:соведущий")
    path.write_text(
        text.replace("[show]\n", '[show]\nhosts = ["Анна:ведущая", "Пётр:expert"]\n', 1),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"\[show\] hosts: 'Пётр:expert': 'expert' is not a"):
        load_settings(show.root)
