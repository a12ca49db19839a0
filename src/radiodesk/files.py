"""Files written whole or not at all, their SHA-256, and the fingerprint of a value: one place.

Imports nothing of ours and never knows what a file means; every layer may use it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, is_dataclass
from datetime import datetime
from pathlib import Path

CHUNK_BYTES = 1 << 20  # hashes and copies read this much at a time: a 3-hour WAV never in memory


@contextlib.contextmanager
def atomic_output(path: Path, *, suffix: str = ".tmp", mode: int | None = None) -> Iterator[Path]:
    """Yield a temp file beside `path`; when the block succeeds, rename it over `path`.

    On any failure (Ctrl-C included) the temp file goes and `path` is as it was. The temp
    file is mkstemp's (private); `mode` sets the finished file's permissions.
    """
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if mode is not None:
            tmp.chmod(mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write bytes to a temp file beside `path`, flushed to disk, then rename it over `path`."""
    with atomic_output(path, mode=mode) as tmp, tmp.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint(value: object) -> str:
    """Hash a value's canonical JSON form (bytes are hashed, not embedded)."""

    def default(obj: object) -> object:
        if isinstance(obj, bytes):
            return hashlib.sha256(obj).hexdigest()
        if isinstance(obj, datetime):
            return obj.isoformat()
        if is_dataclass(obj) and not isinstance(obj, type):
            return asdict(obj)
        raise TypeError(f"cannot fingerprint {type(obj).__name__}")

    data = asdict(value) if is_dataclass(value) and not isinstance(value, type) else value
    text = json.dumps(data, default=default, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
