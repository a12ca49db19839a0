"""Runs `edit`: corrects one episode, all at once or not at all; guid and slug never change.

All the work happens in a hard-linked copy of the episode folder, switched in whole at the end:
a failure or Ctrl-C leaves the episode as it was. Never uploads anything.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path

from radiodesk.audio.analysis import Analysis
from radiodesk.errors import CatalogError
from radiodesk.ingest import masters, sides
from radiodesk.ingest.derived import Computed, prune_derived, refresh_audio
from radiodesk.ingest.on_air import stage_on_air
from radiodesk.ingest.progress import ProgressFn
from radiodesk.ingest.soundbite_clips import refresh_clips
from radiodesk.ingest.splice_plan import check_jingles
from radiodesk.show import episode_file, folders, soundbites, staging
from radiodesk.show.chapters import stored_chapters
from radiodesk.show.episode import Correction, Episode, Person, Soundbite, clean_text
from radiodesk.show.settings import Settings
from radiodesk.show.transcripts import parse_transcript

log = logging.getLogger(__name__)

# Changes that the on-air copy shows: its bext chunk (title, date) or its audio (the master).
ON_AIR_FIELDS = frozenset({"title", "date", "master"})


@dataclass(frozen=True, slots=True, kw_only=True)
class EditRequest:
    """A correction: only the fields given change; guid and slug never do."""

    title: str | None = None
    description: str | None = None
    date: datetime | None = None
    persons: tuple[Person, ...] | None = None
    soundbites: tuple[Soundbite, ...] | None = None  # replace them all; () removes them
    chapters: Path | None = None
    transcript: Path | None = None
    image: Path | None = None
    replace_audio: Path | None = None
    note: str | None = None
    public_note: bool = False
    draft: bool | None = None  # False releases a draft: dated `now` unless `date` is given


@dataclass(frozen=True, slots=True, kw_only=True)
class Edited:
    """What an edit did: the episode as it now is and the fields that changed (none: no-op)."""

    episode: Episode
    changed: tuple[str, ...]
    on_air: Path | None = None  # the on-air copy, made again with the edit


def edit_episode(
    settings: Settings,
    slug: str,
    request: EditRequest,
    *,
    now: datetime,
    on_progress: ProgressFn | None = None,
) -> Edited:
    """Correct an episode in one switch; the old master is kept and a correction note recorded."""
    if request == EditRequest(public_note=request.public_note):
        raise CatalogError(
            f"nothing to change in {slug!r}",
            hint="give what to correct: --title, --description, --date, --person, --soundbite, "
            "--chapters, --transcript, --image, --replace-audio, --note or --draft/--no-draft",
        )
    root = settings.root
    with folders.locked(root):
        folder = folders.episode_dir(root, slug)
        episode = episode_file.load_episode(folder)
        if episode.removed:
            raise CatalogError(
                f"episode {slug!r} was removed from the feed; a removed episode is not edited",
                hint="to publish it again, add its recording as a new episode",
            )
        changes = _text_changes(episode, request, now)
        given = sides.read_sides(request.image, request.chapters, request.transcript)
        if request.replace_audio is not None:
            masters.check_recording(request.replace_audio)
            check_jingles(settings)
        else:  # the recording stays: check against it before any work
            _check_timed(folder, episode, given, changes, _recording_s(episode))
        try:
            work = staging.linked_copy(folder)
            try:
                edited = _build(settings, work, episode, request, given, changes, now, on_progress)
                if edited.changed:
                    staging.switch(work, folder)
            finally:
                staging.discard(work)  # gone already once switched in
        except OSError as exc:
            raise CatalogError(f"cannot edit episode {slug!r}: {exc.strerror or exc}") from exc
    if edited.changed:
        log.info("edited %s (%s)", slug, ", ".join(edited.changed))
    return edited


def _text_changes(episode: Episode, request: EditRequest, now: datetime) -> dict[str, object]:
    """Return the plain fields the request changes (a value equal to the current one does not)."""
    given: dict[str, object] = {}
    if request.title is not None:
        given["title"] = clean_text(request.title, "the title")
        if not given["title"]:
            raise CatalogError("the episode needs a title")
    if request.description is not None:
        given["description"] = clean_text(request.description, "the description")
    if request.date is not None:
        given["date"] = request.date
    if request.persons is not None:
        given["persons"] = request.persons
    if request.soundbites is not None:
        given["soundbites"] = soundbites.ordered(request.soundbites)
    if request.draft is not None:
        given["draft"] = request.draft
        if episode.draft and not request.draft and request.date is None:
            given["date"] = now.replace(microsecond=0)  # released: dated now
    return {name: value for name, value in given.items() if getattr(episode, name) != value}


def _build(
    settings: Settings,
    work: Path,
    episode: Episode,
    request: EditRequest,
    given: sides.Sides,
    changes: dict[str, object],
    now: datetime,
    on_progress: ProgressFn | None,
) -> Edited:
    """Make the edited episode in the staged folder `work`; nothing is switched in here."""
    changes |= _store_changed_sides(given, work, episode)
    analysis = None
    if request.replace_audio is not None:
        analysis = _replace_master(settings, work, episode, request.replace_audio, changes,
                                   on_progress)  # fmt: skip
        stored = "master" in changes  # a new take: what the episode has must fit it too
        _check_timed(work, episode, given, changes, analysis.source.duration_s, stored=stored)
    if request.note is not None and (note := clean_text(request.note, "the note")):
        correction = Correction(at=now, note=note, public=request.public_note)
        changes["corrections"] = (*episode.corrections, correction)
    elif "master" in changes:
        changes["corrections"] = (*episode.corrections, Correction(at=now, note="audio replaced"))
    if not changes:
        return Edited(episode=episode, changed=())
    edited = replace(episode, **changes)  # type: ignore[arg-type]
    computed = Computed(analysis=analysis, chapters=sides.stored_chapters(given))
    refreshed = refresh_audio(settings, work, edited, on_progress=on_progress, computed=computed)
    edited = refreshed.episode
    refresh_clips(settings, work, edited, refreshed.tags)
    prune_derived(work, edited)
    on_air = None
    if _on_air_stale(settings, episode, changes):
        on_air = settings.root / settings.broadcast.folder / f"{episode.slug}.wav"
        stage_on_air(settings, work, edited, refreshed.measured)
    episode_file.write_episode(work, edited)
    order = [f.name for f in fields(Episode)]
    changed = sorted(set(changes) - {"previous_masters"}, key=order.index)
    return Edited(episode=edited, changed=tuple(changed), on_air=on_air)


def _replace_master(
    settings: Settings,
    work: Path,
    episode: Episode,
    recording: Path,
    changes: dict[str, object],
    on_progress: ProgressFn | None,
) -> Analysis:
    """Copy and measure the new take into `work`; record it in `changes` unless it is the same."""
    master, analysis = masters.copy_and_measure(settings, recording, work, on_progress)
    if master.sha256 == episode.master.sha256:  # the very recording it has: no change
        (work / master.file).unlink()
        return analysis
    others = [e for e in episode_file.load_episodes(settings.root) if e.slug != episode.slug]
    masters.warn_if_known(master, masters.known_recordings(others), recording.name)
    changes["master"] = master
    changes["previous_masters"] = (*episode.previous_masters, episode.master)
    return analysis


def _store_changed_sides(given: sides.Sides, work: Path, episode: Episode) -> dict[str, str]:
    """Store the side files given; return those that changed (by name or by bytes)."""
    before = {
        name: (work / old).read_bytes()
        for name in ("image", "chapters", "transcript")
        if (old := getattr(episode, name)) and (work / old).is_file()
    }
    stored = sides.store_sides(given, work, episode.slug)
    changed = {}
    for name, file in stored.items():
        old = getattr(episode, name)
        if old != file or before.get(name) != (work / file).read_bytes():
            changed[name] = file
        if old and old != file:  # image.png replaced by image.jpg: the old one goes
            (work / old).unlink(missing_ok=True)
    return changed


def _recording_s(episode: Episode) -> float:
    """Return the length of the episode's recording, as its audio record keeps it."""
    record = episode.audio
    if record is None:
        return math.inf  # not processed yet: nothing to check against
    return record.recording_s if record.recording_s is not None else record.kept_s()[1]


