"""The record of what this show last published to each store (key -> sha256), so that a mutable
object is sent again only when it changed. Reads and writes only .radiodesk/published.json.
"""

from __future__ import annotations

import json
from pathlib import Path

from radiodesk.files import write_atomic
from radiodesk.publish.storage import Storage

STATE_DIR = ".radiodesk"


def _state_file(root: Path) -> Path:
    return root / STATE_DIR / "published.json"


def load_state(root: Path, storage: Storage) -> dict[str, str]:
    """Return key -> sha256 of what this show last published to this store."""
    try:
        data = json.loads(_state_file(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # unknown: mutable objects are simply sent again
    entry = data.get(storage.identity, {}) if isinstance(data, dict) else {}
    return {str(k): str(v) for k, v in entry.items()} if isinstance(entry, dict) else {}


def save_state(root: Path, storage: Storage, state: dict[str, str]) -> None:
    path = _state_file(root)
    path.parent.mkdir(exist_ok=True)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    data = data if isinstance(data, dict) else {}
    data[storage.identity] = dict(sorted(state.items()))
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8"))
