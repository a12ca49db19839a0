"""Option values turned into what the core takes: dates, recordings, notes, the time now."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import click

from radiodesk.cli import Context
from radiodesk.errors import ConfigError
from radiodesk.show import textfile, zones

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
    """Read an ISO 8601 --date; a date without a zone is in the show's time_zone (and says so).

    Called from an option's callback: the show comes from the command's context, so every
    --date (add, edit, ...) reads the same way without each command passing its settings.
    """
    if value is None:
        return None
    obj = click.get_current_context().find_object(Context)
    assert obj is not None, "a command of the radiodesk group"
    typed = zones.parse_date(value, lambda: obj.settings().show.zone)
    if typed.zone is not None and not obj.quiet:
        click.echo(f"radiodesk: note: {typed.note()}", err=True)
    return typed.when


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
