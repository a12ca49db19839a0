"""The one abstraction between publish and a store: put, list, delete, url."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# Audio and artwork keys carry a content hash, so their bytes never change (issue: cache forever).
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"  # the feed and pages change: apps re-check them often


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """One object in a store listing."""

    key: str
    size_bytes: int


def s3_identity(endpoint: str, bucket: str, prefix: str) -> str:
    """Return the identity of a bucket's prefix: what a publish is remembered against."""
    return f"s3:{endpoint or 'aws'}/{bucket}/{prefix_of(prefix)}"


def prefix_of(prefix: str) -> str:
    """Return a key prefix as stores use it: no leading slash, one trailing slash (or none)."""
    return prefix.strip("/") + "/" if prefix.strip("/") else ""


class Storage(Protocol):
    """A place listeners download from."""

    @property
    def identity(self) -> str:
        """Return a stable name for this store (used to remember what was published there)."""
        ...

    def put(
        self,
        path: Path,
        key: str,
        content_type: str,
        cache_control: str,
        on_bytes: Callable[[int], None] | None = None,
    ) -> str:
        """Store the file at `key` (replacing it atomically) and return its public URL.

        `on_bytes` is called with the number of bytes sent since its last call.
        """
        ...

    def list(self, prefix: str = "") -> dict[str, ObjectInfo]:
        """Return every object under `prefix` in one listing."""
        ...

    def list_pages(self, prefix: str = "") -> Iterator[dict[str, ObjectInfo]]:
        """Yield the same listing a page at a time, as the store sends it."""
        ...

    def delete(self, keys: Sequence[str]) -> None:
        """Delete the objects; missing ones are fine."""
        ...

    def download(self, key: str, path: Path) -> None:
        """Copy the object's bytes to a local file (for verification)."""
        ...

    def url(self, key: str) -> str:
        """Return the public URL of `key`."""
        ...


class Listing:
    """One listing of a store, fetched on a thread of its own from the moment it is made.

    A publish asks the store before anything else and works while the answer comes in: the
    first page tells whether the store can be reached at all, the rest arrive meanwhile. The
    thread never holds up the end of the process (a run that fails early exits at once).
    """

    def __init__(self, storage: Storage) -> None:
        self._first: Future[dict[str, ObjectInfo]] = Future()
        self._all: Future[dict[str, ObjectInfo]] = Future()
        pages = storage.list_pages()
        threading.Thread(
            target=self._fetch, args=(pages,), name="radiodesk-listing", daemon=True
        ).start()

    def first_page(self) -> dict[str, ObjectInfo]:
        """Wait for the store's first answer (a StorageError if it cannot be reached)."""
        return self._first.result()

    def everything(self) -> dict[str, ObjectInfo]:
        """Wait for the whole listing."""
        return self._all.result()

    def _fetch(self, pages: Iterator[dict[str, ObjectInfo]]) -> None:
        merged: dict[str, ObjectInfo] = {}
        try:
            for page in pages:
                merged.update(page)
                if not self._first.done():
                    self._first.set_result(page)
        except BaseException as exc:  # not handled here: raised again in whoever waits
            for future in (self._first, self._all):
                if not future.done():
                    future.set_exception(exc)
            return
        if not self._first.done():
            self._first.set_result({})  # an empty store may send no page
        self._all.set_result(merged)
