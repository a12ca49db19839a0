"""What is live in a store: the record a publish keeps, per episode, in `.radiodesk/live/`.

It lets `publish SLUG` and `remove SLUG` change only the named episodes (every other one is
rendered again from what was last published, not from its folder), and lets `list` tell live,
changed and never-published episodes apart. Reads and writes the record only; no store.
"""

from __future__ import annotations

import functools
import hashlib
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import msgspec

from radiodesk.files import CHUNK_BYTES, write_atomic
from radiodesk.publish import site_model
from radiodesk.publish.feed_model import Channel, Item
from radiodesk.show import folders
from radiodesk.show.episode import Episode
from radiodesk.show.statcache import StatCache, stamp

LIVE_DIR = ".radiodesk/live"
VERSION = 1
# What the show page never shows, and what makes a record of 2,000 episodes heavy.
HEAVY = frozenset({"transcript", "peaks", "wave"})
Listed = Literal["live", "changed", "ready", "scheduled", "draft", "removed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveEpisode:
    """One episode as it is live: its feed item, its show-page entry and the objects it holds."""

    item: Item
    entry: site_model.SiteEpisode  # without HEAVY: its own page is kept in the store as it is
    objects: Mapping[str, str]  # store key -> sha256: media and the episode's page
    inputs: str = ""  # fingerprint of episode.toml and its side files when it was published


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveShow:
    """The show as it is live in one store."""

    channel: Channel
    site: site_model.SiteShow
    objects: Mapping[str, str]  # the show's artwork
    episodes: Mapping[str, LiveEpisode]

    def without(self, slugs: Iterable[str]) -> LiveShow:
        """Return the record less these episodes."""
        gone = set(slugs)
        kept = {slug: e for slug, e in self.episodes.items() if slug not in gone}
        return replace(self, episodes=kept)

    def keys(self) -> set[str]:
        """Return every store key the live show holds (but feeds and the show page)."""
        keys = set(self.objects)
        for episode in self.episodes.values():
            keys.update(episode.objects)
        return keys


def light(entry: site_model.SiteEpisode) -> site_model.SiteEpisode:
    """Return a page entry without what only its own page shows (cues, waveform)."""
    return replace(entry, transcript=(), peaks=(), wave=None)


def record_file(root: Path, identity: str) -> Path:
    """Return where the record of what is live in the store `identity` is kept."""
    name = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]
    return root.joinpath(LIVE_DIR, f"{name}.json")


def exists(root: Path, identity: str) -> bool:
    """Tell whether there is a record for this store (one stat, the record is not read)."""
    return record_file(root, identity).is_file()


def load(root: Path, identity: str) -> LiveShow | None:
    """Return what is live in the store `identity`; None: never recorded (or unreadable)."""
    try:
        data = msgspec.json.decode(record_file(root, identity).read_bytes())
        if data.get("version") != VERSION or data.get("store") != identity:
            return None
        return _show(data)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError, LookupError, AttributeError):
        return None  # unknown: the caller treats the store as one published by an older radiodesk


def save(root: Path, identity: str, show: LiveShow) -> None:
    """Write the record atomically (only if it changed: a rerun leaves the file as it is)."""
    path = record_file(root, identity)
    data = msgspec.json.encode(
        {"version": VERSION, "store": identity, **msgspec.to_builtins(_plain(show))}
    )
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)


def _plain(show: LiveShow) -> dict[str, Any]:
    episodes = {
        slug: {
            "item": e.item,
            "entry": {f.name: getattr(e.entry, f.name) for f in _ENTRY_FIELDS},
            "objects": dict(sorted(e.objects.items())),
            "inputs": e.inputs,
        }
        for slug, e in sorted(show.episodes.items())
    }
    return {
        "channel": show.channel,
        "site": show.site,
        "objects": dict(show.objects),
        "episodes": episodes,
    }


def _show(data: dict[str, Any]) -> LiveShow:
    return LiveShow(
        channel=msgspec.convert(data["channel"], Channel),
        site=msgspec.convert(data["site"], site_model.SiteShow),
        objects=msgspec.convert(data["objects"], dict[str, str]),
        episodes={slug: _episode(raw) for slug, raw in data["episodes"].items()},
    )


def _episode(raw: dict[str, Any]) -> LiveEpisode:
    hints = _entry_hints()
    values = {name: msgspec.convert(raw["entry"][name], hints[name]) for name in raw["entry"]}
    return LiveEpisode(
        item=msgspec.convert(raw["item"], Item),
        entry=site_model.SiteEpisode(**values),
        objects=msgspec.convert(raw["objects"], dict[str, str]),
        inputs=str(raw["inputs"]),
    )


# SiteEpisode's drawing is a union msgspec cannot decode as a whole: its fields go one by one.
_ENTRY_FIELDS = tuple(f for f in fields(site_model.SiteEpisode) if f.name not in HEAVY)


@functools.cache
def _entry_hints() -> dict[str, Any]:
    return typing.get_type_hints(site_model.SiteEpisode)


# ----------------------------------------------------------------------------- status


def inputs_fingerprint(folder: Path, episode: Episode) -> str:
    """Fingerprint what a producer edits: episode.toml and the files it names beside it."""
    digest = hashlib.sha256()
    for name in (folders.EPISODE_FILE, episode.image, episode.chapters, episode.transcript):
        if name is None:
            continue
        digest.update(name.encode("utf-8", "surrogatepass") + b"\0")
        try:
            with (folder / name).open("rb") as stream:
                while chunk := stream.read(CHUNK_BYTES):
                    digest.update(chunk)
        except OSError:
            digest.update(b"\0missing")
    return digest.hexdigest()


class Inputs:
    """The inputs fingerprints of episodes, each kept with the stamps of the files it covers.

    Only publish remembers them, once it has recorded what is live: then a publish with
    nothing to do tells with a few stats an episode that the record is still right, and
    `list` (which never remembers) cannot hide an edit from the next publish.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache = StatCache(root, "live-inputs")

    def of(self, episodes: Iterable[Episode]) -> tuple[dict[str, str], set[str]]:
        """Return slug -> fingerprint, and the slugs whose files changed since remembered."""
        found: dict[str, str] = {}
        changed: set[str] = set()
        for episode in episodes:
            folder = folders.episode_dir(self.root, episode.slug)
            names = (folders.EPISODE_FILE, episode.image, episode.chapters, episode.transcript)
            stamps = [stamp(folder / n) if n else None for n in names]
            value = self.cache.get(episode.slug, stamps)
            if not isinstance(value, str):
                value = inputs_fingerprint(folder, episode)
                changed.add(episode.slug)
                self.cache.put(episode.slug, stamps, value)
            found[episode.slug] = value
        return found, changed

    def remember(self) -> None:
        """Keep the fingerprints worked out (publish, once the record is written)."""
        self.cache.save()


def status(episode: Episode, now: datetime, live: LiveShow | None, inputs: str | None) -> Listed:
    """Return live, changed (live, with edits not published), or the catalog's own status."""
    local = episode.status(now)
    entry = live.episodes.get(episode.slug) if live else None
    if entry is None:
        return local
    return "live" if local == "ready" and entry.inputs == inputs else "changed"
