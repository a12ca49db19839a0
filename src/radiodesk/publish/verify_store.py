"""`radiodesk verify`: prove that masters and published objects are the bytes that were recorded.

Masters are checked against episode.toml, derived MP3s against their record, and every object
this show published against the hash remembered at upload. Only `repair` writes: it uploads
again the objects whose bytes differ, from local copies with the published hash.
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from radiodesk.errors import RadiodeskError
from radiodesk.files import file_sha256
from radiodesk.publish import live
from radiodesk.publish import run as publish
from radiodesk.publish.bundle import FEED_KEY, Upload, build_bundle
from radiodesk.publish.storage import IMMUTABLE, Storage
from radiodesk.show import episode_file, folders
from radiodesk.show.settings import Settings


@dataclass(frozen=True, slots=True, kw_only=True)
class IntegrityReport:
    """What `verify` checked and what did not match."""

    masters: int = 0
    derived: int = 0
    objects: int = 0
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """Return whether everything matched."""
        return not self.problems


def verify(settings: Settings, storage: Storage | None) -> IntegrityReport:
    """Hash every master, derived MP3 and (with a store) every published object."""
    problems: list[str] = []
    masters = derived = 0
    for episode in episode_file.load_episodes(settings.root):
        folder = folders.episode_dir(settings.root, episode.slug)
        masters += 1
        master = folder / episode.master.file
        _compare(master, episode.master.sha256, problems, f"master {master}")
        if episode.audio is not None and (folder / episode.audio.file).exists():
            derived += 1
            mp3 = folder / episode.audio.file
            _compare(mp3, episode.audio.sha256, problems, f"derived MP3 {mp3}")
    objects = 0
    if storage is not None:
        objects = _verify_store(settings, storage, problems)
    return IntegrityReport(
        masters=masters, derived=derived, objects=objects, problems=tuple(problems)
    )


def _verify_store(settings: Settings, storage: Storage, problems: list[str]) -> int:
    remembered = publish.load_state(settings.root, storage)
    damaged = _damaged(storage, remembered)
    problems += [f"published object {key} {why}" for key, why in damaged.items()]
    return len(remembered)


def _damaged(storage: Storage, remembered: dict[str, str]) -> dict[str, str]:
    """Return key -> what is wrong, for each published object that is not the bytes sent."""
    listing = storage.list()
    found: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="radiodesk-verify-") as tmp:
        copy = Path(tmp) / "object"
        for key, sha256 in sorted(remembered.items()):
            if key not in listing:
                found[key] = "is missing from the store"
                continue
            storage.download(key, copy)
            actual = file_sha256(copy)
            if actual != sha256:
                found[key] = f"has changed: SHA-256 {actual[:12]}…, recorded {sha256[:12]}…"
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class RepairReport:
    """What `verify --repair` sent again, and what no local file could replace."""

    repaired: tuple[str, ...] = ()
    unrepairable: tuple[str, ...] = ()  # keys no local file has the published bytes of


def repair(settings: Settings, storage: Storage, *, now: datetime) -> RepairReport:
    """Upload again exactly the published objects whose bytes differ, from local copies.

    A copy qualifies only if its SHA-256 is the one published: derived MP3s and clips,
    artwork, and the feeds and pages rendered again from what is live (live.py's record).
    """
    remembered = publish.load_state(settings.root, storage)
    damaged = _damaged(storage, remembered)
    if not damaged:
        return RepairReport()
    repaired: list[str] = []
    lost: list[str] = []
    with tempfile.TemporaryDirectory(prefix="radiodesk-repair-") as tmp:
        copies = _local_copies(settings, storage, Path(tmp), now)
        # Media first, the feed last: a repaired feed never points at a missing object.
        for key in sorted(damaged, key=lambda k: (k == FEED_KEY, k.startswith("feed"), k)):
            source = _source(settings, copies.get(key), key, remembered[key])
            if source is None:
                lost.append(key)
                continue
            storage.put(source, key, _type(copies.get(key), key), _caching(copies.get(key), key))
            repaired.append(key)
    return RepairReport(repaired=tuple(repaired), unrepairable=tuple(lost))


def _local_copies(
    settings: Settings, storage: Storage, work: Path, now: datetime
) -> dict[str, Upload]:
    """Return key -> what this computer can upload: the live show as recorded, built again."""
    record = live.load(settings.root, storage.identity)
    episodes = [
        e
        for e in episode_file.load_episodes(settings.root)
        if (e.slug in record.episodes if record else e.status(now) == "ready")
    ]
    copies: dict[str, Upload] = {}
    try:
        built = [build_bundle(settings, storage, episodes, work / "all", reuse=False)]
    except RadiodeskError:  # one episode that cannot be built: build them one by one
        built = []
        for episode in episodes:
            with contextlib.suppress(RadiodeskError):
                one = work / episode.slug
                built.append(build_bundle(settings, storage, [episode], one, reuse=False))
    for bundle in built:
        copies.update({u.key: u for u in bundle.media + bundle.pages})
    if record is not None:  # the feeds and the show page exactly as they are live
        show = build_bundle(settings, storage, [], work / "live", kept=record, reuse=False)
        copies.update({u.key: u for u in show.uploads})
    return copies


def _derived_copy(settings: Settings, key: str) -> Path | None:
    """An episode MP3 kept under its content-addressed name, though the episode moved on."""
    owner = publish.owner(key)
    if owner is None or not key.startswith("audio/") or not key.endswith(".mp3"):
        return None
    path = folders.episode_dir(settings.root, owner) / folders.DERIVED_DIR / Path(key).name
    return path if path.is_file() else None


def _source(settings: Settings, upload: Upload | None, key: str, sha256: str) -> Path | None:
    """Return a local file with exactly the published bytes of `key`, if there is one."""
    if upload is not None and upload.sha256 == sha256:
        path = upload.materialize()
        if file_sha256(path) == sha256:  # a file on disk may have changed since it was built
            return path
    derived = _derived_copy(settings, key)
    return derived if derived is not None and file_sha256(derived) == sha256 else None


def _type(upload: Upload | None, key: str) -> str:
    return upload.content_type if upload else "audio/mpeg"  # else: a derived MP3 (above)


def _caching(upload: Upload | None, key: str) -> str:
    return upload.cache_control if upload else IMMUTABLE


def _compare(path: Path, expected: str, problems: list[str], label: str) -> None:
    try:
        actual = file_sha256(path)
    except OSError as exc:
        problems.append(f"{label}: cannot read ({exc.strerror})")
        return
    if actual != expected:
        problems.append(f"{label} has changed: SHA-256 {actual[:12]}…, recorded {expected[:12]}…")
