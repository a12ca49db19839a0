"""Stat-keyed caches of facts derived from the show's own files, kept in `.radiodesk/cache/`.

A fact is reused while its files keep their size, mtime and inode; a bad cache is rebuilt. Never
used for the store (always listed): losing a cache costs time, never correctness.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from stat import S_ISREG
from typing import Any

import radiodesk
from radiodesk.files import write_atomic

CACHE_DIR = ".radiodesk/cache"
# A file changed this close to the moment we stat it may change again within the same mtime
# tick, unseen (the "racy git" problem): such a file is not cached until it has settled.
SETTLE_NS = 2_000_000_000

Stamp = tuple[int, int, int] | None  # (size, mtime_ns, inode); None: the file is missing


def stamp(path: str | os.PathLike[str]) -> Stamp:
    """Return what identifies this version of a file on disk (None: missing, or not a file).

    A text path is welcome: a caller stamping thousands of files spares making a Path each.
    """
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ino) if S_ISREG(info.st_mode) else None


def settled(stamps: Sequence[Stamp]) -> bool:
    """Return whether every file has gone unchanged long enough for its stamp to stand for it."""
    limit = time.time_ns() - SETTLE_NS
    return all(s is None or s[1] <= limit for s in stamps)


class StatCache:
    """One named cache: key -> (stamps of the files a value came from, the value)."""

    def __init__(self, root: Path, name: str) -> None:
        self.path = root / CACHE_DIR / f"{name}.json"
        self.version = code_version()
        self.entries: dict[str, list[Any]] = {}
        self.changed = False
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict) and data.get("version") == self.version:
            entries = data.get("entries")
            self.entries = entries if isinstance(entries, dict) else {}

    def get(self, key: str, stamps: Sequence[Stamp]) -> Any:
        """Return the value stored under `key` if its files still have these stamps, else None."""
        entry = self.entries.get(key)
        if not isinstance(entry, list) or len(entry) != 2 or entry[0] != _plain(stamps):
            return None
        return entry[1]

    def put(self, key: str, stamps: Sequence[Stamp], value: Any) -> None:
        """Remember `value` for these stamps, unless a file is too fresh to be trusted yet."""
        if not settled(stamps):
            self.drop(key)
            return
        entry = [_plain(stamps), value]
        if self.entries.get(key) != entry:
            self.entries[key] = entry
            self.changed = True

    def drop(self, key: str) -> None:
        """Forget `key`."""
        if self.entries.pop(key, None) is not None:
            self.changed = True

    def keep_only(self, keys: set[str]) -> None:
        """Forget every key but these (episodes that are gone)."""
        for key in [k for k in self.entries if k not in keys]:
            self.drop(key)

    def save(self) -> None:
        """Write the cache atomically if it changed; a show we cannot write to is fine."""
        if not self.changed:
            return
        data = json.dumps({"version": self.version, "entries": self.entries}, ensure_ascii=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, data.encode("utf-8"), mode=0o644)
        except OSError:
            return
        self.changed = False


@functools.cache  # the code cannot change under a running process; hash it once
def code_version() -> str:
    """Fingerprint radiodesk's code and templates: what a cached fact means may change with them."""
    digest = hashlib.sha256(radiodesk.__version__.encode())
    package = Path(radiodesk.__file__).parent
    for source in sorted(package.rglob("*")):
        if source.is_file() and source.suffix != ".pyc":
            digest.update(source.relative_to(package).as_posix().encode() + b"\0")
            digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def _plain(stamps: Sequence[Stamp]) -> list[list[int] | None]:
    """Stamps as JSON gives them back (lists), so that stored and fresh ones compare equal."""
    return [list(s) if s is not None else None for s in stamps]
