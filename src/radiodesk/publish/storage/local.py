"""The embedded store: a folder on this machine, laid out exactly like the S3 bucket."""

from __future__ import annotations

import glob
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

from radiodesk.errors import StorageError
from radiodesk.files import CHUNK_BYTES, atomic_output
from radiodesk.publish.storage.base import ObjectInfo


class LocalStorage:
    """Store objects as files under `root`; `base_url` is where that folder will be served."""

    def __init__(self, root: Path, base_url: str, *, home: Path | None = None) -> None:
        self.root = root.resolve()
        self.base_url = base_url.rstrip("/")
        self.home = home.resolve() if home is not None else None

    @property
    def identity(self) -> str:
        """Return the store's folder as its name: relative to `home` when it lies inside it.

        What was published is remembered against this name, so a show folder (or a station)
        moved or cloned elsewhere keeps knowing what is live in its own `public/`.
        """
        return local_identity(self.root, self.home)

    def put(
        self,
        path: Path,
        key: str,
        content_type: str,
        cache_control: str,
        on_bytes: Callable[[int], None] | None = None,
    ) -> str:
        """Copy the file into the store atomically (content type and caching are the server's)."""
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # A run killed between write and rename left its temp file: the rerun sweeps it.
            for stale in target.parent.glob(f".{glob.escape(target.name)}.{'?' * 8}.tmp"):
                stale.unlink(missing_ok=True)
            with (
                atomic_output(target, mode=0o644) as tmp,
                tmp.open("wb") as out,
                path.open("rb") as src,
            ):
                while chunk := src.read(CHUNK_BYTES):
                    out.write(chunk)
                    if on_bytes:
                        on_bytes(len(chunk))
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise StorageError(f"cannot write {key} to the local store {self.root}: {exc}") from exc
        return self.url(key)

    def list_pages(self, prefix: str = "") -> Iterator[dict[str, ObjectInfo]]:
        """The whole listing as one page: a folder walk has no pages."""
        yield self.list(prefix)

    def list(self, prefix: str = "") -> dict[str, ObjectInfo]:
        """Walk the store folder once."""
        found: dict[str, ObjectInfo] = {}
        if not self.root.is_dir():
            return found
        try:
            for dirpath, _dirs, files in os.walk(self.root):
                for name in files:
                    if name.startswith("."):
                        continue  # our own temp files
                    full = Path(dirpath) / name
                    key = full.relative_to(self.root).as_posix()
                    if key.startswith(prefix):
                        found[key] = ObjectInfo(key, full.stat().st_size)
        except OSError as exc:
            raise StorageError(f"cannot list the local store {self.root}: {exc}") from exc
        return found

    def delete(self, keys: Sequence[str]) -> None:
        """Remove the files and any folders left empty."""
        try:
            for key in keys:
                target = self._path(key)
                target.unlink(missing_ok=True)
                parent = target.parent
                while parent != self.root and parent.is_dir() and not any(parent.iterdir()):
                    parent.rmdir()
                    parent = parent.parent
        except OSError as exc:
            raise StorageError(f"cannot delete from the local store {self.root}: {exc}") from exc

    def download(self, key: str, path: Path) -> None:
        """Copy the stored file."""
        try:
            shutil.copyfile(self._path(key), path)
        except OSError as exc:
            raise StorageError(f"cannot read {key} from the local store: {exc.strerror}") from exc

    def url(self, key: str) -> str:
        """Return the URL under which the served folder exposes `key`."""
        return f"{self.base_url}/{quote(key)}"

    def _path(self, key: str) -> Path:
        target = (self.root / key).resolve()
        if not target.is_relative_to(self.root) or target == self.root:
            raise StorageError(f"refusing the object key {key!r}: it points outside the store")
        return target


def local_identity(root: Path, home: Path | None) -> str:
    """Name a local store folder: relative to `home` (the show's or station's) if inside it."""
    if home is not None and root.is_relative_to(home):
        return f"local:./{root.relative_to(home).as_posix()}"
    return f"local:{root}"
