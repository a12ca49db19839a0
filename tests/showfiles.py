"""What a show folder holds, to prove that a failed or no-op command left it exactly as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path

from radiodesk.show.statcache import CACHE_DIR


def snapshot(root: Path) -> dict[str, str]:
    """Every file under root with its hash (the lock file and stat caches are bookkeeping)."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "lock" and not p.parent.as_posix().endswith(CACHE_DIR)
    }


def snapshot_with_times(root: Path) -> dict[str, tuple[str, int]]:
    """The snapshot with each file's modification time: a rewrite with equal bytes shows too."""
    hashes = snapshot(root)
    return {name: (digest, (root / name).stat().st_mtime_ns) for name, digest in hashes.items()}
