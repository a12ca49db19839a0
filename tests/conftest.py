"""Shared fixtures: a clean environment, and a show folder made by `radiodesk init`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from radiodesk.show.scaffold import create_show
from radiodesk.show.settings import Settings
from radiodesk.show.settings_file import load_settings

pytest_plugins = ["s3server", "id3files"]


@pytest.fixture(scope="session", autouse=True)
def cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """radiodesk's per-user cache (what it learnt about ffmpeg) in the session's temp folder."""
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache-home"))
    yield
    if saved is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = saved


@pytest.fixture(autouse=True)
def clean_environ() -> Iterator[None]:
    """No test may reach real cloud credentials or depend on the caller's locale."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith("AWS_"):
            del os.environ[name]
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    yield
    os.environ.clear()
    os.environ.update(saved)


def make_cover(path: Path, size: int = 1400, mode: str = "RGB", fmt: str = "JPEG") -> Path:
    """Write a square test artwork file."""
    Image.new(mode, (size, size), "navy" if mode == "RGB" else 80).save(path, fmt)
    return path


@pytest.fixture
def cover(tmp_path: Path) -> Path:
    return make_cover(tmp_path / "обложка.jpg")


@pytest.fixture
def show(tmp_path: Path, cover: Path) -> Settings:
    """A fresh show with Cyrillic settings, like a producer's."""
    root = tmp_path / "шоу"
    create_show(
        root,
        title="Радио: актуальные комментарии",
        base_url="https://radio.example.org/podcast",
        description="Интервью и выступления — «как есть».",
        language="ru",
        author="Редакция радио",
        email="radio@example.org",
        category="News/Politics",
        image=cover,
        explicit=False,
    )
    return load_settings(root)
