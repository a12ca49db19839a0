"""`radiodesk verify`: prove that masters and published objects are the bytes that were recorded.

Reads only; changes nothing. Masters are checked against episode.toml, derived MP3s against
their record, and every object this show published against the hash remembered at upload.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from radiodesk import catalog, publish
from radiodesk.audio import file_sha256
from radiodesk.config import Settings
from radiodesk.storage import Storage


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
    for episode in catalog.load_episodes(settings.root):
        folder = catalog.episode_dir(settings.root, episode.slug)
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
    listing = storage.list()
    with tempfile.TemporaryDirectory(prefix="radiodesk-verify-") as tmp:
        copy = Path(tmp) / "object"
        for key, sha256 in sorted(remembered.items()):
            if key not in listing:
                problems.append(f"published object {key} is missing from the store")
                continue
            storage.download(key, copy)
            _compare(copy, sha256, problems, f"published object {key}")
    return len(remembered)


def _compare(path: Path, expected: str, problems: list[str], label: str) -> None:
    try:
        actual = file_sha256(path)
    except OSError as exc:
        problems.append(f"{label}: cannot read ({exc.strerror})")
        return
    if actual != expected:
        problems.append(f"{label} has changed: SHA-256 {actual[:12]}…, recorded {expected[:12]}…")
