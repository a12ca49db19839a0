"""radiodesk.toml: defaults, validation, and one-line errors that name the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from radiodesk.errors import ConfigError
from radiodesk.show.settings import AudioSettings
from radiodesk.show.settings_file import load_settings
from radiodesk.show.settings_rules import split_category

MINIMAL = '[show]\ntitle = "Радио"\nbase_url = "https://radio.example.org/podcast"\n'


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "radiodesk.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_minimal_file_gets_podcast_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL))
    assert settings.show.title == "Радио"
    assert settings.audio == AudioSettings()
    assert settings.audio.target_for(mono=False) == -16.0
    assert settings.audio.target_for(mono=True) == -19.0
    assert settings.audio.bitrate_for(mono=True) == 64
    assert settings.storage.backend == "local"
    assert settings.local_store == (tmp_path / "public").resolve()


def test_init_writes_commented_valid_file(show) -> None:  # type: ignore[no-untyped-def]
    text = (show.root / "radiodesk.toml").read_text(encoding="utf-8")
    assert "Apple Podcasts category" in text
    assert show.show.title == "Радио: актуальные комментарии"
    assert (show.show.category, show.show.subcategory) == ("News", "Politics")
    assert show.show.image == "cover.jpg"
    assert (show.root / "cover.jpg").is_file()
    assert (show.root / "episodes").is_dir()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the [show] section is missing"),
        ("[show]\ntitle = 'x'\n", "[show] needs the setting 'base_url'"),
        (MINIMAL + "[audio]\ntarget_lufs = 'loud'\n", "[audio] target_lufs must be a number"),
        (MINIMAL + "[audio]\ntarget_lufs = true\n", "[audio] target_lufs must be a number"),
        (MINIMAL + "[audio]\nchannels = 'quad'\n", '[audio] channels must be one of "auto"'),
        (MINIMAL + "[audio]\ntarget_lufs = -60\n", "loudness targets must lie between"),
        (MINIMAL + "[audio]\nstereo_bitrate_kbps = 100\n", "bit rates must be MP3 rates"),
        (MINIMAL + "[audio]\nloudness = 1\n", "[audio] has an unknown setting 'loudness'"),
        (MINIMAL + "[extras]\n", "unknown section [extras]"),
        (MINIMAL.replace("https://", "ftp://"), "base_url must be an absolute http(s) URL"),
        (MINIMAL + "language = 'russian'\n", "language must be a code like ru"),
        (MINIMAL + "category = 'Politics'\n", "is not an Apple Podcasts category"),
        (MINIMAL + "subcategory = 'Golf'\n", "subcategory 'Golf' does not belong to 'News'"),
        (MINIMAL + "email = 'nobody'\n", "email is not an e-mail"),
        (MINIMAL + "explicit = 'no'\n", "explicit must be true or false"),
    ],
)
def test_invalid_settings_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"radiodesk\.toml") as caught:
        load_settings(write(tmp_path, text))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, MINIMAL + "author = \n"))
    assert "malformed TOML" in str(caught.value)
    assert "line 4" in str(caught.value)


def test_missing_file_hints_at_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no radiodesk\.toml") as caught:
        load_settings(tmp_path)
    assert "radiodesk init" in (caught.value.hint or "")


def test_categories_follow_apples_list() -> None:
    assert split_category("News/Politics") == ("News", "Politics")
    assert split_category("Society & Culture") == ("Society & Culture", "")
    with pytest.raises(ConfigError, match="not a subcategory"):
        split_category("News/Golf")
    with pytest.raises(ConfigError, match="not an Apple Podcasts category"):
        split_category("news")