def _check_timed(
    folder: Path,
    episode: Episode,
    given: sides.Sides,
    changes: dict[str, object],
    recording_s: float,
    *,
    stored: bool = False,
) -> None:
    """Refuse chapters, cues and soundbites past the end of the recording, before the encode.

    What the request gives is checked always; with `stored`, a new recording is checked against
    the chapters, transcript and soundbites the episode already has as well.
    """
    bites = changes.get("soundbites", episode.soundbites if stored else ())
    assert isinstance(bites, tuple)
    soundbites.check_in_recording(bites, recording_s)
    if stored:
        sides.check_within(_with_stored(folder, episode, given), recording_s)
        return
    sides.check_within(given, recording_s)
    if "soundbites" in changes and episode.audio is not None:
        soundbites.check_within(bites, episode.audio)  # trims too: the record knows them


def _with_stored(folder: Path, episode: Episode, given: sides.Sides) -> sides.Sides:
    """Return the side files given, completed by the chapters and transcript already stored."""
    if given.chapters is None and episode.chapters:
        name = folders.stored_name(episode, episode.chapters)
        given = replace(given, chapters=stored_chapters(folder, episode),
                        chapters_source=name)  # fmt: skip
    if given.transcript is None and episode.transcript:
        name = folders.stored_name(episode, episode.transcript)
        cues = parse_transcript((folder / episode.transcript).read_bytes(), source=name)
        given = replace(given, transcript=cues, transcript_source=name)
    return given


def _on_air_stale(settings: Settings, episode: Episode, changes: dict[str, object]) -> bool:
    """Tell whether the edit makes the episode's on-air copy (or its lack) out of date."""
    exists = (settings.root / settings.broadcast.folder / f"{episode.slug}.wav").is_file()
    if not (exists or settings.broadcast.enabled):
        return False
    return not exists or not ON_AIR_FIELDS.isdisjoint(changes)
