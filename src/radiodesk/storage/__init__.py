"""Stores that publish writes to, behind the `Storage` protocol; `open_storage` picks one."""

from __future__ import annotations

from radiodesk.config import Settings
from radiodesk.errors import ConfigError
from radiodesk.storage.base import IMMUTABLE, SHORT, ObjectInfo, Storage
from radiodesk.storage.local import LocalStorage

__all__ = ["IMMUTABLE", "SHORT", "LocalStorage", "ObjectInfo", "Storage", "open_storage"]


def open_storage(settings: Settings) -> Storage:
    """Return the store radiodesk.toml configures."""
    if settings.storage.backend == "local":
        return LocalStorage(settings.local_store, settings.show.base_url)
    raise ConfigError(
        f"[storage] backend {settings.storage.backend!r} is not available yet",
        hint='use backend = "local"',
    )
