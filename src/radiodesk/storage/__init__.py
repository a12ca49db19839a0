"""Stores that publish writes to, behind the `Storage` protocol; `open_storage` picks one."""

from __future__ import annotations

from radiodesk.config import Settings
from radiodesk.storage.base import IMMUTABLE, SHORT, ObjectInfo, Storage
from radiodesk.storage.local import LocalStorage

__all__ = ["IMMUTABLE", "SHORT", "LocalStorage", "ObjectInfo", "Storage", "open_storage"]


def open_storage(settings: Settings) -> Storage:
    """Return the store radiodesk.toml configures."""
    storage = settings.storage
    base_url = storage.public_base_url or settings.show.base_url
    if storage.backend == "s3":
        from radiodesk.storage.s3 import open_s3  # boto3 is slow to import: only when used

        return open_s3(storage, base_url)
    return LocalStorage(settings.local_store, base_url)
