"""The one abstraction between publish and a store: put, list, delete, url."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
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
    first page tells whether the store can be reached at all, the rest arrive meanwhile.
    """

    def __init__(self, storage: Storage) -> None:
        pages = storage.list_pages()
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="radiodesk-listing")
        empty: dict[str, ObjectInfo] = {}  # a store with nothing in it may send no page
        self._first = pool.submit(next, pages, empty)
        self._rest = pool.submit(_merged, pages)  # after the first, on the same thread
        pool.shutdown(wait=False)  # its thread ends with the listing

    def first_page(self) -> dict[str, ObjectInfo]:
        """Wait for the store's first answer (a StorageError if it cannot be reached)."""
        return self._first.result()

    def everything(self) -> dict[str, ObjectInfo]:
        """Wait for the whole listing."""
        return {**self._first.result(), **self._rest.result()}


def _merged(pages: Iterator[dict[str, ObjectInfo]]) -> dict[str, ObjectInfo]:
    merged: dict[str, ObjectInfo] = {}
    for page in pages:
        merged.update(page)
    return merged
