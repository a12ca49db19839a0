"""What radiodesk learnt about ffmpeg binaries, kept between runs in the user's cache folder.

An answer holds only for the file it was learnt from: the same path, size, modification and
change times and inode; a binary replaced, rebuilt or touched is checked again. Runs nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from radiodesk.files import write_atomic

log = logging.getLogger(__name__)

FORMAT = 1  # bump when the file's layout changes: an older file is then ignored
FILE_NAME = "ffmpeg.json"


def default_file() -> Path:
    """Return the cache file in this user's cache folder (XDG_CACHE_HOME on Linux)."""
    import platformdirs  # only where a cache is read: its import costs a few milliseconds

    return platformdirs.user_cache_path("radiodesk") / FILE_NAME


def identity(path: Path) -> list[int] | None:
    """Return what tells a changed binary (size, times, inode), or None if it is not there."""
    try:
        info = path.stat()
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev]


@dataclass(slots=True)
class BinaryCache:
    """Checked binaries and the wheel's binary paths, under the requirements they were met for.

    `requires` names what the checks asked for (version, encoders, filters): an answer given
    under other requirements is never used.
    """

    file: Path
    requires: str
    binaries: dict[str, dict[str, object]] = field(default_factory=dict)
    wheels: dict[str, object] = field(default_factory=dict)  # one per imageio-ffmpeg install
    changed: bool = False

    @classmethod
    def load(cls, file: Path, requires: str) -> BinaryCache:
        """Read the cache file; a missing, unreadable or foreign one counts as empty."""
        cache = cls(file=file, requires=requires)
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.debug("no usable ffmpeg cache at %s (%s)", file, exc)
            return cache
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return cache
        if data.get("requires") != requires:
            return cache
        binaries, wheels = data.get("binaries"), data.get("wheels")
        cache.binaries = binaries if isinstance(binaries, dict) else {}
        cache.wheels = wheels if isinstance(wheels, dict) else {}
        return cache

    def version_of(self, path: Path) -> str | None:
        """Return the version of a binary that passed the checks, if it is still that file."""
        entry = self.binaries.get(str(path))
        if not isinstance(entry, dict) or entry.get("identity") != identity(path):
            return None
        version = entry.get("version")
        return version if isinstance(version, str) and version else None

    def passed(self, path: Path, version: str) -> None:
        """Record that the binary at `path` passed the checks."""
        entry: dict[str, object] = {"identity": identity(path), "version": version}
        if entry["identity"] is not None and self.binaries.get(str(path)) != entry:
            self.binaries[str(path)] = entry
            self.changed = True

    def wheel_path(self, key: str) -> Path | None:
        """Return the path imageio-ffmpeg gave under `key` (its version, place, settings)."""
        path = self.wheels.get(key)
        return Path(path) if isinstance(path, str) else None

    def wheel_found(self, key: str, path: Path) -> None:
        """Record the path imageio-ffmpeg gave under `key`."""
        if self.wheels.get(key) != str(path):
            self.wheels[key] = str(path)
            self.changed = True

    def save(self) -> None:
        """Write the cache if it changed, whole or not at all; a cache that cannot be written
        costs only the checks next time."""
        if not self.changed:
            return
        data = {
            "format": FORMAT,
            "requires": self.requires,
            "binaries": self.binaries,
            "wheels": self.wheels,
        }
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.file, json.dumps(data, indent=1).encode("utf-8"))
        except OSError as exc:
            log.debug("cannot write the ffmpeg cache %s: %s", self.file, exc)
            return
        self.changed = False
