"""The side files of an episode: artwork, chapters and transcript, as the producer gives them.

Read and checked before any audio work, checked against the recording once its length is known,
then stored in the episode folder. Never changes the producer's own files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from radiodesk.files import write_atomic
from radiodesk.show import chapters, folders, textfile, transcripts
from radiodesk.show.chapters import Chapter, as_stored, chapters_json, parse_chapters
from radiodesk.show.transcripts import Transcript, parse_transcript

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Sides:
    """Artwork, chapters and transcript that passed their checks, parsed, not yet stored."""

    image: Path | None = None
    chapters: tuple[Chapter, ...] | None = None
    chapters_source: str = ""  # the producer's file name, for messages
    transcript: Transcript | None = None
    transcript_data: bytes = b""  # as stored: the producer's bytes, or UTF-8 if read otherwise
    transcript_source: str = ""


def read_sides(image: Path | None, chapter_file: Path | None, transcript: Path | None) -> Sides:
    """Read, parse and check the side files before any expensive work starts."""
    if image:
        from radiodesk.show.artwork import inspect_image  # Pillow: slow to import

        inspect_image(image)
    chapter_list = None
    if chapter_file:
        text = textfile.read_text(chapter_file, "chapters").text
        chapter_list = parse_chapters(text, source=chapter_file.name)
    parsed, data = None, b""
    if transcript:
        data = textfile.read_text(transcript, "transcript").utf8()
        parsed = parse_transcript(data, source=transcript.name)
    return Sides(
        image=image,
        chapters=chapter_list,
        chapters_source=chapter_file.name if chapter_file else "",
        transcript=parsed,
        transcript_data=data,
        transcript_source=transcript.name if transcript else "",
    )


def check_within(sides: Sides, recording_s: float) -> None:
    """Refuse chapters and cues that start at or after the end of the recording."""
    if sides.chapters is not None:
        chapters.check_within(sides.chapters, recording_s, source=sides.chapters_source)
    if sides.transcript is not None:
        transcripts.check_within(sides.transcript, recording_s, source=sides.transcript_source)


def stored_chapters(sides: Sides) -> tuple[Chapter, ...] | None:
    """Return the chapters as store_sides keeps them, so no one reads them back (None: none)."""
    return None if sides.chapters is None else as_stored(sides.chapters)


def store_sides(sides: Sides, folder: Path, slug: str) -> dict[str, str]:
    """Store artwork, chapters and transcript in the episode folder; return the new names."""
    names: dict[str, str] = {}
    if sides.image:
        from radiodesk.show.artwork import prepare_artwork

        path, _info, notes = prepare_artwork(sides.image, folder, stem="image")
        for note in notes:
            log.warning("%s: artwork %s", slug, note)
        names["image"] = path.name
    if sides.chapters is not None:
        names["chapters"] = folders.CHAPTERS_FILE
        write_atomic(folder / folders.CHAPTERS_FILE, chapters_json(sides.chapters))
    if sides.transcript is not None:
        names["transcript"] = folders.TRANSCRIPT_STEM + sides.transcript.suffix
        write_atomic(folder / names["transcript"], sides.transcript_data)
    return names
