"""Runs `add`: copy the master, process its audio, tag the MP3, record the episode.

Each recording is made whole in a staging folder and switched in with one rename; a failed
recording leaves nothing behind and does not stop the others. Never uploads anything.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from radiodesk.errors import CatalogError, RadiodeskError
from radiodesk.ingest import masters, sides
from radiodesk.ingest.progress import ProgressFn
from radiodesk.ingest.splice_plan import check_jingles
from radiodesk.show import episode_file, folders, soundbites, staging
from radiodesk.show.episode import Episode, EpisodeType, Person, Soundbite, clean_text
from radiodesk.show.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class AddRequest:
    """What the producer asked `add` to make of one recording."""

    recording: Path
    title: str
    description: str = ""
    slug: str | None = None
    date: datetime | None = None  # None: now
    season: int | None = None
    number: int | None = None
    image: Path | None = None
    chapters: Path | None = None  # "00:00 Title" lines or Podcasting 2.0 JSON
    transcript: Path | None = None  # WebVTT or SRT
    persons: tuple[Person, ...] = field(default_factory=tuple)
    soundbites: tuple[Soundbite, ...] = field(default_factory=tuple)
    episode_type: EpisodeType = "full"
    explicit: bool = False
    draft: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AddResult:
    """One recording's outcome in a batch: an episode, or the error that stopped it."""

    recording: Path
    episode: Episode | None = None
    error: RadiodeskError | None = None


def add_episode(
    settings: Settings, request: AddRequest, *, now: datetime, on_progress: ProgressFn | None = None
) -> Episode:
    """Ingest one recording as a new episode and return it."""
    (result,) = add_episodes(settings, [request], now=now, on_progress=on_progress)
    if result.error is not None:
        raise result.error
    assert result.episode is not None
    return result.episode


def add_episodes(
    settings: Settings,
    requests: Sequence[AddRequest],
    *,
    now: datetime,
    jobs: int | None = None,
    on_progress: ProgressFn | None = None,
) -> list[AddResult]:
    """Ingest recordings in parallel (one per core); a failed recording doesn't stop the rest."""
    root = settings.root
    results: dict[int, AddResult] = {}
    check_jingles(settings)  # every recording would need them: stop before any work
    with folders.locked(root):
        try:
            folders.episodes_dir(root).mkdir(exist_ok=True)
        except OSError as exc:
            raise CatalogError(f"cannot create the episodes folder in {root}: {exc}") from exc
        taken = set(folders.list_slugs(root))
        known = masters.known_recordings(episode_file.load_episodes(root))
        todo: list[tuple[int, AddRequest, _Claim]] = []
        for index, request in enumerate(requests):
            try:
                claim = _claim(request, taken)
            except RadiodeskError as exc:
                results[index] = AddResult(recording=request.recording, error=exc)
                continue
            todo.append((index, request, claim))
        if todo:
            _import_ahead()
        workers = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {
                index: pool.submit(_build, settings, request, claim, now, on_progress)
                for index, request, claim in todo
            }
            for index, future in futures.items():
                recording = requests[index].recording
                try:
                    episode = future.result()
                except RadiodeskError as exc:
                    results[index] = AddResult(recording=recording, error=exc)
                    continue
                masters.warn_if_known(episode.master, known, recording.name)
                known.setdefault(episode.master.sha256, episode.slug)  # twins in one batch too
                results[index] = AddResult(recording=recording, episode=episode)
    return [results[i] for i in range(len(requests))]


# What an add needs only once its recording is measured: imported meanwhile (see _import_ahead).
LATER = (
    "radiodesk.ingest.derived",  # the encode, tags (mutagen), artwork (Pillow), provenance
    "radiodesk.ingest.soundbite_clips",
    "radiodesk.ingest.on_air",
    "radiodesk.audio.truepeak",  # the encoder's true-peak meter: numpy
)


def _import_ahead() -> None:
    """Import what the encode needs in the background while ffmpeg probes and measures.

    The measuring pass leaves a core free; imported on the way, they would hold up the add.
    """

    def load() -> None:
        for module in LATER:
            importlib.import_module(module)

    threading.Thread(target=load, name="import-ahead", daemon=True).start()


@dataclass(frozen=True, slots=True, kw_only=True)
class _Claim:
    """A request that passed the cheap checks, with its reserved slug."""

    slug: str
    sides: sides.Sides


def _claim(request: AddRequest, taken: set[str]) -> _Claim:
    """Check the request cheaply and reserve its slug (the caller holds the lock)."""
    title = clean_text(request.title, "the title")
    if not title:
        raise CatalogError("the episode needs a title", hint="pass --title")
    clean_text(request.description, "the description")
    masters.check_recording(request.recording)
    given = sides.read_sides(request.image, request.chapters, request.transcript)
    slug = folders.check_slug(request.slug) if request.slug else folders.make_slug(title, taken)
    if slug in taken:
        raise CatalogError(f"an episode with the slug {slug!r} already exists", hint="pick --slug")
    taken.add(slug)
    return _Claim(slug=slug, sides=given)


def _build(
    settings: Settings,
    request: AddRequest,
    claim: _Claim,
    now: datetime,
    on_progress: ProgressFn | None,
) -> Episode:
    """Make the episode in a staging folder, then move it into place in one rename."""
    root, slug = settings.root, claim.slug
    try:
        work = staging.new_folder(folders.episodes_dir(root))
    except OSError as exc:
        raise CatalogError(f"cannot create episode {slug!r} in {root}: {exc.strerror}") from exc
    try:
        episode = _make(settings, request, claim, now, work, on_progress)
        staging.switch(work, folders.episode_dir(root, slug), new=True)
    except OSError as exc:
        staging.discard(work)
        raise CatalogError(f"cannot write episode {slug!r} in {root}: {exc.strerror}") from exc
    except BaseException:
        staging.discard(work)
        raise
    log.info("added %s (%s)", slug, episode.title)
    return episode


def _make(
    settings: Settings,
    request: AddRequest,
    claim: _Claim,
    now: datetime,
    work: Path,
    on_progress: ProgressFn | None,
) -> Episode:
    """Copy, measure and process the recording into `work`, with every file the episode has."""
    from radiodesk.ingest.derived import Computed, refresh_audio  # see LATER
    from radiodesk.ingest.on_air import stage_on_air
    from radiodesk.ingest.soundbite_clips import refresh_clips

    master, analysis = masters.copy_and_measure(settings, request.recording, work, on_progress)
    bites = soundbites.ordered(request.soundbites)
    soundbites.check_in_recording(bites, analysis.source.duration_s)
    sides.check_within(claim.sides, analysis.source.duration_s)
    episode = Episode(
        slug=claim.slug,
        guid=str(uuid.uuid4()),
        title=clean_text(request.title, "the title"),
        description=clean_text(request.description, "the description"),
        date=request.date or now,
        created=now,
        master=master,
        season=request.season,
        number=request.number,
        explicit=request.explicit,
        draft=request.draft,
        episode_type=request.episode_type,
        persons=request.persons,
        soundbites=bites,
    )
    episode = replace(episode, **sides.store_sides(claim.sides, work, claim.slug))  # type: ignore[arg-type]
    computed = Computed(analysis=analysis, chapters=sides.stored_chapters(claim.sides))
    refreshed = refresh_audio(settings, work, episode, on_progress=on_progress, computed=computed)
    episode = refreshed.episode
    refresh_clips(settings, work, episode, refreshed.tags)
    if settings.broadcast.enabled:
        stage_on_air(settings, work, episode, refreshed.measured)
    episode_file.write_episode(work, episode)
    return episode
