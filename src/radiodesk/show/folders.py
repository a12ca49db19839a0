"""The show's folder layout: where episodes and their files live, slugs, store keys, the lock.

Names places and guards them; never reads or writes episode.toml (episode_file.py does).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import filelock
from slugify import slugify

from radiodesk.errors import CatalogError
from radiodesk.show import staging
from radiodesk.show.episode import Episode
from radiodesk.spec import SLUG_MAX, SLUG_RE

EPISODES_DIR = "episodes"
EPISODE_FILE = "episode.toml"
MASTER_DIR = "master"
DERIVED_DIR = "derived"
STAGING_PREFIX = staging.PREFIX
LOCK_FILE = ".radiodesk/lock"
CHAPTERS_FILE = "chapters.json"
TRANSCRIPT_STEM = "transcript"


def make_slug(title: str, taken: Iterable[str]) -> str:
    """Transliterate a title into a URL-safe slug that no other episode uses."""
    base = slugify(title, max_length=SLUG_MAX - 4, word_boundary=True, save_order=True)
    base = base.strip("-") or "episode"
    used = set(taken)
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    return slug


def check_slug(slug: str) -> str:
    """Return the slug if it is safe as a folder name and URL path, else raise."""
    if not SLUG_RE.match(slug):
        raise CatalogError(
            f"slug {slug!r} is not allowed",
            hint="use lowercase latin letters, digits and hyphens (at most 80)",
        )
    return slug


def episodes_dir(root: Path) -> Path:
    """Return the folder that holds the show's episodes."""
    return root / EPISODES_DIR


def episode_dir(root: Path, slug: str) -> Path:
    """Return the folder of one episode, refusing any slug that could leave the show."""
    return root.joinpath(EPISODES_DIR, check_slug(slug))  # one Path made, not two: per episode


def list_slugs(root: Path) -> list[str]:
    """Return the slugs of all episodes, sorted."""
    folder = episodes_dir(root)
    if not folder.is_dir():
        return []
    return sorted(
        p.name for p in folder.iterdir() if (p / EPISODE_FILE).is_file() and SLUG_RE.match(p.name)
    )


def stored_name(episode: Episode, file: str) -> str:
    """Name a file of an episode as the producer finds it in the show folder (for messages)."""
    return f"{EPISODES_DIR}/{episode.slug}/{file}"


def audio_key(episode: Episode) -> str:
    """Return the store key of the episode's MP3; content-addressed, so it never changes."""
    if episode.audio is None:
        raise CatalogError(f"episode {episode.slug!r} has no audio yet")
    return f"audio/{episode.slug}-{episode.audio.sha256[:12]}.mp3"


def peaks_file(folder: Path, episode: Episode) -> Path:
    """Return where the waveform of the episode's MP3 is kept (a derived file)."""
    return folder.joinpath(DERIVED_DIR, f"{episode.slug}.peaks.json")


def wave_file(folder: Path, episode: Episode) -> Path:
    """Return where the drawing of the episode's waveform is kept (a derived file)."""
    return folder.joinpath(DERIVED_DIR, f"{episode.slug}.wave.json")


def image_key(stem: str, sha256: str, suffix: str) -> str:
    """Return the content-addressed store key of an artwork file."""
    return f"images/{check_slug(stem)}-{sha256[:12]}{suffix.lower()}"


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold the show's lock so two radiodesk runs never write the same show at once."""
    path = root / LOCK_FILE
    path.parent.mkdir(exist_ok=True)
    try:
        with filelock.FileLock(path, timeout=0):
            staging.repair(episodes_dir(root))  # what a killed run left, before anything reads
            yield
    except filelock.Timeout:
        raise CatalogError(
            "another radiodesk is working on this show", hint="wait for it to finish, then retry"
        ) from None


def purge_episode(root: Path, slug: str) -> None:
    """Delete an episode folder, master included (rename first, so it vanishes at once)."""
    folder = episode_dir(root, slug)
    doomed = folder.with_name(f"{STAGING_PREFIX}purge-{slug}")
    os.rename(folder, doomed)
    shutil.rmtree(doomed)
