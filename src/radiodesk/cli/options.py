"""Option values turned into what the core takes: dates, recordings, notes, the time now."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import click

from radiodesk import textfile
from radiodesk.errors import ConfigError

AUDIO_SUFFIXES = frozenset(
    [
        ".wav",
        ".flac",
        ".mp3",
        ".m4a",
        ".aac",
        ".ogg",
        ".oga",
        ".opus",
        ".amr",
        ".wma",
        ".aif",
        ".aiff",
        ".mp4",
        ".mov",
        ".mkv",
        ".webm",
    ]
)


def now() -> datetime:
    """Return the time a command runs at, the `now` the core is given."""
    return datetime.now(UTC)


def parse_date(value: str | None) -> datetime | None:
    """Read an ISO 8601 --date; a date without a zone is in this machine's zone."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date like 2026-11-20T10:00:00+03:00"
        ) from None
    return parsed if parsed.tzinfo else parsed.astimezone()  # naive: this machine's zone


def expand_recordings(paths: Sequence[Path]) -> list[Path]:
    """Replace each folder by the recordings in it (sorted by name)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
            if not found:
                raise ConfigError(f"no recordings in the folder {path}")
            files += found
        else:
            files.append(path)
    return files


def read_description(text: str | None, path: Path | None) -> str:
    """Return the notes given inline (--description) or as a file (--description-file)."""
    if text is not None and path is not None:
        raise click.UsageError("give --description or --description-file, not both")
    if path is None:
        return text or ""
    return textfile.read_text(path, "notes").text
