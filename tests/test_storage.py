"""The Storage contract, on every backend that exists so far."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from radiodesk.errors import StorageError
from radiodesk.publish.storage import IMMUTABLE, SHORT, Listing, LocalStorage, ObjectInfo, Storage


@pytest.fixture
def storage(tmp_path: Path) -> Storage:
    return LocalStorage(tmp_path / "store", "https://radio.example.org/podcast/")


def test_put_list_delete(storage: Storage, tmp_path: Path) -> None:
    src = tmp_path / "a.mp3"
    src.write_bytes(b"x" * 1000)
    url = storage.put(src, "audio/ep-1.mp3", "audio/mpeg", IMMUTABLE)
    assert url == "https://radio.example.org/podcast/audio/ep-1.mp3"
    storage.put(src, "feed.xml", "application/rss+xml", SHORT)
    assert storage.list() == {
        "audio/ep-1.mp3": ObjectInfo("audio/ep-1.mp3", 1000),
        "feed.xml": ObjectInfo("feed.xml", 1000),
    }
    assert set(storage.list("audio/")) == {"audio/ep-1.mp3"}
    storage.delete(["audio/ep-1.mp3", "audio/missing.mp3"])
    assert set(storage.list()) == {"feed.xml"}
    assert not (tmp_path / "store" / "audio").exists()  # empty folders are pruned


def test_replacing_an_object_is_atomic(storage: Storage, tmp_path: Path) -> None:
    src = tmp_path / "feed.xml"
    src.write_bytes(b"one")
    storage.put(src, "feed.xml", "application/rss+xml", SHORT)
    src.write_bytes(b"two!")
    storage.put(src, "feed.xml", "application/rss+xml", SHORT)
    assert (tmp_path / "store" / "feed.xml").read_bytes() == b"two!"
    assert sorted(p.name for p in (tmp_path / "store").iterdir()) == ["feed.xml"]


@pytest.mark.parametrize("key", ["../outside.mp3", "audio/../../x", "/etc/passwd", ""])
def test_keys_cannot_leave_the_store(storage: Storage, tmp_path: Path, key: str) -> None:
    src = tmp_path / "a.mp3"
    src.write_bytes(b"x")
    with pytest.raises(StorageError, match="outside the store"):
        storage.put(src, key, "audio/mpeg", IMMUTABLE)
    assert not (tmp_path / "outside.mp3").exists()


def test_urls_are_percent_encoded(storage: Storage) -> None:
    assert storage.url("images/a b.jpg") == "https://radio.example.org/podcast/images/a%20b.jpg"


def test_unwritable_store_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "store"
    blocker.write_text("a file where the store folder should be")
    src = tmp_path / "a.mp3"
    src.write_bytes(b"x")
    with pytest.raises(StorageError, match=r"cannot write audio/a\.mp3"):
        LocalStorage(blocker, "https://x.org").put(src, "audio/a.mp3", "audio/mpeg", IMMUTABLE)


class _Pages(LocalStorage):
    """A store that answers `pages` one by one, then fails with `error` if one is given."""

    def __init__(self, pages: list[dict[str, ObjectInfo]], error: StorageError | None) -> None:
        super().__init__(Path("unused"), "https://radio.example.org/")
        self.pages, self.error = pages, error

    def list_pages(self, prefix: str = "") -> Iterator[dict[str, ObjectInfo]]:
        yield from self.pages
        if self.error is not None:
            raise self.error


def test_a_listing_gathers_every_page_and_hands_on_the_stores_errors() -> None:
    one, two = {"a": ObjectInfo("a", 1)}, {"b": ObjectInfo("b", 2)}
    listing = Listing(_Pages([one, two], None))
    assert listing.first_page() == one
    assert listing.everything() == {**one, **two}
    assert Listing(_Pages([], None)).everything() == {}
    unreachable = Listing(_Pages([], StorageError("cannot reach the store")))
    with pytest.raises(StorageError, match="cannot reach"):
        unreachable.first_page()
    broken = Listing(_Pages([one], StorageError("the store failed")))
    assert broken.first_page() == one  # the first answer came: the work may start
    with pytest.raises(StorageError, match="failed"):
        broken.everything()
