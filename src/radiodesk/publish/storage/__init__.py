"""Stores that publish writes to, behind the `Storage` protocol: a show's or a station's, as
its settings configure it. Opening one asks the store nothing."""

from __future__ import annotations

from pathlib import Path

from radiodesk.publish.storage.base import (
    IMMUTABLE,
    SHORT,
    Listing,
    ObjectInfo,
    Storage,
    s3_identity,
)
from radiodesk.publish.storage.local import LocalStorage, local_identity
from radiodesk.show.settings import Settings, StationSettings, StorageSettings

__all__ = [
    "IMMUTABLE",
    "SHORT",
    "Listing",
    "LocalStorage",
    "ObjectInfo",
    "Storage",
    "show_storage",
    "station_storage",
    "store_identity",
]


def show_storage(settings: Settings) -> Storage:
    """Return the store a show's radiodesk.toml configures."""
    return _storage(
        settings.storage, settings.show.base_url, settings.local_store, home=_home(settings)
    )


def station_storage(station: StationSettings) -> Storage:
    """Return the store a station's radiodesk.toml configures (for its own page and OPML)."""
    return _storage(
        station.storage, station.station.base_url, station.local_store, home=station.root
    )


def _storage(storage: StorageSettings, base_url: str, local_store: Path, *, home: Path) -> Storage:
    """`home` is the folder (the show's, or its station's) a local store is named relative to."""
    public = storage.public_base_url or base_url
    if storage.backend == "s3":
        from radiodesk.publish.storage.s3 import open_s3  # boto3 is slow to import: only when used

        return open_s3(storage, public)
    return LocalStorage(local_store, public, home=home)


def store_identity(settings: Settings) -> str:
    """Return the identity of the store radiodesk.toml configures, without opening it."""
    storage = settings.storage
    if storage.backend == "s3":
        return s3_identity(storage.endpoint_url, storage.bucket, storage.prefix)
    return local_identity(settings.local_store.resolve(), _home(settings).resolve())


def _home(settings: Settings) -> Path:
    """A programme's local store lies in its station's folder, a lone show's in its own."""
    return settings.station.root if settings.station is not None else settings.root
