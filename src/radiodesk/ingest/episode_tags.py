"""The ID3 tag values of an episode's MP3: its text, the artwork, chapters and provenance.

Values only: writing them is audio/tags.py's, and deciding when to is derived.py's.
"""

from __future__ import annotations

from pathlib import Path

from radiodesk.audio.tag_values import Cover, TagChapter, Tags
from radiodesk.show import provenance
from radiodesk.show.artwork import inspect_image
from radiodesk.show.chapters import Chapter, load_chapters
from radiodesk.show.episode import Episode
from radiodesk.show.provenance import Provenance
from radiodesk.show.settings import Settings
from radiodesk.show.timeline import Timeline


def tag_values(
    settings: Settings,
    folder: Path,
    episode: Episode,
    duration_s: float,
    *,
    placing: Timeline | None = None,
    record: Provenance | None = None,
    chapters: tuple[Chapter, ...] | None = None,
) -> Tags:
    """Return the ID3 values of an episode (its own artwork, else the show's).

    `placing` and `record` describe a new encode; None: the episode's audio record's.
    `chapters`: the episode's chapters as just stored; None: read the stored ones.
    """
    show = settings.show
    cover = _cover(settings, folder, episode)
    placed = _chapters(folder, episode, duration_s, placing, chapters)
    if record is None and episode.audio is not None and episode.audio.provenance:
        record = provenance.read(folder / episode.audio.provenance)
    extra = {provenance.TAG_DESCRIPTION: provenance.compact(record)} if record else {}
    return Tags(
        title=episode.title,
        artist=show.author or show.title,
        album=show.title,
        date=episode.date,
        description=episode.description,
        language=show.language,
        track=episode.number,
        disc=episode.season,
        episode_guid=episode.guid,
        category=show.category,
        cover=cover,
        chapters=placed,
        extra=extra,
    )


def cover_path(settings: Settings, folder: Path, episode: Episode) -> Path | None:
    """Return the artwork the episode's MP3 carries: its own, else the show's (None: none)."""
    if episode.image:
        return folder / episode.image
    return settings.root / settings.show.image if settings.show.image else None


def _cover(settings: Settings, folder: Path, episode: Episode) -> Cover | None:
    path = cover_path(settings, folder, episode)
    if path is None:
        return None
    info = inspect_image(path)
    return Cover(data=path.read_bytes(), mime=info.mime)


def _chapters(
    folder: Path,
    episode: Episode,
    duration_s: float,
    placing: Timeline | None,
    chapters: tuple[Chapter, ...] | None,
) -> tuple[TagChapter, ...]:
    placed = load_chapters(folder, episode, duration_s, placing, stored=chapters)
    return tuple(
        TagChapter(start_s=c.start_s, end_s=c.end_s or duration_s, title=c.title, url=c.url)
        for c in placed
    )
