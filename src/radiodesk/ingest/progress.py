"""The progress callback that add, edit and publish's rebuild report their audio passes to.

Only the type and how a stage reports through it; drawing bars is the CLI's.
"""

from __future__ import annotations

from collections.abc import Callable

# recording label, stage ("measure" / "encode"), seconds done, seconds in all (0: not known)
ProgressFn = Callable[[str, str, float, float], None]


def stage(
    on_progress: ProgressFn | None, label: str, name: str, total_s: float = 0.0
) -> Callable[[float], None] | None:
    """Return the callback one pass over a recording reports its position to (None: none)."""
    if on_progress is None:
        return None
    return lambda done_s: on_progress(label, name, done_s, total_s)
